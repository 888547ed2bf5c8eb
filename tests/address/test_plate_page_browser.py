"""The plate page in a real browser: the service runs under uvicorn against the suite's
database and headless Chromium takes a phone-sized screenshot of ``/p/{plate_code}``.

Chromium is Debian's ``chromium``; without it the test is skipped, except under CI=true,
where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import httpx
import pytest

from tests.address.helpers import address, create
from tests.conftest import NODE_REGION, TokenFactory
from tests.databases import IN_CI

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTH, HEIGHT = 390, 844
BACKGROUND = (0xEE, 0xF2, 0xF7)
PLATE_BLUE = (0x0B, 0x4F, 0x9C)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows (RGB, unfiltered) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0)
    channels = {2: 3, 6: 4}[colour]
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            adjust = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[x] = (line[x] + adjust) & 0xFF
        rows.append(b"".join(bytes(line[i : i + 3]) for i in range(0, stride, channels)))
        previous = line
    return width, height, rows


def _near(pixel: bytes, colour: tuple[int, int, int]) -> bool:
    return all(abs(p - c) <= 12 for p, c in zip(pixel, colour, strict=True))


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a loaded machine starts the server slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the service exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the service did not come up")


@pytest.mark.slow
async def test_plate_page_renders_on_a_phone(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("chromium is required under CI=true (apt-get install -y chromium)")
        pytest.skip("chromium is not installed")
    created = await create(
        client,
        auth("operator", region="330502"),
        address(compound="凤凰小区", building="3", unit="2", room="301"),
    )
    port = _free_port()
    env = {
        **os.environ,
        "MZ_DATABASE_URL": database_url,
        "MZ_ENV": "test",
        "MZ_NODE_REGION": NODE_REGION,
        "MZ_LOG_LEVEL": "WARNING",
        "MZ_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    shot = tmp_path / "plate.png"
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/healthz", server)
        browser = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
             f"--window-size={WIDTH},{HEIGHT}", f"{base}/p/{created['plate_code']}"],
            capture_output=True,
            timeout=120,
            check=False,
        )  # fmt: skip
        assert browser.returncode == 0, browser.stderr.decode()[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=15)
        if server.stderr:
            server.stderr.close()
    width, height, rows = read_png(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    pixels = [row[i : i + 3] for row in rows for i in range(0, len(row), 3)]
    background = sum(_near(p, BACKGROUND) for p in pixels) / len(pixels)
    assert 0.2 < background < 0.95, background  # the page's own background, not blank
    top = [row[i : i + 3] for row in rows[: HEIGHT // 3] for i in range(0, len(row), 3)]
    assert sum(_near(p, PLATE_BLUE) for p in top) > 0.05 * len(top)  # the blue plate at the top
    assert len(set(pixels)) > 50  # text and the QR code, not flat colour
