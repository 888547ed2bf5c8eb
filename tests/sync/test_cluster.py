"""Four real nodes over real HTTP on 127.0.0.1: province 330000 ← city 330500 ← counties 330502
and 330503. Records written at the counties reach the province with their versions, deletes
follow, reference data set at the city (standards, targets, place-name aliases) reaches the
counties read-only, a care need reaches the city with its ID number sealed under the city's own
key, and the digests of the nodes agree.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.address.models import PlaceAlias
from app.care.models import Need
from app.core.errors import Conflict
from app.core.validators import normalize_region_code
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.models import import_all_models
from tests.address.helpers import unique_road
from tests.assessment.helpers import body as assessment_body
from tests.care.helpers import NEEDS, need
from tests.databases import engine_name
from tests.factories import id_number
from tests.recipient.helpers import household
from tests.sync.cluster import Cluster, ClusterNode

pytestmark = pytest.mark.slow

RECIPIENTS = ["recipient_household", "recipient_member", "recipient_transition"]
BUSINESS = [*RECIPIENTS, "assessment"]
REFERENCE = ["policy_standard", "indicator_target"]
INDICATOR = "assistance_service_items"

T = TypeVar("T")


@pytest.fixture(scope="module")
async def cluster() -> AsyncIterator[dict[str, ClusterNode]]:
    c = Cluster()
    province = c.add("zhejiang", "330000")
    city = c.add("huzhou", "330500")
    wuxing = c.add("wuxing", "330502")
    nanxun = c.add("nanxun", "330503")
    c.link(parent=province, child=city)
    c.link(parent=city, child=wuxing)
    c.link(parent=city, child=nanxun)
    await c.start()
    try:
        yield c.nodes
    finally:
        await c.close()


async def _post(node: ClusterNode, path: str, data: dict[str, Any], region: str) -> dict[str, Any]:
    async with node.client() as c:
        r = await c.post(path, json=data, headers=node.headers("operator", region=region))
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def _get(node: ClusterNode, path: str, region: str, **params: str) -> tuple[int, Any]:
    async with node.client() as c:
        r = await c.get(path, params=params, headers=node.headers("operator", region=region))
    return r.status_code, r.json()


async def _county_writes(node: ClusterNode, region: str) -> dict[str, Any]:
    township = f"{region}001000"
    kept = [
        await _post(node, "/api/v1/recipients", household(region=township, members=_members(region)), region)
        for _ in range(3)
    ]
    gone = await _post(
        node, "/api/v1/recipients", household(region=township, members=_members(region)), region
    )
    assessment = await _post(node, "/api/v1/assessments", assessment_body(region=township), region)
    headers = node.headers("operator", region=region)
    async with node.client() as c:
        for action in ("verify", "approve"):
            r = await c.post(
                f"/api/v1/recipients/{kept[0]['id']}/transitions",
                json={"action": action, "reason": "核查通过"},
                headers=headers,
            )
            assert r.status_code == 200, r.text
        r = await c.delete(f"/api/v1/recipients/{gone['id']}", headers={**headers, "If-Match": '"1"'})
        assert r.status_code == 204, r.text
        approved = (await c.get(f"/api/v1/recipients/{kept[0]['id']}", headers=headers)).json()
    return {"kept": [approved, *kept[1:]], "gone": gone, "assessment": assessment}


def _members(region: str) -> list[dict[str, Any]]:
    return [
        {"name": "张伟", "id_number": id_number(region), "relation": "head", "phone": "13812345678"},
        {"name": "李娜", "id_number": id_number(region), "relation": "spouse"},
    ]


async def test_county_records_reach_the_province_with_their_versions(
    cluster: dict[str, ClusterNode],
) -> None:
    province, city, wuxing, nanxun = (cluster[n] for n in ("zhejiang", "huzhou", "wuxing", "nanxun"))
    written = dict(
        zip(
            ("330502", "330503"),
            await asyncio.gather(_county_writes(wuxing, "330502"), _county_writes(nanxun, "330503")),
            strict=True,
        )
    )
    assert written["330502"]["kept"][0]["version"] == 3

    # county → city: one through the admin endpoint of the city's server, one with the CLI.
    first = await city.pull("wuxing")
    assert first["outcome"] == "ok"
    assert first["applied"] > 0
    done = await city.cli_pull("nanxun")
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout)
    assert session["outcome"] == "ok"
    assert session["applied"] > 0
    # city → province
    assert (await province.pull("huzhou"))["applied"] > 0

    for region, records in written.items():
        for h in records["kept"]:
            status, got = await _get(province, f"/api/v1/recipients/{h['id']}", "330000")
            assert status == 200, got
            assert (got["version"], got["status"], got["origin"]) == (
                h["version"],
                h["status"],
                f"{region}000000",
            )
        status, _ = await _get(province, f"/api/v1/recipients/{records['gone']['id']}", "330000")
        assert status == 404
        status, got = await _get(province, f"/api/v1/assessments/{records['assessment']['id']}", "330000")
        assert status == 200, got
        assert got["version"] == records["assessment"]["version"]

        county = wuxing if region == "330502" else nanxun
        at_county = await county.digest(BUSINESS, region)
        assert at_county, "the county's digest names its records"
        assert await city.digest(BUSINESS, region) == at_county
        assert await province.digest(BUSINESS, region) == at_county

    # A later change and a later delete at a county follow the same way; a repeated pull is empty.
    target = written["330502"]["kept"][1]
    headers = wuxing.headers("operator", region="330502")
    async with wuxing.client() as c:
        r = await c.patch(
            f"/api/v1/recipients/{target['id']}",
            json={"monthly_income": "321.00"},
            headers={**headers, "If-Match": f'"{target["version"]}"'},
        )
        assert r.status_code == 200, r.text
        changed = r.json()
        victim = written["330502"]["kept"][2]
        r = await c.delete(
            f"/api/v1/recipients/{victim['id']}", headers={**headers, "If-Match": f'"{victim["version"]}"'}
        )
        assert r.status_code == 204, r.text
    assert (await city.pull("wuxing"))["applied"] > 0
    assert (await province.pull("huzhou"))["applied"] > 0
    status, got = await _get(province, f"/api/v1/recipients/{target['id']}", "330000")
    assert (status, got["version"], got["monthly_income"]) == (200, changed["version"], "321.00")
    status, _ = await _get(province, f"/api/v1/recipients/{victim['id']}", "330000")
    assert status == 404
    assert await province.digest(BUSINESS, "330502") == await wuxing.digest(BUSINESS, "330502")
    assert (await city.pull("wuxing"))["applied"] == 0
    assert (await province.pull("huzhou"))["applied"] == 0


async def test_reference_data_set_at_the_city_reaches_both_counties(cluster: dict[str, ClusterNode]) -> None:
    city, wuxing, nanxun = (cluster[n] for n in ("huzhou", "wuxing", "nanxun"))
    admin = city.headers("admin")
    async with city.client() as c:
        r = await c.post(
            "/api/v1/standards",
            json={
                "kind": "dibao_annual",
                "region_code": "330500",
                "effective_from": "2026-01-01",
                "value": "14640",
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        standard = r.json()
        targets = {}
        for region, value in (("330502", "9"), ("330503", "7")):
            r = await c.put(
                f"/api/v1/indicators/{INDICATOR}/targets/2026/{region}", json={"target": value}, headers=admin
            )
            assert r.status_code == 201, r.text
            targets[region] = r.json()

    assert (await wuxing.pull("huzhou"))["applied"] >= 3
    done = await nanxun.cli_pull("huzhou")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["applied"] >= 3

    for county in (wuxing, nanxun):
        status, listed = await _get(county, "/api/v1/standards", county.region, kind="dibao_annual")
        assert status == 200, listed
        found = [s for s in listed["items"] if s["id"] == standard["id"]]
        assert found, f"{county.name} lacks the city's standard"
        assert (found[0]["version"], found[0]["value"]) == (standard["version"], standard["value"])
        status, listed = await _get(
            county, f"/api/v1/indicators/{INDICATOR}/targets", county.region, period="2026"
        )
        assert status == 200, listed
        got = {t["region_code"][:6]: (t["id"], t["version"], t["target"]) for t in listed["items"]}
        target = targets[county.region]
        assert got.get(county.region) == (target["id"], target["version"], target["target"])
        # A replica of the parent's reference data is read-only at the county.
        async with county.client() as c:
            r = await c.put(
                f"/api/v1/indicators/{INDICATOR}/targets/2026/{county.region}",
                json={"target": "1"},
                headers={**county.headers("admin"), "If-Match": '"1"'},
            )
            assert r.status_code == 409, r.text

    for region in ("330502", "330503"):
        at_city = await city.digest(["indicator_target"], region)
        assert at_city
        assert await wuxing.digest(["indicator_target"], region) == at_city
        assert await nanxun.digest(["indicator_target"], region) == at_city


async def _in_database(node: ClusterNode, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work(session)`` in one transaction on the node's own database, beside its server."""
    import_all_models()
    engine = create_async_engine(node.database_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _uow(session: AsyncSession, node: ClusterNode) -> UnitOfWork:
    region = normalize_region_code(node.region)
    actor = Actor(sub=f"admin-{node.name}", roles=("admin",), region=region)
    has_parent = any(peer.relation == "parent" for peer in node.peers)
    return UnitOfWork(session, actor, node_region=region, owns_shipped=not has_parent)


async def test_a_place_alias_set_at_the_city_reaches_the_county_read_only(
    cluster: dict[str, ClusterNode],
) -> None:
    city, wuxing = cluster["huzhou"], cluster["wuxing"]
    # No endpoint edits the alias table; the city's own unit of work sets one, as a loader would.
    alias_id = uuid.uuid4()

    async def set_alias(session: AsyncSession) -> PlaceAlias:
        record = PlaceAlias(
            id=alias_id, name="小西街片区", region_code="330502001000", kind="zone", note="月河街道的历史街区"
        )
        created = await _uow(session, city).create(record)
        assert isinstance(created, PlaceAlias)
        return created

    alias = await _in_database(city, set_alias)
    assert alias.origin == "330500000000"

    assert (await wuxing.pull("huzhou"))["applied"] >= 1

    async def read_alias(session: AsyncSession) -> PlaceAlias | None:
        return await session.get(PlaceAlias, alias_id)

    replica = await _in_database(wuxing, read_alias)
    assert replica is not None, "the county lacks the city's place-name alias"
    assert (replica.name, replica.region_code, replica.version, replica.origin) == (
        alias.name,
        alias.region_code,
        alias.version,
        alias.origin,
    )
    assert await wuxing.digest(["place_alias"], "330502") == await city.digest(["place_alias"], "330502")
    # The county's address parser reads the new name as 月河街道 (it read a road before).
    async with wuxing.client() as c:
        r = await c.post(
            "/api/v1/addresses/parse",
            json={"text": "小西街片区红旗路88号"},
            headers=wuxing.headers("operator"),
        )
    assert r.status_code == 200, r.text
    components = r.json()["components"]
    assert (components["township"]["value"], components["region_code"]["value"]) == (
        "月河街道",
        "330502001000",
    )
    assert components["road"]["value"] == "红旗路"

    # A replica is read-only at the county: a change there is a conflict naming the origin.
    async def change_replica(session: AsyncSession) -> None:
        record = await session.get(PlaceAlias, alias_id, with_for_update=True)
        assert record is not None
        record.note = "改写"
        await _uow(session, wuxing).update(record, expected_version=record.version, changed=["note"])

    with pytest.raises(Conflict) as refused:
        await _in_database(wuxing, change_replica)
    assert refused.value.status == 409
    assert refused.value.extra == {"origin": "330500000000"}
    kept = await _in_database(wuxing, read_alias)
    assert kept is not None
    assert (kept.version, kept.note) == (alias.version, "月河街道的历史街区")


async def test_a_care_need_reaches_the_city_with_its_version_and_its_id_number_sealed(
    cluster: dict[str, ClusterNode],
) -> None:
    city, wuxing = cluster["huzhou"], cluster["wuxing"]
    person = id_number("330502")
    async with wuxing.client() as c:
        created = await need(c, wuxing.headers("operator", region="330502"), "330502001000", person=person)
    masked = person[:6] + "********" + person[-4:]
    assert created["person"]["id_number"] == masked

    assert (await city.pull("wuxing"))["applied"] >= 1

    headers = city.headers("operator", region="330500")
    async with city.client() as c:
        r = await c.get(f"{NEEDS}/{created['id']}", headers=headers)
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["version"], got["origin"], got["region_code"]) == (
            created["version"],
            "330502000000",
            "330502001000",
        )
        assert got["person"] == {"name": "李桂兰", "id_number": masked}
        assert person not in r.text
        # Sealed again under the city's own key: the city reveals it (audited) without the county's.
        r = await c.get(f"{NEEDS}/{created['id']}", params={"reveal": "true"}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["person"]["id_number"] == person

    async def stored(session: AsyncSession) -> dict[str, Any]:
        record = await session.get(Need, uuid.UUID(created["id"]))
        assert record is not None
        return record.model_dump()

    at_city, at_county = await _in_database(city, stored), await _in_database(wuxing, stored)
    assert person not in repr(at_city)
    assert at_city["id_number_masked"] == masked
    assert at_city["id_number_enc"] != at_county["id_number_enc"]


async def test_addresses_imported_at_a_county_reach_the_city_through_the_feed(
    cluster: dict[str, ClusterNode],
) -> None:
    """On PostgreSQL the import logs its addresses without snapshots; the feed serves them
    from their rows, and the one changed after the import at its new version only. Either
    way the city ends with the county's addresses."""
    city, wuxing = cluster["huzhou"], cluster["wuxing"]
    await city.pull("wuxing")  # from here on the city follows the county's feed
    road = unique_road()
    lines = "".join(f"330502001000,,{road},{n},,,,,,,120.1,30.8\n" for n in range(1, 7))
    body = ("区划代码,社区,街路巷,门牌号,小区,幢,单元,层,室,别名,经度,纬度\n" + lines).encode()
    headers = wuxing.headers("operator", region="330502")
    async with wuxing.client() as c:
        r = await c.post(
            "/api/v1/addresses/import", files={"file": ("a.csv", body, "text/csv")}, headers=headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["inserted"] == 6
        listed = await c.get("/api/v1/addresses", params={"road": road, "limit": 10}, headers=headers)
        items = listed.json()["items"]
        r = await c.patch(
            f"/api/v1/addresses/{items[0]['id']}",
            json={"aliases": ["旧称"]},
            headers={**headers, "If-Match": '"1"'},
        )
        assert r.status_code == 200, r.text
        changed = r.json()
    # On SQLite the import logs each address with its snapshot, and both versions of the
    # changed one are applied in turn.
    assert (await city.pull("wuxing"))["applied"] == (6 if engine_name() == "postgresql" else 7)
    for item in [changed, *items[1:]]:
        status, got = await _get(city, f"/api/v1/addresses/{item['id']}", "330500")
        assert status == 200, got
        assert got == item
    assert await city.digest(["address"], "330502") == await wuxing.digest(["address"], "330502")
    assert (await city.pull("wuxing"))["applied"] == 0
