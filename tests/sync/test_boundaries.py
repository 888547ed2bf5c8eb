"""A child writes only inside its region.

The city pulls a county over real HTTP from a compromised county: a uvicorn server on
127.0.0.1 that relays the real county node's answers and rewrites them on the way (a record
moved into the sibling county, a foreign origin, a false name for itself). Every forged page is
refused whole — nothing of it applied — the pull session fails with an error naming the
record, and the refusal is in the audit log. An honest page goes in, and pins the child's region.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.core.config import SyncPeer
from app.security.tokens import mint
from tests.factories import id_number
from tests.recipient.helpers import household
from tests.resilience.service import free_port
from tests.sync.nodes import Node, make_node

Forge = Callable[[str, dict[str, Any]], dict[str, Any]]
SIBLING = "330503001000"


def honest(_path: str, doc: dict[str, Any]) -> dict[str, Any]:
    return doc


class CompromisedChild:
    """Relays the county node's sync answers, passed through ``forge`` on the way out."""

    def __init__(self, county: Node) -> None:
        self.county = county
        self.forge: Forge = honest
        self.port = free_port()
        app = Starlette(routes=[Route("/{path:path}", self._relay)])
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _relay(self, request: Request) -> Response:
        async with self.county.client() as c:
            r = await c.get(
                request.url.path,
                params=dict(request.query_params),
                headers={"Authorization": request.headers.get("authorization", "")},
            )
        if r.status_code != 200:
            return Response(r.content, status_code=r.status_code, media_type=r.headers["content-type"])
        return JSONResponse(self.forge(request.url.path, copy.deepcopy(r.json())))

    async def __aenter__(self) -> CompromisedChild:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task


@pytest.fixture
async def cluster(fresh_db: Callable[..., Any]) -> AsyncIterator[tuple[Node, Node, CompromisedChild]]:
    county = await make_node(await fresh_db(), "330502")
    async with CompromisedChild(county) as child:
        token = mint(county.settings, sub="node-330500", roles=["sync"], region="330500")
        city = await make_node(await fresh_db(), "330500")
        city.settings.sync_peers.append(
            SyncPeer(name="wuxing", base_url=child.base_url, relation="child", token=token)
        )
        yield county, city, child
        await city.db.dispose()
    await county.db.dispose()


async def _write(county: Node, region: str = "330502001000") -> dict[str, Any]:
    async with county.client() as c:
        r = await c.post(
            "/api/v1/recipients",
            json=household(
                region=region,
                members=[{"name": "吴越", "id_number": id_number("330502"), "relation": "head"}],
            ),
            headers=county.token("operator"),
        )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _pull(city: Node) -> httpx.Response:
    async with city.client() as c:
        return await c.post("/api/v1/sync/peers/wuxing/pull", headers=city.token("admin"))


async def _households(city: Node) -> int:
    async with city.db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM recipient_household"))).scalar_one())


async def _last_session(city: Node) -> dict[str, Any]:
    async with city.client() as c:
        r = await c.get("/api/v1/sync/peers/wuxing/sessions", headers=city.token("admin"))
    assert r.status_code == 200, r.text
    session: dict[str, Any] = r.json()[0]
    return session


async def _refusals(city: Node) -> list[dict[str, Any]]:
    async with city.client() as c:
        r = await c.get(
            "/api/v1/audit/events", params={"action": "sync.refused"}, headers=city.token("auditor")
        )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def move_household(target: str, field: str = "region_code") -> Forge:
    """Rewrite every household of a page (feed or snapshot) into ``target``."""

    def forge(path: str, doc: dict[str, Any]) -> dict[str, Any]:
        for change in doc.get("changes", []):
            if change["entity"] == "recipient_household":
                change[field] = target
                change["data"][field] = target
        if doc.get("entity") == "recipient_household":
            for record in doc["records"]:
                record[field] = target
        return doc

    return forge


async def _assert_refused(city: Node, response: httpx.Response, record_id: str, before: int) -> None:
    assert response.status_code == 503, response.text
    assert record_id in response.json()["detail"]
    assert "outside the child's region" in response.json()["detail"]
    session = await _last_session(city)
    assert session["outcome"] == "failed"
    assert record_id in session["error"]
    assert await _households(city) == before, "nothing of the page was applied"


async def test_a_record_moved_into_a_sibling_county_refuses_the_whole_snapshot_page(
    cluster: tuple[Node, Node, CompromisedChild],
) -> None:
    county, city, child = cluster
    honest_one = await _write(county)
    forged = await _write(county, "330502002000")
    child.forge = lambda path, doc: _move_one(doc, forged["id"], SIBLING)

    refused = await _pull(city)
    await _assert_refused(city, refused, forged["id"], 0)
    assert await _households(city) == 0  # not even the honest household of the same page
    events = await _refusals(city)
    assert events[0]["details"]["record_id"] == forged["id"]
    assert events[0]["details"]["value"] == SIBLING
    assert events[0]["outcome"] == "denied"
    assert honest_one["id"] not in str(events[0]["details"])


async def test_forged_feed_pages_are_refused_after_an_honest_start(
    cluster: tuple[Node, Node, CompromisedChild],
) -> None:
    county, city, child = cluster
    await _write(county)
    first = await _pull(city)
    assert first.status_code == 200, first.text
    assert await _households(city) == 1
    async with city.db.engine.connect() as conn:
        pinned = (
            await conn.execute(text("SELECT region FROM sync_peer_state WHERE peer = 'wuxing'"))
        ).scalar()
    assert pinned == "330502000000"

    cases: list[tuple[Forge, str]] = [
        (move_household(SIBLING), "region_code"),
        (move_household("330503000000", "origin"), "origin"),
        (move_household("330500000000", "origin"), "origin"),  # the city's own records
    ]
    first_unapplied: str | None = None
    for number, (forge, field) in enumerate(cases, start=1):
        forged = await _write(county)
        first_unapplied = first_unapplied or forged["id"]  # a refused page is offered again
        child.forge = forge
        refused = await _pull(city)
        await _assert_refused(city, refused, first_unapplied, 1)
        assert field in refused.json()["detail"]
        assert len(await _refusals(city)) == number

    def renamed(path: str, doc: dict[str, Any]) -> dict[str, Any]:
        doc["node"]["region"] = "330503"
        return doc

    child.forge = renamed
    refused = await _pull(city)
    assert refused.status_code == 503
    assert "names itself region 330503" in refused.json()["detail"]
    assert await _households(city) == 1

    child.forge = honest
    healed = await _pull(city)
    assert healed.status_code == 200, healed.text
    assert await _households(city) == 1 + len(cases)


def _move_one(doc: dict[str, Any], record_id: str, target: str) -> dict[str, Any]:
    if doc.get("entity") == "recipient_household":
        for record in doc["records"]:
            if record["id"] == record_id:
                record["region_code"] = target
    for change in doc.get("changes", []):
        if change["id"] == record_id:
            change["region_code"] = target
            change["data"]["region_code"] = target
    return doc


async def test_a_child_claiming_the_parents_region_is_refused(
    cluster: tuple[Node, Node, CompromisedChild],
) -> None:
    county, city, child = cluster
    await _write(county)

    def parent(path: str, doc: dict[str, Any]) -> dict[str, Any]:
        doc["node"]["region"] = "330500"
        for change in doc.get("changes", []):
            change["region_code"] = change["data"]["region_code"] = SIBLING
        for record in doc.get("records", []):
            record["region_code"] = SIBLING
        return doc

    child.forge = parent
    refused = await _pull(city)
    assert refused.status_code == 503
    assert "not a region below this node" in refused.json()["detail"]
    assert await _households(city) == 0
    assert (await _refusals(city))[0]["details"]["reported_region"] == "330500"


async def test_a_second_child_cannot_claim_a_region_already_held(
    cluster: tuple[Node, Node, CompromisedChild],
) -> None:
    """An impostor naming itself the region another child was pinned to, and a child whose
    configured region is not the one it names, are refused before anything is applied."""
    county, city, child = cluster
    await _write(county)
    assert (await _pull(city)).status_code == 200  # wuxing pinned to 330502
    token = city.settings.sync_peers[0].token
    city.settings.sync_peers.append(
        SyncPeer(name="impostor", base_url=child.base_url, relation="child", token=token)
    )
    city.settings.sync_peers.append(
        SyncPeer(name="nanxun", base_url=child.base_url, relation="child", token=token, region="330503")
    )
    async with city.client() as c:
        impostor = await c.post("/api/v1/sync/peers/impostor/pull", headers=city.token("admin"))
        assert impostor.status_code == 503
        assert "overlaps the region 330502000000 of another child" in impostor.json()["detail"]
        nanxun = await c.post("/api/v1/sync/peers/nanxun/pull", headers=city.token("admin"))
        assert nanxun.status_code == 503
        assert "its region is 330503000000" in nanxun.json()["detail"]
    assert await _households(city) == 1
    assert len(await _refusals(city)) == 2
