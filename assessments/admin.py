"""Admin for the rubric and rounds. Individual scores are deliberately not registered: the
design promises that named individual scores are shown to their author only, admins included."""

from django.contrib import admin

from .models import Assessment, AuditEvent, Dimension, LevelDescriptor, Rubric


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
