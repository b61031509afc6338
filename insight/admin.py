"""Admins see every API token and its requests, and can revoke a token (a leaked one, or a
departing evaluator's); nobody can make or edit one here: tokens are made by their owner."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ApiToken, ApiTokenUse


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "start", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "start"]
    readonly_fields = ["user", "name", "start", "created_at", "revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.active():  # type: ignore[attr-defined]
            token.revoke()


@admin.register(ApiTokenUse)
class ApiTokenUseAdmin(admin.ModelAdmin):
    list_display = ["at", "token", "method", "path", "client_ip"]
    search_fields = ["path", "token__name", "token__user__username"]
    list_select_related = ["token"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
