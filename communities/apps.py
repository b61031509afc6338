from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Communities")

    def ready(self) -> None:
        from . import models

        # A user changed anywhere (a password reset by email, the admin, a command) may change
        # what their pages show or whether they may see them at all: pages kept whole
        # (smm_site/page_cache.py) must not outlive it.
        for signal in (post_save, post_delete):
            signal.connect(_user_changed, sender=models.User, dispatch_uid=f"smm_user_{signal}")


def _user_changed(update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    from smm_site import page_cache

    if update_fields == {"last_login"}:
        return  # a login: its session is new, so nothing was kept for it
    page_cache.bump(page_cache.SITE)
