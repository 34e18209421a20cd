"""Agreement figures against answers worked out by hand (no database needed)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from annotate.agreement import (
    MIN_UNITS,
    TOO_FEW_ANNOTATORS,
    LabelledClaim,
    MachineClaim,
    SentenceWork,
    compute_agreement,
    jaccard,
    match_spans,
)


def claim(start, end, stance=None, *, speaker=None, speaker_id=None, cue=None, suggestion_id=None) -> LabelledClaim:
    return LabelledClaim((start, end), speaker, speaker_id, stance, suggestion_id, cue)


def work(sentence_id, annotator, *claims, status=None) -> SentenceWork:
    return SentenceWork(sentence_id, annotator, status or ("corrected" if claims else "no_claim"), tuple(claims))


def suggestion(suggestion_id, sentence_id, start, end, stance=None, *, speaker=None, speaker_id=None, cue=None, model="rules 1"):
    return MachineClaim(suggestion_id, sentence_id, (start, end), speaker, speaker_id, stance, model, cue)


def test_thresholds_are_what_the_tests_assume():
    assert MIN_UNITS == 10


# --- matching -------------------------------------------------------------------------

def test_jaccard_counts_characters():
    assert jaccard((0, 10), (0, 10)) == 1.0
    assert jaccard((0, 10), (0, 5)) == 0.5  # 5 shared / 10 covered
    assert jaccard((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert jaccard((0, 10), (10, 20)) == 0.0  # half-open spans only touch


def test_match_spans_is_one_to_one_best_first_and_inclusive_at_half():
    # a0–b0 is 10/12, a1–b0 is 12/12: best first gives b0 to a1, although a0 comes first.
    assert match_spans([(0, 10), (0, 12)], [(0, 12)]) == [(1, 0)]
    assert match_spans([(0, 10)], [(0, 5)]) == [(0, 0)]  # exactly 0.5 matches
    assert match_spans([(0, 10)], [(0, 4)]) == []  # 0.4 does not
    assert match_spans([], [(0, 4)]) == []


# --- stance -----------------------------------------------------------------------------

def test_cohen_kappa_and_alpha_for_two_annotators_by_hand():
    # Ten matched claims (five sentences x two claims; B lists them in the other order).
    #            B: sup  opp  neu
    #   A: sup       4    1    0   | 5
    #      opp       0    2    1   | 3
    #      neu       1    0    1   | 2
    #               ----------------
    #                5    3    2     n = 10
    # p_o = (4 + 2 + 1) / 10 = 0.7
    # p_e = (5*5 + 3*3 + 2*2) / 100 = 0.38
    # kappa = (0.7 - 0.38) / (1 - 0.38) = 0.32 / 0.62 = 16/31 ≈ 0.5161
    # Krippendorff: 20 values, n_sup = 10, n_opp = 6, n_neu = 4; 3 disagreeing units give
    # 6 off-diagonal coincidences; alpha = 1 - (20-1) * 6 / (20² - 10² - 6² - 4²)
    #   = 1 - 114/248 = 134/248 ≈ 0.5403
    a = ["support", "support", "support", "support", "support", "oppose", "oppose", "oppose", "neutral", "neutral"]
    b = ["support", "support", "support", "support", "oppose", "oppose", "oppose", "neutral", "neutral", "support"]
    items = []
    for s in range(5):
        items.append(work(s, "ann", claim(0, 10, a[2 * s]), claim(20, 30, a[2 * s + 1])))
        items.append(work(s, "bob", claim(21, 30, b[2 * s + 1]), claim(0, 9, b[2 * s])))

    report = compute_agreement(items)

    (pair,) = report.stance_pairs
    assert (pair.a, pair.b, pair.kappa.n, pair.kappa.reason) == ("ann", "bob", 10, None)
    assert pair.kappa.value == pytest.approx(16 / 31)
    assert report.stance_alpha.n == 10
    assert report.stance_alpha.value == pytest.approx(134 / 248)


def test_stances_toward_different_targets_are_not_compared():
    """A target changed between two people's work: their stances answer different questions, so
    kappa and alpha leave them out (the hand-worked figures above stand); spans still count."""
    a = ["support", "support", "support", "support", "support", "oppose", "oppose", "oppose", "neutral", "neutral"]
    b = ["support", "support", "support", "support", "oppose", "oppose", "oppose", "neutral", "neutral", "support"]
    items = []
    for s in range(5):
        items.append(replace(work(s, "ann", claim(0, 10, a[2 * s]), claim(20, 30, a[2 * s + 1])), target="The plan"))
        items.append(replace(work(s, "bob", claim(21, 30, b[2 * s + 1]), claim(0, 9, b[2 * s])), target="The plan"))
    for s in range(5, 10):  # bob's work came after the target changed: every stance "disagrees"
        items.append(replace(work(s, "ann", claim(0, 10, "support"), claim(20, 30, "oppose")), target="The plan"))
        items.append(replace(work(s, "bob", claim(0, 10, "oppose"), claim(20, 30, "support")), target="Scrapping the plan"))

    report = compute_agreement(items)

    (pair,) = report.stance_pairs
    assert pair.kappa.n == 10 and pair.kappa.value == pytest.approx(16 / 31)
    assert report.stance_alpha.n == 10 and report.stance_alpha.value == pytest.approx(134 / 248)
    (spans,) = report.span_pairs
    assert (spans.sentences, spans.matched) == (10, 20)
    # With only those, the figures say why they are empty (QA25: it read as missing work).
    report = compute_agreement(items[10:])
    (pair,) = report.stance_pairs
    assert (pair.kappa.value, pair.kappa.reason) == (None, "fewer than 10 matched claims with a stance from both (n=0); "
                                                     "10 matched claim pair(s) left out: their stances were given toward "
                                                     "different targets")
    assert report.stance_alpha.reason.endswith("10 matched claim pair(s) left out: their stances were given toward "
                                               "different targets")


def test_krippendorff_alpha_textbook_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example:
    # 4 observers, 12 units, "." = no value. Published: alpha = 0.743.
    rows = {
        "A": "1 2 3 3 2 1 4 1 2 . . .",
        "B": "1 2 3 3 2 2 4 1 2 5 . 3",
        "C": ". 3 3 3 2 3 4 2 2 5 1 .",
        "D": "1 2 3 3 2 4 4 1 2 5 1 .",
    }
    # By hand: unit 12 has one value and drops out; 11 units hold N = 40 values with
    # n_1..n_5 = 9, 13, 10, 5, 3. Off-diagonal coincidences: unit 2 (2,2,3,2) 6/3 = 2,
    # unit 6 (1,2,3,4) 12/3 = 4, unit 8 (1,1,2,1) 6/3 = 2, total 8.
    # alpha = 1 - (N-1) * 8 / (40² - 9² - 13² - 10² - 5² - 3²) = 1 - 312/1216 = 113/152 ≈ 0.7434
    items = [
        work(unit, coder, claim(0, 10, value))
        for coder, row in rows.items()
        for unit, value in enumerate(row.split())
        if value != "."
    ]

    report = compute_agreement(items)

    assert report.stance_alpha.n == 11
    assert report.stance_alpha.value == pytest.approx(113 / 152)
    assert round(report.stance_alpha.value, 3) == 0.743
    assert report.annotators == ("A", "B", "C", "D")
    assert report.shared_sentences == 11  # unit 12 was annotated by B alone


def test_alpha_clusters_three_annotators_one_claim_each():
    # Ten sentences, three annotators marking slightly different spans of one claim.
    # Sentences 0–4 all "s", 5–8 all "o", 9: s, s, o. N = 30, n_s = 17, n_o = 13.
    # Sentence 9 gives 4 ordered disagreeing pairs / (3-1) = 2 off-diagonal coincidences.
    # alpha = 1 - 29 * 2 / (2 * 17 * 13) = 1 - 58/442 = 192/221 ≈ 0.8688
    spans = {"ann": (0, 10), "bob": (0, 9), "cat": (1, 10)}
    items = []
    for s in range(10):
        for name, (start, end) in spans.items():
            label = "s" if s < 5 or (s == 9 and name != "cat") else "o"
            items.append(work(s, name, claim(start, end, label)))

    report = compute_agreement(items)

    assert report.stance_alpha.n == 10
    assert report.stance_alpha.value == pytest.approx(192 / 221)
    assert [(p.a, p.b) for p in report.stance_pairs] == [("ann", "bob"), ("ann", "cat"), ("bob", "cat")]
    assert report.stance_pairs[0].kappa.value == 1.0


def test_claims_without_a_stance_are_missing_not_a_label():
    items = []
    for s in range(10):
        items.append(work(s, "ann", claim(0, 10, "support" if s % 2 else "oppose")))
        items.append(work(s, "bob", claim(0, 10, "support" if s % 2 else "oppose")))
    items.append(work(10, "ann", claim(0, 10, "support")))
    items.append(work(10, "bob", claim(0, 10, None)))

    report = compute_agreement(items)

    assert report.stance_pairs[0].kappa.n == 10
    assert report.stance_pairs[0].kappa.value == 1.0
    assert report.stance_alpha.n == 10


# --- claim spans ------------------------------------------------------------------------

def test_span_f1_on_tiny_spans():
    # Per sentence: A (0,10) (20,30); B (0,8) J=0.8 -> match, (22,40) J=8/20=0.4 -> none, (50,60).
    # Twice: matched 2, A 4 claims, B 6 claims. P = 2/4, R = 2/6, F1 = 2*2/(4+6) = 0.4.
    # A sentence both called no_claim adds nothing.
    items = []
    for s in (1, 2):
        items.append(work(s, "ann", claim(0, 10), claim(20, 30)))
        items.append(work(s, "bob", claim(0, 8), claim(22, 40), claim(50, 60)))
    items += [work(3, "ann"), work(3, "bob")]

    report = compute_agreement(items)

    (pair,) = report.span_pairs
    assert (pair.sentences, pair.claims_a, pair.claims_b, pair.matched) == (3, 4, 6, 2)
    assert pair.precision == pytest.approx(0.5)
    assert pair.recall == pytest.approx(1 / 3)
    assert pair.f1.value == pytest.approx(0.4)
    assert pair.f1.n == 10
    assert report.span_f1_mean.value == pytest.approx(0.4)
    assert report.span_f1_mean.n == 10, "claims, as for the pair: not the number of pairs"


def test_span_f1_mean_is_over_pairs_with_an_f1():
    # ann/bob agree fully on 10 claims (F1 1.0); cat matches ann on 5 of 5 + 5 extra of
    # her own (ann–cat: matched 5, 10 + 10 claims -> F1 0.5); bob–cat likewise 0.5.
    items = []
    for s in range(10):
        items.append(work(s, "ann", claim(0, 10)))
        items.append(work(s, "bob", claim(0, 10)))
        items.append(work(s, "cat", claim(0, 10) if s < 5 else claim(50, 60)))

    report = compute_agreement(items)

    assert [p.f1.value for p in report.span_pairs] == [1.0, 0.5, 0.5]
    assert report.span_f1_mean.value == pytest.approx(2 / 3)
    assert report.span_f1_mean.n == 60  # 20 claims compared in each of the three pairs


# --- speakers ---------------------------------------------------------------------------

def test_speaker_agreement_on_matched_claims():
    # 11 matched claims: 6 same canonical speaker, 2 both the author, 1 different speakers,
    # 1 speaker vs author -> 8/10 = 0.8; 1 speaker span without a canonical speaker is left out.
    # An unmatched claim (sentence 20) is not a speaker unit at all.
    sp = (40, 45)
    pairs = (
        [(dict(speaker=sp, speaker_id=7), dict(speaker=sp, speaker_id=7))] * 6
        + [({}, {})] * 2
        + [(dict(speaker=sp, speaker_id=7), dict(speaker=sp, speaker_id=8))]
        + [(dict(speaker=sp, speaker_id=7), {})]
        + [(dict(speaker=sp), dict(speaker=sp, speaker_id=7))]
    )
    items = []
    for s, (x, y) in enumerate(pairs):
        items.append(work(s, "ann", claim(0, 10, **x)))
        items.append(work(s, "bob", claim(0, 10, **y)))
    items += [work(20, "ann", claim(0, 10, speaker_id=1)), work(20, "bob", claim(30, 40, speaker_id=2))]

    report = compute_agreement(items)

    (pair,) = report.speaker_pairs
    assert pair.agreement.value == pytest.approx(0.8)
    assert pair.agreement.n == 10
    assert pair.unresolved == 1
    assert report.speaker_agreement.value == pytest.approx(0.8)


# --- human vs machine -------------------------------------------------------------------

def test_machine_accepted_corrected_rejected_counts():
    machine = [
        # 1: taken over unchanged (linked by suggestion_id): all four fields accepted.
        suggestion(1, 1, 0, 20, "support", speaker=(30, 35), cue=(36, 40)),
        # 2: not linked, but the human claim overlaps 18/20: claim and stance corrected.
        suggestion(2, 2, 0, 20, "support"),
        # 3: the human said no_claim: rejected.
        suggestion(3, 3, 0, 20, "support"),
        # 4: linked although moved far (J = 0): still that suggestion, claim corrected.
        suggestion(4, 4, 0, 20, "oppose"),
        # 5: the only annotator skipped; 6: nobody annotated it: neither counts.
        suggestion(5, 5, 0, 20, "support"),
        suggestion(6, 6, 0, 20, "support"),
        # 7: another model version on sentence 1: the human claim matches it by overlap.
        suggestion(7, 1, 0, 20, "oppose", model="rules 2"),
    ]
    items = [
        work(1, "ann", claim(0, 20, "support", speaker=(30, 35), cue=(36, 40), suggestion_id=1)),
        work(2, "ann", claim(2, 20, "oppose"), claim(40, 50, "neutral")),  # the second one is added
        work(3, "ann"),
        work(4, "ann", claim(60, 80, "oppose", suggestion_id=4)),
        work(5, "ann", claim(0, 20, "support"), status="skipped"),
    ]

    report = compute_agreement(items, machine)

    v1, v2 = report.machine
    assert (v1.model, v1.reviewed, v1.matched, v1.rejected, v1.added) == ("rules 1", 4, 3, 1, 1)
    fields = {f.field: (f.accepted, f.corrected) for f in v1.fields}
    assert fields == {"speaker": (3, 0), "cue": (3, 0), "claim": (1, 2), "stance": (2, 1)}
    assert v1.rejected_rate.value is None
    assert v1.rejected_rate.reason == "fewer than 10 reviewed suggestions (n=4)"

    assert (v2.model, v2.reviewed, v2.matched, v2.rejected, v2.added) == ("rules 2", 1, 1, 0, 0)
    fields = {f.field: (f.accepted, f.corrected) for f in v2.fields}
    assert fields == {"speaker": (0, 1), "cue": (0, 1), "claim": (1, 0), "stance": (0, 1)}


def test_a_stance_judged_toward_another_target_than_suggested_is_neither_kept_nor_changed():
    """A worked sentence keeps its suggestions through a target change: a second person's stance
    toward the new target says nothing of a stance suggested toward the old one."""
    machine = [replace(suggestion(s, s, 0, 20, "support", speaker=(30, 35)), target="The plan") for s in range(1, 4)]
    items = [replace(work(1, "ann", claim(0, 20, "support", speaker=(30, 35), suggestion_id=1)), target="The plan"),
             replace(work(2, "ann", claim(0, 20, "oppose", speaker=(30, 35), suggestion_id=2)), target="The plan"),
             replace(work(3, "ann", claim(0, 20, "oppose", speaker=(30, 35), suggestion_id=3)), target="Scrapping the plan")]

    (outcome,) = compute_agreement(items, machine).machine

    fields = {f.field: (f.accepted, f.corrected, f.not_compared) for f in outcome.fields}
    assert fields["stance"] == (1, 1, 1)
    assert fields["speaker"] == fields["claim"] == (3, 0, 0)


def test_another_canonical_speaker_for_the_same_words_is_a_correction():
    """QA: "He" suggested as Kwan and kept as words but credited to Okafor counted as accepted."""
    machine = [suggestion(1, 1, 0, 20, "support", speaker=(30, 32), speaker_id=5),
               suggestion(2, 2, 0, 20, "support", speaker=(30, 32), speaker_id=5)]
    items = [work(1, "ann", claim(0, 20, "support", speaker=(30, 32), speaker_id=6, suggestion_id=1)),
             work(2, "ann", claim(0, 20, "support", speaker=(30, 32), speaker_id=5, suggestion_id=2))]

    (outcome,) = compute_agreement(items, machine).machine

    speaker = next(f for f in outcome.fields if f.field == "speaker")
    assert (speaker.accepted, speaker.corrected) == (1, 1)


def test_a_suggestion_split_into_two_claims_is_matched_once():
    machine = [suggestion(1, 1, 0, 40, "support")]
    items = [work(1, "ann", claim(0, 20, "support", suggestion_id=1), claim(20, 40, "support", suggestion_id=1))]

    (outcome,) = compute_agreement(items, machine).machine

    assert (outcome.reviewed, outcome.matched, outcome.rejected, outcome.added) == (1, 1, 0, 1)


def test_machine_rates_are_shares_of_reviewed_suggestions():
    # 12 reviewed: 8 kept as is, 2 with the stance changed, 2 rejected.
    machine = [suggestion(s, s, 0, 20, "support") for s in range(12)]
    items = [work(s, "ann", claim(0, 20, "support")) for s in range(8)]
    items += [work(s, "ann", claim(0, 20, "oppose")) for s in (8, 9)]
    items += [work(s, "ann") for s in (10, 11)]

    (outcome,) = compute_agreement(items, machine).machine

    assert outcome.rejected_rate.value == pytest.approx(2 / 12)
    assert outcome.rejected_rate.n == 12
    stance = next(f for f in outcome.fields if f.field == "stance")
    claim_field = next(f for f in outcome.fields if f.field == "claim")
    assert (stance.accepted_rate.value, stance.corrected_rate.value) == pytest.approx((8 / 12, 2 / 12))
    assert (claim_field.accepted_rate.value, claim_field.corrected_rate.value) == pytest.approx((10 / 12, 0.0))


# --- not enough data ----------------------------------------------------------------------

def test_empty_input_says_why_there_are_no_numbers():
    report = compute_agreement([])

    assert report.annotators == () and report.stance_pairs == () and report.machine == ()
    for figure in (report.stance_alpha, report.span_f1_mean, report.speaker_agreement):
        assert (figure.value, figure.n, figure.reason) == (None, 0, TOO_FEW_ANNOTATORS)


def test_one_annotator_has_no_agreement():
    report = compute_agreement([work(s, "ann", claim(0, 10, "support")) for s in range(20)])

    assert report.annotators == ("ann",)
    assert report.shared_sentences == 0
    assert report.stance_alpha.reason == TOO_FEW_ANNOTATORS
    assert report.span_pairs == ()


def test_too_few_matched_claims():
    items = []
    for s in range(3):
        items.append(work(s, "ann", claim(0, 10, "support")))
        items.append(work(s, "bob", claim(0, 10, "oppose")))

    report = compute_agreement(items)

    assert report.stance_pairs[0].kappa.value is None
    assert report.stance_pairs[0].kappa.reason == "fewer than 10 matched claims with a stance from both (n=3)"
    assert report.stance_alpha.reason == "fewer than 10 claims with a stance from two or more annotators (n=3)"
    assert report.span_pairs[0].f1.reason == "fewer than 10 claims from the two annotators (n=6)"
    assert report.span_pairs[0].precision is None
    assert report.span_f1_mean.reason == "no annotator pair has enough claims for F1"
    assert report.speaker_agreement.reason == "fewer than 10 matched claims (n=3)"


def test_all_labels_identical_leaves_kappa_and_alpha_undefined():
    items = []
    for s in range(12):
        items.append(work(s, "ann", claim(0, 10, "support")))
        items.append(work(s, "bob", claim(0, 10, "support")))

    report = compute_agreement(items)

    kappa = report.stance_pairs[0].kappa
    assert (kappa.value, kappa.n, kappa.reason) == (None, 12, "all labels identical: kappa undefined")
    assert report.stance_alpha.reason == "all labels identical: alpha undefined"
    assert report.span_pairs[0].f1.value == 1.0  # spans still have a perfectly good figure


# --- input handling and output --------------------------------------------------------------

def test_skipped_work_counts_nowhere():
    base = [work(s, name, claim(0, 10, "support")) for s in range(3) for name in ("ann", "bob")]
    skipped = [work(s, "cat", claim(0, 10, "oppose"), status="skipped") for s in range(3)]
    skipped.append(work(5, "ann", status="skipped"))

    assert compute_agreement(base + skipped) == compute_agreement(base)
    assert compute_agreement(base + skipped).sentences == 3


def test_two_pieces_of_work_by_one_annotator_are_refused():
    with pytest.raises(ValueError, match="two pieces of work"):
        compute_agreement([work(1, "ann"), work(1, "ann", claim(0, 5))])


def test_empty_spans_are_refused():
    with pytest.raises(ValueError, match="start < end"):
        claim(5, 5)


def test_to_dict_is_plain_json():
    items = [work(s, name, claim(0, 10, "support")) for s in range(2) for name in ("ann", "bob")]
    machine = [suggestion(1, 0, 0, 10, "support")]

    data = compute_agreement(items, machine).to_dict()

    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert set(data) == {
        "annotators", "sentences", "shared_sentences", "stance_pairs", "stance_alpha", "span_pairs",
        "span_f1_mean", "speaker_pairs", "speaker_agreement", "machine", "thresholds",
    }
    assert data["thresholds"] == {"min_jaccard": 0.5, "min_units": 10}
    assert data["stance_pairs"][0]["kappa"] == {
        "value": None, "n": 2, "reason": "fewer than 10 matched claims with a stance from both (n=2)",
    }
    assert data["machine"][0]["fields"][0]["field"] == "speaker"
