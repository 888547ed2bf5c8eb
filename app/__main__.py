"""``python -m app …``: serve, migrate, openapi, token and the other commands."""

from app.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
