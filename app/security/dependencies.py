"""FastAPI dependencies: the current principal, permission checks, the unit of work, the PII
cipher — and the handlers that audit and rate-limit denied requests."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.config import Settings
from app.core.db import Database, WriteSession
from app.core.errors import DomainError, Forbidden, Unauthorized, problem_response
from app.core.middleware import route_template
from app.ledger import audit
from app.ledger.actor import Actor
from app.ledger.unit_of_work import UnitOfWork
from app.security.permissions import allowed
from app.security.pii import PiiCipher
from app.security.principal import Principal
from app.security.ratelimit import record_failure
from app.security.tokens import TokenError, TokenVerifier

log = logging.getLogger("app.security")
T = TypeVar("T")
_bearer = HTTPBearer(auto_error=False, description="A JWT minted by `python -m app token`.")


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_pii(request: Request) -> PiiCipher:
    cipher: PiiCipher = request.app.state.pii
    return cipher


AppSettings = Annotated[Settings, Depends(get_settings_dep)]
Pii = Annotated[PiiCipher, Depends(get_pii)]


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("a bearer token is required")
    verifier: TokenVerifier = request.app.state.tokens
    try:
        principal = verifier.verify(credentials.credentials)
    except TokenError as exc:
        raise Unauthorized(str(exc)) from None
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(action: str) -> Any:
    """A dependency that yields the principal when one of its roles allows ``action``."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not allowed(principal.roles, action):
            raise Forbidden(f"roles {', '.join(principal.roles)} may not {action}")
        return principal

    check.__name__ = f"require_{action.replace(':', '_')}"
    check.required_action = action  # type: ignore[attr-defined]
    return Depends(check)


def actor_of(request: Request, principal: Principal | None = None) -> Actor:
    found = principal or getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found.actor(request_id(request), client_addr(request))
    return Actor(sub="anonymous", request_id=request_id(request), client_addr=client_addr(request))


async def unit_of_work(request: Request, session: WriteSession, principal: CurrentPrincipal) -> UnitOfWork:
    return UnitOfWork(
        session,
        actor_of(request, principal),
        node_region=request.app.state.settings.node_region,
        owns_shipped=request.app.state.owns_shipped,
    )


Writer = Annotated[UnitOfWork, Depends(unit_of_work)]


def _denial_details(request: Request, exc: DomainError) -> dict[str, Any]:
    return {
        "status": exc.status,
        "method": request.method,
        "route": route_template(request.scope),
        "reason": (exc.detail or exc.title)[:200],
    }


def install_denial_handlers(
    app: FastAPI, fallback: Callable[[Request, Exception], Awaitable[JSONResponse]]
) -> None:
    """Audit every 401 and 403; turn repeated 401s from one address into 429s."""

    async def on_unauthorized(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Unauthorized)
        db: Database = request.app.state.db
        settings: Settings = request.app.state.settings
        actor = actor_of(request)
        limited = False
        retry_after = 0
        try:
            async with db.writer() as session, session.begin():
                count = await record_failure(session, client_addr(request), settings.auth_fail_window_s)
                limited = count.failures > settings.auth_fail_limit
                retry_after = count.retry_after_s
                if not limited:
                    await audit.append(
                        session, actor, "auth.denied", outcome="denied", details=_denial_details(request, exc)
                    )
                elif count.failures == settings.auth_fail_limit + 1:
                    await audit.append(
                        session,
                        actor,
                        "auth.rate_limited",
                        outcome="denied",
                        details={**_denial_details(request, exc), "status": 429},
                    )
        except Exception as failure:  # bookkeeping must not turn a 401 into a 500
            log.error("auth failure bookkeeping failed: %s", type(failure).__name__)
        if limited:
            return problem_response(
                429,
                slug="too-many-requests",
                title="Too Many Requests",
                detail="too many failed authentications from this address; wait and retry",
                headers={"Retry-After": str(retry_after)},
            )
        return await fallback(request, exc)

    async def on_forbidden(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Forbidden)
        db: Database = request.app.state.db
        await audit.append_detached(
            db.writer,
            actor_of(request),
            "access.denied",
            outcome="denied",
            details=_denial_details(request, exc),
        )
        return await fallback(request, exc)

    app.add_exception_handler(Unauthorized, on_unauthorized)
    app.add_exception_handler(Forbidden, on_forbidden)


async def audit_reveal(
    request: Request,
    principal: Principal,
    resource_type: str,
    resource_id: str,
    region_code: str | None = None,
) -> None:
    """Record that personal data was shown in clear. Raises when the audit cannot be written,
    so nothing is revealed without its audit event. ``region_code`` is the record's region
    (by default the principal's scope)."""
    db: Database = request.app.state.db
    async with db.writer() as session, session.begin():
        await audit.append(
            session,
            actor_of(request, principal),
            "pii.reveal",
            resource_type=resource_type,
            resource_id=resource_id,
            details={"route": route_template(request.scope)},
            region_code=region_code,
        )


def check_reveal(principal: Principal) -> None:
    if not allowed(principal.roles, "pii:reveal"):
        raise Forbidden(f"roles {', '.join(principal.roles)} may not reveal personal data")


async def read_revealing(
    request: Request,
    principal: Principal,
    reveal: bool,
    resource_type: str,
    resource_id: str,
    load: Callable[[bool], Awaitable[T]],
) -> T:
    """Load a record, with personal data in clear when ``reveal`` is asked for: the role must
    allow it (403 before anything is read) and the reveal is audited once the record is found."""
    if reveal:
        check_reveal(principal)
    result = await load(reveal)
    if reveal:
        region = (
            result.get("region_code") if isinstance(result, Mapping) else getattr(result, "region_code", None)
        )
        await audit_reveal(
            request, principal, resource_type, resource_id, region if isinstance(region, str) else None
        )
    return result
