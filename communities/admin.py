from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Community, FocalIssue, Membership, Organisation, Stakeholder, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "is_superuser", "is_active"]
    list_filter = ["role", "is_superuser", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("smm", {"fields": ["role"]}))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "nation", "local_authority", "is_demo"]
    list_filter = ["nation", "is_demo"]
    search_fields = ["name", "local_authority"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(FocalIssue)
class FocalIssueAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "area", "status", "started_on", "ended_on"]
    list_filter = ["status", "area", "community"]
    search_fields = ["title", "area", "community__name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "sector", "is_active"]
    list_filter = ["sector", "is_active", "community"]
    search_fields = ["name", "community__name"]


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "organisation", "sector", "role", "is_active"]
    list_filter = ["sector", "is_active", "community"]
    search_fields = ["name", "email", "organisation__name"]
    list_select_related = ["community", "organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "community", "is_local_lead"]
    list_filter = ["community", "is_local_lead"]
    search_fields = ["user__username", "community__name"]
