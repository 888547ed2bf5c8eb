"""Authentication: every way a token can be wrong answers 401 problem+json with a challenge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from app.core.config import Settings
from app.security.tokens import TokenError, TokenVerifier, mint, parse_ttl
from tests.conftest import TokenFactory

URL = "/api/v1/regions"


def _claims(**over: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "t",
        "roles": ["viewer"],
        "region": "330500",
        "iss": "mzbrain",
        "aud": "mzbrain",
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(over)
    return claims


async def _status(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.get(URL, headers=headers)


@pytest.mark.parametrize(
    "make",
    [
        lambda s: None,
        lambda s: "",
        lambda s: "not-a-jwt",
        lambda s: jwt.encode(_claims(), "wrong-secret-wrong-secret-wrong-secret!", algorithm="HS256"),
        lambda s: jwt.encode(
            _claims(exp=int((datetime.now(UTC) - timedelta(minutes=5)).timestamp())),
            s.jwt_secret,
            algorithm="HS256",
        ),
        lambda s: jwt.encode(_claims(iss="someone-else"), s.jwt_secret, algorithm="HS256"),
        lambda s: jwt.encode(_claims(aud="someone-else"), s.jwt_secret, algorithm="HS256"),
        lambda s: jwt.encode(_claims(roles=["superuser"]), s.jwt_secret, algorithm="HS256"),
        lambda s: jwt.encode(_claims(region="33"), s.jwt_secret, algorithm="HS256"),
        lambda s: jwt.encode(
            {k: v for k, v in _claims().items() if k != "exp"}, s.jwt_secret, algorithm="HS256"
        ),
        lambda s: jwt.encode(
            _claims(nbf=int((datetime.now(UTC) + timedelta(hours=1)).timestamp())),
            s.jwt_secret,
            algorithm="HS256",
        ),
        lambda s: jwt.encode(_claims(), "", algorithm="none"),
    ],
    ids=[
        "missing",
        "empty",
        "malformed",
        "bad-signature",
        "expired",
        "issuer",
        "audience",
        "unknown-role",
        "bad-region",
        "no-exp",
        "not-yet-valid",
        "alg-none",
    ],
)
async def test_bad_tokens_are_401(client: httpx.AsyncClient, settings: Settings, make) -> None:
    r = await _status(client, make(settings))
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_a_minted_token_works(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    assert (await client.get(URL, headers=auth("viewer"))).status_code == 200


def test_leeway_accepts_a_just_expired_token(settings: Settings) -> None:
    token = mint(
        settings,
        sub="a",
        roles=["viewer"],
        region="330500",
        ttl=timedelta(seconds=60),
        now=datetime.now(UTC) - timedelta(seconds=70),
    )
    assert TokenVerifier(settings).verify(token).sub == "a"


def test_es256_public_keys_verify(tmp_path, settings: Settings) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path = tmp_path / "keys.pem"
    path.write_bytes(pem)
    verifier = TokenVerifier(settings.model_copy(update={"jwt_public_keys": str(path)}))
    good = jwt.encode(_claims(sub="idp-user"), key, algorithm="ES256")
    assert verifier.verify(good).sub == "idp-user"
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(TokenError):
        verifier.verify(jwt.encode(_claims(), other, algorithm="ES256"))


def test_rs256_keys_from_a_jwks_file_verify(tmp_path, settings: Settings) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    entry = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**entry, "kid": "idp-2026", "alg": "RS256", "use": "sig"}]}))
    verifier = TokenVerifier(settings.model_copy(update={"jwt_jwks_file": str(path)}))
    good = jwt.encode(_claims(sub="idp-user"), key, algorithm="RS256", headers={"kid": "idp-2026"})
    assert verifier.verify(good).sub == "idp-user"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenError):
        verifier.verify(jwt.encode(_claims(), stranger, algorithm="RS256", headers={"kid": "idp-2026"}))


def test_ttl_parsing() -> None:
    assert parse_ttl("8h") == timedelta(hours=8)
    assert parse_ttl("90s") == timedelta(seconds=90)
    with pytest.raises(ValueError, match="TTL"):
        parse_ttl("eight hours")


async def test_denials_are_audited(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    await client.get(URL, headers={"Authorization": "Bearer nonsense", "X-Request-ID": "deny-401-probe"})
    await client.post(
        URL,
        json={"code": "330502001299", "name": "x"},
        headers={**auth("viewer", sub="deny-403-probe"), "X-Request-ID": "deny-403-probe"},
    )
    events = (
        await client.get(
            "/api/v1/audit/events", params={"outcome": "denied", "limit": 500}, headers=auth("auditor")
        )
    ).json()["items"]
    by_request = {e["request_id"]: e for e in events}
    assert by_request["deny-401-probe"]["action"] == "auth.denied"
    assert by_request["deny-401-probe"]["details"]["status"] == 401
    assert by_request["deny-403-probe"]["action"] == "access.denied"
    assert by_request["deny-403-probe"]["actor_sub"] == "deny-403-probe"
    assert by_request["deny-403-probe"]["details"]["route"] == "/api/v1/regions"
