"""The cockpit in a real browser: a node served by uvicorn over a database of its own, headless
Chromium driven through the DevTools protocol. A token is pasted once; the page shows the
indicator lights with a drill-down, trend charts holding this year's records, the counties side
by side — and every request it makes goes to 127.0.0.1.

Chromium is Debian's ``chromium``; without it the test is skipped, except under CI=true, where
that is a failure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.clock import clock
from app.core.db import Database
from app.main import create_app
from app.reference import load_reference
from app.security.tokens import mint
from tests.analytics.browser import CHROMIUM, browser, served_node
from tests.assessment.helpers import body as assessment_body
from tests.assessment.helpers import record
from tests.conftest import make_settings
from tests.databases import IN_CI, TestDatabase
from tests.factories import id_number
from tests.recipient.helpers import create, household, move

INDICATOR = "certified_caregivers_new"


@pytest.fixture(autouse=True)
def frozen_clock() -> None:
    """The served node reads the real clock, so this test's records are dated by it too."""


async def _seed(database_url: str) -> str:
    """This month's records in two counties, and this year's target and reports of one
    indicator; returns a city viewer's token."""
    settings = make_settings(database_url)
    db = Database(settings)
    try:
        await load_reference(db, settings)
        app = create_app(settings, database=db)

        def auth(role: str) -> dict[str, str]:
            return {
                "Authorization": "Bearer "
                + mint(settings, sub=f"cockpit-{role}", roles=[role], region="330500")
            }

        op, admin = auth("operator"), auth("admin")
        today = clock.today()
        year = str(today.year)
        # Yesterday: "today" is the local date here and may be a day ahead of the server's.
        reported_on = max(today - timedelta(days=1), today.replace(month=1, day=1)).isoformat()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://seed") as c:
            for region in ("330502001000", "330502002000", "330503100000"):
                made = await create(c, op, household(region=region))
                await move(c, op, made["id"], "verify", "approve")
            run = await c.post(
                "/api/v1/payment-runs",
                json={"region_code": "330502", "month": clock.this_month()},
                headers=op,
            )
            assert run.status_code == 201, run.text
            for region in ("330502001000", "330503100000"):
                person = id_number(region[:6], born=today.replace(year=today.year - 70) - timedelta(days=3))
                await record(c, op, assessment_body(region, person, 60, today - timedelta(days=1)))
            target = await c.put(
                f"/api/v1/indicators/{INDICATOR}/targets/{year}/330500000000",
                json={"target": "500"},
                headers=admin,
            )
            assert target.status_code in {200, 201}, target.text
            for county, value in (("330502000000", "400"), ("330503000000", "20")):
                reported = await c.post(
                    f"/api/v1/indicators/{INDICATOR}/reports",
                    json={"region_code": county, "period": year, "as_of": reported_on, "value": value},
                    headers=admin,
                )
                assert reported.status_code == 201, reported.text
        return mint(settings, sub="leader", roles=["viewer"], region="330500")
    finally:
        await db.dispose()


@pytest.fixture
async def node() -> AsyncIterator[tuple[str, str]]:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("chromium is required under CI=true (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    tdb = TestDatabase()
    url = await tdb.create()
    try:
        token = await _seed(url)
        with served_node(url) as base:
            yield base, token
    finally:
        await tdb.drop()


SNAPSHOT = """(() => {
  const bars = (id) =>
    Array.from(document.querySelectorAll(`#${id} svg rect.bar`)).map((r) => r.dataset.value);
  return {
    trends: {
      households: bars("trend-households"),
      payments: bars("trend-payments"),
      assessments: bars("trend-assessments"),
    },
    compare: bars("compare-households"),
    comparePayments: bars("compare-payments"),
    lights: Array.from(document.querySelectorAll("#lights > li")).map(
      (li) => [li.dataset.code, li.dataset.status]),
    rows: Array.from(document.querySelectorAll("#compare tbody tr")).map(
      (tr) => Array.from(tr.cells).map((c) => c.textContent)),
    crumbs: Array.from(document.querySelectorAll("#crumbs button")).map((b) => b.textContent),
    title: document.getElementById("board-title").textContent,
    compareTitle: document.getElementById("compare-title").textContent,
    stored: sessionStorage.getItem("mzbrain.cockpit.token"),
    error: document.getElementById("board-error").textContent,
  };
})()"""
READY = "document.body.dataset.state === 'ready' || (document.body.dataset.state === 'error' && 'error')"


def _positive(values: list[str]) -> list[float]:
    return [float(v.replace(",", "")) for v in values if v not in ("—", "") and float(v.replace(",", "")) > 0]


async def _ready(tab: Any) -> dict[str, Any]:
    state = await tab.wait_for(READY)
    snapshot: dict[str, Any] = await tab.evaluate(SNAPSHOT)
    assert state is True, snapshot["error"]
    return snapshot


@pytest.mark.slow
async def test_cockpit_renders_offline_with_a_pasted_token(node: tuple[str, str], tmp_path: Path) -> None:
    base, token = node
    async with browser(tmp_path / "profile") as tab:
        await tab.call("Page.navigate", url=f"{base}/cockpit")
        await tab.wait_for("document.body.dataset.state === 'login'")
        csp = tab.response_headers(f"{base}/cockpit")["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "connect-src 'self'" in csp
        assert "unsafe" not in csp

        # Pasted once …
        await tab.evaluate(
            f"document.getElementById('token').value = {token!r}; "
            "document.getElementById('enter').click(); true"
        )
        shown = await _ready(tab)
        assert shown["stored"] == token
        assert shown["crumbs"] == ["湖州市"]
        for name, values in shown["trends"].items():
            assert len(values) == 12, name
            assert _positive(values), f"the {name} chart holds no data: {values}"
        assert _positive(shown["compare"])
        assert _positive(shown["comparePayments"])
        lights = dict(shown["lights"])
        assert len(lights) >= 32
        assert lights[INDICATOR] in {"red", "yellow", "green"}
        rows = {row[0]: row[1:] for row in shown["rows"]}
        assert set(rows) == {"吴兴区", "南浔区", "德清县", "长兴县", "安吉县"}
        assert rows["吴兴区"][0] == "2"  # households
        assert rows["南浔区"][0] == "1"
        assert rows["吴兴区"][4] == "1"  # people assessed

        # … drill down: the indicator's children, then into 吴兴区.
        await tab.evaluate(
            f"document.querySelector('#lights li[data-code={INDICATOR}] > button').click(); true"
        )
        children = await tab.wait_for(
            f"Array.from(document.querySelectorAll('#lights li[data-code={INDICATOR}] ul.children li'))"
            ".map((li) => li.dataset.status + ' ' + li.textContent)"
        )
        assert len(children) == 5
        await tab.evaluate(
            f"document.querySelector('#lights li[data-code={INDICATOR}] ul.children "
            'button[data-region="330502000000"]\').click(); true'
        )
        await tab.wait_for("document.querySelectorAll('#crumbs button').length === 2")
        county = await _ready(tab)
        assert county["crumbs"] == ["湖州市", "吴兴区"]
        assert county["title"].startswith("吴兴区")
        assert county["compareTitle"] == "各乡镇（街道）对比"
        assert _positive(county["trends"]["households"])

        # … and kept for the tab: a reload needs no token.
        await tab.call("Page.reload")
        again = await _ready(tab)
        assert again["stored"] == token
        assert _positive(again["trends"]["payments"])

        urls = tab.requested_urls()
    assert len(urls) > 20
    strangers = [u for u in urls if not u.startswith(f"{base}/")]
    assert strangers == [], strangers
