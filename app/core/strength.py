"""What ``MZ_ENV=production`` refuses: development secrets and weak ones.

Each finding names the setting at fault, so an operator fixes every one in a single pass. The
checks never print a secret's value, only its length or why it is refused.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Protocol

from app.core.defaults import DEV_CURSOR_SECRET, DEV_JWT_SECRET, DEV_PII_INDEX_KEY, DEV_PII_KEY


class Secrets(Protocol):
    """The settings the production checks read (``app.core.config.Settings`` has them all)."""

    @property
    def cursor_secret(self) -> str: ...
    @property
    def jwt_jwks_file(self) -> str: ...
    @property
    def jwt_public_keys(self) -> str: ...
    @property
    def jwt_secret(self) -> str: ...
    @property
    def metrics_token(self) -> str: ...
    @property
    def model_fields_set(self) -> set[str]: ...
    @property
    def pii_index_key(self) -> str: ...
    @property
    def pii_keys(self) -> Mapping[str, str]: ...
    @property
    def test_clock(self) -> bool: ...


HMAC_MIN_BYTES = 32
"""HMAC-SHA256 keys (JWT HS256, blind index, cursor signatures) carry at least the hash's size."""

PII_KEY_BYTES = 32
"""AES-256-GCM: a PII key is exactly 32 random bytes (base64 in ``MZ_PII_KEYS``)."""

_MIN_DISTINCT_BYTES = 16
"""32 random bytes hold about 30 distinct byte values; fewer than 16 means a pattern, not a key."""


def _length_problem(name: str, value: str) -> str | None:
    size = len(value.encode())
    if size < HMAC_MIN_BYTES:
        return f"{name}: {size} bytes; at least {HMAC_MIN_BYTES} random bytes are needed"
    return None


def _pii_key_problem(kid: str, value: str, dev_keys: set[bytes]) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return f"MZ_PII_KEYS: key {kid!r} is not base64"
    if raw in dev_keys:
        return f"MZ_PII_KEYS: key {kid!r} is the development key"
    if len(raw) != PII_KEY_BYTES:
        return f"MZ_PII_KEYS: key {kid!r} is {len(raw)} bytes; exactly {PII_KEY_BYTES} random bytes needed"
    if len(set(raw)) < _MIN_DISTINCT_BYTES:
        return f"MZ_PII_KEYS: key {kid!r} is a pattern, not {PII_KEY_BYTES} random bytes"
    return None


def production_problems(settings: Secrets) -> list[str]:
    """Every reason the settings are unfit for production (empty when they are fit)."""
    dev_values = {DEV_JWT_SECRET, DEV_PII_INDEX_KEY, DEV_CURSOR_SECRET, DEV_PII_KEY}
    problems: list[str] = []

    asymmetric = bool(settings.jwt_public_keys or settings.jwt_jwks_file)
    explicit_secret = "jwt_secret" in settings.model_fields_set and settings.jwt_secret != ""
    if explicit_secret and settings.jwt_secret in dev_values:
        problems.append("MZ_JWT_SECRET: is a development value")
    elif explicit_secret:
        problems.append(_length_problem("MZ_JWT_SECRET", settings.jwt_secret) or "")
    elif not asymmetric:
        problems.append(
            "MZ_JWT_SECRET: not set, and neither MZ_JWT_PUBLIC_KEYS nor MZ_JWT_JWKS_FILE is: "
            "no token could be verified"
        )

    dev_keys = {base64.b64decode(DEV_PII_KEY)}
    for kid, value in sorted(settings.pii_keys.items()):
        problems.append(_pii_key_problem(kid, value, dev_keys) or "")

    for name, value in (
        ("MZ_PII_INDEX_KEY", settings.pii_index_key),
        ("MZ_CURSOR_SECRET", settings.cursor_secret),
    ):
        if value in dev_values:
            problems.append(f"{name}: is a development value")
        else:
            problems.append(_length_problem(name, value) or "")

    if settings.metrics_token:
        if settings.metrics_token in dev_values:
            problems.append("MZ_METRICS_TOKEN: is a development value")
        else:
            problems.append(_length_problem("MZ_METRICS_TOKEN", settings.metrics_token) or "")
    if settings.test_clock:
        problems.append("MZ_TEST_CLOCK: the clock is not settable in production")
    return [p for p in problems if p]
