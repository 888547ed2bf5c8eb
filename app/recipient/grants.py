"""Temporary assistance (临时救助): one-off grants, emergency (急难型) or expenditure (支出型).

A grant is a payment of kind ``emergency`` or ``expenditure`` for the current local month,
outside any run; ``GET /recipients/{id}/payments`` lists it and the payment totals count it.
Each grant is capped per county by a dated standard (``temporary_grant_cap``, yuan per
grant); where none is set the cap is 6 × the monthly dibao standard in force. A grant above
the cap needs the admin role (403 otherwise) and a reason (422 otherwise).

Grants may go to any household not exited or rejected, approved or not yet: emergency aid is
given first and the procedure completed afterwards (先行救助, 《国务院关于全面建立临时救助制度的
通知》国发〔2014〕47号).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import clock
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.money import to_fen
from app.ledger.unit_of_work import UnitOfWork
from app.recipient.eligibility import monthly
from app.recipient.exceptions import HouseholdNotFound
from app.recipient.models import Payment
from app.recipient.payment_schemas import GrantCreate, PaymentRead
from app.recipient.payment_views import payment_read
from app.recipient.repository import RecipientRepository
from app.security.permissions import allowed
from app.security.principal import Principal
from app.standard import service as standards

DEFAULT_CAP_MONTHS = 6
CLOSED_STATUSES = frozenset({"exited", "rejected"})


async def grant_cap(session: AsyncSession, region_code: str, on: date) -> tuple[Decimal | None, str]:
    """The cap per grant in force and where it comes from."""
    cap = await standards.effective_value(session, "temporary_grant_cap", region_code, on)
    if cap is not None:
        return cap, "temporary_grant_cap standard"
    annual = await standards.effective_value(session, "dibao_annual", region_code, on)
    if annual is None:
        return None, "no cap and no dibao standard in force"
    return monthly(annual) * DEFAULT_CAP_MONTHS, f"{DEFAULT_CAP_MONTHS} × the monthly dibao standard"


async def grant(
    uow: UnitOfWork, principal: Principal, household_id: uuid.UUID, data: GrantCreate
) -> PaymentRead:
    household = await RecipientRepository(uow.session).get(household_id, principal.region, for_update=True)
    if household is None:
        raise HouseholdNotFound(household_id)
    uow.check_writable(household)
    if household.status in CLOSED_STATUSES:
        raise Conflict(
            f"the household is {household.status}; grants go to households not exited or rejected",
            extra={"household_status": household.status},
        )
    cap, source = await grant_cap(uow.session, household.region_code, clock.today())
    over = cap is None or data.amount > cap
    if over:
        limit = f"the cap of {cap} per grant ({source})" if cap is not None else f"a cap ({source})"
        if not allowed(principal.roles, "recipient:admin"):
            raise Forbidden(
                f"{data.amount} is above {limit} in {household.region_code}; "
                "only an admin may grant above the cap, with a reason",
                extra={"cap": str(cap) if cap is not None else None},
            )
        if not data.reason:
            raise Unprocessable.at(("body", "reason"), f"a grant above {limit} needs a reason")
    payment = Payment(
        run_id=None,
        household_id=household.id,
        member_id=None,
        region_code=household.region_code,
        month=clock.this_month(),
        category=household.category,
        kind=data.kind,
        amount_fen=to_fen(data.amount),
        member_count=household.member_count,
        reason=data.reason or None,
    )
    await uow.create(
        payment,
        action="payment.grant",
        details={
            "kind": data.kind,
            "amount_fen": payment.amount_fen,
            "cap_fen": to_fen(cap) if cap is not None else None,
            "over_cap": over,
        },
    )
    return payment_read(payment)
