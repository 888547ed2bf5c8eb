from __future__ import annotations

import httpx

from tests.conftest import TokenFactory


async def test_list_filters_and_paginates(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330500")
    r = await client.get(
        "/api/v1/regions", params={"parent": "330503", "limit": 5, "count": "true"}, headers=h
    )
    assert r.status_code == 200
    page = r.json()
    assert page["total"] == 10
    assert len(page["items"]) == 5
    assert all(item["parent_code"] == "330503000000" for item in page["items"])
    seen = [i["code"] for i in page["items"]]
    while page["next_cursor"]:
        page = (
            await client.get(
                "/api/v1/regions",
                params={"parent": "330503", "limit": 5, "cursor": page["next_cursor"]},
                headers=h,
            )
        ).json()
        seen += [i["code"] for i in page["items"]]
    assert len(seen) == 10 == len(set(seen))
    assert seen == sorted(seen)


async def test_level_and_name_filters(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330500")
    counties = (await client.get("/api/v1/regions", params={"level": "county"}, headers=h)).json()["items"]
    assert {c["name"] for c in counties} == {"吴兴区", "南浔区", "德清县", "长兴县", "安吉县"}
    found = (await client.get("/api/v1/regions", params={"q": "月河"}, headers=h)).json()["items"]
    assert [f["code"] for f in found] == ["330502001000"]


async def test_detail_pads_six_digit_codes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.get("/api/v1/regions/330502", headers=auth("viewer", region="330500"))
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == "330502000000"
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert [a["code"] for a in body["ancestors"]] == ["330000000000", "330500000000"]
    assert "330502001000" in [c["code"] for c in body["children"]]


async def test_scope_hides_other_regions(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("viewer", region="330502")
    assert (await client.get("/api/v1/regions/330503", headers=h)).status_code == 404
    items = (await client.get("/api/v1/regions", params={"limit": 500}, headers=h)).json()["items"]
    assert items
    assert all(i["code"].startswith("330502") for i in items)


async def test_bad_cursor_is_400(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.get("/api/v1/regions", params={"cursor": "forged"}, headers=auth("viewer"))
    assert r.status_code == 400


async def test_limit_above_maximum_is_422(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.get("/api/v1/regions", params={"limit": 501}, headers=auth("viewer"))
    assert r.status_code == 422


async def test_admin_creates_and_updates_a_region(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    h = auth("admin", region="330500")
    r = await client.post("/api/v1/regions", json={"code": "330502001201", "name": "测试村"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["level"] == "village"
    assert r.json()["parent_code"] == "330502001000"
    again = await client.post("/api/v1/regions", json={"code": "330502001201", "name": "测试村"}, headers=h)
    assert again.status_code == 409
    patched = await client.patch(
        "/api/v1/regions/330502001201",
        json={"valid_to": "2030-01-01"},
        headers={**h, "If-Match": r.headers["etag"]},
    )
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    orphan = await client.post("/api/v1/regions", json={"code": "330523999000", "name": "无"}, headers=h)
    assert orphan.status_code == 201
    no_parent = await client.post("/api/v1/regions", json={"code": "330523998201", "name": "无"}, headers=h)
    assert no_parent.status_code == 422


async def test_viewer_may_not_write(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    r = await client.post(
        "/api/v1/regions", json={"code": "330502001202", "name": "x"}, headers=auth("viewer")
    )
    assert r.status_code == 403


async def test_a_region_code_in_other_digits_is_refused_at_its_field(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    h = auth("viewer", region="330500")
    for path, params in (
        ("/api/v1/regions", {"parent": "３３０５０３"}),
        ("/api/v1/recipients", {"region_code": "３３０５０２"}),
    ):
        r = await client.get(path, params=params, headers=h)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["errors"][0]["loc"] == ["query", next(iter(params))]
    assert (await client.get("/api/v1/regions/３３０５０２", headers=h)).status_code == 422
