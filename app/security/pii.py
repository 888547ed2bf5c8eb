"""Personal data at rest: AES-GCM encryption, keyed blind indexes, and masking.

A ciphertext is ``<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``; the field kind is bound as
associated data, so an ID-number ciphertext cannot be passed off as a phone number. The blind
index is HMAC-SHA256 under a separate key, so equality look-ups need no decryption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.config import Settings
from app.core.validators import canonical_identity_text

IDENTITY_KINDS = frozenset({"id_number", "phone", "uscc"})
"""PII kinds holding identity text, indexed on its canonical form."""


class PiiError(Exception):
    """A ciphertext names an unknown key or fails authentication."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PiiCipher:
    def __init__(self, keys: dict[str, bytes], active: str, index_key: bytes) -> None:
        for kid, key in keys.items():
            if len(key) not in (16, 24, 32):
                raise ValueError(f"PII key {kid!r} must be 16, 24 or 32 bytes")
            if ":" in kid:
                raise ValueError("PII key ids may not contain ':'")
        if active not in keys:
            raise ValueError("active PII key is not among the keys")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active = active
        self._index_key = index_key
        # The keyed state of the blind-index HMAC, copied for each value (cheaper than a new one).
        self._index_mac = hmac.new(index_key, digestmod=hashlib.sha256)

    @classmethod
    def from_settings(cls, settings: Settings) -> PiiCipher:
        keys = {kid: base64.b64decode(value) for kid, value in settings.pii_keys.items()}
        return cls(keys, settings.pii_active_key, settings.pii_index_key.encode())

    def encrypt(self, kind: str, plain: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead[self.active].encrypt(nonce, plain.encode(), kind.encode())
        return f"{self.active}:" + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def decrypt(self, kind: str, token: str) -> str:
        kid, _, body = token.partition(":")
        aead = self._aead.get(kid)
        if aead is None:
            raise PiiError(f"unknown PII key id {kid!r}")
        raw = _b64decode(body)
        try:
            return aead.decrypt(raw[:12], raw[12:], kind.encode()).decode()
        except InvalidTag:
            raise PiiError("PII ciphertext failed authentication") from None

    @staticmethod
    def key_id(token: str) -> str:
        return token.partition(":")[0]

    def needs_rotation(self, token: str) -> bool:
        return self.key_id(token) != self.active

    def reencrypt(self, kind: str, token: str) -> str:
        return self.encrypt(kind, self.decrypt(kind, token))

    def blind_index(self, kind: str, plain: str) -> str:
        """HMAC of the value; identity text is indexed on its canonical form, so spellings of
        one number (full-width, spaced, hyphenated) share an index."""
        if kind in IDENTITY_KINDS:
            plain = canonical_identity_text(plain)
        mac = self._index_mac.copy()
        mac.update(f"{kind}:{plain}".encode())
        return mac.hexdigest()


def mask_id_number(value: str) -> str:
    """``330502********123X``: the registration region and the last four stay visible."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张*`` / ``欧阳**``: the family name stays, the rest is hidden (for public pages)."""
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)
