"""The cockpit's files: open (no token), Chinese, under a strict Content-Security-Policy, and
referring to nothing outside this service."""

from __future__ import annotations

import re

from tests.analytics.conftest import Brain

EXTERNAL = re.compile(r"(?:https?:)?//[a-z0-9.-]+", re.IGNORECASE)


async def test_page_needs_no_token_and_loads_nothing_from_elsewhere(brain: Brain) -> None:
    page = await brain.client.get("/cockpit")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe" not in csp
    assert "http" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert '<html lang="zh-CN">' in html
    assert "驾驶舱" in html
    assert "<style" not in html  # inline styles would need 'unsafe-inline'
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["/cockpit/cockpit.css", "/cockpit/cockpit.js"]
    for path, kind in (("/cockpit/cockpit.js", "text/javascript"), ("/cockpit/cockpit.css", "text/css")):
        served = await brain.client.get(path)
        assert served.status_code == 200
        assert served.headers["content-type"].startswith(kind)
        assert EXTERNAL.findall(served.text) == [], path
    assert EXTERNAL.findall(html) == []


async def test_the_script_keeps_the_token_in_session_storage_only(brain: Brain) -> None:
    script = (await brain.client.get("/cockpit/cockpit.js")).text
    assert "sessionStorage" in script
    assert "localStorage" not in script
    assert "document.cookie" not in script
    assert "innerHTML" not in script  # text goes in as text; charts are parsed as SVG documents
    assert re.findall(r'"(/api/v1/[a-z/_${}.]*)', script)  # every call is to this service's API
