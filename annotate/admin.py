"""Django admin for projects, people and documents. Document texts are read-only: spans point into them."""
from django.contrib import admin

from annotate.models import AuditEvent, Document, Membership, Project, Sentence, Speaker, StanceLabel


class StanceLabelInline(admin.TabularInline):
    model = StanceLabel
    extra = 0

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retire a label instead; labels in use are protected anyway


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "stance_target", "created_at"]
    search_fields = ["name", "description", "stance_target"]
    inlines = [StanceLabelInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "author", "published", "created_at"]
    list_filter = ["project", "published"]
    search_fields = ["title", "author", "source_url", "text"]
    readonly_fields = ["text", "text_sha256", "created_by", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # documents come in through the import, which splits and pre-annotates them


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "document"]
    list_filter = ["kind"]
    search_fields = ["name", "document__title"]
    raw_id_fields = ["document"]


@admin.register(Sentence)
class SentenceAdmin(admin.ModelAdmin):
    list_display = ["document", "index", "start", "end"]
    search_fields = ["document__title"]
    readonly_fields = ["document", "index", "start", "end"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "project"]
    search_fields = ["object_id", "actor__username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
