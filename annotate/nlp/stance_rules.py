"""Stance rules: the word lists and the decision order, in one place.

The rules read `token.lower_`, so they work on any spaCy tokens (a parsed doc, a span
of it, or a tokenizer-only doc of the target) and cost no second parse. Where the
pipeline's parse is there, it adds the root distance of hedges and refutations and
picks the sentences of a long text that mention the target. The same evidence feeds
the trained classifier as extra features (`stance_training`).

How a text is read against its target:
1. Profile the target once: its content words (stemmed), whether it is negated, and
   its direction: a motion such as "This house would ban boxing" is *against* its
   topic, so praise of boxing opposes it.
2. In a long text (an article), keep only the sentences that mention the target.
   Gather evidence there: refutation and denial words, hedges and reporting
   without commitment, negation, questions, words shared with the target, and the
   sentiment of the text (flipped by a nearby negation).
3. Walk `DECISION_ORDER`; the first piece of evidence present decides the label.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

from spacy.tokens import Span, Token

SUPPORT, OPPOSE, NEUTRAL = "support", "oppose", "neutral"
RULES_MODEL_NAME = "rules-10"  # bumped whenever the rules decide differently

# --- Word lists (lowercased surface forms) ---------------------------------------

# The text says the target is untrue, or denies it.
REFUTATION_WORDS = frozenset("""
    deny denies denied denying denial denials hoax hoaxes fake faked fakes false falsely
    debunk debunks debunked debunking refute refutes refuted reject rejects rejected
    dismiss dismisses dismissed myth myths untrue bogus fabricated fabrication satire
    satirical phony phoney spoof scam baseless unfounded retract retracts retracted
    misleading nonsense lie lies lied quit quits
    dispute disputes disputed contest contests contested contradict contradicts contradicted
    rebut rebuts rebutted
    rebuff rebuffs rebuffed unsubstantiated figment dispel dispels dispelled discredit discredits
    discredited disprove disproves disproved disproven falsehood untruth
""".split())

# Refutation words that are also nouns of no denial: "ending a dispute", "a close contest". As
# nouns they refute nothing (QA17: the demo's "ending a dispute" was read as opposing repairs).
VERB_ONLY_REFUTATIONS = frozenset("dispute disputes contest contests".split())

# What is said, named as such: "shuts down rumors", "laughs off the claim" dismiss it.
REPORT_NOUNS = frozenset("""
    rumor rumors rumour rumours report reports claim claims speculation speculations assertion
    assertions allegation allegations story stories talk suggestion suggestions
""".split())
# A verb's particle that, with a report noun as its object, dismisses it ("shoot down", "brush off").
DISMISSING_PARTICLES = frozenset("down off aside away".split())
# Verbs that dismiss a report noun they take without a particle ("quells rumors").
# Each also has other senses ("nixed the wedding", "killed 10 militants"): only with a report noun.
DISMISSING_VERBS = frozenset("quell squash quash nix scotch silence slam blast scoff laugh mock ridicule".split())
# "casts doubt on", "pours cold water on": the verb and the first words of its object.
DOUBTING_PHRASES: tuple[tuple[str, ...], ...] = (("cast", "doubt"), ("throw", "doubt"), ("pour", "cold", "water"))
# Words a dismissing verb may have between it and its report noun in a headline ("Slams Rape Rumor").
DISMISSAL_GAP = 2
# Words that end the object a dismissal's report noun must be in ("... after reports that").
DISMISSAL_BREAKS = frozenset("""after before on upon over amid following despite about in at for from with by to
    of as than that because since while when , ; : .""".split())
# Adjectives that call what was said untrue, said of it ("reports are incorrect", "an
# inaccurate report"), not of anything ("erroneous address data").
FALSITY_ADJECTIVES = frozenset("incorrect inaccurate erroneous wrong".split())

# The text reports or speculates without committing to the claim.
HEDGE_WORDS = frozenset("""
    reportedly allegedly alleged alleges rumor rumors rumored rumour rumours rumoured
    may might could possibly possible perhaps apparently purportedly supposedly
    unconfirmed unverified claim claims claimed claiming speculation speculate speculates
    speculated suggests suggest suggested reports report reported sources source
    considers mulls mulling weighs weighing talks likely potential says say said
    according believed appears seems
""".split())

# "claim" as a demand for money or land, which hedges nothing: the words before it
# ("insurance claims", "filed a claim") and after it ("claims adjuster").
DEMAND_CLAIM_MODIFIERS = frozenset("""
    insurance compensation benefit benefits expense expenses damages injury pension
    warranty refund tax asylum wage pay payment land territorial patent welfare disability
    unemployment accident liability
""".split())
DEMAND_CLAIM_VERBS = frozenset("file files filed filing lodge lodges lodged lodging submit submits submitted settle settles settled pay pays paid process processed".split())
DEMAND_CLAIM_HEADS = frozenset("adjuster adjusters process handler handlers department office".split())
# What never follows the modal "may": a label's colon ("MAY:") and "Day" (May Day).
NOT_AFTER_MODAL_MAY = frozenset({":", "day"})
# Words before "May" that make it the month or a name: the modal never follows them.
MONTH_PRECEDERS = frozenset("in on since until till from by during last next early late mid of the - –".split())
MONTHS = frozenset("""january february march april june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split())
# The modal "may" takes a verb's bare form (VB); after "May" these are the month's or a name's.
INFLECTED_VERB_TAGS = frozenset({"VBZ", "VBD", "VBN", "VBG"})
# A sentence with this share of capitalised words is a title-case headline, where a
# capital says nothing.
TITLE_CASE_SHARE = 0.6

# Prefixes that make a word its opposite ("unsafe", "illegal", "dishonest", "nonviolent").
NEGATIVE_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non")
# Words that negate the clause they stand in.
NEGATION_WORDS = frozenset("not n't no never nothing nobody neither nor none hardly barely scarcely".split())

# Question openers: with a trailing "?" the text asks rather than asserts.
QUESTION_MARK = "?"

# A motion whose main verb is one of these is against its topic.
AGAINST_TOPIC_VERBS = frozenset("""
    ban bans banning abolish abolishing limit limiting restrict restricting criminalize
    criminalise criminalizing forbid forbidding prohibit prohibiting disband end ending
    stop oppose opposes cut reduce weaken weakening never lift remove scrap outlaw
    banned abolished limited restricted criminalized criminalised forbidden prohibited
    disbanded ended stopped reduced weakened lifted removed scrapped outlawed
    cancel cancels cancelled canceled cancelling canceling halt halts halted halting
    suspend suspends suspended suspending withdraw withdraws withdrawn withdrawing
    drop drops dropped dropping shelve shelves shelved shelving axe axed
""".split())
# The measures a motion against its topic proposes, as nouns ("a ban on boxing").
MEASURE_WORDS = frozenset("ban bans abolition prohibition restriction restrictions limit limits cap curbs".split())
# Verbs of letting or backing. Refused ("will not allow", "will not support"), they refuse what
# they take; where that is harm, the refusal speaks well ("will not support any effort against
# Pakistan"), not ill as a negated "support" alone would.
PERMITTING_VERBS = frozenset("allow permit tolerate support accept back condone let endorse fund".split())
# Verbs that end or lessen what they take. Ending harm speaks well ("ending a dispute",
# "curbing violence"): the harm's ill words count for, and the verb against nothing (QA17: the
# demo's "released funds for repairs, ending a dispute" read as opposing repairs).
ENDING_VERBS = frozenset("""end stop halt resolve settle curb ease defuse reduce prevent combat fight
    cut lower decrease lessen alleviate slash tackle eliminate relieve""".split())
# What a news text calls the proposal it is about, once named ("the project", "this plan").
PROPOSAL_NOUNS = frozenset("""project plan plans scheme proposal proposals extension development initiative
    programme program policy measure bill""".split())
DEFINITE_DETERMINERS = frozenset("the this that these those".split())
# Verbs that raise what they take: raising harm speaks ill ("will increase noise"), and the
# verb's own valence (VADER's "increase" is good) says nothing of it.
RAISING_VERBS = frozenset("increase raise worsen aggravate exacerbate boost double triple".split())
# Burdens no sentiment word marks ill, which a policy claim cuts or raises ("the tram would cut
# traffic", "higher fares"): ill only as what an ending or raising verb takes.
BURDEN_WORDS = frozenset("""traffic congestion gridlock cost costs noise emissions delays delay fares prices
    bills taxes debt deficit unemployment inflation queues bureaucracy overcrowding waiting commute""".split())
BURDEN_VALENCE = -1.0
# "used against Pakistan", "an effort against the deal": harm to what the preposition governs.
HARM_PREPOSITIONS = frozenset({"against"})
# What refusing harm counts for, where the verb itself has no valence ("tolerate").
REFUSED_HARM_VALENCE = 1.0
# Toward a topic, a motion or what should be, a word of ending or banning in the text speaks
# against the topic it names, as a negative word does (ibm dev macro-F1 .5854 -> .5857).
AGAINST_WORD_VALENCE = -1.0
# A statement of what should be ("The tram extension should go ahead", "Smoking should be
# banned") takes sides like a debate motion, not like a report of an event: praise of its
# topic supports it. "must" is left out: it is as often a guess ("must be a hoax").
NORMATIVE_MODALS = frozenset({"should", "ought", "shouldn't"})
# Auxiliaries and copulas: a target holding one is a clause, a statement of fact, whatever
# its length ("Macaulay Culkin is dead"), where "US–Pakistan cooperation" is a bare topic.
FINITE_AUXILIARIES = frozenset("is are was were will would has have had did does can could may might must shall".split())
FINITE_VERB_TAGS = frozenset({"VBD", "VBZ", "VBP", "MD"})
# Words that frame a debate motion and say nothing about its topic.
MOTION_FRAME_WORDS = frozenset("this house believes believe would should supports support that the in of".split())

# Sentiment: VADER's lexicon (package vaderSentiment, MIT, 7.5k words rated -4..+4),
# plus these words it lacks or rates for another sense. Stance toward a topic follows
# sentiment.
POSITIVE_WORDS = frozenset("""
    good great better best benefit benefits beneficial improve improves improved improvement
    help helps helped helpful effective efficient success successful successfully safe safer
    protect protects protected protection positive advantage advantages valuable value
    important essential necessary useful increase increases boost boosts growth grow
    strengthen strengthens support supports enable enables promote promotes encourage
    encourages fair fairer justice just right rights freedom free equal equality peace
    healthy health quality opportunity opportunities reliable cheap cheaper clean cleaner
    progress prosperity win wins won praise praised hero heroic brave save saves saved
    love loved happy best
""".split())
NEGATIVE_WORDS = frozenset("""
    bad worse worst harm harms harmful damage damages damaging danger dangerous risk risks
    risky threat threatens fail fails failed failure problem problems costly expensive
    waste wasteful unfair injustice wrong abuse abuses abused violence violent crime
    crimes criminal corrupt corruption poor poverty disease death deaths kill kills killed
    destroy destroys destroyed undermine undermines reduce reduces decline declines
    discriminate discrimination discriminatory inequality unequal pollution polluting
    ineffective inefficient unsafe unhealthy hurt hurts suffer suffers suffering loss
    losses lose loses negative evil terrible horrible dangerous addiction addictive
    exploit exploitation exploits oppress oppression racist violate violates violation
""".split())

# Verbs of taking sides, which VADER lacks ("oppose", "veto", "defend") or rates in another
# sense ("backs" -0.1: a bad back). In news about a position they are the stance itself.
STANCE_VERB_VALENCE: dict[str, float] = {
    **dict.fromkeys("back backs backed backing defend defends defended defending approve".split(), 1.0),
    **dict.fromkeys("""oppose opposes opposed opposing veto vetoes vetoed vetoing slams slammed blast blasts
        blasted denounced denouncing decry decries decried decrying""".split(), -1.0),
}
# Rated by VADER but no sentiment in claims about a position ("pay" -0.2: "pay the price").
NOT_SENTIMENT_WORDS = frozenset({"pay"})

VADER_LEXICON_FILE = resources.files("vaderSentiment") / "vader_lexicon.txt"
VADER_SCALE = 0.5  # halve VADER's ratings so one strong word weighs about 2


def _load_sentiment_lexicon() -> dict[str, float]:
    """word -> valence; the sum over a text is its sentiment."""
    lexicon: dict[str, float] = {}
    for line in VADER_LEXICON_FILE.read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition("\t")
        if rest:
            lexicon[word] = float(rest.split("\t", 1)[0]) * VADER_SCALE
    for word in POSITIVE_WORDS:
        lexicon.setdefault(word, 1.0)
    for word in NEGATIVE_WORDS:
        lexicon.setdefault(word, -1.0)
    lexicon.update(STANCE_VERB_VALENCE)  # over VADER's ratings, which read these in another sense
    for word in NOT_SENTIMENT_WORDS:
        lexicon.pop(word, None)
    return lexicon


SENTIMENT_LEXICON: dict[str, float] = _load_sentiment_lexicon()

# A motion "X is harmful" is against X just as "ban X" is: the sentiment of what follows
# its copula gives the direction.
COPULA_WORDS = frozenset("is are was were".split())

# How far back a negation flips a sentiment word ("not safe", "no benefit").
NEGATION_WINDOW = 3
# "without" turns over the valence of what it governs, a word or two on ("should go ahead without
# further delay" urges it on), without negating the clause as "not" does.
LACKING_WORDS = frozenset({"without"})
LACKING_WINDOW = 2
MAX_DEPTH = 50  # a guard: a parse tree is never deeper

# A text this long or longer (a news body, not a headline or a claim) is read only through
# its sentences that mention the target: in a long article one hedge or denial anywhere
# says nothing about the target.
FOCUS_MIN_TOKENS = 60
FOCUS_SHARE = 0.5  # half the target's content words: long articles repeat a name often

# A target is "mentioned" when at least this share of its content words appears.
MENTION_SHARE = 0.34
# A text with this share of a normative target's content words restates the position (or,
# negated, denies it): "the union said the tram extension should go ahead".
RESTATE_SHARE = 0.75

# Ordered: the first evidence flag that is true decides (label, confidence). A rule whose
# label the project does not have is passed over. The confidence is the share of texts the
# rule decides that it gets right, measured on the three stance dev sets pooled (Emergent,
# IBM Claim Stance, FNC-1 related rows; 3,576 texts), rounded down to 0.05.
DECISION_ORDER: tuple[tuple[str, str, float], ...] = (
    ("is_question", NEUTRAL, 0.65),  # 63 of 91 right (rules-9)
    ("has_refutation", OPPOSE, 0.8),  # 113 of 132
    ("negation_mismatch", OPPOSE, 0.6),  # 50 of 83
    ("has_hedge", NEUTRAL, 0.8),  # 496 of 596
    ("sentiment_against_target", OPPOSE, 0.55),  # 334 of 558
    ("sentiment_for_target", SUPPORT, 0.6),  # 433 of 657
    ("mentions_target", SUPPORT, 0.65),  # 520 of 787
)
# A claim whose cue denies it ("Officials denied that the bridge will reopen") takes the
# other side of what its words would take; these rules record that, one per side. No dev
# set has cues, so their confidence is not measured: it is that of a negation that
# contradicts a proposition (`negation_mismatch`), a reading of the same kind.
DENIAL_RULES: tuple[tuple[str, str, float], ...] = (
    ("denies_support", OPPOSE, 0.6),
    ("denies_opposition", SUPPORT, 0.6),
)
# Cue verbs by which a speaker denies what the claim says.
DENYING_CUE_LEMMAS = frozenset("""
    deny reject dismiss refute debunk dispute contradict contest rebut disavow repudiate disprove
""".split())
# Words just before or in a denying cue that take the denial back ("did not deny": the
# claim's own words decide) ...
CUE_NEGATING_WORDS = frozenset("not n't never no nobody none failed fails fail".split())  # "No one disputes ..."
# ... or withhold it ("refused to deny", "would neither confirm nor deny"): the speaker takes
# no side, whatever the claim says.
CUE_WITHHOLDING_WORDS = frozenset("neither nor refused refuses refuse declined declines decline".split())
CUE_NEGATION_WINDOW = 4
# Verbs of holding a view. Negated, they doubt what they take: "Nobody believes the tram will cut
# traffic", "the mayor does not think that X" say X is not so, as "denied" does, though the
# negation stands too far from X's words to turn them over.
DOUBTED_WHEN_NEGATED = frozenset("believe think expect agree accept buy trust suppose imagine".split())
# Verbs of telling. Negated, the speaker said nothing of what they take ("did not say that X",
# "never confirmed that X"): no side, as "refused to confirm".
UNSAID_WHEN_NEGATED = frozenset("say state claim announce confirm suggest tell report mention indicate".split())
# A subject that negates its verb ("Nobody believes", "No one thinks", "No expert expects").
NEGATIVE_SUBJECTS = frozenset("nobody none nothing".split())
WITHHELD_RULE: tuple[str, str, float] = ("withholds", NEUTRAL, 0.6)  # unmeasured, as the denials'
# What the words around a denying verb make of it (`denial_effect`).
DENIES, WITHHOLDS, TAKEN_BACK = "denies", "withholds", "taken back"
# "The mayor criticised the tram extension": the cue is the claim's only verb, and its tone is
# the speaker's judgement of what the claim names. Confidences as the sentiment rules'.
CUE_JUDGEMENT_RULES: tuple[tuple[str, str, float], ...] = (
    ("cue_praises", SUPPORT, 0.6),
    ("cue_blames", OPPOSE, 0.55),
)

# What each rule means, for the people who review its suggestions.
RULE_DESCRIPTIONS: dict[str, str] = {
    "is_question": "asks a question",
    "has_refutation": "denies or refutes (denied, hoax, false)",
    "negation_mismatch": "negates what the target states",
    "has_hedge": "hedges or reports without committing (reportedly, claims, may)",
    "sentiment_against_target": "speaks ill of the target's topic",
    "sentiment_for_target": "speaks well of the target's topic",
    "mentions_target": "repeats the target's words",
    "denies_support": "its speaker denies what would support the target",
    "denies_opposition": "its speaker denies what would oppose the target",
    "withholds": "its speaker will neither confirm nor deny it",
    "cue_praises": "its speaker's verb takes the target's side (praised or defended what it proposes, or condemned what it opposes)",
    "cue_blames": "its speaker's verb takes the other side (criticised, condemned or rejected what the target proposes)",
    "fallback": "nothing in it takes a side",
}
FALLBACK_RULE = "fallback"
# Nothing fired: neutral, right for 189 of the 681 such texts (most were support, but only
# because the dev sets pair every text with a related target; in an article most
# sentences are about something else).
FALLBACK_DECISION: tuple[str, float] = (NEUTRAL, 0.25)
# Nothing fired and the project has no neutral label (PRO / CON): a coin toss, said so.
FALLBACK_WITHOUT_NEUTRAL: tuple[str, float] = (SUPPORT, 0.5)


# --- Target profile ---------------------------------------------------------------

def stem(word: str) -> str:
    """A crude stem, so that "trained" meets "training" and "jets" meets "jet"."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


DISMISSING_STEMS = frozenset(stem(verb) for verb in DISMISSING_VERBS)


def is_content_word(token: Token) -> bool:
    return token.is_alpha and len(token.text) > 1 and (not token.is_stop or is_acronym(token))


def is_acronym(token: Token) -> bool:
    """An upper-case stop word that is a name ("US", "IT", "WHO"), not a shouted word
    ("NOT", or any word of an all-capitals headline): a target "US–Pakistan cooperation"
    is named by "the US", never by "told us"."""
    if not (token.is_stop and token.is_upper and len(token.text) > 1) or token.lower_ in NEGATION_WORDS:
        return False
    doc = token.doc
    neighbours = [doc[i] for i in (token.i - 1, token.i + 1) if 0 <= i < len(doc) and doc[i].is_alpha]
    return not any(n.is_upper and len(n.text) > 1 for n in neighbours)


def token_stem(token: Token) -> str:
    """`stem` of a word; an acronym keeps its case, so that "US" never meets "us"."""
    return token.text if is_acronym(token) else stem(token.lower_)


@dataclass(frozen=True)
class TargetProfile:
    text: str
    content_stems: frozenset[str]
    negated: bool
    is_motion: bool  # a debate motion, "This house would ..."
    against_topic: bool  # a motion or topic that opposes its topic ("ban boxing")
    is_proposition: bool  # a statement ("X did Y"), not a bare topic, a motion or what should be
    is_normative: bool = False  # what should be ("The tram extension should go ahead")
    # Whether the target's own words in a text count as sentiment and refutation. The rules
    # read them so for motions and positions only (see `gather_evidence`); the classifier
    # reads them everywhere, as its features were chosen (`stance_training.classifier_view`).
    own_words_judge: bool = False


def profile_target(tokens: Sequence[Token]) -> TargetProfile:
    """Read a target (tokenizer output suffices)."""
    words = [t.lower_ for t in tokens]
    content = frozenset(token_stem(t) for t in tokens if is_content_word(t) and t.lower_ not in MOTION_FRAME_WORDS)
    is_motion = words[:2] == ["this", "house"]
    is_normative = not is_motion and any(w in NORMATIVE_MODALS for w in words)
    # A statement of fact: a clause ("The bridge collapsed", "Banksy was arrested"), or words
    # enough to be one. Tagged, a finite verb says it; from the tokenizer alone, an auxiliary.
    if tokens and tokens[0].doc.has_annotation("TAG"):
        has_verb = any(t.tag_ in FINITE_VERB_TAGS for t in tokens)
    else:
        has_verb = any(w in FINITE_AUXILIARIES for w in words)
    is_proposition = not (is_motion or is_normative) and (len(content) > 3 or has_verb)
    copula = next((i for i, w in enumerate(words) if w in COPULA_WORDS), None)
    predicate_sentiment = sum(SENTIMENT_LEXICON.get(w, 0.0) for w in words[copula + 1 :]) if copula is not None else 0.0
    return TargetProfile(
        text="".join(t.text_with_ws for t in tokens),
        content_stems=content,
        negated=any(w in NEGATION_WORDS for w in words),
        is_motion=is_motion,
        # "IBM will cut jobs" reports an event; only motions and topics take a direction.
        against_topic=not is_proposition
        and (any(t.lower_ in AGAINST_TOPIC_VERBS for t in tokens) or ((is_motion or is_normative) and predicate_sentiment < 0)),
        is_proposition=is_proposition,
        is_normative=is_normative,
    )


# --- Evidence ---------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    """What the rules found in one text, read against one target."""

    refutations: int
    hedges: int
    negations: int
    question: bool
    target_share: float  # share of the target's content words found in the text
    sentiment: float  # sum of word valences, each flipped by a nearby negation
    target: TargetProfile
    # Tree distance from the sentence root to the nearest hedge / refutation word, or
    # None (no such word, or tokens without a parse). Ferreira & Vlachos (2016): a hedge
    # governing the headline ("Report: ...", "X claims ...") matters, one deep inside it
    # much less.
    hedge_depth: int | None = None
    refutation_depth: int | None = None
    root_negated: bool = False  # a negation attached to the main verb ("won't play")
    is_document: bool = False  # read from the target's sentences of a long text
    # "the project", "this plan": toward a position on a proposal, the words a news text uses
    # for the proposal itself once it has named it (`refers_to_a_proposal`).
    refers_to_target: bool = False

    # Debate claims argue by nature, so questions and hedges mark neutrality only
    # for news-like targets.
    @property
    def is_question(self) -> bool:
        return self.question and not self.target.is_motion

    @property
    def has_refutation(self) -> bool:
        return self.refutations > 0

    @property
    def negation_mismatch(self) -> bool:
        # "X did not happen" against "X happened"; two negations agree. Across the many
        # sentences of an article the count of negations means nothing, and a negation in a
        # text that does not name the target ("Banksy was not arrested" toward a bridge's
        # reopening) denies something else.
        return (not self.is_document and (self.target.is_proposition or self.restates_position)
                and self.target_share > 0
                and (self.negations % 2 == 1) != self.target.negated)

    @property
    def restates_position(self) -> bool:
        """The text repeats what a normative target says should be, as a proposition would."""
        return self.target.is_normative and self.target_share >= RESTATE_SHARE

    @property
    def has_hedge(self) -> bool:
        return self.hedges > 0 and not self.target.is_motion

    @property
    def is_topic(self) -> bool:
        """A bare topic ("US–Pakistan cooperation"), neither a statement nor a motion."""
        return not (self.target.is_motion or self.target.is_proposition)

    @property
    def mentions_target(self) -> bool:
        # Repeating a statement or a motion's words leans toward agreeing with it; merely
        # naming a topic says nothing about which side the text takes.
        return (self.target_share >= MENTION_SHARE and not self.is_topic) or self.restates_position

    @property
    def stance_by_sentiment(self) -> int:
        """+1 / -1 / 0: the sentiment read as stance, once the motion's direction is applied.

        Only for topics and motions: a headline's tone says nothing about whether an
        event it reports happened.
        """
        if self.target.is_proposition or self.sentiment == 0:
            return 0
        if self.is_topic and self.target_share == 0 and not self.refers_to_target:
            return 0  # the tone of a text that never names the topic is about something else
        sign = 1 if self.sentiment > 0 else -1
        return -sign if self.target.against_topic else sign

    @property
    def sentiment_for_target(self) -> bool:
        return self.stance_by_sentiment > 0

    @property
    def sentiment_against_target(self) -> bool:
        return self.stance_by_sentiment < 0


def is_negated_at(words: Sequence[str], index: int) -> bool:
    """Whether a negation stands within `NEGATION_WINDOW` words before `words[index]`."""
    return any(w in NEGATION_WORDS for w in words[max(0, index - NEGATION_WINDOW) : index])


def is_negated_verb(verb: Token) -> bool:
    """Whether a verb is negated by its own "not"/"never" or by its subject ("Nobody believes",
    "No one thinks"). Needs a parse."""
    for child in verb.children:
        if child.dep_ == "neg":
            return True
        if child.dep_ in ("nsubj", "nsubjpass") and (child.lower_ in NEGATIVE_SUBJECTS
                                           or any(d.dep_ == "det" and d.lower_ == "no" for d in child.children)):
            return True
    return False


def doubted_words(tokens: Sequence[Token]) -> set[int]:
    """Positions (in `tokens`) of the words a negated verb of holding a view takes ("Nobody
    believes [the tram will cut traffic]"): they are said not to be so. Needs a parse."""
    position = {t.i: k for k, t in enumerate(tokens)}
    doubted: set[int] = set()
    for verb in tokens:
        if verb.pos_ == "VERB" and verb.lemma_.lower() in DOUBTED_WHEN_NEGATED and is_negated_verb(verb):
            for child in verb.children:
                if child.dep_ in ("ccomp", "xcomp") or child.dep_ == "dobj" and child.pos_ in ("NOUN", "PROPN"):
                    doubted |= {position[t.i] for t in child.subtree if t.i in position}
    return doubted


def is_lacked_at(words: Sequence[str], index: int) -> bool:
    """Whether `words[index]` is what something goes "without" ("without further delay", "without
    any fear"): its valence is turned over as under a "not", but the clause is not negated."""
    return any(w in LACKING_WORDS for w in words[max(0, index - LACKING_WINDOW) : index])


def root_depth(token: Token) -> int:
    """Number of arcs between a token and the root of its sentence."""
    depth = 0
    while token.head.i != token.i and depth < MAX_DEPTH:
        token, depth = token.head, depth + 1
    return depth


def is_denying_verb(token: Token) -> bool:
    return token.lemma_.lower() in DENYING_CUE_LEMMAS or token.lower_ in DENYING_CUE_LEMMAS


def denial_effect(tokens: Sequence[Token], index: int, *, dismissing: bool = False) -> str | None:
    """What the words before a denying verb at `tokens[index]` make of it: `WITHHOLDS`
    ("refused to deny", "neither confirm nor deny"), `TAKEN_BACK` ("did not deny", "nobody
    denies"), `DENIES`; None for a word that is no verb of denying, unless it is `dismissing`
    what was said ("shot down reports"). The one reading of a denial, for a text's own words and
    for a claim's cue (`stance.cue_effect`)."""
    if not (dismissing or is_denying_verb(tokens[index])):
        return None
    before = {token.lower_ for token in tokens[max(0, index - CUE_NEGATION_WINDOW):index]}
    if before & CUE_WITHHOLDING_WORDS:
        return WITHHOLDS
    return TAKEN_BACK if before & CUE_NEGATING_WORDS else DENIES


def _judged_measure(token: Token) -> Token | None:
    """The measure a motion proposes that a sentiment word judges, rather than the motion's
    topic: "ban" in "opposes a ban on boxing" and "a ban would be a disaster" (QA9)."""
    if not SENTIMENT_LEXICON.get(token.lower_):
        return None
    if token.pos_ == "VERB":
        judged = [c for c in token.children if c.dep_ in ("dobj", "nsubjpass")]
    elif token.dep_ in ("attr", "acomp") and token.head.lemma_ == "be":
        judged = [c for c in token.head.children if c.dep_ == "nsubj"]
    else:
        judged = []
    # ... and what the measure does, as the subject of the clause the word stands in: "a ban would
    # save lives", "the ban is working well", "the boxing ban has failed" (QA13).
    clause = token if token.pos_ in ("VERB", "AUX") else next((a for a in token.ancestors if a.pos_ in ("VERB", "AUX")), None)
    if clause is not None:
        judged += [c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")]
    return next((c for c in judged if c.lower_ in MEASURE_WORDS), None)


def is_hedge(token: Token) -> bool:
    """A hedge word, unless it is "May" the month or the name (`is_may_not_the_modal`), the
    "possible" of "as soon as possible", or a claim for money (`is_demand_claim`)."""
    if token.lower_ not in HEDGE_WORDS:
        return False
    if token.lower_ == "possible":
        return not (token.i > 0 and token.doc[token.i - 1].lower_ == "as")
    if token.lower_ in ("claim", "claims") and is_demand_claim(token):
        return False
    return not (token.lower_ == "may" and is_may_not_the_modal(token))


def is_demand_claim(token: Token) -> bool:
    """"claim" in the sense of a demand ("insurance claims", "filed a claim", "the claims
    process"), which reports nothing. Read from the words around it, so that it holds
    without a parse: the word before names what is claimed or the filing of it, or the
    word after makes "claims" a noun's modifier ("claims adjuster")."""
    doc = token.doc
    before = doc[token.i - 1].lower_ if token.i > 0 else ""
    two_before = doc[token.i - 2].lower_ if token.i > 1 else ""
    after = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
    if after == "that":  # "filed claims that the election was rigged" reports (QA13)
        return False
    if (before in DEMAND_CLAIM_MODIFIERS or after in DEMAND_CLAIM_HEADS
            or (before in ("a", "the", "their", "his", "her", "its", "our", "your") and two_before in DEMAND_CLAIM_VERBS)
            or before in DEMAND_CLAIM_VERBS):
        return True
    # Parsed, the verb it is the object or passive subject of: "claims were filed", "paid out claims",
    # "thousands of claims were filed" (through the "of" of a quantity).
    nominal = token.head.head if token.dep_ == "pobj" and token.head.lower_ == "of" else token
    return nominal.dep_ in ("dobj", "nsubjpass") and nominal.head.lower_ in DEMAND_CLAIM_VERBS


def is_contrast_at(words: Sequence[str], index: int) -> bool:
    """A "not" after a comma sets a contrast ("will reopen the bridge, not close it"); it does
    not negate the clause (Emergent, all of dev: +3 rows; IBM and FNC-1 unchanged)."""
    return words[index] == "not" and index > 0 and words[index - 1] == ","


def is_may_not_the_modal(token: Token) -> bool:
    """"May" the month or a name: "in May", "the May elections", "5 May", "April or May",
    "Theresa May", "May visits the plant". The tagger cannot tell (it takes the modal of a
    title-case headline, "Apple May Launch …", for a name too), so this reads the words
    around it: the modal never follows a preposition, an article, a number or a month, and
    is followed by a verb's bare form, not "visits" or "5"."""
    doc = token.doc
    before = doc[token.i - 1] if token.i > 0 else None
    after = doc[token.i + 1] if token.i + 1 < len(doc) else None
    if after is not None and (after.like_num or after.tag_ in INFLECTED_VERB_TAGS or after.lower_ in NOT_AFTER_MODAL_MAY):
        return True  # "May 5", "May visits", "MAY: ...", "May Day"
    if before is None:
        return False
    if before.lower_ in MONTH_PRECEDERS or before.like_num or before.lower_ in MONTHS:
        return True
    two_before = doc[token.i - 2] if token.i > 1 else None
    if before.lower_ in ("and", "or", "to") and two_before is not None and two_before.lower_ in MONTHS:
        return True  # "between April and May", "April or May"
    # Capitalised inside a sentence that is not set in title case: a name or the month.
    return token.text == "May" and not token.is_sent_start and not _is_title_case(token.sent)


def _is_title_case(sentence: Span) -> bool:
    words = [t for t in sentence if t.is_alpha]
    return bool(words) and sum(t.is_title or t.is_upper for t in words) >= TITLE_CASE_SHARE * len(words)


def is_parsed(tokens: Sequence[Token]) -> bool:
    return len(tokens) > 0 and tokens[0].doc.has_annotation("DEP")


def gather_evidence(tokens: Sequence[Token], target: TargetProfile, *, is_document: bool = False) -> Evidence:
    words = [t.lower_ for t in tokens]
    parsed = is_parsed(tokens)
    token_stems = [token_stem(t) for t in tokens]
    stems = set(token_stems)
    # A bare topic's own words name it; they do not judge it ("gun control", "the death
    # penalty"), and a statement's own words restate it ("The CEO lied"). A motion's or a
    # position's words are the position taken ("... is harmful"): those still count.
    names_target = not (target.is_motion or target.is_normative or target.own_words_judge)
    own = [names_target and is_content_word(t) and stem in target.content_stems for t, stem in zip(tokens, token_stems)]
    # Toward a motion against its topic, a word judging the measure it proposes ("opposes a
    # ban on boxing") judges the motion itself; the measure's own word then says nothing.
    judged = {i: m for i, t in enumerate(tokens) if (m := _judged_measure(t)) is not None} if target.against_topic and parsed else {}
    judging, measures = set(judged), {m.i for m in judged.values()}
    refusals = _refused_harms(tokens, target) if parsed else set()
    enders, ended, lasting = _ended_harms(tokens, target) if parsed else (set(), set(), set())
    doubted = doubted_words(tokens) if parsed else set()
    def valence_at(i: int, word: str) -> float:
        if i in refusals:
            return abs(SENTIMENT_LEXICON.get(word, 0.0)) or REFUSED_HARM_VALENCE
        if i in enders:
            return 0.0
        if i in ended or i in lasting:  # its negation is the ender's, already read
            return abs(ill_valence(word)) * (1 if i in ended else -1)
        # Toward a motion against its topic, the measure it proposes ("a ban") is named, not judged.
        named_measure = target.against_topic and word in MEASURE_WORDS
        valence = SENTIMENT_LEXICON.get(word, 0.0) if not (own[i] or tokens[i].i in measures or named_measure) else 0.0
        if not valence and not target.is_proposition and word in AGAINST_TOPIC_VERBS and tokens[i].pos_ == "VERB":
            # "the extension must be scrapped" speaks against it; "by the end of the month" does
            # not: a verb only, so a parse is needed.
            valence = AGAINST_WORD_VALENCE
        if valence and (is_negated_at(words, i) or is_lacked_at(words, i)):
            valence = -valence
        if valence and i in judging:
            valence = -valence  # toward the ban itself, not its topic: the motion's flip is undone
        return valence

    # What a doubting verb takes is said not to be so, whatever it says: "Nobody believes the
    # tram will cut traffic" (a turn on top of the words' own negations, "... will not cut ...").
    sentiment = sum(-valence_at(i, word) if i in doubted else valence_at(i, word) for i, word in enumerate(words))
    share = len(target.content_stems & stems) / len(target.content_stems) if target.content_stems else 0.0
    hedges = [t for t in tokens if is_hedge(t)]
    dismissed = (dismissals(tokens) if parsed else set()) | worded_dismissals(words)
    refuting = sorted({i for i, w in enumerate(words) if w in REFUTATION_WORDS and not own[i]
                       and not (w in VERB_ONLY_REFUTATIONS and tokens[i].pos_ == "NOUN")} | dismissed)
    # "did not deny" takes the denial back; "refused to deny", "would neither confirm nor deny"
    # withhold it, which hedges: as a claim's cue is read (`denial_effect`). Only a verb of
    # denying: "did not lie" is no denial taken back, its "not" negates the text (QA10).
    # "did not shoot down reports that X" takes its dismissal back as "did not deny" does (QA17).
    effects = {i: denial_effect(tokens, i, dismissing=i in dismissed) for i in refuting}
    taken_back = [i for i, effect in effects.items() if effect == TAKEN_BACK]
    withheld = [i for i, effect in effects.items() if effect == WITHHOLDS]
    # ... and the "not" of "did not deny" negates the denial, not what is denied.
    denial_negations = {j for i in taken_back for j in range(max(0, i - CUE_NEGATION_WINDOW), i) if words[j] in NEGATION_WORDS}
    return Evidence(
        refutations=len(refuting) - len(set(taken_back) | set(withheld)),
        hedges=len(hedges) + len(withheld),
        negations=sum(w in NEGATION_WORDS and not is_contrast_at(words, i) and i not in denial_negations
                      for i, w in enumerate(words)) + prefix_antonyms(tokens, target),
        question=QUESTION_MARK in words,
        target_share=share,
        sentiment=sentiment,
        target=target,
        hedge_depth=min((root_depth(t) for t in hedges), default=None) if parsed else None,
        refutation_depth=min((root_depth(tokens[i]) for i in refuting), default=None) if parsed else None,
        is_document=is_document,
        root_negated=parsed and any(t.lower_ in NEGATION_WORDS and t.dep_ == "neg" and t.head.dep_ == "ROOT" for t in tokens),
        refers_to_target=target.is_normative and not target.is_motion and parsed and refers_to_a_proposal(tokens),
    )


def refers_to_a_proposal(tokens: Sequence[Token]) -> bool:
    """Whether the text names a proposal the way a news text goes on naming the one it is about:
    "the project", "this plan", "the scheme" (a proposal noun with a definite or demonstrative
    determiner). Toward a position ("The tram extension should go ahead") its praise or blame is
    then read as of the target's topic (QA22: "the project was a waste of public money" was no
    side at all). Not toward a bare topic, whose news names many deals and plans."""
    return any(token.lower_ in PROPOSAL_NOUNS and token.pos_ == "NOUN"
               and any(child.dep_ == "det" and child.lower_ in DEFINITE_DETERMINERS for child in token.children)
               for token in tokens)


def dismissals(tokens: Sequence[Token]) -> set[int]:
    """Positions of verbs that dismiss what was said: "shuts down rumors", "brushes off the
    claims", "scoffs at reports" (a report noun as object, with a particle or a dismissing verb)."""
    found: set[int] = set()
    for index, token in enumerate(tokens):
        if token.lower_ in FALSITY_ADJECTIVES and (
            (token.dep_ == "amod" and token.head.lower_ in REPORT_NOUNS)
            or (token.dep_ in ("acomp", "attr") and any(c.dep_ == "nsubj" and c.lower_ in REPORT_NOUNS for c in token.head.children))
        ):
            found.add(index)
            continue
        if token.pos_ != "VERB":
            continue
        direct = any(c.dep_ == "dobj" and c.lower_ in REPORT_NOUNS for c in token.children)
        # "scoffs at reports" with a dismissing verb only: "went down on reports" dismisses nothing (QA18).
        through = any(g.dep_ == "pobj" and g.lower_ in REPORT_NOUNS
                      for c in token.children if c.dep_ == "prep" and c.lower_ in ("at", "on") for g in c.children)
        if (has_dismissing_particle(token) and direct) or (token.lemma_.lower() in DISMISSING_VERBS and (direct or through)):
            found.add(index)
    return found


def has_dismissing_particle(verb: Token) -> bool:
    """"shoot down", "laugh off", "brush aside": the parser takes "aside" for an adverb where
    "off" is a particle; either is the particle here."""
    return any(c.dep_ in ("prt", "advmod") and c.lower_ in DISMISSING_PARTICLES for c in verb.children)


def worded_dismissals(words: Sequence[str]) -> set[int]:
    """Dismissals by their words alone, for headlines the parser misreads ("Raven-Symone Slams
    Rumors That ...", where "Slams" comes out a name): a dismissing verb, or any verb with "down",
    "off" or "aside", followed closely by a report noun; "casts doubt on", "pours cold water on"."""
    found: set[int] = set()
    for index, word in enumerate(words):
        base = stem(word)
        if any(base == stem(verb) and tuple(words[index + 1:index + 1 + len(rest)]) == tuple(rest)
               for verb, *rest in DOUBTING_PHRASES):
            found.add(index)
            continue
        after = index + 1
        if base not in DISMISSING_STEMS:
            if after >= len(words) or words[after] not in DISMISSING_PARTICLES:
                continue
            after += 1  # "shoot down", "laugh off"
        # The report noun is its object: words of its noun phrase may come between ("the", "Rape"),
        # a preposition may not ("slowed down after reports", "set off on reports": QA18).
        for following in words[after:after + DISMISSAL_GAP + 1]:
            if following in REPORT_NOUNS:
                found.add(index)
                break
            if following in DISMISSAL_BREAKS:
                break
    return found


def _ended_harms(tokens: Sequence[Token], target: TargetProfile) -> tuple[set[int], set[int], set[int]]:
    """(positions of verbs that end or raise harm, of the harm's ill words ended, of those of
    harm left or raised: "did not stop the violence", "will increase noise"): "ending a dispute"
    speaks well, "raising costs" ill, the verb itself says nothing either way. Not a verb that
    ends something the target names ("ending the tram extension" speaks against it)."""
    position = {token.i: k for k, token in enumerate(tokens)}
    verbs: set[int] = set()
    ended: set[int] = set()
    lasting: set[int] = set()
    for k, verb in enumerate(tokens):
        lemma = verb.lemma_.lower()
        if verb.pos_ != "VERB" or (lemma not in ENDING_VERBS and lemma not in RAISING_VERBS):
            continue
        taken = [x for child in verb.children if child.i > verb.i and child.dep_ == "dobj" for x in child.subtree]
        if any(is_content_word(x) and token_stem(x) in target.content_stems for x in taken):
            continue
        valenced = [position[x.i] for x in taken if x.i in position and ill_valence(x.lower_)]
        if valenced:
            verbs.add(k)
            negated = any(child.dep_ == "neg" or child.dep_ == "advmod" and child.lower_ in NEGATION_WORDS
                          for child in verb.children)  # "not", "never", "hardly"
            lessens = (lemma in ENDING_VERBS) != negated
            for i in valenced:
                # Lessening harm or raising good speaks well; lessening good ("would lower the
                # quality of life") or raising harm, ill (QA23: "lower" and "quality" summed to good).
                (ended if (ill_valence(tokens[i].lower_) < 0) == lessens else lasting).add(i)
    return verbs, ended, lasting


def ill_valence(word: str) -> float:
    """A word's valence as what a verb ends or raises: its sentiment, or a burden's."""
    return SENTIMENT_LEXICON.get(word, 0.0) or (BURDEN_VALENCE if word in BURDEN_WORDS else 0.0)


def _refused_harms(tokens: Sequence[Token], target: TargetProfile) -> set[int]:
    """Positions of negated verbs of letting or backing whose object is harm: a word of ill
    valence, or "against" something the target names ("will not allow the territory to be used
    against Pakistan", "will not tolerate attacks"). The refusal speaks well of what is spared."""
    found = set()
    for k, verb in enumerate(tokens):
        if verb.pos_ != "VERB" or verb.lemma_.lower() not in PERMITTING_VERBS:
            continue
        if not any(child.dep_ == "neg" for child in verb.children):
            continue
        taken = [x for child in verb.children if child.i > verb.i and child.dep_ in ("dobj", "xcomp", "ccomp")
                 for x in child.subtree]
        harm = any(SENTIMENT_LEXICON.get(x.lower_, 0.0) < 0 for x in taken) or any(
            x.lower_ in HARM_PREPOSITIONS and any(is_content_word(o) and token_stem(o) in target.content_stems for o in x.subtree)
            for x in taken)
        if harm:
            found.add(k)
    return found


def prefix_antonyms(tokens: Sequence[Token], target: TargetProfile) -> int:
    """Adjectives of the text that are a target word with a negative prefix, or the other way
    round: "safe" toward "The bridge is unsafe", "legal" toward "... is illegal". Each says the
    opposite as a "not" does (QA13: "Officials said the bridge is safe" supported "unsafe").
    Adjectives only ("inform" is no "form" undone); without a tag, "un-" and "non-" only."""
    target_words = {w for w in re.findall(r"[a-z]+", target.text.lower()) if len(w) > 3}
    found: set[str] = set()  # each word once: "safe ... safe" is one opposite, not two that cancel
    for token in tokens:
        word = token.lower_
        if word in found or len(word) <= 3 or word in target_words or (token.tag_ and token.pos_ != "ADJ"):
            continue
        for prefix in NEGATIVE_PREFIXES if token.tag_ else ("un", "non"):
            if prefix + word in target_words or (word.startswith(prefix) and word[len(prefix):] in target_words):
                found.add(word)
                break
    return len(found)


def focus_tokens(span: Span, target: TargetProfile) -> Sequence[Token]:
    """The tokens a text's stance is read from: all of a short text, only the sentences
    that mention the target in a long one (none if no sentence does)."""
    if len(span) < FOCUS_MIN_TOKENS or not span.doc.has_annotation("SENT_START"):
        return span
    focus: list[Token] = []
    for sentence in span.sents:
        stems = {token_stem(t) for t in sentence}
        if target.content_stems and len(target.content_stems & stems) / len(target.content_stems) >= FOCUS_SHARE:
            focus.extend(sentence)
    return focus


def read_text(span: Span, target: TargetProfile) -> tuple[Sequence[Token], Evidence]:
    """The tokens a text is judged by (`focus_tokens`) and the evidence in them."""
    tokens = focus_tokens(span, target)
    return tokens, gather_evidence(tokens, target, is_document=tokens is not span)


class StanceDecision(NamedTuple):
    label: str
    confidence: float
    rule: str  # the flag of `DECISION_ORDER` that decided, or `FALLBACK_RULE`


def decide(evidence: Evidence, labels: Sequence[str] = (SUPPORT, OPPOSE, NEUTRAL)) -> StanceDecision:
    """The first rule in `DECISION_ORDER` that fires and whose label is among the
    project's `labels`, with its dev-set confidence; a project without "neutral" always
    gets a side."""
    for flag, label, confidence in DECISION_ORDER:
        if label in labels and getattr(evidence, flag):
            return StanceDecision(label, confidence, flag)
    return StanceDecision(*_fallback(labels), FALLBACK_RULE)


def with_cue(decision: StanceDecision, effect: str | None, labels: Sequence[str] = (SUPPORT, OPPOSE, NEUTRAL)) -> StanceDecision:
    """A claim's stance given what its cue does (`DENIES`, `WITHHOLDS` or None) to `decision`,
    the stance of the claim's own words."""
    if effect == WITHHOLDS:
        rule, label, confidence = WITHHELD_RULE
        return StanceDecision(label, confidence, rule) if label in labels else decision
    return deny(decision, labels) if effect == DENIES else decision


def judged_by_cue(decision: StanceDecision, valence: float, evidence: Evidence,
                  labels: Sequence[str] = (SUPPORT, OPPOSE, NEUTRAL), *, claim: Span | None = None) -> StanceDecision:
    """A claim whose own words take no side, judged by its cue's tone (`valence`): "criticised
    the tram extension" blames a topic or position it names. Not a statement of fact, whose
    truth no tone decides. A claim that names the measure a target against its topic proposes
    ("applauded the ban on smoking in cars", toward "This house would ban smoking in cars" or
    "The smoking ban") is judged as that measure: praise of the ban supports it (QA12)."""
    target = evidence.target
    if not valence or decision.rule not in (FALLBACK_RULE, "mentions_target") or target.is_proposition:
        return decision
    if evidence.target_share == 0 or (claim is not None and not judges_what_it_names(claim, target)):
        return decision  # it judges something else
    names_measure = claim is not None and is_parsed(claim) and claim.root.lower_ in MEASURE_WORDS
    praises = (valence > 0) != (target.against_topic and not names_measure)
    rule, label, confidence = CUE_JUDGEMENT_RULES[0 if praises else 1]
    return StanceDecision(label, confidence, rule) if label in labels else decision


def deny(decision: StanceDecision, labels: Sequence[str] = (SUPPORT, OPPOSE, NEUTRAL)) -> StanceDecision:
    """The stance of a claim its speaker denies: the other side of `decision` (the claim's own
    words), when they take a side and the project has the other one; else `decision`."""
    if decision.rule == FALLBACK_RULE:
        return decision  # nothing in the words took a side: the denial has nothing to turn
    for rule, label, confidence in DENIAL_RULES:
        if decision.label != label and decision.label in (SUPPORT, OPPOSE) and label in labels:
            return StanceDecision(label, confidence, rule)
    return decision


def _fallback(labels: Sequence[str]) -> tuple[str, float]:
    return FALLBACK_DECISION if NEUTRAL in labels or SUPPORT not in labels else FALLBACK_WITHOUT_NEUTRAL


def rule_label(rule: str, labels: Sequence[str]) -> str | None:
    """The label `rule` suggests in a project with `labels` (None: the rule is passed over there)."""
    if rule == FALLBACK_RULE:
        return _fallback(labels)[0]
    label = _RULES[rule][0]
    return label if label in labels else None


def shipped_confidence(rule: str, labels: Sequence[str]) -> float:
    """The rule's confidence as measured on the dev sets (see `DECISION_ORDER`)."""
    return _fallback(labels)[1] if rule == FALLBACK_RULE else _RULES[rule][1]


# The evidence flags, in decision order; the trained classifier sees them as features.
RULE_FLAGS: tuple[str, ...] = tuple(flag for flag, _, _ in DECISION_ORDER)
# Every rule but the fallback: rule -> (label, confidence), in the order they are tried.
_RULES: dict[str, tuple[str, float]] = {
    rule: (label, confidence)
    for rule, label, confidence in (*DECISION_ORDER, *DENIAL_RULES, WITHHELD_RULE, *CUE_JUDGEMENT_RULES)
}
# Every rule a suggestion can name.
ALL_RULES: tuple[str, ...] = (*_RULES, FALLBACK_RULE)


# --- A claim and its cue ------------------------------------------------------------

# Nouns that frame what a speaker denies as something said: "rejected claims that ...".
REPORT_FRAME_NOUNS = frozenset("claim report suggestion allegation rumour rumor idea notion assertion charge speculation".split())
REPORT_FRAME_MAX_WORDS = 7  # "the claim that", "these recent reports that", "the mayor's repeated claim that"
# A denied claim's last words, from an "as" this close to its end, are the speaker's verdict
# on it when they hold a verdict word: "as a myth", "as politically motivated".
VERDICT_MAX_WORDS = 5
VERDICT_WORDS = frozenset("""motivated speculation rumour rumor fiction fantasy invention propaganda
    absurd ridiculous groundless unsubstantiated scaremongering""".split())
# The words a report frame's noun phrase may hold before its noun: "the mayor's repeated claim".
FRAME_WORD_POS = frozenset({"DET", "PRON", "ADJ", "NOUN", "PROPN", "PART", "NUM"})
# Verbs of blaming whose object is what was said: "slammed claims that X" denies X.
BLAMING_CUE_LEMMAS = frozenset("""slam denounce decry condemn blast criticise criticize attack ridicule deride mock
    scorn lambast pan trash dismiss""".split())
# Verbs of telling that a refusal withholds: "declined to say whether X", "refused to confirm that X".
WITHHELD_SPEECH_LEMMAS = frozenset("""say comment confirm deny discuss answer respond reveal disclose specify
    elaborate speculate concede acknowledge admit name identify""".split())
# Heads of a noun phrase whose complement names what a cue judges: "the decision to build X".
PROPOSAL_NOUNS = frozenset("""plan proposal decision idea bill project scheme policy law measure move deal
    agreement plans proposals decisions bills projects schemes policies laws measures""".split())
# Verbs that undo what they name: "the decision to close the library" (QA13).
UNDOING_VERBS = frozenset("""close shut halt stop cancel scrap end block ban abolish suspend withdraw cut drop
    axe demolish abandon reverse repeal delay postpone kill""".split())
# Heads of a noun phrase that names the undoing of what it holds (`turns_over_what_it_names`).
UNDOING_NOUNS = frozenset("""refusal failure rejection cancellation abandonment scrapping halt suspension withdrawal
    reversal repeal abolition end delay postponement""".split())
# How a denying cue judges a noun phrase it names ("The union rejected the plan"): as blame.
DENIAL_TONE = -1.0

def without_report_frame(claim: Span) -> Span:
    """A denied claim without the words that frame it as a report, before it ("rejected claims
    that the bridge is unsafe": "claims" is no hedge of the speaker's) and after it ("dismissed
    the claim that the bridge is unsafe as a myth": the myth is the speaker's verdict, which the
    denial already says; read as the claim's own words it turned the denial over twice, QA9)."""
    start, end = report_frame_end(claim), claim.end
    content = [t for t in claim if t.i >= start and not t.is_punct and not t.is_space]
    tail = next((j for j in range(len(content) - 1, max(-1, len(content) - 1 - VERDICT_MAX_WORDS), -1)
                 if content[j].lower_ == "as"), None)
    # "rejected the plan as a disaster": after a noun phrase, "as ..." is the speaker's verdict
    # whatever its words; after a clause only verdict words are ("treated protesters as criminals").
    if tail is not None and tail > 0 and (any(is_verdict_word(t) for t in content[tail + 1:])
                                          or not any(t.pos_ in ("VERB", "AUX") for t in content[:tail])):
        end = content[tail].i
    return claim.doc[start:end]


def report_frame_end(claim: Span) -> int:
    """Where a claim's own words start after a noun phrase framing them as a report: after "that"
    in "claims that", "the mayor's claim that", "these recent reports that"; else its start. Only a
    frame the claim opens with: not "to comment on reports that" or "that a police report that",
    whose report is not what the cue is about (QA13)."""
    words = [t for t in claim if not t.is_space]
    for i, token in enumerate(words[:REPORT_FRAME_MAX_WORDS]):
        if token.lower_ == "that" and i > 0 and words[i - 1].lemma_.lower() in REPORT_FRAME_NOUNS:
            if all(t.pos_ in FRAME_WORD_POS or not t.pos_ for t in words[:i - 1]):
                return token.i + 1
            break
    return claim.start


def is_verdict_word(token: Token) -> bool:
    """A word that judges what was said: "a myth", "baseless", "politically motivated"; not any
    negative word, which may be the claim's own ("treated protesters as criminals", QA13)."""
    return token.lower_ in REFUTATION_WORDS or token.lower_ in VERDICT_WORDS


def cue_effect(cue: Span) -> str | None:
    """What a cue does to its claim: `DENIES` ("denied", "rejected claims", "disputed"),
    `WITHHOLDS` ("refused to deny", "would neither confirm nor deny"), or None: no denial, or
    one taken back ("did not deny"), where the claim's own words decide. Read as a text's own
    denial is (`stance_rules.denial_effect`), with the words before the cue."""
    doc = cue.doc
    # "shot down reports", "laughed off claims": a cue that dismisses what was said denies it (QA17).
    dismissed = {cue.start + i for i in dismissals(list(cue)) | worded_dismissals([t.lower_ for t in cue])}
    for token in cue:
        effect = denial_effect(doc, token.i, dismissing=token.i in dismissed)
        if effect is not None:
            return None if effect == TAKEN_BACK else effect
    if not is_parsed(cue):
        return None
    for token in cue:  # "Nobody believes | X", "did not say | that X"
        lemma = token.lemma_.lower()
        if token.pos_ == "VERB" and (lemma in DOUBTED_WHEN_NEGATED or lemma in UNSAID_WHEN_NEGATED) and is_negated_verb(token):
            return DENIES if lemma in DOUBTED_WHEN_NEGATED else WITHHOLDS
    return None


def cue_valence(claim: Span, cue: Span) -> float:
    """The tone of a cue that is its claim's only verb ("criticised" in "The mayor criticised
    the tram extension"; not "said" before a clause, which has a verb of its own); 0.0
    otherwise, and for a negated cue."""
    if has_own_verb(claim):
        return 0.0
    tone = cue_tone(cue)  # not criticising is not praising
    # Praising "the decision not to build the extension" or blaming "the refusal to fund it"
    # judges the extension the other way (QA12).
    return -tone if turns_over_what_it_names(claim) else tone


def turns_over_what_it_names(claim: Span) -> bool:
    """A noun phrase that names the undoing of what it holds: a negation ("the decision not to
    build X", "the decision against building X"), a head of refusal ("the refusal to fund X",
    "the scrapping of X") or a verb of undoing ("the decision to close X", QA13)."""
    return (any(token.lower_ in NEGATION_WORDS or token.lower_ == "against" for token in claim)
            or claim.root.lemma_.lower() in UNDOING_NOUNS
            or any(token.pos_ == "VERB" and token.lemma_.lower() in UNDOING_VERBS for token in claim))


def judges_what_it_names(claim: Span, target: TargetProfile) -> bool:
    """Whether a cue's praise or blame of a noun phrase is about the target: its head names the
    target ("rejected the plan", "welcomed the agreement"), or proposes something
    ("criticised the decision to build the extension"). Not "dismissed concerns about the
    extension" or "denied any role in the attack", whose head is something else (QA13)."""
    if not is_parsed(claim) or not len(claim):
        return True
    head = claim.root
    return (token_stem(head) in target.content_stems or head.lemma_.lower() in PROPOSAL_NOUNS | UNDOING_NOUNS
            or head.tag_ == "VBG")  # a gerund names an activity on its object: "condemned building X"


def has_own_verb(claim: Span) -> bool:
    """Whether a claim is a clause with a verb of its own ("that the extension will be built"),
    not a noun phrase, even one holding a verb ("the decision to build the extension"). Without
    a parse: any verb."""
    if not claim.doc.has_annotation("DEP") or not len(claim):
        return any(token.pos_ in ("VERB", "AUX") for token in claim)
    root = claim.root
    # A gerund without a subject names an activity ("condemned building the extension").
    gerund = root.tag_ == "VBG" and not any(child.dep_ in ("nsubj", "nsubjpass", "aux") for child in root.children)
    return root.pos_ in ("VERB", "AUX") and not gerund


def cue_words(claim: Span, cue: Span) -> Span:
    """A claim's cue, and for a cue that refuses ("refused", "declined") the claim's first two
    words after it: in "refused to deny that ..." the claim starts "to deny"."""
    if claim.start >= cue.end and any(token.lower_ in CUE_WITHHOLDING_WORDS for token in cue):
        return cue.doc[cue.start : min(claim.start + 2, claim.end)]
    return cue


def claim_unit(claim: Span, cue: Span | None) -> tuple[Span, str | None]:
    """The words a claim's stance is read from, and what its cue does to it (`DENIES`,
    `WITHHOLDS` or None): the one reading for suggestions, training and evaluation alike.
    A cue that blames what was said ("slammed claims that X", "denounced reports that X")
    denies it, as "rejected claims that X" does (QA12)."""
    # Only what follows the cue is what it denies: in '"We did not shell the village," the ministry
    # denied' the quotation is the denial itself, said in the speaker's words (QA12).
    effect = cue_effect(cue_words(claim, cue)) if cue is not None and claim.start >= cue.start else None
    if effect is None and cue is not None and claim.start >= cue.start:
        if (is_blaming_cue(cue) or is_dismissing_cue(cue)) and report_frame_end(claim) > claim.start:
            effect = DENIES
        elif withholds_telling(claim, cue):
            effect = WITHHOLDS
    return (without_report_frame(claim) if effect else claim), effect


def is_blaming_cue(cue: Span) -> bool:
    """A verb of blaming that is not negated: "slammed", "denounced" (not "did not criticise")."""
    words = [token.lower_ for token in cue]
    return not any(word in NEGATION_WORDS for word in words) and any(
        token.lemma_.lower() in BLAMING_CUE_LEMMAS for token in cue)


def is_dismissing_cue(cue: Span) -> bool:
    """A verb that dismisses the report its claim opens with, not negated: "shot down" in "shot
    down | reports that X", "laughed off | claims that X" (QA17)."""
    words = [token.lower_ for token in cue]
    return not any(word in NEGATION_WORDS for word in words) and any(
        token.lemma_.lower() in DISMISSING_VERBS
        or has_dismissing_particle(token)
        for token in cue if token.pos_ == "VERB")


def withholds_telling(claim: Span, cue: Span) -> bool:
    """A speaker who refuses to tell ("declined to say whether X", "refused to confirm that X") or
    would not say whether X takes no side on X (QA13)."""
    told = cue_words(claim, cue)
    words = [token.lower_ for token in told]
    telling = [i for i, token in enumerate(told) if token.lemma_.lower() in WITHHELD_SPEECH_LEMMAS]
    if telling and any(word in CUE_WITHHOLDING_WORDS for word in words[: telling[-1]]):
        return True
    first = next((token.lower_ for token in claim if not token.is_punct and not token.is_space), "")
    return bool(telling) and first in ("whether", "if") and any(word in NEGATION_WORDS for word in words)


def cue_tone(cue: Span) -> float:
    """The sentiment of a cue's own words, 0.0 for a negated cue ("did not criticise")."""
    words = [token.lower_ for token in cue]
    if any(word in NEGATION_WORDS for word in words):
        return 0.0
    return sum(SENTIMENT_LEXICON.get(word, 0.0) for word in words)
