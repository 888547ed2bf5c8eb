"""Idle keep-alive connections: the node closes them after ``MZ_KEEP_ALIVE_S`` (75 s by default,
longer than a proxy's usual 60 s), so a proxy reusing an idle connection never races a close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.databases import TestDatabase
from tests.resilience.service import serving

pytestmark = pytest.mark.slow

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    database = TestDatabase()
    url = await database.create()
    try:
        yield url
    finally:
        await database.drop()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """Send one request, read its whole answer, return the head."""
    writer.write(REQUEST)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await asyncio.wait_for(reader.readexactly(length), timeout=10)
    return head


async def _still_open(reader: asyncio.StreamReader) -> bool:
    """False when the server has closed its side (an end of stream is waiting to be read)."""
    try:
        await asyncio.wait_for(reader.read(1), timeout=0.2)
    except TimeoutError:
        return True
    return False


async def _open_then_idle(port: int, idle_s: float) -> tuple[bytes, bytes]:
    """One request, ``idle_s`` seconds of silence, then whatever the server sends (b"" when it
    closed the connection meanwhile) and the head of a second request's answer, if any."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        first = await _exchange(reader, writer)
        assert first.startswith(b"HTTP/1.1 200"), first
        await asyncio.sleep(idle_s)
        if reader.at_eof() or not await _still_open(reader):
            return b"", b""
        try:
            return b"open", await _exchange(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            return b"open", b""
    finally:
        writer.close()


async def test_an_idle_connection_outlives_a_short_proxy_idle_time(database_url: str) -> None:
    async with serving(database_url) as service:
        state, second = await _open_then_idle(service.port, idle_s=7)
    assert state == b"open", "closed after 7 s idle: the node would race a proxy reusing it"
    assert second.startswith(b"HTTP/1.1 200"), second


async def test_the_idle_time_is_set_by_the_operator(database_url: str) -> None:
    async with serving(database_url, MZ_KEEP_ALIVE_S="1") as service:
        state, _ = await _open_then_idle(service.port, idle_s=3)
    assert state == b"", "an idle connection should be closed after MZ_KEEP_ALIVE_S"
