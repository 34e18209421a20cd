"""Reads: typed functions with a fixed number of queries, shared by the UI, the API and the commands."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotate.agreement import AgreementReport, LabelledClaim, MachineClaim, SentenceWork, compute_agreement
from annotate.models import (
    Annotation,
    AnnotationStatus,
    Assignment,
    AuditEvent,
    Comment,
    Document,
    Membership,
    Project,
    Role,
    Sentence,
    SentenceAnnotation,
    Speaker,
    StanceLabel,
    Suggestion,
)
from annotate.nlp.stance_rules import (
    ALL_RULES,
    RULE_DESCRIPTIONS,
    RULES_MODEL_NAME,
    rule_label,
    shipped_confidence,
)

T = TypeVar("T")


def project_role(user: AbstractBaseUser, project: Project) -> str | None:
    """The user's role in the project; superusers act as admins everywhere."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()


def _with_counts(projects: QuerySet[Project]) -> QuerySet[Project]:
    return projects.annotate(
        document_count=Count("documents", distinct=True),
        sentence_count=Count("documents__sentences", distinct=True),
    )


def projects_for_user(user: AbstractBaseUser) -> QuerySet[Project]:
    projects = Project.objects.all() if user.is_superuser else Project.objects.filter(memberships__user=user)
    return _with_counts(projects).order_by("name")


def project_with_counts(project_pk: int) -> Project:
    return _with_counts(Project.objects.filter(pk=project_pk)).prefetch_related("labels").get()


def _done_filter(user: AbstractBaseUser, prefix: str = "") -> Q:
    """A sentence counts as done for `user` once they saved it with any status but 'skipped'."""
    return Q(
        **{
            f"{prefix}annotations__annotator": user,
            f"{prefix}annotations__kind": SentenceAnnotation.Kind.ANNOTATION,
        }
    ) & ~Q(**{f"{prefix}annotations__status": AnnotationStatus.SKIPPED})


def _gold_filter(prefix: str = "") -> Q:
    """Sentences with a gold version (`SentenceAnnotation.gold_q`), through `prefix` to them."""
    return SentenceAnnotation.gold_q(f"{prefix}annotations__")


def project_annotators(project: Project) -> QuerySet:
    """The project's annotators (users with the annotator role), by username."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        memberships__project=project, memberships__role=Role.ANNOTATOR
    ).order_by("username")


@dataclass(frozen=True)
class AnnotatorProgress:
    """Where one annotator of a project stands: what a team lead checks."""

    username: str
    documents: int  # assigned to them
    sentences: int  # in those documents
    done: int  # sentences of the project they saved with any status but "skipped"
    skipped: int
    last_saved: Any  # datetime of their last save in the project, or None


def annotator_progress(project: Project) -> list[AnnotatorProgress]:
    """Each annotator of the project with their assigned documents and sentences and what they
    have done, in three queries however many people and documents there are."""
    people = list(project_annotators(project).values_list("pk", "username"))
    ids = [pk for pk, _ in people]
    assigned = {row["annotator_id"]: row for row in Assignment.objects.filter(document__project=project, annotator_id__in=ids)
                .values("annotator_id").annotate(documents=Count("document_id", distinct=True),
                                                 sentences=Count("document__sentences"))}
    work = {row["annotator_id"]: row for row in SentenceAnnotation.objects.filter(
        kind=SentenceAnnotation.Kind.ANNOTATION, sentence__document__project=project, annotator_id__in=ids)
        .values("annotator_id").annotate(done=Count("pk", filter=~Q(status=AnnotationStatus.SKIPPED)),
                                         skipped=Count("pk", filter=Q(status=AnnotationStatus.SKIPPED)),
                                         last_saved=Max("updated_at"))}
    return [
        AnnotatorProgress(username=username, documents=assigned.get(pk, {}).get("documents", 0),
                          sentences=assigned.get(pk, {}).get("sentences", 0), done=work.get(pk, {}).get("done", 0),
                          skipped=work.get(pk, {}).get("skipped", 0), last_saved=work.get(pk, {}).get("last_saved"))
        for pk, username in people
    ]


def can_open_document(user: AbstractBaseUser, document: Document, role: str | None) -> bool:
    """Reviewers and admins open every document of their project; annotators only their assigned ones."""
    if role in (Role.ADMIN, Role.REVIEWER):
        return True  # every document of the project: no query needed
    return role == Role.ANNOTATOR and visible_documents(document.project, user, role).filter(pk=document.pk).exists()


def has_part_in(user: AbstractBaseUser, project: Project) -> bool:
    """Whether `user` is a member of `project`, or was one and has assignments there (a member
    removed keeps their assignments and work)."""
    return Membership.objects.filter(project=project, user=user).exists() or Assignment.objects.filter(
        document__project=project, annotator=user).exists()


def project_by_name(name: str) -> Project | None:
    """The project a command names, looked up as names are stored: without the spaces around
    them (QA17: "  QA Spaces  " was created as "QA Spaces" and then never found)."""
    return Project.objects.filter(name=name.strip()).first()


def visible_documents(project: Project, user: AbstractBaseUser, role: str | None) -> QuerySet[Document]:
    documents = Document.objects.filter(project=project)
    if role not in (Role.ADMIN, Role.REVIEWER):
        # A subquery, not a join on assignments: a join would also narrow every later
        # Count("assignments") to this user's own assignment (assigned_count would be 1).
        documents = documents.filter(pk__in=Assignment.objects.filter(annotator=user).values("document_id"))
    return documents


@dataclass(frozen=True)
class DocumentPosition:
    """Where a document stands among those the user may open (by id)."""

    visible: bool
    previous_id: int | None
    next_id: int | None


def document_position(document: Document, user: AbstractBaseUser, role: str | None) -> DocumentPosition:
    """Whether the user may open `document` and its neighbours, in one query however many
    documents the project has."""
    found = visible_documents(document.project, user, role).aggregate(
        here=Count("pk", filter=Q(pk=document.pk)),
        previous_id=Max("pk", filter=Q(pk__lt=document.pk)),
        next_id=Min("pk", filter=Q(pk__gt=document.pk)),
    )
    return DocumentPosition(visible=found["here"] > 0, previous_id=found["previous_id"], next_id=found["next_id"])


def _count_per_document(rows: QuerySet) -> Coalesce:
    """The number of `rows` (sentences, assignments) of the outer query's document, as a
    correlated subquery: the database counts only for the documents it returns (a page of
    them, or up to the first unfinished one), where joins and GROUP BY counted them all
    before the LIMIT, and a page count stays a plain COUNT(*)."""
    counted = rows.filter(document=OuterRef("pk")).order_by().values("document").annotate(n=Count("pk", distinct=True))
    return Coalesce(Subquery(counted.values("n")), 0)


def documents_with_progress(project: Project, user: AbstractBaseUser, role: str | None = Role.ADMIN) -> QuerySet[Document]:
    """The documents the user may open, with `sentence_count`, `done_count` (their own work),
    `assigned_count` and `gold_count` (adjudicated sentences)."""
    return (
        visible_documents(project, user, role)
        .defer("text")
        .annotate(
            sentence_count=_count_per_document(Sentence.objects.all()),
            done_count=_count_per_document(Sentence.objects.filter(_done_filter(user))),
            # People still in the project only: a member removed keeps their assignment rows
            # (and their work), but no longer annotates the document (QA16).
            assigned_count=_count_per_document(Assignment.objects.filter(
                annotator_id__in=Membership.objects.filter(project=project).values("user_id"))),
            gold_count=_count_per_document(Sentence.objects.filter(_gold_filter())),
        )
        .order_by("id")
    )


@dataclass(frozen=True)
class SentenceTotals:
    sentences: int  # in the documents the user may open
    done: int  # of those, done by the user (`_done_filter`)
    gold: int  # of those, adjudicated
    waiting: int = 0  # of those, annotated (a decision, not a skip) and not adjudicated yet


def sentence_totals(project: Project, user: AbstractBaseUser, role: str | None) -> SentenceTotals:
    """The sums of `documents_with_progress` over every document, in one query: the project
    page shows a page of documents but the progress of all of them."""
    found = Sentence.objects.filter(document__in=visible_documents(project, user, role).values("pk")).aggregate(
        sentences=Count("pk", distinct=True), done=Count("pk", filter=_done_filter(user), distinct=True),
        gold=Count("pk", filter=_gold_filter(), distinct=True),
        waiting=Count("pk", filter=_waiting_for_gold(), distinct=True))
    return SentenceTotals(**found)


def _waiting_for_gold() -> Q:
    """A sentence (as the outer row) someone annotated, a decision and not a skip, without a gold
    version yet: what `next_document_to_adjudicate` leads to."""
    decided = SentenceAnnotation.objects.filter(sentence=OuterRef("pk"), kind=SentenceAnnotation.Kind.ANNOTATION)
    gold = SentenceAnnotation.objects.filter(SentenceAnnotation.gold_q(), sentence=OuterRef("pk"))
    return Q(Exists(decided.exclude(status=AnnotationStatus.SKIPPED))) & ~Q(Exists(gold))


def next_unfinished_document(
    project: Project, user: AbstractBaseUser, role: str | None, *, after: int | None = None
) -> Document | None:
    """The user's queue: the first document they may open that has sentences they have not done yet.

    With `after` (the document the user is leaving), the first such document after it, wrapping
    round to the start; that document itself only when it is the last one with work left."""
    unfinished = documents_with_progress(project, user, role).filter(done_count__lt=F("sentence_count")).order_by("pk")
    if after is not None:
        return unfinished.filter(pk__gt=after).first() or unfinished.first()
    return unfinished.first()


def next_document_to_adjudicate(project: Project, *, after: int | None = None) -> Document | None:
    """A reviewer's queue: the first document with a sentence someone annotated (a decision, not
    a skip) that has no gold version yet; with `after`, the first such after it, wrapping round."""
    waiting = SentenceAnnotation.objects.filter(
        sentence__document=OuterRef("pk"), kind=SentenceAnnotation.Kind.ANNOTATION,
    ).exclude(status=AnnotationStatus.SKIPPED).exclude(Exists(SentenceAnnotation.objects.filter(
        SentenceAnnotation.gold_q(), sentence=OuterRef("sentence"))))
    documents = project.documents.filter(Exists(waiting)).order_by("pk")
    if after is not None:
        return documents.filter(pk__gt=after).first() or documents.first()
    return documents.first()


def sentence_status(done: int, assigned: int, adjudicated: bool) -> str:
    """unannotated → in_progress → annotated (every assigned annotator done) → adjudicated."""
    if adjudicated:
        return "adjudicated"
    if done and done >= max(assigned, 1):
        return "annotated"
    return "in_progress" if done else "unannotated"


def document_statuses(documents: list[Document]) -> dict[int, str]:
    """Each document's status from its sentences' statuses, in one query for all of them."""
    assigned = {d.pk: getattr(d, "assigned_count", 0) for d in documents}
    rows = (
        Sentence.objects.filter(document__in=[d.pk for d in documents])
        .annotate(
            done=Count("annotations", filter=Q(annotations__kind=SentenceAnnotation.Kind.ANNOTATION)
                       & ~Q(annotations__status=AnnotationStatus.SKIPPED)),
            gold=Count("annotations", filter=_gold_filter()),
        )
        .values_list("document_id", "done", "gold")
    )
    per_document: dict[int, list[str]] = {d.pk: [] for d in documents}
    for document_id, done, gold in rows:
        per_document[document_id].append(sentence_status(done, assigned[document_id], bool(gold)))
    statuses = {}
    for document_id, sentence_statuses in per_document.items():
        if sentence_statuses and all(s == "adjudicated" for s in sentence_statuses):
            statuses[document_id] = "adjudicated"
        elif sentence_statuses and all(s in ("annotated", "adjudicated") for s in sentence_statuses):
            statuses[document_id] = "annotated"
        elif any(s != "unannotated" for s in sentence_statuses):
            statuses[document_id] = "in_progress"
        else:
            statuses[document_id] = "unannotated"
    return statuses


# A rule's confidence in a project weighs its dev-set figure as this many reviewed claims,
# so that the first few reviews move it a little and a hundred decide it.
RULE_PRIOR_WEIGHT = 10


@dataclass(frozen=True)
class StanceRuleOutcome:
    """How one stance rule fares in a project: what its suggestions became in people's work."""

    rule: str
    description: str
    label: str | None  # the label value it suggests in this project (None: the project lacks it)
    label_name: str | None  # that label's name, as the project's people know it
    reviewed: int  # claims people labelled, starting from one of its suggestions of that label
    kept: int  # of those, labelled as the rule suggested
    shipped_confidence: float  # measured on the stance dev sets
    confidence: float  # what its suggestions are shown with in this project
    suggested: int | None = None  # the project's suggestions it decided; None: not counted


def rules_labels(labels: Iterable[StanceLabel]) -> dict[str, str]:
    """What the rules may suggest in a project: each meaning (support, oppose, neutral) and the
    active label it is stored as, the first by key where two share one; a label without a meaning
    is never the rules' suggestion. From labels already fetched (`project.labels.all()`)."""
    choices: dict[str, str] = {}
    for label in sorted(labels, key=lambda label: label.key):
        if label.meaning and not label.retired:
            choices.setdefault(label.meaning, label.value)
    return choices


def stance_rule_outcomes(
    project: Project, labels: Sequence[StanceLabel] | None = None, *, count_suggestions: bool = False,
    with_record: bool = True,
) -> list[StanceRuleOutcome]:
    """Every rule of the current rules, in decision order, with what the project's people did
    with its suggestions: one query while the work is unchanged (two after a change), plus
    one for the project's `labels` if not given and one if `count_suggestions`; none for the
    record without `with_record`. A rule suggests the label that has its meaning
    (`rules_labels`).

    A claim counts once per person who labelled it (an annotator's version and the gold
    version are two judgements), and only with a stance: leaving it empty judges nothing.
    A rule is judged only on its suggestions of the label it suggests now: after a label is
    retired, the fallback suggests "support" where it used to suggest "neutral", and what
    people did with its old suggestions says nothing of the new ones."""
    # Without the record (a blind page) the rules are only described: nothing to tally.
    tallies = _per_state_of_work(project, "stance-rules", lambda: _stance_rule_tallies(project)) if with_record else {}
    if labels is None:
        labels = list(project.labels.all())
    choices = rules_labels(labels)  # meaning -> label value
    names = {label.value: label.name for label in labels}
    # A rule's suggestions of the label it suggests now, as for its record (QA14: a swap of two
    # labels' meanings counted the other label's suggestions).
    suggested = (
        {(rule, value): n for rule, value, n in
         Suggestion.objects.filter(sentence__document__project=project, stance_model=RULES_MODEL_NAME)
         .exclude(stance_rule="").values_list("stance_rule", "stance__value").annotate(n=Count("id"))}
        if count_suggestions else None
    )
    outcomes = []
    for rule in ALL_RULES:
        meaning = rule_label(rule, list(choices))
        label = choices.get(meaning) if meaning is not None else None
        reviewed, kept = tallies.get((rule, label), (0, 0)) if label is not None else (0, 0)
        shipped = shipped_confidence(rule, list(choices))
        outcomes.append(StanceRuleOutcome(
            rule=rule,
            description=RULE_DESCRIPTIONS[rule],
            label=label,
            label_name=names.get(label) if label is not None else None,
            reviewed=reviewed,
            kept=kept,
            shipped_confidence=shipped,
            confidence=round((kept + RULE_PRIOR_WEIGHT * shipped) / (reviewed + RULE_PRIOR_WEIGHT), 3),
            suggested=suggested.get((rule, label), 0) if suggested is not None else None,
        ))
    return outcomes


def _stance_rule_tallies(project: Project) -> dict[tuple[str, str], tuple[int, int]]:
    """(rule, label value it suggested) -> (reviewed, kept): people's stance labels on claims
    that started from a suggestion of the current rules, and how many of them are the label
    suggested. A claim split in two keeps the link on both; only the first one counts, as in
    the agreement figures, so that one suggestion is judged once per person."""
    earlier_link = Annotation.objects.filter(
        sentence_annotation=OuterRef("sentence_annotation"), suggestion=OuterRef("suggestion"),
        position__lt=OuterRef("position"),
    )
    judged = (
        Annotation.objects.filter(
            sentence_annotation__sentence__document__project=project,
            sentence_annotation__status__in=[AnnotationStatus.ACCEPTED, AnnotationStatus.CORRECTED],
            stance__isnull=False,
            suggestion__stance_model=RULES_MODEL_NAME,
            suggestion__stance__isnull=False,
            # A label given toward another target than the suggestion's judges no rule.
            suggestion__stance_target=F("sentence_annotation__stance_target"),
        )
        .exclude(Exists(earlier_link))
        .values("suggestion__stance_rule", "suggestion__stance__value")
        .annotate(reviewed=Count("id"), kept=Count("id", filter=Q(stance_id=F("suggestion__stance_id"))))
    )
    return {(row["suggestion__stance_rule"], row["suggestion__stance__value"]): (row["reviewed"], row["kept"])
            for row in judged}


def suggestion_data(suggestion: Suggestion, rules: dict[str, StanceRuleOutcome] | None = None) -> dict[str, Any]:
    """A suggestion as the page and the API show it. With `rules` (the project's
    `stance_rule_outcomes` by rule), a suggestion of the current rules shows the confidence
    the project's people have measured for its rule once they have judged it, not the dev-set
    figure it was stored with."""
    outcome = (rules or {}).get(suggestion.stance_rule) if suggestion.stance_model == RULES_MODEL_NAME else None
    # Until someone has judged the rule here, the figure it was stored with stands; so it does
    # for a suggestion of a label the rule no longer suggests (see `stance_rule_outcomes`).
    measured = (outcome is not None and outcome.reviewed and suggestion.stance_id is not None
                and suggestion.stance.value == outcome.label)
    stance_confidence = outcome.confidence if measured else suggestion.stance_confidence
    return {
        "id": suggestion.pk,
        "speaker": suggestion.speaker_span,
        "cue": suggestion.cue_span,
        "claim": suggestion.claim_span,
        "speaker_id": suggestion.speaker_id,
        "stance": suggestion.stance.value if suggestion.stance_id else None,
        "confidence": {
            "speaker": round(suggestion.speaker_confidence, 3),
            "cue": round(suggestion.cue_confidence, 3),
            "claim": round(suggestion.claim_confidence, 3),
            "stance": round(stance_confidence, 3),
            "attribution": round(suggestion.attribution_confidence, 3),
            "overall": round(min(suggestion.attribution_confidence, stance_confidence), 3),
        },
        "model": f"{suggestion.model_name} {suggestion.model_version}",
        "stance_model": suggestion.stance_model,
        "stance_rule": suggestion.stance_rule,
        "stance_target": suggestion.stance_target,
    }


def annotation_data(annotation: SentenceAnnotation) -> dict[str, Any]:
    return {
        "id": annotation.pk,
        "status": annotation.status,
        "version": annotation.version,
        "annotator": annotation.annotator.get_username(),
        "updated_at": annotation.updated_at.isoformat(),
        "stance_target": annotation.stance_target,  # what its stances were given toward
        "claims": [
            {
                "speaker": claim.speaker_span,
                "cue": claim.cue_span,
                "claim": claim.claim_span,
                "speaker_id": claim.speaker_id,
                "stance": claim.stance.value if claim.stance_id else None,
                "suggestion_id": claim.suggestion_id,
            }
            for claim in annotation.claims.all()
        ],
    }


def _claims_disagree(works: list[SentenceAnnotation]) -> list[str]:
    """Which fields the annotators' versions of a sentence differ on: status, claim, speaker, stance."""
    if len(works) < 2:
        return []
    fields = []

    def signature(work: SentenceAnnotation, part: str) -> tuple:
        claims = list(work.claims.all())
        if part == "status":
            return (work.status if work.status in ("no_claim", "skipped") else "claims",)
        if part == "claim":
            return tuple(sorted(c.claim_span for c in claims))
        if part == "speaker":
            return tuple(sorted((c.speaker_id or 0, c.speaker_start or -1) for c in claims))
        return tuple(sorted(c.stance_id or 0 for c in claims))

    for part in ("status", "claim", "speaker", "stance"):
        # Stances given toward different targets (one changed between the two people's work)
        # answer different questions: they differ without disagreeing.
        groups: dict[str, list[SentenceAnnotation]] = {}
        for work in works:
            groups.setdefault(work.stance_target if part == "stance" else "", []).append(work)
        if any(len({signature(work, part) for work in group}) > 1 for group in groups.values()):
            fields.append(part)
    return fields


def comment_data(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": comment.author.get_username(),
        "text": comment.text,
        "created_at": comment.created_at.isoformat(),
        "resolved": comment.resolved_at is not None,
    }


def review_payload(document: Document, user: AbstractBaseUser, *, adjudicate: bool = False) -> dict[str, Any]:
    """Everything the review page needs for one document, in a fixed number of queries.

    Annotating: `annotation` is the user's own work, and only their own comments are shown;
    in a project that is not blind, `work` also lists the other annotators' versions.
    Adjudicating: `annotation` is the gold version, `work` lists every annotator's version with
    the fields they disagree on, and every comment is shown.
    """
    project = document.project
    claims = Prefetch("claims", queryset=Annotation.objects.select_related("stance").order_by("position"))
    works = SentenceAnnotation.objects.select_related("annotator").prefetch_related(claims).order_by("annotator__username")
    comments = Comment.objects.select_related("author")
    if not adjudicate:
        works = works.filter(kind=SentenceAnnotation.Kind.ANNOTATION)  # gold is the reviewers' business
        comments = comments.filter(author=user)
        if project.blind:
            works = works.filter(annotator=user)
    sentences = (
        Sentence.objects.filter(document=document)
        .order_by("index")
        .prefetch_related(
            Prefetch("suggestions", queryset=Suggestion.objects.select_related("stance").order_by("position")),
            Prefetch("annotations", queryset=works, to_attr="works"),
            Prefetch("comments", queryset=comments.order_by("created_at"), to_attr="visible_comments"),
        )
    )
    labels = list(project.labels.order_by("key"))
    # The annotating page of a blind project shows nothing of other people's work, to
    # reviewers too (as its speakers, see `review_speakers`); how often people kept a rule's
    # suggestions is some of it.
    with_record = adjudicate or not project.blind
    outcomes = stance_rule_outcomes(project, labels, with_record=with_record)
    rules = {outcome.rule: outcome for outcome in outcomes} if with_record else {}
    sentence_rows = []
    for sentence in sentences:
        gold = next((w for w in sentence.works if w.kind == SentenceAnnotation.Kind.ADJUDICATION), None)
        people = [w for w in sentence.works if w.kind == SentenceAnnotation.Kind.ANNOTATION]
        own = gold if adjudicate else next((w for w in people if w.annotator_id == user.pk), None)
        row = {
            "id": sentence.pk,
            "index": sentence.index,
            "start": sentence.start,
            "end": sentence.end,
            "suggestions": [suggestion_data(s, rules) for s in sentence.suggestions.all()],
            "annotation": annotation_data(own) if own else None,
            "comments": [comment_data(c) for c in sentence.visible_comments],
        }
        if adjudicate:
            done = [w for w in people if w.status != AnnotationStatus.SKIPPED]
            row["work"] = [annotation_data(w) for w in people]
            row["disagreement"] = _claims_disagree(done)
        elif not project.blind:
            row["work"] = [annotation_data(w) for w in people if w.annotator_id != user.pk]
        sentence_rows.append(row)
    return {
        "mode": "adjudicate" if adjudicate else "annotate",
        "document": {
            "id": document.pk,
            "title": document.title,
            "text": document.text,
            "author": document.author,
            "source_url": document.source_url,
            "published": document.published.isoformat() if document.published else None,
            "target": document.effective_target,
        },
        "project": {"id": project.pk, "name": project.name},
        "labels": [
            {"value": label.value, "name": label.name, "key": label.key, "color": label.color, "retired": label.retired}
            for label in labels
        ],
        "speakers": review_speakers(document, user, adjudicate=adjudicate),
        "sentences": sentence_rows,
        # What the page says of a suggestion of the current rules (`stance_rules_model`): why
        # it was made, and how its rule has fared in this project.
        "stance_rules_model": RULES_MODEL_NAME,
        "stance_rules": stance_rules_data(outcomes, with_record=with_record),
    }


def sees_rule_records(project: Project, role: str | None) -> bool:
    """Whether someone of `role` may see how often people kept each rule's suggestions: not an
    annotator of a blind project, who sees nothing of other people's work, and this is some of it."""
    return not project.blind or role in (Role.ADMIN, Role.REVIEWER)


def stance_rules_data(outcomes: Sequence[StanceRuleOutcome], *, with_record: bool) -> dict[str, dict[str, Any]]:
    """The rules as the page and the API show them, by rule: what each means and suggests,
    and with `with_record` how it has fared in the project (see `stance_rule_outcomes`)."""
    data = {}
    for o in outcomes:
        data[o.rule] = {"description": o.description, "label": o.label, "label_name": o.label_name}
        if with_record:
            data[o.rule] |= {"reviewed": o.reviewed, "kept": o.kept, "shipped_confidence": o.shipped_confidence,
                             "confidence": o.confidence}
            if o.suggested is not None:
                data[o.rule]["suggested"] = o.suggested
    return data


def review_speakers(document: Document, user: AbstractBaseUser, *, adjudicate: bool) -> list[dict[str, Any]]:
    """The speakers the review page offers `user`: in a blind project an annotator's page
    (adjudicating is never blind) lists only what `document_speakers(seen_by=)` allows."""
    return document_speakers(document, seen_by=user if document.project.blind and not adjudicate else None)


def document_speakers(document: Document, *, seen_by: AbstractBaseUser | None = None) -> list[dict[str, Any]]:
    """The document's canonical speakers, by name, as the review page lists them.

    With `seen_by` (an annotator of a blind project), only the machine's speakers (made by
    pre-annotation, or named by a suggestion: a merge can point suggestions at a person's
    speaker), those the person created and those their own claims name: a speaker someone
    else typed in is part of that person's work."""
    speakers = document.speakers.all()
    if seen_by is not None:
        own_claims = Annotation.objects.filter(
            sentence_annotation__sentence__document=document,
            sentence_annotation__annotator=seen_by,
            sentence_annotation__kind=SentenceAnnotation.Kind.ANNOTATION,
        ).values("speaker_id")
        suggested = Suggestion.objects.filter(sentence__document=document).values("speaker_id")
        speakers = speakers.filter(
            Q(from_machine=True) | Q(pk__in=suggested) | Q(created_by=seen_by) | Q(pk__in=own_claims)
        )
    return [speaker_data(s) for s in speakers.order_by("name")]


def speaker_data(speaker: Speaker) -> dict[str, Any]:
    return {"id": speaker.pk, "name": speaker.name, "kind": speaker.kind}


def sentence_history(sentence: Sentence, user: AbstractBaseUser, role: str | None) -> list[dict[str, Any]]:
    """The sentence's audit trail, oldest first; annotators see only their own changes."""
    events = AuditEvent.objects.filter(sentence=sentence).select_related("actor").order_by("created_at", "id")
    if role not in (Role.ADMIN, Role.REVIEWER):
        events = events.filter(actor=user)
    return [
        {
            "at": event.created_at.isoformat(),
            "actor": event.actor.get_username() if event.actor else None,
            "action": event.action,
            "before": event.before,
            "after": event.after,
        }
        for event in events
    ]


def export_sentences(
    project: Project, *, annotator: AbstractBaseUser | None = None, gold_only: bool = False
) -> QuerySet[Sentence]:
    """Every sentence of the project with its document, suggestions and human work, for streaming.

    With `annotator`, only the documents assigned to that person and only their own annotations
    (what an annotator may see); with `gold_only`, only the adjudicated (gold) versions.

    Iterate with `.iterator(chunk_size)`: prefetches then run once per chunk, so memory stays
    flat and the query count grows with chunks, not with rows.
    """
    annotations = (
        SentenceAnnotation.objects.select_related("annotator")
        .prefetch_related(
            Prefetch("claims", queryset=Annotation.objects.select_related("stance", "speaker").order_by("position"))
        )
        .order_by("kind", "annotator_id")
    )
    if annotator is not None:
        annotations = annotations.filter(annotator=annotator, kind=SentenceAnnotation.Kind.ANNOTATION)
    if gold_only:
        annotations = annotations.filter(SentenceAnnotation.gold_q())
    sentences = Sentence.objects.filter(document__project=project)
    if annotator is not None:
        sentences = sentences.filter(document__in=visible_documents(project, annotator, Role.ANNOTATOR))
    return (
        sentences
        .order_by("document_id", "index")
        .prefetch_related(
            # Prefetched, not joined: a join would repeat the document's whole text in every sentence row.
            "document",
            Prefetch("suggestions", queryset=Suggestion.objects.select_related("stance", "speaker").order_by("position")),
            Prefetch("annotations", queryset=annotations),
        )
    )


# How old the agreement figures on the project page and in the API may be while people save:
# computing them took 1.4-1.7 s on 80 reviewed documents, and every save changed the state of
# the work, so every reviewer's page load paid it (QA16). Exports are always exact.
AGREEMENT_SHOWN_MAX_AGE = 60  # seconds


def project_agreement_summary(project: Project, *, max_age: int = 0) -> dict[str, Any]:
    """`project_agreement(project).to_dict()`, computed once per state of the project's work
    (`_per_state_of_work`); with `max_age`, figures computed that many seconds ago or less
    serve though the work changed since."""
    return _per_state_of_work(project, "agreement", lambda: project_agreement(project).to_dict(), max_age=max_age)


def _per_state_of_work(project: Project, name: str, compute: Callable[[], T], *, max_age: int = 0) -> T:
    """`compute()`, cached until the project's work changes (one query on a cache hit), or, with
    `max_age`, for at least that many seconds.

    Every change to human work and to suggestions leaves an audit event, so the project's
    latest event (id and time: ids alone can repeat across test databases) says whether
    what is computed from them can have changed."""
    latest = AuditEvent.objects.filter(project=project).order_by("-id").values_list("id", "created_at").first()
    if latest is None:
        return compute()
    key = f"claimdesk:{name}:{project.pk}:{latest[0]}:{latest[1].isoformat()}"
    # With the project's creation time, as ids repeat across test databases (see above).
    recent_key = f"claimdesk:{name}:{project.pk}:{project.created_at.isoformat()}:recent"
    found = cache.get(key)
    if found is None and max_age:
        found = cache.get(recent_key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=24 * 3600)
        if max_age:  # only a caller that may read it writes it
            cache.set(recent_key, found, timeout=max_age)
    return found


def project_agreement(project: Project) -> AgreementReport:
    """Agreement between annotators and between people and the machine, from all saved work."""
    works = (
        SentenceAnnotation.objects.filter(sentence__document__project=project, kind=SentenceAnnotation.Kind.ANNOTATION)
        .select_related("annotator")
        .prefetch_related(Prefetch("claims", queryset=Annotation.objects.select_related("stance")))
    )
    # Only the suggestions of sentences with someone's work: the others are compared with nothing
    # (`compute_agreement`), and reading all of a large project's held the JSON export's memory
    # at 268 MB for 120,000 sentences (bench/app.py), where its sentences stream in 18 MB.
    suggestions = (Suggestion.objects.filter(sentence__document__project=project,
                                             sentence_id__in=works.values("sentence_id"))
                   .select_related("stance"))

    work = [
        SentenceWork(
            sentence_id=w.sentence_id,
            annotator=w.annotator.get_username(),
            status=w.status,
            target=w.stance_target,
            claims=tuple(
                LabelledClaim(
                    claim=c.claim_span,
                    speaker=c.speaker_span,
                    speaker_id=c.speaker_id,
                    stance=c.stance.value if c.stance_id else None,
                    suggestion_id=c.suggestion_id,
                    cue=c.cue_span,
                )
                for c in w.claims.all()
            ),
        )
        for w in works
    ]
    machine = [
        MachineClaim(
            suggestion_id=s.pk,
            sentence_id=s.sentence_id,
            claim=s.claim_span,
            speaker=s.speaker_span,
            speaker_id=s.speaker_id,
            stance=s.stance.value if s.stance_id else None,
            # Stance comes from its own model: a retrained one is tallied apart from the rules.
            model=f"{s.model_name} {s.model_version}" + (f", stance {s.stance_model}" if s.stance_model else ""),
            cue=s.cue_span,
            target=s.stance_target,
        )
        for s in suggestions
    ]
    return compute_agreement(work, machine)
