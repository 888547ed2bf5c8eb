"""Revision 0008 re-normalises identity text stored as typed by earlier releases.

A database at revision 0007 holds one person registered three times — in ASCII, full-width and
Arabic-Indic digits, each encrypted and blind-indexed as typed (as the earlier release did), in
two counties. ``python -m app migrate upgrade`` (a real process, with the node's keys) turns
them into one ID number, so ``/recipients/duplicates`` lists the person and the ID filter finds
all three households. Without the keys the migration refuses and changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import head_revision, upgrade
from app.core.record import snapshot
from app.ledger.changelog import ChangeLog
from app.main import create_app
from app.recipient.models import Household, Member
from app.security.pii import PiiCipher
from app.security.tokens import mint
from tests.conftest import make_settings
from tests.factories import id_number

ROOT = Path(__file__).resolve().parents[2]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def _keys() -> dict[str, str]:
    return {
        "MZ_PII_KEYS": json.dumps({"k1": base64.b64encode(os.urandom(32)).decode()}),
        "MZ_PII_ACTIVE_KEY": "k1",
        "MZ_PII_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def _settings(url: str, keys: dict[str, str]) -> Settings:
    return make_settings(
        url,
        pii_keys=json.loads(keys["MZ_PII_KEYS"]),
        pii_active_key=keys["MZ_PII_ACTIVE_KEY"],
        pii_index_key=keys["MZ_PII_INDEX_KEY"],
    )


def _old_index(settings: Settings, plain: str) -> str:
    """The blind index as earlier releases computed it: on the text as typed."""
    return hmac.new(
        settings.pii_index_key.encode(), f"id_number:{plain}".encode(), hashlib.sha256
    ).hexdigest()


def _columns(conn: Connection, name: str) -> set[str]:
    return {column["name"] for column in sa_inspect(conn).get_columns(name)}


async def _register_as_typed(url: str, settings: Settings, person: str) -> list[uuid.UUID]:
    """Three households holding ``person`` spelled three ways, written as release 0007 did."""
    cipher = PiiCipher.from_settings(settings)
    engine = create_async_engine(url)
    ids = []
    now = datetime.now(UTC)
    spellings = [
        ("330502001000", person, "13812345678"),
        ("330502002000", full_width(person), "１３８-１２３４-５６７８"),
        ("330503001000", person.translate(ARABIC_INDIC), None),
    ]
    try:
        async with engine.begin() as conn:
            for region, typed, phone in spellings:
                household = Household(
                    region_code=region,
                    origin=region[:6] + "000000",
                    version=1,
                    category="dibao",
                    status="approved",
                    monthly_income_fen=100_000,
                    member_count=1,
                    head_name="孙立",
                    applied_on=date(2020, 1, 1),
                    created_at=now,
                    updated_at=now,
                )
                member = Member(
                    household_id=household.id,
                    region_code=region,
                    origin=household.origin,
                    version=1,
                    name="孙立",
                    relation="head",
                    id_number_enc=cipher.encrypt("id_number", typed),
                    id_number_hash=_old_index(settings, typed),
                    id_number_masked=typed[:6] + "********" + typed[-4:],
                    birth_date=date(1958, 6, 1),
                    sex="male",
                    phone_enc=cipher.encrypt("phone", phone) if phone else None,
                    phone_masked=phone[:3] + "****" + phone[-4:] if phone else None,
                    created_at=now,
                    updated_at=now,
                )
                records: list[Household | Member] = [household, member]
                for record in records:
                    table: Any = getattr(type(record), "__table__")  # noqa: B009
                    # Only the columns the table had at 0007 (later revisions add more).
                    present = await conn.run_sync(_columns, table.name)
                    values = {k: v for k, v in snapshot(record).items() if k in present}
                    row = {c.key: getattr(record, c.key) for c in table.columns if c.key in present}
                    bare = sa_table(table.name, *(table.c[k]._copy() for k in row))
                    await conn.execute(insert(bare).values(**row))
                    await conn.execute(
                        insert(ChangeLog).values(
                            entity=type(record).entity_name,
                            record_id=record.id,
                            op="upsert",
                            version=1,
                            region_code=region,
                            origin=record.origin,
                            changed_at=now,
                            snapshot=values,
                        )
                    )
                ids.append(household.id)
    finally:
        await engine.dispose()
    return ids


def _migrate(url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MZ_")}
    environment.update({"MZ_ENV": "test", "MZ_DATABASE_URL": url, "MZ_NODE_REGION": "330500", **env})
    return subprocess.run(
        [sys.executable, "-m", "app", "migrate", "upgrade"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def _revision(url: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one())
    finally:
        await engine.dispose()


async def test_earlier_duplicates_show_up_after_the_migration(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db(migrate=False)
    await asyncio.to_thread(upgrade, url, "0007")
    keys = _keys()
    settings = _settings(url, keys)
    person = id_number("330502", born=date(1958, 6, 1))
    households = await _register_as_typed(url, settings, person)

    done = await asyncio.to_thread(_migrate, url, keys)
    assert done.returncode == 0, done.stderr[-2000:]
    assert await _revision(url) == head_revision()

    db = Database(settings)
    app = create_app(settings, database=db)
    admin = {"Authorization": "Bearer " + mint(settings, sub="city-admin", roles=["admin"], region="330500")}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            dupes = await c.get("/api/v1/recipients/duplicates", headers=admin)
            assert dupes.status_code == 200, dupes.text
            items = dupes.json()["items"]
            assert len(items) == 1
            assert sorted(items[0]["households"]) == sorted(str(h) for h in households)
            assert items[0]["id_number"] == person[:6] + "********" + person[-4:]
            assert items[0]["regions"] == ["330502001000", "330502002000", "330503001000"]

            found = await c.get("/api/v1/recipients", params={"id_number": person}, headers=admin)
            assert len(found.json()["items"]) == 3
            revealed = await c.get(
                f"/api/v1/recipients/{households[1]}", params={"reveal": "true"}, headers=admin
            )
            member = revealed.json()["members"][0]
            assert member["id_number"] == person
            assert member["phone"] == "13812345678"

        cipher = PiiCipher.from_settings(settings)
        async with db.reader() as session:
            snaps = (
                await session.execute(
                    select(col(ChangeLog.snapshot)).where(col(ChangeLog.entity) == "recipient_member")
                )
            ).scalars()
            for snap in snaps:
                assert cipher.decrypt("id_number", snap["id_number_enc"]) == person
                assert snap["id_number_hash"] == cipher.blind_index("id_number", person)
    finally:
        await db.dispose()


async def test_the_migration_refuses_without_the_keys(fresh_db: Callable[..., Any]) -> None:
    url = await fresh_db(migrate=False)
    await asyncio.to_thread(upgrade, url, "0007")
    keys = _keys()
    person = id_number("330502", born=date(1958, 6, 1))
    await _register_as_typed(url, _settings(url, keys), person)

    other = {**_keys(), "MZ_PII_KEYS": json.dumps({"k9": base64.b64encode(os.urandom(32)).decode()})}
    other["MZ_PII_ACTIVE_KEY"] = "k9"
    refused = await asyncio.to_thread(_migrate, url, other)
    assert refused.returncode != 0
    assert "MZ_PII_KEYS" in refused.stderr
    assert await _revision(url) == "0007"

    done = await asyncio.to_thread(_migrate, url, keys)
    assert done.returncode == 0, done.stderr[-2000:]
    assert await _revision(url) == head_revision()
