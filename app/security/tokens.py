"""Bearer JWTs: verification against the configured keys, and minting for development.

HS256 with ``MZ_JWT_SECRET`` (in production only when it is set explicitly: the development
value is never a key there); RS256/ES256 with public keys given as PEM (``MZ_JWT_PUBLIC_KEYS``:
inline PEM text or a file path) or a JWKS file (``MZ_JWT_JWKS_FILE``). Issuer and audience are
checked, ``exp`` is required, ``exp``/``nbf`` get a small leeway.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK

from app.core.config import Settings
from app.core.validators import normalize_region_code
from app.security.principal import ROLES, Principal

_ASYMMETRIC = ("RS256", "ES256")


class TokenError(Exception):
    """The token is missing, malformed, badly signed, expired or lacks a claim."""


@dataclass(frozen=True, slots=True)
class _Key:
    key: Any
    algorithms: tuple[str, ...]
    kid: str | None = None


def _pem_blocks(text: str) -> list[str]:
    blocks, current = [], []
    for line in text.splitlines():
        current.append(line)
        if line.startswith("-----END"):
            blocks.append("\n".join(current) + "\n")
            current = []
    return blocks


def _load_keys(settings: Settings) -> list[_Key]:
    keys: list[_Key] = []
    secret = settings.hs256_secret()
    if secret:
        keys.append(_Key(secret, ("HS256",)))
    if settings.jwt_public_keys:
        text = settings.jwt_public_keys
        if "-----BEGIN" not in text:
            text = Path(text).read_text(encoding="utf-8")
        keys.extend(_Key(block, _ASYMMETRIC) for block in _pem_blocks(text))
    if settings.jwt_jwks_file:
        doc = json.loads(Path(settings.jwt_jwks_file).read_text(encoding="utf-8"))
        for entry in doc.get("keys", []):
            jwk = PyJWK(entry)
            alg = entry.get("alg") or ("ES256" if entry.get("kty") == "EC" else "RS256")
            keys.append(_Key(jwk.key, (alg,), entry.get("kid")))
    return keys


class TokenVerifier:
    """Verifies tokens; a verified token is remembered until it expires, since clients send
    the same token with every request and a signature check costs more than the request's
    own work."""

    _CACHE_SIZE = 4096

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = _load_keys(settings)
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None:
            principal, expires = cached
            if time.time() < expires + self.settings.jwt_leeway_s:
                self._cache.move_to_end(token)
                return principal
            del self._cache[token]
        principal, expires = self._verify(token)
        self._cache[token] = (principal, expires)
        if len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        alg = header.get("alg")
        kid = header.get("kid")
        candidates = [
            k for k in self.keys if alg in k.algorithms and (k.kid is None or kid is None or k.kid == kid)
        ]
        if not candidates:
            raise TokenError("token signed with an algorithm or key this node does not accept")
        last: Exception | None = None
        for candidate in candidates:
            try:
                claims = jwt.decode(
                    token,
                    candidate.key,
                    algorithms=list(candidate.algorithms),
                    audience=self.settings.jwt_audience,
                    issuer=self.settings.jwt_issuer,
                    leeway=self.settings.jwt_leeway_s,
                    options={"require": ["exp", "sub", "iss", "aud"]},
                )
                return _principal(claims), float(claims["exp"])
            except jwt.ExpiredSignatureError:
                raise TokenError("token expired") from None
            except jwt.InvalidSignatureError as exc:
                last = exc
            except jwt.PyJWTError as exc:
                raise TokenError(f"invalid token: {exc}") from None
        raise TokenError("token signature does not verify") from last


def _principal(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles")
    if isinstance(roles, str):
        roles = roles.split()
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise TokenError("token claim 'roles' must be a list of role names")
    known = tuple(r for r in roles if r in ROLES)
    if not known:
        raise TokenError("token carries no known role")
    try:
        region = normalize_region_code(str(claims.get("region", "")))
    except ValueError:
        raise TokenError("token claim 'region' must be a region code") from None
    return Principal(
        sub=str(claims["sub"]),
        roles=known,
        region=region,
        name=str(claims.get("name", "")),
        token_id=claims.get("jti"),
    )


def mint(
    settings: Settings,
    *,
    sub: str,
    roles: list[str],
    region: str,
    name: str = "",
    ttl: timedelta | None = None,
    now: datetime | None = None,
) -> str:
    """An HS256 token signed with the configured secret (development and service accounts)."""
    secret = settings.hs256_secret()
    if secret is None:
        raise ValueError("HS256 is off on this node: set MZ_JWT_SECRET to mint tokens")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(unknown)}")
    issued = now or datetime.now(UTC)
    claims = {
        "sub": sub,
        "name": name or sub,
        "roles": roles,
        "region": normalize_region_code(region),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + (ttl or timedelta(seconds=settings.jwt_default_ttl_s))).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def parse_ttl(text: str) -> timedelta:
    """``90s``, ``15m``, ``8h`` or ``30d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if not text or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError("TTL must look like 90s, 15m, 8h or 30d")
    return timedelta(seconds=int(text[:-1]) * units[text[-1]])
