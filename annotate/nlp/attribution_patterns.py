"""Attribution rules as data: cue lexicons, dependency labels and phrase patterns.

Everything the extractor in `attribution.py` treats as "knowledge about English reporting"
lives here, so a reviewer can read (and extend) the rules without reading the algorithm.
The learned part (per-lemma cue rates, feature weights, calibration) is stored separately
as JSON under `models/attribution/` and only refines these hand-written priors.
"""
from __future__ import annotations

# Reporting / belief / evidence predicates with a hand-set prior that a use of the lemma
# as a verb introduces an attribution. Priors only matter for lemmas the learned table has
# not seen often; they are deliberately conservative for verbs that are often literal.
SPEECH_VERBS: dict[str, float] = {
    lemma: 0.9
    for lemma in (
        "say", "tell", "add", "state", "write", "tweet", "announce", "declare", "report",
        "note", "explain", "respond", "reply", "claim", "insist", "argue", "acknowledge",
        "admit", "concede", "confirm", "deny", "reveal", "disclose", "allege", "assert",
        "contend", "maintain", "stress", "emphasize", "emphasise", "warn", "predict",
        "promise", "vow", "pledge", "recall", "remark", "comment", "observe", "mention",
        "suggest", "testify", "tout", "boast", "complain", "joke", "quip", "retort",
        "shout", "scream", "whisper", "post", "caution", "inform", "assure",
        "reiterate", "repeat", "conclude", "counter", "charge", "accuse", "blast",
        "criticize", "criticise", "praise", "ask", "urge", "demand", "question", "wonder",
        "describe", "call", "label", "dub", "brand", "characterize", "signal",
        "indicate", "hint", "point", "cite", "quote", "continue", "agree", "disagree",
        "propose", "recommend", "advise", "remind", "stutter", "crow", "sniff", "scold",
        "confess", "read", "proclaim", "estimate", "forecast", "speculate",
        "dispute", "contest", "contradict", "rebut", "refute",  # denials: "disputed that ..."
        # taking sides: "The EU welcomed the agreement" (PolNeAR and GenderGapTracker dev unchanged)
        "condemn", "denounce", "decry", "slam", "welcome", "hail", "applaud", "commend",
    )
}
BELIEF_VERBS: dict[str, float] = {
    lemma: 0.7
    for lemma in (
        "think", "believe", "feel", "know", "fear", "hope", "expect", "doubt", "worry",
        "suspect", "assume", "consider", "want", "wish", "understand", "realize", "learn",
        "recognize", "see", "view", "regard", "decide", "agree", "support", "oppose",
        "endorse", "reject", "dismiss", "defend", "refuse", "decline", "seek", "plan",
        "intend", "vote", "favor", "favour", "back",
    )
}
EVIDENCE_VERBS: dict[str, float] = {
    lemma: 0.6
    for lemma in ("show", "find", "suggest", "indicate", "reveal", "conclude", "estimate", "appear", "seem")
}
# Merged prior; later dicts win, so a speech verb listed elsewhere keeps its higher prior.
CUE_VERB_PRIOR: dict[str, float] = {**EVIDENCE_VERBS, **BELIEF_VERBS, **SPEECH_VERBS}

# Neutral speech verbs of the textbook attribution ('"...," X said'): with a quotation and a
# named speaker they are the precise case confidence should single out.
PLAIN_SPEECH_LEMMAS: frozenset[str] = frozenset({"say", "tell", "add", "write", "tweet", "explain", "ask"})

# Nouns that carry an attribution when they take a clause or a colon ("the claim that ...",
# "Trump's tweet: ...").
SPEECH_NOUNS: frozenset[str] = frozenset({
    "tweet", "statement", "message", "post", "remark", "comment", "claim", "warning",
    "allegation", "assertion", "argument", "belief", "view", "assessment", "announcement",
    "suggestion", "promise", "pledge", "vow", "prediction", "words", "answer", "reply",
    "response", "letter", "speech", "interview", "report", "testimony", "fear", "hope",
    "concern", "accusation", "charge", "insistence", "contention", "conclusion", "finding",
})

# Noun cues whose complement is what was said, believed or judged: "the claim that Y",
# "his attack on Y", "X voiced confidence that Y", "X raised questions about Y". A listed
# noun with such a complement is a candidate; its learned per-lemma rate (keyed
# NOUN_CUE_PREFIX + lemma, apart from the verbs) refines this hand-set prior. Other nouns
# are left out: as candidates they were too often wrong for the model to weigh well.
NOUN_CUE_PREFIX = "n:"
CUE_NOUN_PRIOR: dict[str, float] = {
    NOUN_CUE_PREFIX + lemma: 0.4
    for lemma in sorted(SPEECH_NOUNS | {
        "criticism", "critique", "attack", "question", "doubt", "debate", "discussion", "confidence",
        "optimism", "skepticism", "scepticism", "notion", "idea", "opinion", "endorsement", "support",
        "opposition", "condemnation", "apology", "defense", "defence", "praise", "complaint",
        "rejection", "call", "demand", "insistence", "suggestion", "speculation", "rumor", "assurance",
    })
}
# The complements: a preposition's object ("criticism of Y") or a that/whether clause.
NOUN_CONTENT_PREPOSITIONS: frozenset[str] = frozenset({"of", "about", "on", "for", "against", "over"})
NOUN_CLAUSE_DEPS: frozenset[str] = frozenset({"acl", "ccomp", "relcl", "appos"})
NOUN_CLAUSE_MARKERS: frozenset[str] = frozenset({"that", "whether"})
# Who holds a noun cue: its possessor ("Trump's claim that"), the object of "from" / "by"
# ("criticism from Democrats"), or the subject of the verb it is the object of ("X voiced
# confidence that", "X raised questions about").
NOUN_AGENT_PREPOSITIONS: frozenset[str] = frozenset({"from", "by"})
LIGHT_VERB_OBJECT_DEPS: frozenset[str] = frozenset({"dobj"})
# Rules whose candidates get features of their own (prefixed with the rule), so the many
# noun candidates do not shift the weights the verb and quotation rules have learned.
SEPARATE_FEATURE_RULES: frozenset[str] = frozenset({"noun"})

# Dependency labels (spaCy English, ClearNLP scheme).
# Prepositions whose object is the content of some cues ("warned of", "called for").
CONTENT_PREPOSITIONS: frozenset[str] = frozenset({"of", "for", "about", "on", "to", "against", "that"})
# Right-hand children of a verb cue that are not part of its (non-clausal) content.
NOT_CONTENT_DEPS: frozenset[str] = frozenset({"conj", "cc", "punct", "parataxis", "advcl", "npadvmod", "ccomp"})
SPEAKER_DEPS: frozenset[str] = frozenset({"nsubj", "csubj"})
PASSIVE_SPEAKER_DEPS: frozenset[str] = frozenset({"agent"})
# Where a speech verb hangs off the clause it reports ("X, sources said"): the reported
# clause is the head and the cue one of these children of it.
PARENTHETICAL_CUE_DEPS: frozenset[str] = frozenset({"parataxis", "ccomp", "advcl", "conj"})
# A speech verb set inside the clause it reports ("A, X said, B"): the parser hangs it on
# the clause's verb, which comes after it.
INSERTED_CUE_DEPS: frozenset[str] = frozenset({"parataxis", "advcl"})
# Participial cues that take their speaker from the main clause ("..., adding that ...").
PARTICIPLE_CUE_DEPS: frozenset[str] = frozenset({"advcl", "xcomp", "conj"})
# "with X alleging that ...": X is the participle's subject whatever the parser says.
ABSOLUTE_PREPOSITIONS: frozenset[str] = frozenset({"with"})
RELATIVE_PRONOUNS: frozenset[str] = frozenset({"who", "which", "that"})

# Conjunctions cut from the front of a content ("said [and] ..."); a complementiser "that"
# is kept, as both gold sets include it.
DROPPED_LEADING_WORDS: frozenset[str] = frozenset({"and", "but"})

# Adverbs folded into the cue span: they change how the content is reported.
CUE_ADVERBS: frozenset[str] = frozenset({"reportedly", "allegedly", "publicly", "privately"})
# Auxiliary-like children folded into a verb cue ("has said", "did not say").
CUE_AUX_DEPS: frozenset[str] = frozenset({"aux", "auxpass", "neg", "prt"})

# Clause breaks a reported content does not cross: back from its cue, and on after it
# ("X said: Y" keeps Y, so the colon only bounds contents before the cue).
CLAUSE_BREAKS_BEFORE_CUE: tuple[str, ...] = (";", ":")
CLAUSE_BREAK_AFTER_CUE = ";"

# Phrase cues. "according to X" makes X the speaker of the clause around it; a verb cue
# takes "in a statement" / "in an interview" along into its cue span.
ACCORDING_TO: tuple[str, str] = ("according", "to")
CUE_SETTING_NOUNS: frozenset[str] = frozenset({"statement", "interview", "tweet", "letter", "speech", "post", "email", "release"})

# Speaker heads that make a source anonymous when no named entity is inside the mention.
ANONYMOUS_HEADS: frozenset[str] = frozenset({
    "source", "official", "aide", "insider", "person", "people", "diplomat", "observer",
    "analyst", "expert", "critic", "supporter", "officer", "spokesman", "spokeswoman",
    "spokesperson", "adviser", "advisor", "member", "staffer", "lawmaker", "someone",
    "witness", "resident", "voter",
})
# Singular nouns for a group, which a later "they" can stand for ("the union ... They said").
COLLECTIVE_NOUNS: frozenset[str] = frozenset({
    "union", "delegation", "government", "ministry", "department", "agency", "company", "firm",
    "team", "committee", "council", "board", "party", "administration", "police", "group",
    "coalition", "campaign", "association", "organisation", "organization", "family", "court",
    "commission", "panel", "army", "military", "opposition", "club", "band", "crew", "staff",
})
# Titles kept at the front of a canonical name ("Ambassador Alice Wells").
TITLE_WORDS: frozenset[str] = frozenset({
    "ambassador", "president", "senator", "sen.", "rep.", "representative", "governor", "gov.",
    "secretary", "minister", "prime", "general", "gen.", "dr.", "mr.", "mrs.", "ms.", "judge",
    "justice", "mayor", "chancellor", "king", "queen", "prince", "pope", "speaker", "leader",
    "commissioner", "director", "chief", "professor", "prof.", "attorney", "former", "vice",
    "deputy", "premier", "coach", "captain", "lt.", "col.", "capt.", "sgt.",
})
# Fewer words than this after a colon, unquoted, label a thing ("Verdict: FALSE.", "Photo:
# Reuters"); none of the colon attributions in PolNeAR's or GenderGapTracker's dev gold is so short.
MIN_COLON_CONTENT_WORDS = 3
PERSONAL_PRONOUNS: frozenset[str] = frozenset({"he", "she", "him", "her", "i", "we", "they", "you"})
# Outside a quotation "I" and "we" are the writer (a columnist, a fact-checking desk), never
# a person the text names; inside one they are the quotation's speaker.
FIRST_PERSON_PRONOUNS: dict[str, str] = {"i": "I", "me": "I", "we": "we", "us": "we"}
POSSESSIVE_PRONOUNS: frozenset[str] = frozenset({"his", "her", "their", "its", "my", "our", "your"})

# Quotation marks. Curly quotes say which side they are; straight ones are paired by context.
OPENING_QUOTES: frozenset[str] = frozenset({"\u201c", "\u00ab", "\u201e"})
CLOSING_QUOTES: frozenset[str] = frozenset({"\u201d", "\u00bb"})
STRAIGHT_QUOTES: frozenset[str] = frozenset({'"'})
# Two apostrophes standing for a straight double quote (New York Times wire copy).
DOUBLED_APOSTROPHE = "''"
# A quotation longer than this is treated as an unpaired mark, so one stray quote cannot
# swallow a whole document.
MAX_QUOTE_CHARS = 2500
# Longest text between two pieces of one quotation split by its speaker and cue
# ('"A," said X, a long description. "B"').
MAX_ATTRIBUTION_GAP_CHARS = 300
# Annotation guidelines for '"A," X said. "B."': "joined" is one content A..B (PolNeAR),
# "split" is A with its speaker and B as a separate, speakerless quote (GenderGapTracker).
QUOTE_CONVENTIONS: tuple[str, ...] = ("joined", "split")
# The guideline each training set follows. Under "split" a quotation with no speaker in its
# sentence is also a claim of its own with no speaker (the speaker stays its entity); under
# "joined" it is mostly given the speaker of an earlier sentence, or left out.
TRAINING_QUOTE_CONVENTION: dict[str, str] = {"polnear": "joined", "gender_gap_tracker": "split"}
# A quotation with fewer tokens is a scare quote or a title, not a reported utterance.
MIN_QUOTE_TOKENS_FOR_STANDALONE = 6

# Constructions the rules find precisely but the gold sets hold too few of for the learned
# model to rate (2 PolNeAR contents of each): their end-to-end probability is at least this
# hand-set prior. "colon_quote_possessor" is a speech noun with a possessive speaker, a colon
# and a quotation (`Trump's 1 January tweet: "..."`); "nested_passive_report" is an agentless
# passive of a speech verb with a clausal content, itself reported by a speech verb ("Sources
# revealed that Wells was informed that X": the informing party is not named).
# "shape=back_reference" is a sentence that names the one before it as somebody's words
# ("This was the message given by X", "That is the view of X"; `BACK_REFERENCE_*`).
# "extraposed_passive_agent" is "It was claimed by the ministry that X": a passive speech verb
# with its agent and an extraposed clause, which names speaker, cue and content exactly.
CONSTRUCTION_PRIORS: dict[str, float] = {"colon_quote_possessor": 0.6, "nested_passive_report": 0.5,
                                         "shape=back_reference": 0.6, "extraposed_passive_agent": 0.5}

# "X. This was the message given by Y": a pronoun subject, a copula and a noun of saying or
# judging with its holder (an agent, "of"/"from", or a possessor) attribute the sentence before.
BACK_REFERENCE_SUBJECTS: frozenset[str] = frozenset({"this", "that", "such", "these", "those"})
BACK_REFERENCE_NOUNS: frozenset[str] = SPEECH_NOUNS | frozenset({
    "position", "stance", "verdict", "line", "thinking", "reasoning", "advice", "demand", "request", "proposal",
})
BACK_REFERENCE_HOLDER_PREPOSITIONS: frozenset[str] = frozenset({"of", "from"})
