"""Django admin for projects, people and documents. Document texts are read-only: spans point into them.

Changes made here go to ClaimDesk's append-only audit trail like every other change.
"""
from collections.abc import Callable
from functools import reduce

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet, model_to_dict

from annotate.models import (
    Assignment,
    AuditEvent,
    Comment,
    Document,
    ImportJob,
    Membership,
    Project,
    Role,
    Sentence,
    Speaker,
    StanceLabel,
    StanceModel,
    infer_label_meaning,
    speaker_key,
    tidy_line,
)
from annotate.services.audit import audit_event, audit_record, audit_record_many
from annotate.services.preannotation import resuggest_toward_new_target
from annotate.services.projects import give_project_defaults


def _jsonable(values: dict) -> dict:
    return {key: value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
            for key, value in values.items()}


def _project_path(model: type[models.Model]) -> str | None:
    """The lookup from a row of `model` to its project (through its document or sentence if
    need be); None for a project itself."""
    if model is Project:
        return None
    fields = {field.name for field in model._meta.get_fields()}
    if "project" in fields:
        return "project"
    return "document__project" if "document" in fields else "sentence__document__project"


def _project_of(obj: models.Model) -> Project:
    """The project an audited row belongs to."""
    path = _project_path(type(obj))
    return obj if path is None else reduce(getattr, path.split("__"), obj)


def administered_projects(request) -> frozenset[int]:
    """The ids of the projects the request's user is an admin of; read once per request. None
    for a visitor not logged in (the admin's log-in page asks as it draws its menu)."""
    if not request.user.is_authenticated:
        return frozenset()
    if not hasattr(request, "_administered_projects"):
        request._administered_projects = frozenset(
            Membership.objects.filter(user=request.user, role=Role.ADMIN).values_list("project_id", flat=True)
        )
    return request._administered_projects


class NoSwapFormSet(BaseInlineFormSet):
    """Rows of a project's page whose `swap_fields` are unique per project. Two rows trading
    values in one save ("Support" to key 2 and "Oppose" to key 1) end unique, but the database
    checks each row as it is saved, so the first save failed with a 500 (QA12): said in words."""

    swap_fields: tuple[str, ...] = ()

    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.instance.pk is not None and f.is_valid() and not self._should_delete_form(f)]
        for field in self.swap_fields:
            held = {f.initial.get(field): f for f in kept}
            for moved in kept:
                old, new = moved.initial.get(field), _value(moved, field)
                other = held.get(new)
                if new != old and other is not None and other is not moved and _value(other, field) != new:
                    name = self.model._meta.get_field(field).verbose_name
                    raise ValidationError(
                        f"Two rows trade their {name} in one save, which the database refuses row by row: "
                        f"first give one of them a {name} nobody has, save, then make the second change."
                    )


class ByProjectRole:
    """View, change and delete as Django's permissions allow for a superuser, and by project role
    for anyone else (`_may`: whether the row, or the page's project, is one they administer)."""

    def _may(self, request, obj) -> bool:
        raise NotImplementedError

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) if request.user.is_superuser else self._may(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) if request.user.is_superuser else self._may(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) if request.user.is_superuser else self._may(request, obj)


class ProjectScopedInline(ByProjectRole, admin.options.InlineModelAdmin):
    """The rows of a project's page (its labels, its members): a project admin may view, add,
    change and delete them on the pages of their own projects (`ProjectScoped`)."""

    def _may(self, request, obj) -> bool:
        projects = administered_projects(request)
        return bool(projects) and (obj is None or obj.pk in projects)  # obj: the page's project

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) if request.user.is_superuser else self._may(request, obj)


class ProjectScoped(ByProjectRole, admin.ModelAdmin):
    """A superuser sees and changes everything, as Django's permissions allow. Anyone else sees
    and changes only the rows of the projects they administer, whatever Django permissions they
    hold: a project's admin manages its labels, people and documents here, and staff who are
    only annotators somewhere can neither see other projects nor raise their own role (QA11)."""

    def _may(self, request, obj) -> bool:
        projects = administered_projects(request)
        return bool(projects) and (obj is None or _project_of(obj).pk in projects)

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        path = _project_path(self.model)
        return rows.filter(**{"pk__in" if path is None else f"{path}__in": administered_projects(request)})

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) if request.user.is_superuser else bool(administered_projects(request))

    def has_add_permission(self, request) -> bool:
        # A new row must belong to a project the user administers (see formfield_for_foreignkey);
        # a new project is for superusers.
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self.model is not Project and bool(administered_projects(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Project and not request.user.is_superuser:
            kwargs["queryset"] = Project.objects.filter(pk__in=administered_projects(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_autocomplete_fields(self, request):
        # The user search asks Django's own user admin, which a project admin may not use: a
        # plain list of accounts instead.
        fields = super().get_autocomplete_fields(request)
        return fields if request.user.is_superuser else [f for f in fields if f != "user"]


class AuditedAdmin(ProjectScoped):
    """Records every save and delete made in the admin, with the changed fields before and after."""

    def save_model(self, request, obj, form, change) -> None:
        # A new row is recorded whole: a field left at its default is no change, but part of it
        # (QA16: a new member's role, a new project's guideline, were missing).
        fields = list(form.changed_data) if change else None
        before = _jsonable(model_to_dict(type(obj).objects.get(pk=obj.pk), fields=fields)) if change else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(project=_project_of(obj), actor=request.user, obj=obj,
                         action=f"{type(obj).__name__.lower()}.{'change' if change else 'add'}",
                         before=before, after=_jsonable(model_to_dict(obj, fields=fields)))

    def save_formset(self, request, form, formset, change) -> None:
        with transaction.atomic():
            for deleted in formset.deleted_forms:
                if deleted.instance.pk:
                    audit_record(project=_project_of(deleted.instance), actor=request.user, obj=deleted.instance,
                                 action=f"{type(deleted.instance).__name__.lower()}.delete",
                                 before=_jsonable(model_to_dict(deleted.instance)))
            for inline_form in formset.forms:
                if inline_form in formset.deleted_forms or not inline_form.has_changed() or inline_form.instance.pk is None and not inline_form.cleaned_data:
                    continue
                instance = inline_form.instance
                fields = list(inline_form.changed_data) if instance.pk else None  # a new row whole, as above
                before = (_jsonable(model_to_dict(type(instance).objects.get(pk=instance.pk), fields=fields))
                          if instance.pk else None)
                inline_form.audit = (instance.pk is not None, fields, before)
            super().save_formset(request, form, formset, change)
            # Only what was saved: a form Django passed over (a row id posted by hand that is no
            # row of this page) is no change to record (QA12).
            saved = {id(obj) for obj in formset.new_objects} | {id(obj) for obj, _ in formset.changed_objects}
            for inline_form in formset.forms:
                if not hasattr(inline_form, "audit") or id(inline_form.instance) not in saved:
                    continue
                existed, fields, before = inline_form.audit
                instance = inline_form.instance
                audit_record(project=_project_of(instance), actor=request.user, obj=instance,
                             action=f"{type(instance).__name__.lower()}.{'change' if existed else 'add'}",
                             before=before, after=_jsonable(model_to_dict(instance, fields=fields)))

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            audit_record_many([self._delete_event(request, obj)])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        """The list page's "Delete selected": each row is audited, as from its own page. The
        rows come with their projects (and many-to-many values) and their events are written
        in one INSERT, so the queries do not grow with the number of rows."""
        path = _project_path(queryset.model)
        rows = queryset.select_related(path) if path is not None else queryset
        rows = rows.prefetch_related(*(field.name for field in queryset.model._meta.many_to_many))
        with transaction.atomic():
            audit_record_many(self._delete_event(request, obj) for obj in rows)
            super().delete_queryset(request, queryset)

    @staticmethod
    def _delete_event(request, obj) -> AuditEvent:
        return audit_event(project=_project_of(obj), actor=request.user, obj=obj,
                           action=f"{type(obj).__name__.lower()}.delete", before=_jsonable(model_to_dict(obj)))


def _value(form, field: str):
    """A form's new value of `field`, as its initial value is kept (a related row by its pk)."""
    value = form.cleaned_data.get(field)
    return getattr(value, "pk", value)


class StanceLabelFormSet(NoSwapFormSet):
    swap_fields = ("key",)

    def clean(self) -> None:
        super().clean()
        # QA: "Neutral" beside "neutral", or "Neutral" twice, was taken: the review page offered
        # two "Neutral"s, and exports carried values nobody could tell apart. The database refuses
        # such values too, but Django does not check that constraint on these rows (the form has no
        # `project` field), so it would be a 500, not words.
        rows = [f for f in self.forms if f.is_valid() and f.cleaned_data and not self._should_delete_form(f)]
        problems = []
        for first, second in _clashes(rows, lambda f: f.cleaned_data["value"].lower()):
            # A stored label's value never changes: at least one of the two is new (`_clashes`
            # gives the stored one, which comes first on the page, first).
            problems.append(f"The values “{first.cleaned_data['value']}” and “{second.cleaned_data['value']}” differ "
                            "only in case: exports could not tell their work apart. Give the new label another "
                            f"value than “{second.cleaned_data['value']}”.")
        # Among the labels offered: a retired one may keep the name of the one that replaces it,
        # as retiring is how a label in use is replaced, and it is marked "(retired)" wherever it
        # shows. Names are one by `speaker_key`'s rule (case, spacing, Unicode form, invisible
        # characters), as people's names are.
        offered = [f for f in rows if not f.cleaned_data.get("retired")]
        for first, second in _clashes(offered, lambda f: speaker_key(f.cleaned_data["name"])):
            names = [first.cleaned_data["name"], second.cleaned_data["name"]]
            named = f"“{names[0]}”" if names[0] == names[1] else f"“{names[0]}” and “{names[1]}”, one name but for case or spacing"
            problems.append(f"There are two labels named {named}: annotators could not tell them apart. Rename one, "
                            "or tick “retired” on the one no longer to offer.")
        if problems:
            raise ValidationError(problems)


def _clashes(rows: list[forms.Form], key: Callable[[forms.Form], str]) -> list[tuple[forms.Form, forms.Form]]:
    """(the first form of each `key`, a later form with the same key), for every such later form."""
    first: dict[str, forms.Form] = {}
    clashes = []
    for form in rows:
        found = first.setdefault(key(form), form)
        if found is not form:
            clashes.append((found, form))
    return clashes


class MembershipFormSet(NoSwapFormSet):
    swap_fields = ("user",)


class StanceLabelForm(forms.ModelForm):
    class Meta:
        model = StanceLabel
        fields = ["value", "name", "key", "color", "meaning", "retired"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The value is what stored labels and exports carry: rename the name, never the value.
            self.fields["value"].disabled = True

    def clean_name(self) -> str:
        # As a title: "Neutral\u200b" or "Neu  tral" would look like "Neutral" (`tidy_line`).
        name = tidy_line(self.cleaned_data["name"])
        if not name:
            raise ValidationError("The name shows nothing visible: annotators see it.")
        return name

    def clean(self):
        cleaned = super().clean()
        # A new label left without a meaning takes the one its words make plain ("pro", "Contra"):
        # without one the rules would never suggest it, which QA13 met as a project of
        # "pro / contra / unclear" getting no stance at all.
        if self.instance.pk is None and not cleaned.get("meaning"):
            cleaned["meaning"] = infer_label_meaning(cleaned.get("value") or "", cleaned.get("name") or "")
        return cleaned


class StanceLabelInline(ProjectScopedInline, admin.TabularInline):
    model = StanceLabel
    form = StanceLabelForm
    formset = StanceLabelFormSet
    extra = 0
    # A label no suggestion or annotation uses may be deleted (a typo). One in use is
    # protected by the database (on_delete=PROTECT) and the admin refuses it; the refusal
    # says what to do instead of listing every protected suggestion.

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelForm(formset.form):
            def hand_clean_DELETE(self) -> None:
                try:
                    super().hand_clean_DELETE()
                except ValidationError:
                    raise ValidationError(
                        f"“{self.instance.name}” is used by suggestions or annotations, so it cannot be deleted; "
                        "rename it, or tick “retired” to stop offering it."
                    ) from None

        formset.form = LabelForm
        return formset


class MembershipInline(ProjectScopedInline, admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]

    def get_autocomplete_fields(self, request):
        # As in ProjectScoped: a project admin picks from a plain list of accounts.
        return super().get_autocomplete_fields(request) if request.user.is_superuser else []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "project")  # not one query per row


class ResuggestsTowardNewTarget:
    """A changed stance target re-makes the suggestions toward it: they went on judging the old
    one, and Enter would have saved a stance given toward it (QA16). Saved work keeps its stances,
    and the admin is told how much of it there is."""

    def documents_toward(self, obj) -> list[int]:
        """Ids of the documents whose stance target is `obj`'s."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # Compared as stored: a zero-width space typed into an empty target is still no target.
        if not (change and "stance_target" in form.changed_data
                and obj.stance_target != form.initial.get("stance_target")):
            return
        documents = self.documents_toward(obj)
        project = obj.project if isinstance(obj, Document) else obj
        with_work = resuggest_toward_new_target(project, documents, by=request.user)
        target = obj.effective_target if isinstance(obj, Document) else obj.stance_target
        message = (f"The stance target is now “{target}”: the suggestions of {len(documents)} document(s) are re-made "
                   "toward it (by the task worker, if one runs; the project page shows how far it is).")
        if with_work:
            message += (f" {with_work} sentence(s) with saved work keep their stances, given toward the earlier "
                        "target: review them if the change matters.")
        messages.info(request, message)


@admin.register(Project)
class ProjectAdmin(ResuggestsTowardNewTarget, AuditedAdmin):
    list_display = ["name", "stance_target", "created_at"]
    search_fields = ["name", "description", "stance_target"]
    inlines = [StanceLabelInline, MembershipInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if not change:  # a project made here starts like one made anywhere else
            give_project_defaults(form.instance, created_by=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a project's history is kept for good; export it, then remove its members

    def documents_toward(self, obj: Project) -> list[int]:
        return list(obj.documents.filter(stance_target="").values_list("pk", flat=True))  # the others have their own


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Document)
class DocumentAdmin(ResuggestsTowardNewTarget, AuditedAdmin):
    list_display = ["title", "project", "author", "published", "created_at"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter), "published"]
    search_fields = ["title", "author", "source_url", "text"]
    # The project too: moving a document would carry its work and suggestions, whose labels
    # belong to the old project, into another one.
    readonly_fields = ["project", "text", "text_sha256", "created_by", "created_at"]
    date_hierarchy = "created_at"
    # A source link typed without a scheme is https (Django 6's default; 5.2 warns until told).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request) -> bool:
        return False  # documents come in through the import, which splits and pre-annotates them

    def documents_toward(self, obj: Document) -> list[int]:
        return [obj.pk]


class DeletedOnlyWithTheirDocument:
    """Rows that go only with their document: no delete page or bulk action of their own. (The
    delete permission itself stays: without it Django would refuse to delete a document.)"""

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied("This goes only with its document.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "show_delete": False})

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Speaker)
class SpeakerAdmin(DeletedOnlyWithTheirDocument, ProjectScoped):
    """Shown only: reviewers rename and merge speakers on the review page (`m`), where every
    claim follows and each change is audited; deleting one would strip it from claims."""

    list_display = ["name", "kind", "document"]
    list_filter = ["kind"]
    search_fields = ["name", "document__title"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Sentence)
class SentenceAdmin(DeletedOnlyWithTheirDocument, ProjectScoped):
    """Shown only: sentences are the document's structure, and people's work hangs on them."""

    list_display = ["document", "index", "start", "end"]
    search_fields = ["document__title"]
    readonly_fields = ["document", "index", "start", "end"]

    def has_add_permission(self, request) -> bool:
        return False



@admin.register(AuditEvent)
class AuditEventAdmin(ProjectScoped):
    list_display = ["created_at", "project", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_id", "actor__username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(AuditedAdmin):
    """Rows the app writes through its services; the admin shows them, and a deletion (an
    assignment undone, a model withdrawn) is audited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["document", "annotator", "assigned_by", "created_at"]
    list_filter = [("document__project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["document__title", "annotator__username"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["sentence", "author", "created_at", "resolved_at"]
    list_filter = [("sentence__document__project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["text", "author__username"]


@admin.register(StanceModel)
class StanceModelAdmin(ReadOnlyAdmin):
    list_display = ["project", "version", "status", "is_active", "created_at", "finished_at"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter), "status", "is_active"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["project", "source", "status", "processed", "total", "created_at"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter), "status"]
    exclude = ["documents"]


class SuperusersOnly:
    """Accounts and groups are for superusers alone: a staff account holding Django's user
    permissions could otherwise make itself a superuser and reach every project (QA12)."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)


class AccountAdmin(SuperusersOnly, UserAdmin):
    pass


class GroupsAdmin(SuperusersOnly, GroupAdmin):
    pass


for _model, _admin in ((get_user_model(), AccountAdmin), (Group, GroupsAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)
