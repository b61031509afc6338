from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Communities")

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from .two_factor import device_saved

        for model in (TOTPDevice, StaticDevice):
            post_save.connect(device_saved, sender=model, dispatch_uid=f"two-factor-{model}")
