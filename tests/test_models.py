"""Invariants the database itself enforces."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError

from annotate.models import (
    AuditEvent,
    Document,
    Sentence,
    SentenceAnnotation,
    Speaker,
    StanceLabel,
    Suggestion,
    speaker_key,
    tidy_speaker_name,
)


def test_new_project_has_default_labels(project):
    assert [(label.key, label.value) for label in project.labels.order_by("key")] == [
        ("1", "support"), ("2", "oppose"), ("3", "neutral")
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"claim_start": 5, "claim_end": 5},
        {"claim_start": 1, "claim_end": 5, "speaker_start": 3, "speaker_end": None},
        {"claim_start": 1, "claim_end": 5, "cue_start": 4, "cue_end": 2},
    ],
)
def test_suggestion_spans_are_checked(document, fields):
    sentence = document.sentences.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(sentence=sentence, position=99, model_name="t", model_version="1", **fields)


def test_confidence_must_be_a_probability(document):
    sentence = document.sentences.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(
            sentence=sentence, position=99, claim_start=0, claim_end=3, claim_confidence=1.5, model_name="t", model_version="1"
        )


def test_attribution_confidence_leaves_the_stance_and_an_absent_speaker_out():
    author = Suggestion(claim_start=0, claim_end=5, claim_confidence=0.9, stance_confidence=0.25)
    assert (author.attribution_confidence, author.confidence) == (0.9, 0.25)
    quoted = Suggestion(speaker_start=0, speaker_end=2, cue_start=3, cue_end=4, claim_start=5, claim_end=9,
                        speaker_confidence=0.4, cue_confidence=0.8, claim_confidence=0.9, stance_confidence=0.6)
    assert (quoted.attribution_confidence, quoted.confidence) == (0.4, 0.4)


def test_sentence_offsets_must_be_ordered(document):
    with pytest.raises(IntegrityError), transaction.atomic():
        Sentence.objects.create(document=document, index=99, start=10, end=10)


def test_same_text_twice_in_a_project_is_refused(document):
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(project=document.project, title="again", text=document.text, text_sha256=document.text_sha256)


def test_empty_document_text_is_refused(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(project=project, title="empty", text="", text_sha256="x")


def test_label_key_must_be_a_digit(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        StanceLabel.objects.create(project=project, value="other", name="Other", key="q")


def test_label_in_use_cannot_be_deleted(document):
    suggestion = Suggestion.objects.filter(sentence__document=document, stance__isnull=False).first()
    assert suggestion is not None, "the sample should get at least one stance suggestion"
    with pytest.raises(ProtectedError):
        suggestion.stance.delete()


def test_one_annotation_per_annotator_and_sentence(document, people):
    sentence = document.sentences.first()
    SentenceAnnotation.objects.create(sentence=sentence, annotator=people["annotator"], status="no_claim")
    with pytest.raises(IntegrityError), transaction.atomic():
        SentenceAnnotation.objects.create(sentence=sentence, annotator=people["annotator"], status="skipped")


def test_only_one_gold_annotation_per_sentence(document, people):
    sentence = document.sentences.first()
    SentenceAnnotation.objects.create(sentence=sentence, annotator=people["reviewer"], kind="adjudication", status="no_claim")
    with pytest.raises(IntegrityError), transaction.atomic():
        SentenceAnnotation.objects.create(sentence=sentence, annotator=people["admin"], kind="adjudication", status="no_claim")


def test_audit_events_are_append_only(document):
    event = AuditEvent.objects.filter(project=document.project).first()
    event.action = "tampered"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_migrations_match_the_models(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())  # exits non-zero when a migration is missing


def test_a_documents_speakers_differ_by_more_than_case_and_spacing(document):
    """The key is the one rule, and the database keeps it: whatever writes, and on SQLite too,
    whose case-insensitive comparisons fold only ASCII."""
    Speaker.objects.create(document=document, name="émile zola")
    with pytest.raises(IntegrityError), transaction.atomic():
        Speaker.objects.create(document=document, name="ÉMILE  ZOLA")
    with pytest.raises(IntegrityError), transaction.atomic():
        Speaker.objects.bulk_create([Speaker(document=document, name="Émile\tZola")])


def test_every_write_keeps_the_name_key_in_step_with_the_name(document):
    speaker = Speaker.objects.create(document=document, name="  Émile   ZOLA ")
    assert speaker.name_key == "émile zola"
    speaker.name = "ÉMILE ZOLA, novelist"
    speaker.save(update_fields=["name"])  # the key is saved with the name it is made of
    assert Speaker.objects.get(pk=speaker.pk).name_key == "émile zola, novelist"
    Speaker.objects.filter(pk=speaker.pk).update(name="The Straße")
    assert Speaker.objects.get(pk=speaker.pk).name_key == "the strasse"
    speaker.name = "Alfred Dreyfus"
    Speaker.objects.bulk_update([speaker], ["name"])
    [made] = Speaker.objects.bulk_create([Speaker(document=document, name="J’ACCUSE")])
    assert dict(Speaker.objects.filter(pk__in=[speaker.pk, made.pk]).values_list("name", "name_key")) == {
        "Alfred Dreyfus": "alfred dreyfus", "J’ACCUSE": "j’accuse"}


@pytest.mark.parametrize(("typed", "stored"), [
    ("E\u0301mile  Zola", "\u00c9mile Zola"),  # a decomposed É, as pasted from a Mac or a PDF
    ("\ufeffAlfred\u200bDreyfus", "AlfredDreyfus"),  # a BOM, a zero-width space
    ("Drey\u00adfus \u202aZola\u202c", "Dreyfus Zola"),  # a soft hyphen, bidi embedding
    ("\u0645\u0647\u062f\u06cc\u200c\u0632\u0627\u062f\u0647", "\u0645\u0647\u062f\u06cc\u200c\u0632\u0627\u062f\u0647"),
])
def test_a_name_is_stored_in_one_unicode_form_without_invisible_characters(typed, stored):
    """What is shown is what it looks like; only the joiners stay, which shape the Persian name
    (Mehdizadeh, its parts kept apart by a zero-width non-joiner)."""
    assert tidy_speaker_name(typed) == stored


def test_the_key_folds_unicode_forms_and_invisible_characters():
    alike = ["\u00c9mile Zola", "E\u0301mile Zola", "\u00c9MILE\u200b ZOLA", "\uff25\u0301\uff4d\uff49\uff4c\uff45 Zo\u00adla"]
    assert {speaker_key(name) for name in alike} == {"\u00e9mile zola"}
    assert speaker_key("Mehdi\u200cZadeh") == speaker_key("MehdiZadeh") == "mehdizadeh"
    assert speaker_key("\u200b \u200d") == ""
    assert len(speaker_key("\ufdfa" * 300)) == Speaker._meta.get_field("name_key").max_length, "it fits its column"


def test_names_that_look_the_same_are_one_speaker_to_the_database(document):
    Speaker.objects.create(document=document, name="\u00c9mile Zola")
    for name in ("E\u0301mile Zola", "\u00c9mile\u200b Zola", "\uff25\u0301mile Zola"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Speaker.objects.create(document=document, name=name)


def migrate_annotate(target: str):
    """Bring the database's annotate tables to migration `target`; the models as they were then."""
    executor = MigrationExecutor(connection)
    executor.migrate([("annotate", target)])
    return executor.loader.project_state([("annotate", target)]).apps


@pytest.fixture
def migrations(transactional_db):
    """`migrate_annotate`, with the database brought back to the latest migrations afterwards.
    Schema changes need a real transaction (SQLite refuses them inside the test's atomic block)."""
    yield migrate_annotate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_key_migration_merges_speakers_differing_only_in_case(migrations):
    """Before the key, the case-sensitive constraint let "Émile Zola" and "ÉMILE  ZOLA" both
    in; the migration merges them into the first created, as a reviewer's merge would."""
    apps = migrations("0008_suggestion_stance_rule")
    user = apps.get_model("auth", "User").objects.create(username="annotator")
    project = apps.get_model("annotate", "Project").objects.create(name="Old project")
    document, other_document = (
        apps.get_model("annotate", "Document").objects.create(project=project, title=text, text=text, text_sha256=text)
        for text in ("Zola wrote it.", "Zola again.")
    )
    sentence = apps.get_model("annotate", "Sentence").objects.create(document=document, index=0, start=0, end=14)
    Speaker = apps.get_model("annotate", "Speaker")
    first, shouted, lower, other = (Speaker.objects.create(document=document, name=name)
                                    for name in ("Émile Zola", "ÉMILE  ZOLA", "émile zola", "Alfred Dreyfus"))
    elsewhere = Speaker.objects.create(document=other_document, name="émile zola")
    work = apps.get_model("annotate", "SentenceAnnotation").objects.create(sentence=sentence, annotator=user,
                                                                           status="corrected")
    claim = apps.get_model("annotate", "Annotation").objects.create(
        sentence_annotation=work, claim_start=0, claim_end=14, speaker=shouted)
    suggestion = apps.get_model("annotate", "Suggestion").objects.create(
        sentence=sentence, claim_start=0, claim_end=14, speaker=lower, model_name="m", model_version="1")

    apps = migrations("0010_speaker_name_key_unique")
    Speaker = apps.get_model("annotate", "Speaker")
    assert dict(Speaker.objects.values_list("pk", "name_key")) == {
        first.pk: "émile zola", other.pk: "alfred dreyfus", elsewhere.pk: "émile zola"}
    assert apps.get_model("annotate", "Annotation").objects.get(pk=claim.pk).speaker_id == first.pk
    assert apps.get_model("annotate", "Suggestion").objects.get(pk=suggestion.pk).speaker_id == first.pk
    merges = apps.get_model("annotate", "AuditEvent").objects.filter(action="speaker.merge").order_by("id")
    assert [(event.before["merged"]["id"], event.after["into"]["id"], event.actor_id) for event in merges] == [
        (shouted.pk, first.pk, None), (lower.pk, first.pk, None)], "the history says where each one went"

    apps = migrations("0008_suggestion_stance_rule")  # reversible: the key goes, merged speakers stay merged
    assert set(apps.get_model("annotate", "Speaker").objects.values_list("pk", flat=True)) == {
        first.pk, other.pk, elsewhere.pk}
    with connection.cursor() as cursor:
        columns = {column.name for column in connection.introspection.get_table_description(cursor, "annotate_speaker")}
    assert "name_key" not in columns


def test_the_key_migration_merges_names_that_look_the_same_and_tidies_the_rest(migrations):
    """"Émile Zola" typed and pasted from a PDF (decomposed É), "Alfred Dreyfus" with and without
    a zero-width space: one speaker each, named as the app now stores names. The survivor takes
    a name the merged one had, which the old exact constraint allows only once that one is gone."""
    apps = migrations("0008_suggestion_stance_rule")
    user = apps.get_model("auth", "User").objects.create(username="annotator")
    project = apps.get_model("annotate", "Project").objects.create(name="Old project")
    document = apps.get_model("annotate", "Document").objects.create(
        project=project, title="Zola", text="Zola wrote it.", text_sha256="zola")
    sentence = apps.get_model("annotate", "Sentence").objects.create(document=document, index=0, start=0, end=14)
    Speaker = apps.get_model("annotate", "Speaker")
    decomposed, typed, spaced, plain = (
        Speaker.objects.create(document=document, name=name)
        for name in ("E\u0301mile  Zola", "\u00c9mile Zola", "Alfred\u200b Dreyfus", "Alfred Dreyfus"))
    work = apps.get_model("annotate", "SentenceAnnotation").objects.create(sentence=sentence, annotator=user,
                                                                           status="corrected")
    claim = apps.get_model("annotate", "Annotation").objects.create(
        sentence_annotation=work, claim_start=0, claim_end=14, speaker=typed)

    apps = migrations("0010_speaker_name_key_unique")
    Speaker = apps.get_model("annotate", "Speaker")
    assert {pk: (name, key) for pk, name, key in Speaker.objects.values_list("pk", "name", "name_key")} == {
        decomposed.pk: ("\u00c9mile Zola", "\u00e9mile zola"), spaced.pk: ("Alfred Dreyfus", "alfred dreyfus")}
    assert apps.get_model("annotate", "Annotation").objects.get(pk=claim.pk).speaker_id == decomposed.pk
    merges = apps.get_model("annotate", "AuditEvent").objects.filter(action="speaker.merge").order_by("id")
    assert [(event.before["merged"]["id"], event.after["into"]["id"]) for event in merges] == [
        (typed.pk, decomposed.pk), (plain.pk, spaced.pk)]


def test_the_redirect_migration_follows_merges_recorded_only_in_the_audit_events(migrations):
    """Pages opened before the redirects existed still resolve: each merge the audit events
    record, including 0009's merges of case-duplicates, leads to where its chain ends."""
    apps = migrations("0008_suggestion_stance_rule")
    project = apps.get_model("annotate", "Project").objects.create(name="Old project")
    Document = apps.get_model("annotate", "Document")
    document, gone_document = (Document.objects.create(project=project, title=text, text=text, text_sha256=text)
                               for text in ("Zola wrote it.", "Deleted since."))
    Speaker = apps.get_model("annotate", "Speaker")
    first, loud, older, old = (Speaker.objects.create(document=document, name=name)
                               for name in ("Émile Zola", "ÉMILE ZOLA", "Zola", "E. Zola"))
    lost, lost_into = (Speaker.objects.create(document=gone_document, name=name) for name in ("X", "Y"))

    def merged(source, into) -> None:  # as merge_speakers did: an audit event, then the delete
        apps.get_model("annotate", "AuditEvent").objects.create(
            project=project, action="speaker.merge", object_type="Speaker", object_id=str(into.pk),
            before={"merged": {"name": source.name, "kind": "other", "id": source.pk}, "into": {}},
            after={"into": {"name": into.name, "kind": "other", "id": into.pk}, "annotations": 0, "suggestions": 0})
        Speaker.objects.filter(pk=source.pk).delete()

    merged(older, into=old)
    merged(old, into=loud)  # which 0009 then merges into "Émile Zola"
    merged(lost, into=lost_into)
    gone_document.delete()

    apps = migrations("0011_speakerredirect")
    assert set(apps.get_model("annotate", "SpeakerRedirect").objects.values_list(
        "document", "old_speaker_id", "speaker")) == {
        (document.pk, older.pk, first.pk), (document.pk, old.pk, first.pk), (document.pk, loud.pk, first.pk)}

    migrations("0010_speaker_name_key_unique")  # reversible: the table goes
    assert "annotate_speakerredirect" not in connection.introspection.table_names()


def test_an_audit_event_says_what_it_records(project):
    """QA16: its admin page was titled "AuditEvent object (120)"."""
    from annotate.models import AuditEvent

    event = AuditEvent.objects.create(project=project, action="label.change", object_type="StanceLabel", object_id="7")
    assert str(event).startswith("label.change of StanceLabel 7 (")


def test_the_target_migration_gives_saved_work_its_documents_target(migrations):
    apps = migrations("0014_job_heartbeat")
    user = apps.get_model("auth", "User").objects.create(username="annotator")
    project = apps.get_model("annotate", "Project").objects.create(name="Old project", stance_target="Project target")
    Document = apps.get_model("annotate", "Document")
    own = Document.objects.create(project=project, title="a", text="A said.", text_sha256="a", stance_target="Own")
    follows = Document.objects.create(project=project, title="b", text="B said.", text_sha256="b")
    Sentence = apps.get_model("annotate", "Sentence")
    SentenceAnnotation = apps.get_model("annotate", "SentenceAnnotation")
    works = [SentenceAnnotation.objects.create(sentence=Sentence.objects.create(document=d, index=0, start=0, end=7),
                                               annotator=user, status="no_claim") for d in (own, follows)]
    apps = migrations("0015_annotation_stance_target")
    stored = apps.get_model("annotate", "SentenceAnnotation").objects.in_bulk([w.pk for w in works])
    assert [stored[w.pk].stance_target for w in works] == ["Own", "Project target"]


def test_label_values_differing_only_in_case_are_refused(project):
    """Exports carry the value: "Support" beside "support" could not be told apart."""
    with pytest.raises(IntegrityError), transaction.atomic():
        StanceLabel.objects.create(project=project, value="Support", name="Pro", key="4")


def test_the_label_migration_sets_values_apart_that_differ_only_in_case(migrations):
    """The admin let "Neutral" in beside "neutral": before the database forbids it, the one no
    work uses (else the later) gets a value of its own, and the history says what it was."""
    apps = migrations("0016_suggestion_refresh")
    project, other = (apps.get_model("annotate", "Project").objects.create(name=name) for name in ("Old", "Other"))
    StanceLabel = apps.get_model("annotate", "StanceLabel")
    used, unused, shouted, taken = (
        StanceLabel.objects.create(project=project, value=value, name=value.title(), key=str(key))
        for key, value in enumerate(("Neutral", "neutral", "NEUTRAL", "neutral-2"), 1))
    elsewhere = StanceLabel.objects.create(project=other, value="NEUTRAL", name="Neutral", key="1")
    document = apps.get_model("annotate", "Document").objects.create(project=project, title="a", text="A said.",
                                                                     text_sha256="a")
    sentence = apps.get_model("annotate", "Sentence").objects.create(document=document, index=0, start=0, end=7)
    apps.get_model("annotate", "Suggestion").objects.create(sentence=sentence, claim_start=0, claim_end=7, stance=used,
                                                            model_name="m", model_version="1")

    apps = migrations("0018_stance_label_value_any_case")
    values = dict(apps.get_model("annotate", "StanceLabel").objects.values_list("pk", "value"))
    assert values == {used.pk: "Neutral", unused.pk: "neutral-3", shouted.pk: "NEUTRAL-4", taken.pk: "neutral-2",
                      elsewhere.pk: "NEUTRAL"}, "the used one stays, each other one takes the first free number"
    events = apps.get_model("annotate", "AuditEvent").objects.filter(action="stancelabel.change").order_by("id")
    assert [(e.object_id, e.before, e.after["value"]) for e in events] == [
        (str(unused.pk), {"value": "neutral"}, "neutral-3"), (str(shouted.pk), {"value": "NEUTRAL"}, "NEUTRAL-4")]
    with pytest.raises(IntegrityError), transaction.atomic():
        apps.get_model("annotate", "StanceLabel").objects.create(project_id=project.pk, value="NEUTRAL-2", name="x", key="9")
    migrations("0016_suggestion_refresh")  # reversible: the constraint goes, the values stay apart


def test_the_activation_refresh_migration_continues_a_refresh_in_flight(migrations, settings):
    """An activated model re-made the suggestions on its own row until 0020: one still at it
    (done, active, progress below 1.0) is ended there, and a `SuggestionRefresh` of all its
    project's documents takes the refresh over, which `close_stalled_jobs` starts whatever the
    task backend (none is queued by the migration)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from annotate.models import Project, SuggestionRefresh
    from annotate.services.jobs import close_stalled_jobs

    long_ago = timezone.now() - timedelta(hours=2)
    apps = migrations("0019_import_job_skipped")
    StanceModel = apps.get_model("annotate", "StanceModel")
    refreshing, finished, empty = (apps.get_model("annotate", "Project").objects.create(name=name)
                                   for name in ("Refreshing", "Finished", "Empty"))
    ids = [apps.get_model("annotate", "Document").objects.create(project=project, title=text, text=text, text_sha256=text).pk
           for project, text in ((refreshing, "One."), (refreshing, "Two."), (finished, "Three."))]
    won = "Macro-F1 on 20 held-out claims: model 0.900, rules 0.500. The model now makes this project's stance suggestions."
    in_flight = StanceModel.objects.create(project=refreshing, version=3, status="done", progress=0.95, is_active=True,
                                           message=f"{won} Re-making the suggestions: 1 of 2 documents.",
                                           updated_at=long_ago)
    replaced = StanceModel.objects.create(project=refreshing, version=2, status="done", progress=0.9, message=won)
    done = StanceModel.objects.create(project=finished, version=1, status="done", progress=1.0, is_active=True, message=won)
    alone = StanceModel.objects.create(project=empty, version=1, status="done", progress=0.9, is_active=True, message=won)

    apps = migrations("0020_activation_refresh_is_a_suggestion_refresh")
    StanceModel = apps.get_model("annotate", "StanceModel")
    models = {m.pk: m for m in StanceModel.objects.all()}
    assert (models[in_flight.pk].progress, models[in_flight.pk].message) == (1.0, (
        f"{won} The re-making of the project's suggestions, interrupted, goes on: the Suggestions card shows how far."))
    assert (models[replaced.pk].progress, models[done.pk].progress) == (0.9, 1.0), "only an active one was refreshing"
    assert (models[alone.pk].progress, models[alone.pk].message) == (1.0, won), "no documents: nothing to go on with"
    [refresh] = apps.get_model("annotate", "SuggestionRefresh").objects.all()
    assert (refresh.project_id, refresh.status, refresh.documents, refresh.total, refresh.processed, refresh.attempt) == (
        refreshing.pk, "running", ids[:2], 2, 0, 1)
    assert refresh.reason == "stance model v3 now suggests (continuing an interrupted refresh)"
    assert refresh.updated_at == long_ago, "last heard of where the interrupted refresh was"
    [event] = apps.get_model("annotate", "AuditEvent").objects.filter(action="suggestions.resuggest")
    assert (event.project_id, event.after) == (refreshing.pk, {"documents": ids[:2], "reason": refresh.reason,
                                                               "refresh": refresh.pk})

    # Even with the database queue, where a queued refresh waits for the task it does not have
    # (the app's code runs on the latest schema).
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert close_stalled_jobs(Project.objects.get(pk=refreshing.pk)) == 1
    started = SuggestionRefresh.objects.get(pk=refresh.pk)
    assert (started.status, started.attempt) == ("queued", 2)
    [task] = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs["args"]) == ("annotate.tasks.suggestion_refresh_task", [refresh.pk, 2])


def test_the_suggestion_target_migration_gives_worked_sentences_their_first_works_target(migrations):
    """Suggestions of a sentence someone worked on are kept through target changes: theirs is the
    target that work was saved toward; the others were re-made toward the target of today."""
    apps = migrations("0021_suggestionrefresh_taken_over")
    user = apps.get_model("auth", "User").objects.create(username="annotator")
    project = apps.get_model("annotate", "Project").objects.create(name="Tram", stance_target="The tram should be scrapped")
    document = apps.get_model("annotate", "Document").objects.create(project=project, title="T", text="One. Two. Three.",
                                                                     text_sha256="t")
    Sentence, Suggestion = apps.get_model("annotate", "Sentence"), apps.get_model("annotate", "Suggestion")
    worked, skipped, untouched = (Sentence.objects.create(document=document, index=i, start=5 * i, end=5 * i + 4)
                                  for i in range(3))
    suggestions = [Suggestion.objects.create(sentence=s, claim_start=s.start, claim_end=s.end, model_name="m",
                                             model_version="1") for s in (worked, skipped, untouched)]
    SentenceAnnotation = apps.get_model("annotate", "SentenceAnnotation")
    SentenceAnnotation.objects.create(sentence=worked, annotator=user, status="corrected", stance_target="The tram should go ahead")
    SentenceAnnotation.objects.create(sentence=skipped, annotator=user, status="skipped", stance_target="The tram should go ahead")

    apps = migrations("0022_suggestion_stance_target")
    targets = dict(apps.get_model("annotate", "Suggestion").objects.values_list("pk", "stance_target"))
    assert [targets[s.pk] for s in suggestions] == [
        "The tram should go ahead", "The tram should be scrapped", "The tram should be scrapped"]
