"""Every problem the app can raise keeps the members RFC 9457 defines: ``status`` is the HTTP
code (an integer) and no extension member overwrites ``type``, ``title``, ``status``,
``detail``, ``instance`` or ``errors``."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import json
import pkgutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request

import app
from app.core.errors import RESERVED_MEMBERS, DomainError, problem_response, render_domain_error
from app.recipient.death_models import DeathRecord
from app.recipient.models import PaymentRun
from app.recipient.subsidy_models import DisabilitySubsidy
from tests.conftest import TokenFactory
from tests.recipient.helpers import create

APP_DIR = Path(app.__file__).parent


def _all_modules() -> None:
    for module in pkgutil.walk_packages(app.__path__, "app."):
        importlib.import_module(module.name)


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


_SAMPLES: dict[str, Any] = {
    "uuid.UUID": uuid.UUID(int=1),
    "uuid.UUID | None": uuid.UUID(int=2),
    "str": "x",
    "str | None": "x",
    "int": 1,
    "list[str]": ["a"],
    "tuple[str | int, ...]": ("body", "x"),
    "DeathRecord | None": DeathRecord(
        id=uuid.UUID(int=3),
        region_code="330502000000",
        id_number_enc="",
        id_number_hash="",
        id_number_masked="",
        died_on=date(2026, 1, 2),
        died_month="2026-01",
        source="x",
    ),
    "PaymentRun | None": PaymentRun(id=uuid.UUID(int=4), region_code="330502000000", month="2026-01"),
    "DisabilitySubsidy": DisabilitySubsidy(
        id=uuid.UUID(int=5),
        region_code="330502000000",
        household_id=uuid.UUID(int=6),
        member_id=uuid.UUID(int=7),
        kind="disability_living",
        status="applied",
        applied_on=date(2026, 1, 2),
    ),
}


def _instance(cls: type[DomainError]) -> DomainError:
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in {param.VAR_KEYWORD, param.VAR_POSITIONAL}:
            continue
        if param.default is not param.empty:
            continue
        kwargs[name] = _SAMPLES[str(param.annotation)]
    return cls(**kwargs)


def _render(exc: DomainError) -> dict[str, Any]:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})
    response = asyncio.run(render_domain_error(request, exc))
    body: dict[str, Any] = json.loads(bytes(response.body))
    assert response.status_code == exc.status
    return body


def test_every_domain_error_renders_its_http_status() -> None:
    _all_modules()
    classes = list(_subclasses(DomainError))
    assert len(classes) > 25
    for cls in classes:
        exc = _instance(cls)
        assert not (set(exc.extra) & RESERVED_MEMBERS), f"{cls.__name__} puts {set(exc.extra)} in extras"
        body = _render(exc)
        assert body["status"] == cls.status, cls.__name__
        assert isinstance(body["status"], int), cls.__name__
        assert body["type"].startswith("urn:mzbrain:problem:"), cls.__name__
        assert body["title"] == cls.title, cls.__name__


def test_the_builder_keeps_reserved_members() -> None:
    response = problem_response(
        409,
        slug="conflict",
        detail="d",
        errors=[{"loc": ["body"], "msg": "m"}],
        instance="/x",
        extra={
            "status": "applied",
            "type": "t",
            "title": "t",
            "detail": "other",
            "instance": "/y",
            "errors": [],
            "household_status": "applied",
        },
    )
    body = json.loads(bytes(response.body))
    assert body == {
        "type": "urn:mzbrain:problem:conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "d",
        "instance": "/x",
        "errors": [{"loc": ["body"], "msg": "m"}],
        "household_status": "applied",
    }


def _extra_literals() -> Iterator[tuple[str, int, set[str]]]:
    """(file, line, keys) of every ``extra={...}`` passed where a problem is built."""
    for path in APP_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in {"info", "warning", "error", "debug", "exception"}:
                continue  # logging's ``extra`` is not a problem member
            for keyword in node.keywords:
                if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                    keys = {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
                    yield str(path.relative_to(APP_DIR)), node.lineno, {str(k) for k in keys}


def test_no_place_that_builds_a_problem_passes_a_reserved_member() -> None:
    found = list(_extra_literals())
    assert len(found) >= 8
    clashes = [(f, line, keys & RESERVED_MEMBERS) for f, line, keys in found if keys & RESERVED_MEMBERS]
    assert clashes == []


async def test_answers_over_http_carry_the_integer_status(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    household = await create(client, h)
    hid = household["id"]
    conflict = await client.post(
        f"/api/v1/recipients/{hid}/transitions", json={"action": "approve"}, headers=h
    )
    stale = await client.patch(
        f"/api/v1/recipients/{hid}", json={"address_text": "x"}, headers={**h, "If-Match": '"99"'}
    )
    answers = {
        400: await client.post(
            "/api/v1/recipients", content=b"{", headers={**h, "content-type": "application/json"}
        ),
        401: await client.get("/api/v1/recipients"),
        403: await client.post("/api/v1/standards", json={}, headers=h),
        404: await client.get(f"/api/v1/recipients/{uuid.uuid4()}", headers=h),
        405: await client.delete("/healthz"),
        409: conflict,
        412: stale,
        415: await client.post(
            "/api/v1/recipients", content=b"x", headers={**h, "content-type": "text/plain"}
        ),
        422: await client.post("/api/v1/recipients", json={}, headers=h),
        428: await client.patch(f"/api/v1/recipients/{hid}", json={"address_text": "x"}, headers=h),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == status
        assert isinstance(body["status"], int)
        assert isinstance(body["title"], str)
        assert isinstance(body["type"], str)
    assert answers[409].json()["household_status"] == "applied"
