"""The one write path: the unit of work, the change log, and the audit log's append and chain.

Everything above this package writes records through :class:`app.ledger.unit_of_work.UnitOfWork`
and audit events through :func:`app.ledger.audit.append`; nothing else writes either table.
"""
