"""Digital house plates: QR images under /api/v1 and the open page /p/{plate_code}."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from app.address import plate
from tests.address.helpers import BASE, address, create
from tests.conftest import TokenFactory


async def test_plate_images_encode_the_public_url(
    client: httpx.AsyncClient, auth: TokenFactory, app: FastAPI
) -> None:
    h = auth("operator", region="330502")
    created = await create(client, h, address(building="2"))
    url = plate.plate_url(app.state.settings.public_base_url, created["plate_code"])
    svg = await client.get(f"{BASE}/{created['id']}/plate.svg", headers=auth("viewer"))
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.content == plate.svg(url, created["full_name"])
    assert f"<title>{created['full_name']}</title>" in svg.text
    png = await client.get(f"{BASE}/{created['id']}/plate.png", headers=auth("viewer"))
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content == plate.png(url)
    assert (await client.get(f"{BASE}/{created['id']}/plate.png")).status_code == 401


async def test_public_page_is_open_self_contained_and_cached(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    created = await create(
        client, auth("operator", region="330502"), address(building="2", unit="1", room="502")
    )
    r = await client.get(f"/p/{created['plate_code']}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "public, max-age=300"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert created["full_name"] in page
    for name in ("浙江省", "湖州市", "吴兴区", "月河街道"):
        assert f"<li>{name}</li>" in page
    assert created["plate_code"] in page
    code = created["address_code"]
    assert " ".join((code[:12], code[12:17], code[17:21], code[21:24], code[24:26], code[26:])) in page
    assert 'name="viewport"' in page
    assert "<svg" in page
    # nothing is loaded from anywhere: no scripts, no links, no external URLs
    assert "<script" not in page
    assert "<link" not in page
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)
    # the code is case-insensitive on the way in
    assert (await client.get(f"/p/{created['plate_code'].lower()}")).status_code == 200


async def test_unknown_plate_is_a_small_404_page(client: httpx.AsyncClient) -> None:
    for code in ("0000000000", "not-a-code", "ZZZZZZZZZZZZZZZZ"):
        r = await client.get(f"/p/{code}")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "未找到此门牌" in r.text
        assert len(r.content) < 8000


async def test_retired_plate_page_points_to_the_successor(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("operator", region="330502")
    old = await create(client, h)
    new = await create(client, h)
    r = await client.post(f"{BASE}/{old['id']}/retire", json={"successor_id": new["id"]}, headers=h)
    assert r.status_code == 200
    page = (await client.get(f"/p/{old['plate_code']}")).text
    assert "已停用" in page
    assert f'href="/p/{new["plate_code"]}"' in page
    assert new["full_name"] in page
