"""Site-wide middleware: request ids for the logs, and a Permissions-Policy header."""

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from .logging import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is reused only if it is short and plain, so nobody can forge log lines with it.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Gives every request an id, logs it with every record and returns it in X-Request-ID.

    A trusted proxy (nginx ``$request_id``, a load balancer) may send its own id; we keep it so
    one request can be followed from the proxy's log to ours.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs 4xx/5xx responses ("Not Found: ...") after the
        # middleware has returned. request_finished (below) clears it once the response is sent.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="smm_clear_request_id")
def _clear_request_id(**kwargs: object) -> None:
    request_id_var.set("-")


class PermissionsPolicyMiddleware:
    """Turns off browser features the app never uses (Django has no setting for this header)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in settings.SMM_PERMISSIONS_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
