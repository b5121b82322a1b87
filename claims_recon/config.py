"""Settings read from the environment (prefix ``CLAIMS_RECON_``).

Settings are built once, by whoever creates the app or the CLI, and passed down; nothing
reads the environment at import time.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE = "data/claims_recon.duckdb"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_RECON_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE,
        description="Where runs are kept: a DuckDB file path, ':memory:', or a postgresql:// URL.",
    )
    upload_dir: Path | None = Field(
        default=None,
        description="Where upload bodies are spooled while they are checked. "
        "Defaults to an 'uploads' folder beside the DuckDB file, or the system temp folder.",
    )
    max_upload_bytes: Annotated[int, Field(gt=0)] = 2 * 1024**3
    max_errors: Annotated[int, Field(gt=0, le=10_000)] = 100
    page_size_default: Annotated[int, Field(gt=0)] = 100
    page_size_max: Annotated[int, Field(gt=0, le=1000)] = 1000
    default_tolerance_amount: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] = (
        Decimal("0.00")
    )
    default_tolerance_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal(
        "0"
    )
    pool_size: Annotated[int, Field(gt=0, le=1000)] = Field(
        default=10, description="PostgreSQL: connections per process."
    )
    connect_timeout: Annotated[float, Field(gt=0, le=600)] = Field(
        default=10.0, description="PostgreSQL: seconds to wait for a connection at startup."
    )
    max_rows: Annotated[int, Field(gt=0)] = Field(
        default=50_000_000, description="Rows a single uploaded file may hold."
    )
    api_tokens: str = Field(
        default="",
        description="Who may use the service: comma-separated 'name:sha256-of-token' entries "
        "(make one with `claims-recon token new NAME`). Empty: authentication is off and "
        "only clients on this machine are served.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs web sessions; set the same value on every replica. "
        "Default: random per process.",
    )
    session_idle_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 30
    allow_remote_without_auth: bool = Field(
        default=False,
        description="Serve other machines even though no tokens are configured "
        "(for trials in containers only).",
    )
    cors_origins: str = Field(
        default="", description="Comma-separated origins allowed to call the API from a browser."
    )
    retention_days: Annotated[int | None, Field(gt=0)] = Field(
        default=None, description="Delete runs older than this many days (off by default)."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="'json' writes one JSON object per log line."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    order_cache_mb: Annotated[int, Field(ge=0, le=1024 * 1024)] = Field(
        default=256,
        description="Memory for remembered orderings of browsed views (deep pages without "
        "a sort); 0 turns it off.",
    )
    threads: Annotated[int | None, Field(gt=0)] = None
    memory_limit: str | None = Field(
        default="2GB",
        description="DuckDB's memory limit, e.g. '2GB' (larger sorts spill to disk); empty "
        "for DuckDB's own default of 80% of the machine's memory.",
    )

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, value: str) -> str:
        if "*" in value:
            raise ValueError("list origins explicitly; '*' is refused because of credentials")
        return value

    @field_validator("database_url")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def is_memory(self) -> bool:
        return self.database_url == ":memory:"

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def resolved_upload_dir(self) -> Path | None:
        """The spool folder, or None for the system temp folder."""
        if self.upload_dir is not None:
            return self.upload_dir
        if self.is_memory or "://" in self.database_url:
            return None
        return Path(self.database_url).expanduser().resolve().parent / "uploads"
