"""The care indicators, computed live and rolled up the region tree, on a database of their own
(the figures count everything in a region, so no other test may write there)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.clock import clock
from app.core.db import Database
from app.main import create_app
from app.reference import load_reference
from app.security.tokens import mint
from tests.care.helpers import household, member, move, need, noon, refer, resource, visit
from tests.conftest import make_settings
from tests.databases import TestDatabase
from tests.indicator.helpers import find

CITY, CHANGXING, ANJI, WUXING = "330500000000", "330522000000", "330523000000", "330502000000"
CX_TOWN, AJ_TOWN = "330522001000", "330523001000"
REGISTERED, AS_OF = date(2027, 3, 1), date(2027, 3, 10)


@pytest.fixture(scope="module")
async def own_app() -> AsyncIterator[FastAPI]:
    tdb = TestDatabase()
    settings = make_settings(await tdb.create())
    database = Database(settings)
    await load_reference(database, settings)
    yield create_app(settings, database=database)
    await database.dispose()
    await tdb.drop()


@pytest.fixture(scope="module")
async def http(own_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=own_app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def token(app: FastAPI, role: str, region: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint(app.state.settings, sub=f'ind-{role}', roles=[role], region=region)}"
    }


async def progress(http: httpx.AsyncClient, app: FastAPI, code: str) -> dict[str, Any]:
    r = await http.get(
        f"/api/v1/indicators/{code}/progress",
        params={"region_code": CITY, "as_of": AS_OF.isoformat()},
        headers=token(app, "viewer", CITY),
    )
    assert r.status_code == 200, r.text
    tree: dict[str, Any] = r.json()["tree"]
    return tree


async def test_the_three_care_indicators_are_live_and_roll_up(
    http: httpx.AsyncClient, own_app: FastAPI
) -> None:
    city_op, cx_op, aj_op = (token(own_app, "operator", r) for r in (CITY, CHANGXING, ANJI))
    tree = await progress(http, own_app, "assistance_service_items")
    assert tree["actual"] is None
    assert tree["status"] == "grey"

    # Service items: the distinct need types of the resources serving each region.
    await resource(http, city_op, CITY, ["medical", "education"], name="市级")
    await resource(http, cx_op, CHANGXING, ["care", "meals"], name="长兴县级")
    await resource(http, cx_op, CX_TOWN, ["home_adaptation", "legal"], name="雉城街道")
    await resource(http, aj_op, AJ_TOWN, ["living"], name="递铺街道")
    r = await http.put(
        f"/api/v1/indicators/assistance_service_items/targets/{AS_OF.year}/{CITY}",
        json={"target": "6"},
        headers=token(own_app, "admin", CITY),
    )
    assert r.status_code == 201, r.text
    with clock.frozen(noon(AS_OF)):
        tree = await progress(http, own_app, "assistance_service_items")
    assert (tree["actual"], tree["source"], tree["status"]) == ("7", "computed", "green")
    assert (find(tree, CHANGXING)["actual"], find(tree, CHANGXING)["status"]) == ("6", "green")
    assert (find(tree, ANJI)["actual"], find(tree, ANJI)["status"]) == ("3", "red")
    assert find(tree, WUXING)["actual"] == "2"
    assert find(tree, ANJI)["target"] == "6"
    assert find(tree, ANJI)["target_inherited"] is True

    # Visit coverage: people under a visit rule not overdue, over people under a visit rule.
    with clock.frozen(noon(REGISTERED)):
        alone = member(region="330522", born=date(1938, 2, 2), living_alone=True, name="独居甲")
        await household(http, cx_op, CX_TOWN, [alone])
        await household(
            http,
            cx_op,
            CX_TOWN,
            [member(region="330522", born=date(1961, 1, 1))],
            category="tekun",
            support_mode="home",
        )
        await household(
            http, aj_op, AJ_TOWN, [member(region="330523", born=date(1939, 3, 3), living_alone=True)]
        )
    with clock.frozen(noon(AS_OF)):
        await visit(http, cx_op, CX_TOWN, alone["id_number"], date(2027, 3, 8))
        tree = await progress(http, own_app, "visit_coverage")
    assert (tree["numerator"], tree["denominator"], tree["source"]) == ("1", "3", "computed")
    assert tree["actual"] == "33.3333"
    assert (
        find(tree, CHANGXING)["numerator"],
        find(tree, CHANGXING)["denominator"],
        find(tree, CHANGXING)["actual"],
    ) == (
        "1",
        "2",
        "50",
    )
    assert find(tree, ANJI)["actual"] == "0"
    assert find(tree, WUXING)["actual"] is None

    # Referral closure: referrals of the period served, over referrals of the period.
    with clock.frozen(noon(AS_OF)):
        place_cx = await resource(http, cx_op, CX_TOWN, ["employment"], name="就业")
        place_aj = await resource(http, aj_op, AJ_TOWN, ["employment"], name="就业")
        served = (
            await refer(
                http, cx_op, (await need(http, cx_op, CX_TOWN, type="employment"))["id"], place_cx["id"]
            )
        ).json()
        await refer(http, cx_op, (await need(http, cx_op, CX_TOWN, type="employment"))["id"], place_cx["id"])
        declined = (
            await refer(
                http, aj_op, (await need(http, aj_op, AJ_TOWN, type="employment"))["id"], place_aj["id"]
            )
        ).json()
        assert (await move(http, cx_op, served["id"], "accept")).status_code == 200
        assert (await move(http, cx_op, served["id"], "serve", outcome="已就业")).status_code == 200
        assert (await move(http, aj_op, declined["id"], "decline")).status_code == 200
        tree = await progress(http, own_app, "referral_closure_rate")
        dashboard = (
            await http.get(
                "/api/v1/indicators/dashboard",
                params={"region_code": CITY, "as_of": AS_OF.isoformat()},
                headers=token(own_app, "viewer", CITY),
            )
        ).json()
    assert (tree["numerator"], tree["denominator"]) == ("1", "3")
    assert find(tree, CHANGXING)["actual"] == "50"
    assert find(tree, ANJI)["actual"] == "0"
    items = {i["code"]: i for i in dashboard["items"]}
    for code in ("assistance_service_items", "visit_coverage", "referral_closure_rate"):
        assert items[code]["source"] == "computed", code
    # Live: the employment resources added since are counted.
    assert items["assistance_service_items"]["actual"] == "8"
