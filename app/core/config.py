"""Settings, read from the environment (prefix ``MZ_``) and an optional ``.env`` file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.defaults import DEV_CURSOR_SECRET, DEV_JWT_SECRET, DEV_PII_INDEX_KEY, DEV_PII_KEY
from app.core.strength import production_problems
from app.core.validators import normalize_region_code


class SyncPeer(BaseModel):
    """A node this node pulls from (``MZ_SYNC_PEERS``; see docs/sync.md, "Running a node's pulls")."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    base_url: str
    relation: Literal["child", "parent"]
    token: str
    entities: list[str] | None = None
    interval_s: float = Field(default=0, ge=0)
    region: str | None = None
    """A child's region: every record it sends must lie inside it. When left out, the region
    the child names in its first page is pinned (and must lie below this node's region)."""

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return normalize_region_code(value) if value else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MZ_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./var/mzbrain.db"
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_pool_pre_ping: bool = False
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    db_echo: bool = False

    timezone: str = "Asia/Shanghai"
    # Test only (refused with MZ_ENV=production): a request's ``X-Test-Now`` header sets the
    # clock for that request, so tests against a running node can choose the hour.
    test_clock: bool = False

    node_region: str = "330500"
    node_name: str = ""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    cors_origins: Annotated[list[str], NoDecode] = []
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    import_max_body_bytes: int = Field(default=256 * 1_048_576, ge=1024)
    public_base_url: str = "http://127.0.0.1:8000"
    auto_migrate: bool = True

    jwt_secret: str = DEV_JWT_SECRET
    jwt_public_keys: str = ""
    jwt_jwks_file: str = ""
    jwt_issuer: str = "mzbrain"
    jwt_audience: str = "mzbrain"
    jwt_leeway_s: int = Field(default=30, ge=0, le=300)
    jwt_default_ttl_s: int = Field(default=8 * 3600, ge=60)

    pii_keys: Annotated[dict[str, str], NoDecode] = {"dev": DEV_PII_KEY}
    pii_active_key: str = "dev"
    pii_index_key: str = DEV_PII_INDEX_KEY
    cursor_secret: str = DEV_CURSOR_SECRET
    metrics_token: str = ""
    forwarded_allow_ips: str = ""
    # Idle keep-alive connections are closed after this long. Longer than the idle timeout of
    # the proxy in front (nginx and most load balancers: 60 s), so the proxy, never this node,
    # closes an idle connection and no request races a close.
    keep_alive_s: int = Field(default=75, ge=1, le=3600)

    auth_fail_limit: int = Field(default=10, ge=1)
    auth_fail_window_s: int = Field(default=60, ge=1)
    idempotency_ttl_s: int = Field(default=86_400, ge=60)

    sync_peers: Annotated[list[SyncPeer], NoDecode] = []
    sync_page_size: int = Field(default=500, ge=1, le=5000)
    sync_timeout_s: float = Field(default=30.0, gt=0)
    sync_max_retries: int = Field(default=5, ge=0)
    change_log_retention_days: int = Field(default=0, ge=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("pii_keys", "sync_peers", mode="before")
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"MZ_TIMEZONE: unknown time zone {value!r}") from exc
        return value

    @field_validator("node_region")
    @classmethod
    def _node_region(cls, value: str) -> str:
        return normalize_region_code(value)

    @model_validator(mode="after")
    def _check_keys(self) -> Settings:
        if self.pii_active_key not in self.pii_keys:
            raise ValueError("MZ_PII_ACTIVE_KEY must name a key in MZ_PII_KEYS")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def node_label(self) -> str:
        return self.node_name or f"node-{self.node_region[:6]}"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def hs256_secret(self) -> str | None:
        """The HS256 key, or None when HS256 is off. In production the development value is
        never a key, whatever else is set: HS256 needs ``MZ_JWT_SECRET`` set explicitly."""
        if not self.jwt_secret:
            return None
        if self.is_production and self.jwt_secret == DEV_JWT_SECRET:
            return None
        return self.jwt_secret

    def development_defaults_in_use(self) -> list[str]:
        """Names of secrets still at their development value."""
        found: list[str] = []
        if self.jwt_secret == DEV_JWT_SECRET and not (self.jwt_public_keys or self.jwt_jwks_file):
            found.append("MZ_JWT_SECRET")
        if DEV_PII_KEY in self.pii_keys.values():
            found.append("MZ_PII_KEYS")
        if self.pii_index_key == DEV_PII_INDEX_KEY:
            found.append("MZ_PII_INDEX_KEY")
        if self.cursor_secret == DEV_CURSOR_SECRET:
            found.append("MZ_CURSOR_SECRET")
        return found

    def check_production(self) -> None:
        """Refuse to run in production on development or weak secrets, naming each setting."""
        if not self.is_production:
            return
        problems = production_problems(self)
        if problems:
            raise RuntimeError("MZ_ENV=production refuses these settings:\n  " + "\n  ".join(problems))

    def sqlite_path(self) -> Path | None:
        """The SQLite file the URL names, or None for another engine or an in-memory DB."""
        if not self.is_sqlite:
            return None
        _, _, rest = self.database_url.partition(":///")
        path = rest.split("?", 1)[0]
        if not path or path == ":memory:":
            return None
        return Path(path)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
