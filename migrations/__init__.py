"""Alembic migrations: one history valid on SQLite and PostgreSQL."""
