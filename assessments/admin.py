"""Admin for the rubric and rounds. Individual scores are deliberately not registered: the
design promises that named individual scores are shown to their author only, admins included."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Assessment, AuditEvent, Dimension, LevelDescriptor, Rubric
from .rubric_texts import DimensionText, LevelText, RubricTranslation


class LevelDescriptorInline(admin.TabularInline):
    model = LevelDescriptor
    extra = 0


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "is_current", "published_on"]


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "rubric"]
    list_filter = ["rubric"]
    inlines = [LevelDescriptorInline]


class DimensionTextInline(admin.TabularInline):
    model = DimensionText
    extra = 0


class LevelTextInline(admin.TabularInline):
    model = LevelText
    extra = 0
    raw_id_fields = ["descriptor"]


@admin.register(RubricTranslation)
class RubricTranslationAdmin(admin.ModelAdmin):
    list_display = ["rubric", "language", "kind", "approved_at", "approved_by"]
    list_filter = ["language", "kind"]
    # Approval goes through the action, so that it is audited.
    readonly_fields = ["approved_by", "approved_at"]
    inlines = [DimensionTextInline, LevelTextInline]
    actions = ["approve"]

    @admin.action(description=_("Approve the selected translations (reviewed)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[RubricTranslation]) -> None:
        for translation in queryset:
            translation.approve(by=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Approved."), messages.SUCCESS)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "kind", "status", "deadline", "finalised_at"]
    list_filter = ["status", "kind", "community"]
    search_fields = ["title", "community__name"]
    readonly_fields = ["status", "finalised_at", "collection_opened_at", "collection_closed_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "verb", "summary", "actor", "assessment"]
    list_filter = ["verb"]
    search_fields = ["summary"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
