"""The development defaults of the secrets: what makes `python -m app serve` work on a fresh
machine, and what `MZ_ENV=production` refuses (``app.core.strength``)."""

from __future__ import annotations

# Development defaults. They make `python -m app serve` work on a fresh machine and are
# refused with MZ_ENV=production.
DEV_JWT_SECRET = "dev-only-jwt-secret-not-for-production-0123456789"  # noqa: S105
DEV_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="  # base64 of 32 bytes
DEV_PII_INDEX_KEY = "dev-only-pii-index-key-not-for-production"
DEV_CURSOR_SECRET = "dev-only-cursor-secret-not-for-production"  # noqa: S105
