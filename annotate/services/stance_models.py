"""Learning a project's notion of stance from its reviewers' corrections.

A training run takes the project's human stance labels, trains a text classifier on two
thirds of the documents (split by a hash of the document id, so no document is on both
sides) and scores it, the rules and the model in use (if any) on the other third. The model
takes over the project's suggestions only if it beats both there; then a tracked
`SuggestionRefresh` re-makes them.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.template.defaultfilters import pluralize
from django.utils import timezone

from annotate.models import (
    Annotation,
    AnnotationStatus,
    Document,
    Project,
    SentenceAnnotation,
    StanceModel,
    SuggestionRefresh,
)
from annotate.nlp.pipeline import ATTRIBUTION_PIPE, STANCE_PIPE
from annotate.nlp.stance import load_stance_classifier
from annotate.nlp.stance_training import StanceClassifier, StanceExample, stance_scores, train_stance_model
from annotate.nlp.types import ClaimPrediction, DocumentPrediction
from annotate.selectors import rules_labels
from annotate.services.audit import actor_or_none, audit_record
from annotate.services.jobs import close_stalled_jobs
from annotate.services.preannotation import (
    app_pipeline,
    resuggest_documents,
    usable_stance_model_dir,
)

logger = logging.getLogger(__name__)

MIN_EXAMPLES = 20  # fewer labelled claims than this cannot train or test anything meaningful
HELD_OUT_SHARE = 3  # one document in three (by hash) is held out for the comparison


class TrainingRefused(ValueError):
    """The project cannot train now (too little data, or a run is already going)."""


@dataclass(frozen=True)
class LabelledClaim:
    """One human stance label without its text: all that the split and its check read, and
    where to find the words (the claim, its cue and its sentence) in the document."""
    document_id: int
    document_key: str  # the document's text hash: the same split on every database
    label: str
    start: int
    end: int
    cue: tuple[int, int] | None = None
    sentence: tuple[int, int] | None = None
    # The target the label was given toward, as saved with the work: a target changed since
    # leaves the label meaning what it meant ("" for work saved with no target at all).
    target: str = ""


@dataclass(frozen=True)
class LabelledExample:
    example: StanceExample
    document_key: str  # the document's text hash: the same split on every database


def recorded_model_folders() -> list[tuple[str, Path]]:
    """Every folder a run saved a stance model to, said in words (project, version, where):
    some lie outside CLAIMDESK_MODEL_DIR if the setting has moved since.

    None before `migrate`; asking does not make an SQLite file that is not there yet.
    DatabaseError if the database cannot be read."""
    if connection.vendor == "sqlite" and not connection.is_in_memory_db() and not Path(connection.settings_dict["NAME"]).exists():
        return []
    if StanceModel._meta.db_table not in connection.introspection.table_names():
        return []
    recorded = StanceModel.objects.exclude(path="").select_related("project").order_by("project__name", "version")
    return [(f"the folder of {record.project.name}'s stance model v{record.version} ({record.path})", Path(record.path))
            for record in recorded]


def project_stance_claims(project: Project) -> list[LabelledClaim]:
    """Every human stance label of the project: the gold version where a sentence has one,
    otherwise each annotator's accepted or corrected claims, with a label still offered. No
    document text is read."""
    rows = (
        Annotation.objects.filter(
            sentence_annotation__sentence__document__project=project,
            sentence_annotation__status__in=[AnnotationStatus.ACCEPTED, AnnotationStatus.CORRECTED],
            stance__isnull=False,
            # A retired label is offered no more: a model trained on it would suggest it (QA13).
            stance__retired=False,
        )
        .order_by("sentence_annotation__sentence_id", "sentence_annotation__kind", "position")
        .values_list(
            "sentence_annotation__sentence_id", "sentence_annotation__kind", "sentence_annotation__sentence__document_id",
            "sentence_annotation__sentence__document__text_sha256", "stance__value", "claim_start", "claim_end",
            "cue_start", "cue_end", "sentence_annotation__sentence__start", "sentence_annotation__sentence__end",
            "sentence_annotation__stance_target",
        )
    )
    gold_sentences = set(
        SentenceAnnotation.objects.filter(SentenceAnnotation.gold_q(), sentence__document__project=project)
        .values_list("sentence_id", flat=True)
    )
    return [
        LabelledClaim(document_id, document_key, label, start, end,
                      cue=(cue_start, cue_end) if cue_start is not None else None, sentence=(sentence_start, sentence_end),
                      target=target)
        for (sentence_id, kind, document_id, document_key, label, start, end,
             cue_start, cue_end, sentence_start, sentence_end, target) in rows
        # the reviewer's decision replaces the annotators' versions
        if kind == SentenceAnnotation.Kind.ADJUDICATION or sentence_id not in gold_sentences
    ]


def project_stance_examples(project: Project) -> list[LabelledExample]:
    """`project_stance_claims` with their texts, each document's text read once, and each toward
    the target its label was given toward (QA24: after a target change, labels given toward "The
    tram extension should go ahead" were trained and scored toward "... should be scrapped", and
    a model that read every stance backwards won and was activated). Work saved with no target
    has only today's."""
    claims = project_stance_claims(project)
    documents = Document.objects.only("text", "stance_target").in_bulk({claim.document_id for claim in claims})
    examples = []
    for claim in claims:
        document = documents[claim.document_id]
        target = claim.target or document.stance_target or project.stance_target  # without a query per claim
        examples.append(LabelledExample(_in_context(claim, document.text, target), claim.document_key))
    return examples


def _in_context(claim: LabelledClaim, text: str, target: str) -> StanceExample:
    """The claim with its sentence and its cue around it, so that training and the held-out
    comparison read it as suggestions are read: after its cue ("Officials denied that ...")."""
    edges = [claim.start, claim.end, *(claim.sentence or ()), *(claim.cue or ())]
    start, end = min(edges), max(edges)
    return StanceExample(
        text=text[claim.start:claim.end], target=target, label=claim.label, context=text[start:end],
        claim=(claim.start - start, claim.end - start),
        cue=(claim.cue[0] - start, claim.cue[1] - start) if claim.cue else None,
    )


def is_held_out(document_key: str) -> bool:
    digest = hashlib.sha256(f"claimdesk-stance\0{document_key}".encode()).hexdigest()
    return int(digest[:8], 16) % HELD_OUT_SHARE == 0


def held_out_stances(
    classifiers: Sequence[StanceClassifier], examples: list[StanceExample], labels: Mapping[str, str]
) -> tuple[list[str | None], list[list[str | None]]]:
    """Each example's stance toward its target by the rules (choosing among the project's
    active labels by their meaning, `labels` as `rules_labels` gives them, as its suggestions do)
    and by each of `classifiers`.

    Each claim is parsed once in its context by the production pipeline, without finding
    claims of its own: the stance component then reads the claim people labelled, after its
    cue, once by the rules and once by each model, as it does for suggestions."""
    nlp = app_pipeline()
    component = nlp.get_pipe(STANCE_PIPE)
    rules: list[str | None] = []
    models: list[list[str | None]] = [[] for _ in classifiers]
    parsed = nlp.pipe((e.parsed_text for e in examples), disable=[ATTRIBUTION_PIPE, STANCE_PIPE])
    for example, doc in zip(examples, parsed):
        doc._.target, doc._.stance_labels = example.target, dict(labels)
        claim = ClaimPrediction(claim=example.claim or (0, len(doc.text)), cue=example.cue)
        doc._.prediction = DocumentPrediction(sentences=[], claims=[claim], speakers=[])
        for classifier, said in ((None, rules), *zip(classifiers, models)):
            component.decide(doc, classifier)
            said.append(claim.stance)
    return rules, models


MIN_HELD_OUT = 10  # a comparison on fewer held-out claims is a coin toss

_Keyed = TypeVar("_Keyed", LabelledClaim, LabelledExample)


@dataclass(frozen=True)
class SplitSizes:
    """How many labelled claims fall on each side of the split, and how many labels each side has."""
    train: int
    held_out: int
    train_labels: int
    held_out_labels: int

    @classmethod
    def of(cls, train: Sequence[str], held_out: Sequence[str]) -> SplitSizes:
        """The sizes of a split given as each side's labels, one per claim."""
        return cls(len(train), len(held_out), len(set(train)), len(set(held_out)))


def _by_document(items: Sequence[_Keyed]) -> tuple[list[_Keyed], list[_Keyed]]:
    """(train, held out) by each item's document, so that no document is on both sides."""
    return ([item for item in items if not is_held_out(item.document_key)],
            [item for item in items if is_held_out(item.document_key)])


def _refuse_unless_trainable(sizes: SplitSizes) -> None:
    """TrainingRefused saying what is missing: each side needs two labels or more, or the
    comparison that decides whether the model replaces the rules means nothing (one label
    held out scores 1.000)."""
    total = sizes.train + sizes.held_out
    if total < MIN_EXAMPLES or sizes.held_out < MIN_HELD_OUT or sizes.train_labels < 2 or sizes.held_out_labels < 2:
        raise TrainingRefused(
            f"needs at least {MIN_EXAMPLES} labelled claims over several documents, {MIN_HELD_OUT} of them in the "
            f"held-out third, and two or more stance labels on each side; has {total} claim{pluralize(total)}, "
            f"{sizes.train} to train on with {sizes.train_labels} label(s), {sizes.held_out} held out with "
            f"{sizes.held_out_labels} label(s)"
        )


def training_split_sizes(project: Project) -> SplitSizes:
    """The sizes `training_split` finds, counted without reading any document text: what
    starting a run checks before queueing it (the worker reads the texts, once)."""
    train, held_out = _by_document(project_stance_claims(project))
    return SplitSizes.of([claim.label for claim in train], [claim.label for claim in held_out])


def training_split(project: Project) -> tuple[list[StanceExample], list[StanceExample]]:
    """(train, held out) of the project's human stance labels, or TrainingRefused saying
    what is missing (see `_refuse_unless_trainable`)."""
    train, held_out = _by_document(project_stance_examples(project))
    _refuse_unless_trainable(SplitSizes.of([e.example.label for e in train], [e.example.label for e in held_out]))
    return [e.example for e in train], [e.example for e in held_out]


def start_stance_training(*, project: Project, by: AbstractBaseUser | None = None) -> StanceModel:
    """Queue a training run for the project (one at a time) and return its record; refused
    at once when the reviewed labels cannot train and test a model yet."""
    from annotate.tasks import train_stance_task  # tasks import this module

    # Said now, not after a trip through the queue; counted without the documents' texts,
    # which only the worker reads.
    _refuse_unless_trainable(training_split_sizes(project))
    close_stalled_jobs(project)  # a run whose worker died would refuse this one for good
    with transaction.atomic():
        # A refresh of the suggestions going on does not refuse a run: it reads the active model
        # afresh for each chunk (`refresh_chunk` → `predict_documents` → `usable_stance_model_dir`),
        # so one this run activates makes the chunks after, and its own refresh takes the rest over.
        busy = StanceModel.objects.select_for_update().filter(StanceModel.GOING, project=project)
        if busy.exists():
            raise TrainingRefused("a training run for this project is already queued or running")
        version = (StanceModel.objects.filter(project=project).aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            stance_model = StanceModel.objects.create(
                project=project, version=version, created_by=actor_or_none(by)
            )
        except IntegrityError:
            raise TrainingRefused("another training run was started at the same moment") from None
        audit_record(project=project, actor=by, action="stance_model.train", obj=stance_model, after={"version": version})
        # Enqueue only once the row is committed, so a worker never looks for a row it cannot see.
        transaction.on_commit(lambda: train_stance_task.enqueue(stance_model.pk))
    return stance_model


def resuggest_with_model(stance_model: StanceModel, reason: str) -> SuggestionRefresh | None:
    """Queue a tracked refresh of all the project's documents, made by `stance_model` once
    active (the Suggestions card follows it, and one whose worker dies is started again); None
    for a project without documents. In the caller's transaction: it is queued once that commits."""
    project = stance_model.project
    ids = list(Document.objects.filter(project=project).order_by("pk").values_list("pk", flat=True))
    return resuggest_documents(project, ids, reason=reason)


def resume_activation_refresh(stance_model_id: int) -> SuggestionRefresh | None:
    """What a `resume_refresh_task` left in a queue from before migration 0020 asks for: the
    suggestions of an activated model re-made, now as a tracked refresh. Nothing for a model no
    longer in use: the one in use had its own refresh queued when it was activated."""
    stance_model = StanceModel.objects.select_related("project").filter(pk=stance_model_id, is_active=True).first()
    if stance_model is None:
        return None
    return resuggest_with_model(stance_model, f"stance model v{stance_model.version} now suggests "
                                              "(continuing an interrupted refresh)")


def _update(stance_model: StanceModel, **fields) -> None:
    fields["updated_at"] = timezone.now()  # the heartbeat `close_stalled_jobs` reads
    for name, value in fields.items():
        setattr(stance_model, name, value)
    stance_model.save(update_fields=list(fields))


# How much better (held-out macro-F1) a new model must be than the model in use to replace
# it: each replacement re-makes every untouched suggestion of the project, and a gain of one
# claim in a few dozen held out is noise (QA19: 0.947 against 0.946 replaced it).
REPLACE_MARGIN = 0.01


def takes_over(trained: float, rules: float, in_use: float | None) -> bool:
    """Whether a trained model, with these held-out macro-F1s, makes the project's suggestions
    from now on: it must beat the rules, and the model in use (if any) by `REPLACE_MARGIN`."""
    return trained > rules and (in_use is None or trained >= in_use + REPLACE_MARGIN)


def outcome_message(metrics: dict) -> str:
    """What a finished run says of itself: its held-out figures and which model now suggests."""
    trained, rules, in_use = metrics["trained"], metrics["rules"], metrics.get("in_use")
    figures = (f"Macro-F1 on {metrics['held_out_examples']} held-out claims: model {trained['macro_f1']:.3f}, "
               f"rules {rules['macro_f1']:.3f}")
    figures += f", version {in_use['version']} in use {in_use['macro_f1']:.3f}. " if in_use else ". "
    if metrics["activated"]:
        return figures + "The model now makes this project's stance suggestions."
    if in_use:
        return figures + (f"Version {in_use['version']} stays in use (a new model replaces it only when "
                          f"{REPLACE_MARGIN:.2f} or more better).")
    return figures + "The rules stay in use."


def run_stance_training(stance_model_id: int) -> StanceModel:
    """Train, compare with the rules on held-out documents, and activate the model if it wins.

    The run claims its queued row first, so a worker and `train_stance --project` (which
    runs a queued job itself) never train the same version twice."""
    claimed = StanceModel.objects.filter(pk=stance_model_id, status=StanceModel.Status.QUEUED).update(
        status=StanceModel.Status.RUNNING, progress=0.05, message="Collecting reviewed labels", updated_at=timezone.now()
    )
    stance_model = StanceModel.objects.select_related("project").get(pk=stance_model_id)
    if not claimed:
        return stance_model  # already taken (running or finished) by another process
    project = stance_model.project
    try:
        train, held_out = training_split(project)  # the labels may have changed since it was queued
        training = f"Training on {len(train)} claims"
        _update(stance_model, progress=0.2, message=training)
        output = Path(settings.CLAIMDESK_MODEL_DIR) / f"project-{project.pk}" / f"stance-v{stance_model.version}"
        if output.exists():
            shutil.rmtree(output)
        result = train_stance_model(
            train, output, name=stance_model.package_name, version=stance_model.package_version,
            parse_model=settings.CLAIMDESK_SPACY_MODEL,
            meanings={label.value: label.meaning for label in project.labels.all() if label.meaning},
            labels=[label.value for label in project.labels.all() if not label.retired],
            # Also the heartbeat `close_stalled_jobs` reads: a long run is not a dead one.
            on_progress=lambda fraction, stage: _update(stance_model, progress=0.2 + 0.5 * fraction, message=f"{training}: {stage}"),
        )
        # The model in use, if any, is scored on today's held-out claims too: a new model must
        # beat whatever makes the suggestions now, not only the rules.
        in_use = StanceModel.objects.filter(project=project, is_active=True).first()
        in_use_dir = usable_stance_model_dir(project) if in_use else None
        _update(stance_model, progress=0.7, path=str(output),
                message=f"Comparing with {'the model in use and ' if in_use_dir else ''}the rules on {len(held_out)} held-out claims")
        gold = [e.label for e in held_out]
        active = rules_labels(project.labels.all())
        # The candidate as training left it in memory, not through the pipeline's cache of
        # models in use: it may never be used.
        classifiers = [result.classifier] + ([load_stance_classifier(in_use_dir)] if in_use_dir else [])
        rules_said, (model_said, *in_use_said) = held_out_stances(classifiers, held_out, active)
        trained, rules = stance_scores(gold, model_said), stance_scores(gold, rules_said)
        current = stance_scores(gold, in_use_said[0]) if in_use_said else None
        wins = takes_over(trained["macro_f1"], rules["macro_f1"], current["macro_f1"] if current else None)
        metrics = {
            "train_examples": len(train),
            "held_out_examples": len(held_out),
            "trained": trained,
            "rules": rules,
            "seconds": result.seconds,
            "activated": wins,
        }
        if current is not None:
            metrics["in_use"] = {"version": in_use.version, **current}
        with transaction.atomic():
            if wins:
                StanceModel.objects.filter(project=project, is_active=True).update(is_active=False)
            _update(
                stance_model,
                status=StanceModel.Status.DONE,
                progress=1.0,
                metrics=metrics,
                is_active=wins,
                finished_at=timezone.now(),
                message=outcome_message(metrics),
            )
            # In this transaction, so that the model is never active without its refresh queued.
            if wins and resuggest_with_model(stance_model, f"stance model v{stance_model.version} now suggests"):
                # Said once and kept: words that the refresh is going would outlast it (QA24).
                _update(stance_model, message=f"{stance_model.message} Its re-making of the project's suggestions "
                                              "is on the Suggestions card.")
            audit_record(project=project, actor=None, action="stance_model.finish", obj=stance_model,
                         after={"activated": wins, "trained_macro_f1": trained["macro_f1"], "rules_macro_f1": rules["macro_f1"],
                                "in_use_macro_f1": current["macro_f1"] if current else None})
    except TrainingRefused as refused:
        _update(stance_model, status=StanceModel.Status.FAILED, message=str(refused), finished_at=timezone.now())
    except Exception as error:  # the record must say what happened, whatever it was
        logger.exception("stance training %s failed", stance_model_id)
        _update(stance_model, status=StanceModel.Status.FAILED, message=f"Training failed: {error}", finished_at=timezone.now())
    return stance_model
