"""Service look-ups other domains call: latest levels (discovery) and assessed counts (indicators)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from app.assessment import service
from app.core.clock import clock
from app.core.db import Database
from tests.assessment.helpers import body, record
from tests.conftest import TokenFactory
from tests.factories import id_number


async def test_latest_levels_and_assessed_counts(
    client: httpx.AsyncClient, auth: TokenFactory, app: FastAPI, db: Database
) -> None:
    h = auth("operator", region="330522")
    today = clock.today()
    region = "330522000000"
    async with db.reader() as session:
        before = await service.share_assessed(session, region, today)
        before_then = await service.share_assessed(session, region, today - timedelta(days=400))

    fresh, old, amended, never = (id_number("330522") for _ in range(4))
    await record(client, h, body("330522001000", fresh, total=40, assessed_on=today - timedelta(days=20)))
    await record(client, h, body("330522001000", old, total=90, assessed_on=today - timedelta(days=500)))
    first = await record(
        client, h, body("330522002000", amended, total=20, assessed_on=today - timedelta(days=9))
    )
    second = await record(
        client, h, body("330522002000", amended, total=80, assessed_on=today - timedelta(days=9))
    )
    r = await client.post(
        f"/api/v1/assessments/{second['id']}/amendments",
        json={"reason": "x", "items": {"stairs": 0}},
        headers=h,
    )
    assert r.status_code == 201
    assert first["level_code"] == "total"

    pii = app.state.pii
    hashes = {p: pii.blind_index("id_number", p) for p in (fresh, old, amended, never)}
    async with db.reader() as session:
        latest = await service.latest_levels(session, list(hashes.values()))
        after = await service.share_assessed(session, region, today)
        after_then = await service.share_assessed(session, region, today - timedelta(days=400))
    assert latest[hashes[fresh]] == ("severe", today - timedelta(days=20))
    assert latest[hashes[old]] == ("intact", today - timedelta(days=500))
    # Same day twice: the one recorded last wins, and its amendment replaces it.
    assert latest[hashes[amended]] == ("mild", today - timedelta(days=9))
    assert hashes[never] not in latest
    assert (after[0] - before[0], after[1] - before[1]) == (2, 3)
    assert (after_then[0] - before_then[0], after_then[1] - before_then[1]) == (1, 1)
