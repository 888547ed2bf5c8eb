"""Failed authentications per client address, counted in the database so every worker process
shares one count. Fixed windows of ``MZ_AUTH_FAIL_WINDOW_S`` seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_UPSERT = text(
    """
    INSERT INTO auth_failure (client_addr, window_start, failures)
    VALUES (:client, :now, 1)
    ON CONFLICT (client_addr) DO UPDATE SET
      failures = CASE WHEN auth_failure.window_start > :cutoff
                      THEN auth_failure.failures + 1 ELSE 1 END,
      window_start = CASE WHEN auth_failure.window_start > :cutoff
                          THEN auth_failure.window_start ELSE :now END
    RETURNING failures, window_start
    """
)


@dataclass(frozen=True, slots=True)
class FailureCount:
    failures: int
    retry_after_s: int


async def record_failure(session: AsyncSession, client: str, window_s: int) -> FailureCount:
    now = int(time.time())
    row = (
        await session.execute(_UPSERT, {"client": client[:100], "now": now, "cutoff": now - window_s})
    ).one()
    failures, started = int(row[0]), int(row[1])
    return FailureCount(failures=failures, retry_after_s=max(1, started + window_s - now))
