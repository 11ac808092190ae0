"""One typed settings object.

Values come from the environment (``GAPWATCH_*``), then a ``.env`` file, then the documented defaults
below. Nothing reads settings at import time: callers build :class:`Settings` and pass it to
``get_engine(settings)`` or ``create_app(settings)``. Every field carries a description, and a test
proves each one is documented in ``docs/settings.md``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """gapwatch configuration. Environment variable names are the field names upper-cased with ``GAPWATCH_``."""

    model_config = SettingsConfigDict(env_prefix="GAPWATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///gapwatch.db",
        description="SQLAlchemy URL of the database: SQLite file by default, or postgresql+psycopg://…",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        le=200,
        description="Database connections each server process keeps open (as many again may open at peaks). "
        "A page holds one while it is built: with fewer than the requests in flight, pages wait for one.",
    )
    secret_key: str = Field(
        default="",
        description="Key that signs session cookies and CSRF tokens. Empty means a random key per process "
        "(sessions end when the server restarts); set it in production.",
    )
    upload_limit_mb: int = Field(
        default=50, ge=1, description="Largest file, in megabytes, that the web app accepts for import."
    )
    import_max_file_mb: int = Field(
        default=200,
        ge=1,
        description="Largest data file, in megabytes, that an import reads (CSV, or an Excel workbook as stored).",
    )
    import_max_rows: int = Field(
        default=2_000_000, ge=1, description="Most data rows an imported file (or sheet) may have."
    )
    import_max_columns: int = Field(default=1_000, ge=1, description="Most columns an imported file may have.")
    import_max_cells: int = Field(
        default=20_000_000, ge=1, description="Most filled cells (rows times columns) an imported file may have."
    )
    import_max_field_chars: int = Field(
        default=32_767,
        ge=1,
        description="Longest cell, in characters, an imported file may have (32,767 is Excel's own limit).",
    )
    import_max_uncompressed_mb: int = Field(
        default=500,
        ge=1,
        description="Most megabytes an Excel workbook may decompress to (checked before it is parsed).",
    )
    import_max_compression_ratio: int = Field(
        default=200,
        ge=1,
        description="Most an Excel workbook's parts may be compressed (uncompressed size over compressed size): "
        "beyond it the file is refused as a zip bomb.",
    )
    suppression_threshold: int = Field(
        default=5,
        ge=1,
        description="Counts from 1 up to this value minus one are suppressed before publication (5 hides 1-4).",
    )
    public_data_dir: Path | None = Field(
        default=None,
        description="Folder of real public data files (IMD, Fingertips, DfE) that `gapwatch demo` loads if given.",
    )
    partnership_name: str = Field(
        default="",
        description="Name shown in the web app header; empty means the loaded framework's partnership name.",
    )
    https: bool = Field(default=False, description="Set when served over HTTPS so that cookies are marked Secure.")
    login_attempts_per_minute: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins allowed per account each minute (and twelve times as many each hour); "
        "only that account then waits.",
    )
    login_attempts_per_address: int = Field(
        default=30,
        ge=1,
        description="Failed sign-ins allowed from one client address each minute, whatever the usernames; a "
        "browser that signed in to an account before is not held back by it.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For header "
        "names the client (e.g. 127.0.0.1 or 10.0.0.0/8); empty means the header is ignored.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A session ends after this many minutes without a request."
    )
    session_lifetime_hours: int = Field(
        default=12, ge=1, description="A session ends this many hours after signing in, however active."
    )
    admin_confirm_minutes: int = Field(
        default=15,
        ge=1,
        le=120,
        description="An administrator must have entered their password within this many minutes to change "
        "someone else's account; after that gapwatch asks for it again.",
    )
    totp_attempts: int = Field(
        default=5,
        ge=1,
        le=10,
        description="Wrong sign-in codes in a row after which the pending sign-in ends and the account's codes lock.",
    )
    totp_lock_minutes: int = Field(
        default=5,
        ge=1,
        description="How long the first lock of sign-in codes lasts; each further lock in a row doubles it, up "
        "to a day.",
    )
    log_level: str = Field(default="INFO", description="Logging level of the server and CLI.")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"not an address or network: {part.strip()!r}") from exc
        return value

    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The trusted proxies as networks (a single address is a /32 or /128)."""
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False) for part in self.trusted_proxies.split(",") if part.strip()
        )
