"""Links derived from a server key: `<code>.<version>.<mac>`, so they can be shown again.

A personal link (or a room link) is not a stored secret but an HMAC, under `SMM_LINK_KEY`, of
what it opens (a participant's or a round's code) and that thing's link version. Nothing secret
is kept in the database, yet the facilitator can see and copy the same link at any time, and
sending a reminder never changes it. Revoking bumps the version: the older link's MAC still
checks out, which is how its page can say "revoked" rather than "unknown".

Keys rotate like Django's SECRET_KEY: links are made with the first key and accepted under any
key of `SMM_LINK_KEY_FALLBACKS` too. Without `SMM_LINK_KEY` the key is derived from SECRET_KEY
(and SECRET_KEY_FALLBACKS) with a salt of its own, so a link never reveals anything about the
key that signs sessions. No Django model is imported here: models and views both use it.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.utils.crypto import salted_hmac

PERSONAL = "participant"
ROOM = "room"
# 128 bits of MAC: a guess succeeds with probability 2**-128, and lookups are rate limited.
MAC_BYTES = 16
_SALT = "smm.assessments.link_tokens.key"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derived(secret: str) -> bytes:
    return salted_hmac(_SALT, "personal links", secret=secret, algorithm="sha256").digest()


def _as_key(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def signing_key() -> bytes:
    """The key new links are made with."""
    if settings.SMM_LINK_KEY:
        return _as_key(settings.SMM_LINK_KEY)
    return _derived(settings.SECRET_KEY)


def verifying_keys() -> list[bytes]:
    """Every key a link is accepted under: the signing key first, then the fallbacks."""
    keys = [signing_key(), *(_as_key(k) for k in settings.SMM_LINK_KEY_FALLBACKS)]
    if not settings.SMM_LINK_KEY:
        # The default key follows SECRET_KEY, so it rotates with SECRET_KEY_FALLBACKS too.
        keys += [_derived(k) for k in getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return keys


def _mac(key: bytes, purpose: str, code: uuid.UUID, version: int) -> bytes:
    message = f"smm-link:{purpose}:{code.hex}:{version}".encode()
    return hmac.new(key, message, sha256).digest()[:MAC_BYTES]


def make_token(purpose: str, code: uuid.UUID, version: int) -> str:
    mac = _mac(signing_key(), purpose, code, version)
    return f"{_b64(code.bytes)}.{version}.{_b64(mac)}"


@dataclass(frozen=True)
class Parsed:
    code: uuid.UUID
    version: int
    mac: bytes


def parse_token(token: str) -> Parsed | None:
    """The parts of a derived link, or None when `token` is not one (an older hashed link)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    code_part, version_part, mac_part = parts
    if len(code_part) != 22 or len(mac_part) != 22:
        return None
    # isascii: "²".isdigit() is true, but int("²") fails; and no version of 5,000 digits.
    if not (version_part.isascii() and version_part.isdigit() and len(version_part) <= 9):
        return None
    try:
        code = uuid.UUID(bytes=_unb64(code_part))
        mac = _unb64(mac_part)
    except ValueError:  # binascii.Error is a ValueError; so is a wrong length
        return None
    if len(mac) != MAC_BYTES:
        return None
    return Parsed(code=code, version=int(version_part), mac=mac)


def is_genuine(purpose: str, parsed: Parsed) -> bool:
    """Whether the link was made by us (under any accepted key), whatever its version."""
    found = False
    for key in verifying_keys():
        # Every key is tried, so the time taken does not say which one matched.
        found |= hmac.compare_digest(_mac(key, purpose, parsed.code, parsed.version), parsed.mac)
    return found
