"""One typed settings object.

Values come from the environment (``GAPWATCH_*``), then a ``.env`` file, then the documented defaults
below. Nothing reads settings at import time: callers build :class:`Settings` and pass it to
``get_engine(settings)`` or ``create_app(settings)``. Every field carries a description, and a test
proves each one is documented in ``docs/settings.md``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """gapwatch configuration. Environment variable names are the field names upper-cased with ``GAPWATCH_``."""

    model_config = SettingsConfigDict(env_prefix="GAPWATCH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///gapwatch.db",
        description="SQLAlchemy URL of the database: SQLite file by default, or postgresql+psycopg://…",
    )
    secret_key: str = Field(
        default="",
        description="Key that signs session cookies and CSRF tokens. Empty means a random key per process "
        "(sessions end when the server restarts); set it in production.",
    )
    upload_limit_mb: int = Field(
        default=50, ge=1, description="Largest file, in megabytes, that the web app accepts for import."
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
        default=5, ge=1, description="Failed sign-ins allowed per account and per address each minute."
    )
    log_level: str = Field(default="INFO", description="Logging level of the server and CLI.")
