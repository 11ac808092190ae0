"""Accounts: users, API tokens and sign-in attempts (for throttling).

Passwords are stored only as Argon2 hashes and API tokens only as SHA-256 digests (a token is a long random
secret, so a fast digest is enough and lets the lookup use an index). ``session_epoch`` is copied into the
signed session cookie; raising it (password reset, deactivation) ends every session of the user at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gapwatch.store.tables import Base, utcnow

__all__ = [
    "ApiTokenRow",
    "LoginAttemptRow",
    "UserRow",
    "count_failed_attempts",
    "find_token",
    "get_user",
    "get_user_by_pk",
    "list_tokens",
    "list_users",
    "prune_attempts",
    "record_attempt",
]


class UserRow(Base):
    """A person who signs in. ``person_id`` links a lead officer to a ``people`` item of the framework."""

    __tablename__ = "users"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str | None] = mapped_column(String(80))
    organisation_id: Mapped[str | None] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # refuses a code used twice
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A bearer token for API clients; acts with its user's role. Only the digest is stored."""

    __tablename__ = "api_tokens"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttemptRow(Base):
    """One sign-in attempt, kept a short while to throttle guessing per account and per address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


def get_user(session: Session, username: str) -> UserRow | None:
    """The user with this username (case-insensitive), or None."""
    return session.scalars(select(UserRow).where(UserRow.username == username.strip().lower())).first()


def get_user_by_pk(session: Session, pk: int) -> UserRow | None:
    """The user with this primary key, or None."""
    return session.get(UserRow, pk)


def list_users(session: Session) -> list[UserRow]:
    """Every user, by username."""
    return list(session.scalars(select(UserRow).order_by(UserRow.username)))


def find_token(session: Session, digest: str) -> ApiTokenRow | None:
    """The token with this digest, or None."""
    return session.scalars(select(ApiTokenRow).where(ApiTokenRow.digest == digest)).first()


def list_tokens(session: Session, user_pk: int) -> list[ApiTokenRow]:
    """A user's tokens, newest first."""
    query = select(ApiTokenRow).where(ApiTokenRow.user_pk == user_pk).order_by(ApiTokenRow.pk.desc())
    return list(session.scalars(query))


def record_attempt(session: Session, username: str, address: str, *, succeeded: bool) -> None:
    """Note a sign-in attempt (the caller commits)."""
    session.add(LoginAttemptRow(username=username[:80], address=address[:64], succeeded=succeeded, at=utcnow()))


def count_failed_attempts(session: Session, *, since: datetime, username: str, address: str) -> tuple[int, int]:
    """Failed attempts since ``since``: (for this username, from this address)."""
    base = (
        select(func.count())
        .select_from(LoginAttemptRow)
        .where(LoginAttemptRow.at >= since, LoginAttemptRow.succeeded.is_(False))
    )
    by_user = session.scalar(base.where(LoginAttemptRow.username == username)) or 0
    by_address = session.scalar(base.where(LoginAttemptRow.address == address)) or 0
    return int(by_user), int(by_address)


def prune_attempts(session: Session, *, before: datetime) -> None:
    """Forget attempts older than ``before`` (they no longer count towards any limit)."""
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
