"""What the care routers share: role dependencies, the export format, file answers, export audits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from app.care import export
from app.core.db import Database
from app.core.errors import error_responses
from app.ledger import audit
from app.security.dependencies import actor_of, require
from app.security.principal import Principal

Reader = Annotated[Principal, require("care:read")]
Operator = Annotated[Principal, require("care:write")]
Exporter = Annotated[Principal, require("catalog:export")]
ExportFormat = Annotated[export.Format, Query(description="csv or xlsx")]


def file_responses(what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": what,
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}} for media in export.MEDIA.values()
            },
        },
        **error_responses(422),
    }


async def audit_export(request: Request, principal: Principal, dataset: str, fmt: str, rows: int) -> None:
    """One audit event per export, written before the file is sent."""
    db: Database = request.app.state.db
    async with db.writer() as session, session.begin():
        await audit.append(
            session,
            actor_of(request, principal),
            "care.export",
            resource_type=dataset,
            details={"format": fmt, "scope": principal.region, "rows": rows},
        )


def file_response(body: bytes, fmt: str, stem: str) -> Response:
    return Response(
        body,
        media_type=export.MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
