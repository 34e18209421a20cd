"""Curating a document's canonical speakers: rename and merge (reviewers), through the API."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotate.models import Annotation, AuditEvent, Speaker, SpeakerRedirect, Suggestion
from annotate.services.annotations import AnnotationInvalid, ClaimInput, save_sentence_annotation
from annotate.services.speakers import (
    SpeakerChangeInvalid,
    SpeakerNameTaken,
    StaleSpeaker,
    merge_speakers,
    merged_into,
    rename_speaker,
)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def two_speakers(document, people):
    """"Ambassador Wells" and a duplicate "Wells" that an annotator's claim points to."""
    keep = Speaker.objects.create(document=document, name="Ambassador Wells", kind=Speaker.Kind.PERSON)
    duplicate = Speaker.objects.create(document=document, name="Wells", kind=Speaker.Kind.OTHER)
    sentence = document.sentences.order_by("index").first()
    claim = ClaimInput(claim=(sentence.start, sentence.end), speaker_id=duplicate.pk)
    saved = save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                                     claims=[claim], expected_version=None)
    return keep, duplicate, sentence, saved


def test_merge_moves_every_claim_and_suggestion_then_removes_the_duplicate(document, people, two_speakers):
    keep, duplicate, sentence, saved = two_speakers
    suggestion = Suggestion.objects.filter(sentence__document=document).first()
    Suggestion.objects.filter(pk=suggestion.pk).update(speaker=duplicate)

    merge_speakers(duplicate, into=keep, by=people["reviewer"])

    assert not Speaker.objects.filter(pk=duplicate.pk).exists()
    assert Annotation.objects.get(sentence_annotation=saved).speaker_id == keep.pk
    assert Suggestion.objects.get(pk=suggestion.pk).speaker_id == keep.pk
    event = AuditEvent.objects.get(action="speaker.merge")
    assert event.actor == people["reviewer"]
    assert event.before["merged"]["name"] == "Wells" and event.after["annotations"] == 1


def test_merge_refuses_itself_and_other_documents(document, project, people, two_speakers):
    from annotate.services.imports import import_documents, parse_text

    keep, duplicate, *_ = two_speakers
    with pytest.raises(SpeakerChangeInvalid, match="itself"):
        merge_speakers(keep, into=keep, by=people["reviewer"])
    other_document = import_documents(project=project, documents=parse_text("Someone else said so.")).created[0]
    stranger = Speaker.objects.create(document=other_document, name="Someone")
    with pytest.raises(SpeakerChangeInvalid, match="different documents"):
        merge_speakers(duplicate, into=stranger, by=people["reviewer"])
    assert Speaker.objects.filter(pk=duplicate.pk).exists(), "nothing changed"


def test_a_stale_page_saving_a_merged_speaker_saves_to_the_speaker_it_was_merged_into(document, people, two_speakers):
    """A page opened before the merges still sends "Wells"; its edit is kept, pointing where the merges went."""
    keep, duplicate, sentence, saved = two_speakers
    final = Speaker.objects.create(document=document, name="Alice Wells")
    merge_speakers(duplicate, into=keep, by=people["reviewer"])
    merge_speakers(keep, into=final, by=people["reviewer"])
    speakers = set(Speaker.objects.filter(document=document))
    response = api(people["annotator"]).put(
        f"/api/sentences/{sentence.pk}/annotation/",
        {"status": "corrected", "version": saved.version,
         "claims": [{"claim": [sentence.start, sentence.end], "speaker_id": duplicate.pk, "stance": "oppose"}]},
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    assert [c["speaker_id"] for c in response.json()["claims"]] == [final.pk]
    claim = Annotation.objects.select_related("stance").get(sentence_annotation=saved)
    assert (claim.speaker_id, claim.stance.value) == (final.pk, "oppose")
    assert set(Speaker.objects.filter(document=document)) == speakers, "no speaker made or brought back"


def test_a_chain_of_merges_leads_to_its_end_in_one_query(document, people, django_assert_num_queries):
    """A into B, then B into C: the second merge moves A's redirect on, so a page holding A
    finds C with one indexed lookup however long the chain grew."""
    a, b, c = (Speaker.objects.create(document=document, name=name) for name in ("Wells", "A. Wells", "Alice Wells"))
    merge_speakers(a, into=b, by=people["reviewer"])
    merge_speakers(b, into=c, by=people["reviewer"])
    assert set(SpeakerRedirect.objects.values_list("document", "old_speaker_id", "speaker")) == {
        (document.pk, a.pk, c.pk), (document.pk, b.pk, c.pk)}
    with django_assert_num_queries(1):
        assert merged_into(document, {a.pk, b.pk, c.pk}) == {a.pk: c.pk, b.pk: c.pk}
    assert AuditEvent.objects.filter(action="speaker.merge").count() == 2, "the history is still written"


def test_a_speaker_never_of_the_document_is_still_refused(document, project, people, two_speakers):
    from annotate.services.imports import import_documents, parse_text

    keep, duplicate, sentence, saved = two_speakers
    other_document = import_documents(project=project, documents=parse_text("Someone else said so.")).created[0]
    stranger, elsewhere = (Speaker.objects.create(document=other_document, name=name) for name in ("Someone", "Other"))
    merge_speakers(stranger, into=elsewhere, by=people["reviewer"])  # a merge in another document
    for speaker_id in (stranger.pk, elsewhere.pk):
        with pytest.raises(AnnotationInvalid, match="not a speaker of this document"):
            save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                                     claims=[ClaimInput(claim=(sentence.start, sentence.end), speaker_id=speaker_id)],
                                     expected_version=saved.version)
    assert Annotation.objects.get(sentence_annotation=saved).speaker_id == duplicate.pk, "the stored claim is intact"


def test_rename_tidies_the_name_and_refuses_a_taken_one(people, two_speakers):
    keep, duplicate, *_ = two_speakers
    renamed = rename_speaker(duplicate, name="  Alice   Wells ", kind="person", by=people["reviewer"])
    assert (renamed.name, renamed.kind) == ("Alice Wells", "person")
    assert AuditEvent.objects.get(action="speaker.rename").before == {"name": "Wells", "kind": "other"}
    with pytest.raises(SpeakerNameTaken) as taken:
        rename_speaker(duplicate, name="Ambassador Wells", by=people["reviewer"])
    assert taken.value.existing == keep
    with pytest.raises(SpeakerNameTaken):  # the review page could not tell the two apart
        rename_speaker(duplicate, name="AMBASSADOR wells", by=people["reviewer"])
    assert rename_speaker(keep, name="ambassador wells", by=people["reviewer"]).name == "ambassador wells"
    with pytest.raises(SpeakerChangeInvalid, match="needs a name"):
        rename_speaker(duplicate, name="   ", by=people["reviewer"])


def test_api_rename_and_merge_answer_with_the_documents_speakers(people, two_speakers):
    keep, duplicate, *_ = two_speakers
    reviewer = api(people["reviewer"])
    taken = reviewer.patch(f"/api/speakers/{duplicate.pk}/", {"name": "Ambassador Wells"}, format="json")
    assert taken.status_code == 409 and taken.json()["existing"] == keep.pk
    bad_kind = reviewer.patch(f"/api/speakers/{duplicate.pk}/", {"kind": "robot"}, format="json")
    assert bad_kind.status_code == 400
    merged = reviewer.post(f"/api/speakers/{duplicate.pk}/merge/", {"into": keep.pk}, format="json")
    assert merged.status_code == 200
    assert merged.json()["speaker"] == {"id": keep.pk, "name": "Ambassador Wells", "kind": "person"}
    listed = {s["id"] for s in merged.json()["speakers"]}
    assert keep.pk in listed and duplicate.pk not in listed
    gone = reviewer.post(f"/api/speakers/{duplicate.pk}/merge/", {"into": keep.pk}, format="json")
    assert gone.status_code == 404
    missing = reviewer.post(f"/api/speakers/{keep.pk}/merge/", {"into": 999999}, format="json")
    assert missing.status_code == 400 and "does not exist" in missing.json()["detail"]


def test_a_rename_made_meanwhile_is_not_overwritten(people, two_speakers):
    keep, duplicate, *_ = two_speakers
    rename_speaker(duplicate, name="Alice Wells", by=people["reviewer"])  # another reviewer, first
    with pytest.raises(StaleSpeaker) as stale:
        rename_speaker(duplicate, name="A. Wells", expected_name="Wells", by=people["admin"])
    assert stale.value.current.name == "Alice Wells"
    response = api(people["admin"]).patch(f"/api/speakers/{duplicate.pk}/",
                                          {"name": "A. Wells", "expected_name": "Wells"}, format="json")
    assert response.status_code == 409 and response.json()["current"]["name"] == "Alice Wells"
    assert Speaker.objects.get(pk=duplicate.pk).name == "Alice Wells"
    fresh = api(people["admin"]).patch(f"/api/speakers/{duplicate.pk}/",
                                       {"name": "A. Wells", "expected_name": "Alice Wells"}, format="json")
    assert fresh.status_code == 200 and fresh.json()["speaker"]["name"] == "A. Wells"


def test_refreshing_suggestions_keeps_curated_speakers_and_links(document, people, monkeypatch):
    """A new stance model refreshes the suggestions: reviewers' renames and merges survive; a
    sentence someone worked on keeps the suggestion they were shown (and their link to it);
    a sentence whose claims changed gets new suggestions under the curated speaker of the
    same span."""
    from annotate.services import preannotation

    officials = Suggestion.objects.get(sentence__document=document, speaker__name="senior officials")
    wells = Suggestion.objects.get(sentence__document=document, speaker__name__contains="Wells")
    rename_speaker(officials.speaker, name="Senior officials of the ministry", by=people["reviewer"])
    merge_speakers(wells.speaker, into=Speaker.objects.create(document=document, name="Alice Wells"), by=people["reviewer"])
    curated = {s.name for s in document.speakers.all()}
    accepted = save_sentence_annotation(
        sentence=officials.sentence, user=people["annotator"], status="accepted", expected_version=None,
        claims=[ClaimInput(claim=officials.claim_span, speaker=officials.speaker_span, cue=officials.cue_span,
                           stance=officials.stance.value if officials.stance_id else None,
                           speaker_id=officials.speaker_id, suggestion_id=officials.pk)],
    )
    real_predict = preannotation.predict_documents

    def new_model(documents):
        predictions = real_predict(documents)
        for claim in predictions[0].claims:
            claim.stance, claim.stance_confidence = "oppose", 0.9  # what a new stance model might say
            if claim.speaker is not None and document.text[claim.speaker[0]:claim.speaker[1]].startswith("Ambassador"):
                claim.claim = (claim.claim[0] + 5, claim.claim[1])  # and one claim whose span moved
        return predictions

    monkeypatch.setattr(preannotation, "predict_documents", new_model)
    preannotation.refresh_suggestions([document])

    assert {s.name for s in document.speakers.all()} == curated, "no speaker came back under its predicted name"
    kept = Suggestion.objects.get(pk=officials.pk)
    assert (kept.stance_id, kept.stance_model) == (officials.stance_id, officials.stance_model), "what the annotator saw"
    assert kept.speaker.name == "Senior officials of the ministry"
    assert Annotation.objects.get(sentence_annotation=accepted).suggestion_id == officials.pk
    assert not Suggestion.objects.filter(pk=wells.pk).exists(), "the moved claim is a new suggestion"
    moved = Suggestion.objects.get(sentence=wells.sentence, speaker_start=wells.speaker_start)
    assert moved.speaker.name == "Alice Wells" and moved.stance.value == "oppose"


def test_a_speaker_typed_in_another_case_is_the_same_speaker(document, people):
    sentence = document.sentences.get(index=1)
    existing = Speaker.objects.get(document=document, name="senior officials")
    saved = save_sentence_annotation(
        sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
        claims=[ClaimInput(claim=(sentence.start, sentence.end), speaker_name="  Senior   OFFICIALS ")],
    )
    assert saved.claims.get().speaker_id == existing.pk
    assert Speaker.objects.filter(document=document, name_key="senior officials").count() == 1


def test_case_beyond_ascii_is_case_too(document, people, two_speakers):
    """SQLite's case-insensitive match folds only ASCII: the service must not create "ÉMILE ZOLA"
    beside "émile zola", nor let a rename make the two, whatever the database."""
    keep, duplicate, sentence, saved = two_speakers
    zola = Speaker.objects.create(document=document, name="émile zola")
    again = save_sentence_annotation(
        sentence=sentence, user=people["annotator"], status="corrected", expected_version=saved.version,
        claims=[ClaimInput(claim=(sentence.start, sentence.end), speaker_name="ÉMILE  ZOLA")],
    )
    assert again.claims.get().speaker_id == zola.pk
    with pytest.raises(SpeakerNameTaken) as taken:
        rename_speaker(duplicate, name="Émile Zola", by=people["reviewer"])
    assert taken.value.existing == zola
    assert Speaker.objects.filter(document=document, name_key="émile zola").count() == 1


def test_names_that_look_the_same_are_the_same_speaker(document, people, two_speakers):
    """QA: renaming "Wells" to "Émile Zola" pasted from a Mac or a PDF (a decomposed É) beside the
    typed one succeeded, and left two speakers that look the same; so did a zero-width space."""
    keep, duplicate, sentence, saved = two_speakers
    zola = Speaker.objects.create(document=document, name="\u00c9mile Zola")
    reviewer = api(people["reviewer"])
    taken = reviewer.patch(f"/api/speakers/{duplicate.pk}/", {"name": "E\u0301mile Zola"}, format="json")
    assert taken.status_code == 409 and taken.json()["existing"] == zola.pk
    renamed = reviewer.patch(f"/api/speakers/{duplicate.pk}/", {"name": "Alfred\u200b Dreyfus"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["speaker"]["name"] == "Alfred Dreyfus", "shown clean"

    typed = ["E\u0301MILE ZOLA", "Alfred Dreyfus\u200b", "Ge\u0301rard\u00ad Lauzier"]
    again = save_sentence_annotation(
        sentence=sentence, user=people["annotator"], status="corrected", expected_version=saved.version,
        claims=[ClaimInput(claim=(sentence.start, sentence.end), speaker_name=name) for name in typed],
    )
    gerard = Speaker.objects.get(document=document, name_key="g\u00e9rard lauzier")
    assert [c.speaker_id for c in again.claims.order_by("position")] == [zola.pk, duplicate.pk, gerard.pk]
    assert gerard.name == "G\u00e9rard Lauzier", "a new speaker's name is stored in one form, without the soft hyphen"


def test_a_name_of_nothing_visible_is_no_name(document, people, two_speakers):
    keep, duplicate, sentence, saved = two_speakers
    with pytest.raises(SpeakerChangeInvalid, match="needs a name"):
        rename_speaker(duplicate, name="\u200b", by=people["reviewer"])
    speakers = set(Speaker.objects.values_list("pk", flat=True))
    again = save_sentence_annotation(
        sentence=sentence, user=people["annotator"], status="corrected", expected_version=saved.version,
        claims=[ClaimInput(claim=(sentence.start, sentence.end), speaker_name="\u200b\ufeff")],
    )
    assert again.claims.get().speaker_id is None, "as a blank name: the author's own claim"
    assert set(Speaker.objects.values_list("pk", flat=True)) == speakers


def test_refreshing_files_claims_under_the_stored_sentences_when_the_split_changed(document):
    """Documents imported by an older pipeline keep their sentences; a refresh must file each
    claim under the stored sentence where it stands, not by the new split's numbering."""
    from annotate.models import Sentence
    from annotate.services import preannotation

    first, second = document.sentences.get(index=0), document.sentences.get(index=1)
    Suggestion.objects.filter(sentence__document=document).delete()
    # As if an older split had joined the first two sentences and numbered the rest on.
    Sentence.objects.filter(pk=first.pk).update(end=second.end)
    Sentence.objects.filter(pk=second.pk).delete()
    preannotation.refresh_suggestions([document])

    suggestions = Suggestion.objects.filter(sentence__document=document).select_related("sentence")
    assert suggestions.exists()
    for suggestion in suggestions:
        anchor = suggestion.cue_start if suggestion.cue_start is not None else suggestion.claim_start
        assert suggestion.sentence.start <= anchor < suggestion.sentence.end, (suggestion.claim_span, suggestion.sentence)
    assert suggestions.filter(sentence=first, speaker__name="senior officials").exists()


def test_a_sentence_saved_while_the_refresh_ran_keeps_what_its_annotator_was_shown(document, people, monkeypatch):
    """QA16: the refresh read which sentences had work before the pipeline's writes, and a save
    landing in between had its suggestion's stance changed under it."""
    from annotate.services import preannotation

    sentence = document.sentences.get(index=1)
    shown = Suggestion.objects.get(sentence=sentence)
    real_predict, real_labels = preannotation.predict_documents, preannotation._active_labels

    other_side = "oppose" if shown.stance.value != "oppose" else "support"

    def new_model(documents):
        predictions = real_predict(documents)
        for claim in predictions[0].claims:
            claim.stance, claim.stance_confidence = other_side, 0.9
        return predictions

    def meanwhile(documents):  # read after the first look at the work, before the writes
        save_sentence_annotation(sentence=sentence, user=people["annotator"], status="accepted", expected_version=None,
                                 claims=[ClaimInput(claim=shown.claim_span, speaker=shown.speaker_span, cue=shown.cue_span,
                                                    stance=shown.stance.value, speaker_id=shown.speaker_id,
                                                    suggestion_id=shown.pk)])
        return real_labels(documents)

    monkeypatch.setattr(preannotation, "predict_documents", new_model)
    monkeypatch.setattr(preannotation, "_active_labels", meanwhile)
    preannotation.refresh_suggestions([document])
    assert Suggestion.objects.get(pk=shown.pk).stance_id == shown.stance_id
    other = Suggestion.objects.filter(sentence__document=document).exclude(sentence=sentence).first()
    assert other.stance.value == other_side


@pytest.mark.parametrize("selected", ["Critics \U0001F621", "\U0001F44D\ufe0f Critics", "critics"])
def test_a_mention_with_an_emoji_at_its_edge_is_the_speaker_without_it(document, people, selected):
    """QA16: selecting "Critics 😡" made a second speaker beside "Critics"."""
    from annotate.services.speakers import speaker_named

    critics = speaker_named(document, "Critics", by=people["annotator"])
    assert speaker_named(document, selected, by=people["annotator"]) == critics


@pytest.mark.parametrize("name", ["\u0939\u093f\u0902\u0926\u0942", "\U0001F389"])
def test_a_name_keeps_its_own_marks_and_a_name_of_symbols_stays(document, people, name):
    from annotate.services.speakers import speaker_named

    assert speaker_named(document, name, by=people["annotator"]).name == name
