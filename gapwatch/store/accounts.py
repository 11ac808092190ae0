"""Accounts: users, their sessions, API tokens and sign-in attempts (for throttling).

Passwords are stored only as Argon2 hashes; API tokens and session ids only as SHA-256 digests (each is a long
random secret, so a fast digest is enough and lets the lookup use an index, and a copy of the database holds
nothing that signs anyone in). A browser's cookie carries only its session id: the session itself (whose it
is, when it started and was last used, a pending second step, an authenticator being set up) is a row here,
so ending it — signing out, a password change or reset, deactivation — takes effect at once on every server.

``users.totp_failures`` counts wrong sign-in codes in a row and ``totp_locked_until`` holds the lock they
earn; ``session_epoch`` is kept from the cookie-only sessions of old and still raised when sessions end.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from gapwatch.store.tables import Base, utcnow

__all__ = [
    "ApiTokenRow",
    "LoginAttemptRow",
    "SessionRow",
    "UserRow",
    "claim_code_attempt",
    "count_failures",
    "delete_sessions",
    "delete_stale_sessions",
    "find_session",
    "find_token",
    "get_user",
    "get_user_by_pk",
    "list_sessions",
    "list_tokens",
    "list_users",
    "prune_attempts",
    "record_attempt",
    "revoke_tokens",
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
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # sealed (services/sealing.py)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # refuses a code used twice
    totp_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # wrong codes in a row
    totp_lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # locks in a row (back-off)
    totp_locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
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


class SessionRow(Base):
    """A browser's session: the cookie holds the id, this row holds everything else.

    ``stage`` is ``"code"`` between a correct password and the sign-in code (the row then ends after a few
    minutes) and ``"active"`` once the user is signed in. ``totp_setup`` keeps the secret of an authenticator
    being set up, so that it never travels in the cookie.
    """

    __tablename__ = "user_sessions"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    address: Mapped[str | None] = mapped_column(String(64))
    totp_setup: Mapped[str | None] = mapped_column(String(255))  # sealed


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


def revoke_tokens(session: Session, user_pk: int, *, at: datetime) -> list[ApiTokenRow]:
    """Revoke every live token of a user; returns those revoked (a person has a handful)."""
    query = select(ApiTokenRow).where(ApiTokenRow.user_pk == user_pk, ApiTokenRow.revoked_at.is_(None))
    rows = list(session.scalars(query))
    for row in rows:
        row.revoked_at = at
    return rows


def find_session(session: Session, digest: str) -> SessionRow | None:
    """The session whose id has this digest, or None."""
    return session.scalars(select(SessionRow).where(SessionRow.digest == digest)).first()


def list_sessions(session: Session, user_pk: int) -> list[SessionRow]:
    """A user's signed-in sessions, most recently used first."""
    query = (
        select(SessionRow)
        .where(SessionRow.user_pk == user_pk, SessionRow.stage == "active")
        .order_by(SessionRow.last_seen_at.desc(), SessionRow.pk.desc())
    )
    return list(session.scalars(query))


def delete_sessions(session: Session, user_pk: int, *, keep: int | None = None) -> int:
    """End every session of a user (but ``keep``, a session's key); returns how many ended."""
    statement = delete(SessionRow).where(SessionRow.user_pk == user_pk)
    if keep is not None:
        statement = statement.where(SessionRow.pk != keep)
    result = session.execute(statement.execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_stale_sessions(
    session: Session, *, idle_before: datetime, started_before: datetime, pending_before: datetime
) -> None:
    """Forget sessions unused since ``idle_before``, started before ``started_before``, or waiting for a
    sign-in code since before ``pending_before``."""
    session.execute(
        delete(SessionRow)
        .where(
            or_(
                SessionRow.last_seen_at < idle_before,
                SessionRow.created_at < started_before,
                (SessionRow.stage != "active") & (SessionRow.created_at < pending_before),
            )
        )
        .execution_options(synchronize_session=False)
    )


def claim_code_attempt(session: Session, user_pk: int, *, now: datetime, limit: int) -> bool:
    """Count one sign-in code attempt against the account, unless it is locked or has used up ``limit``.

    One conditional UPDATE, so that concurrent requests cannot check more codes than the limit between them:
    PostgreSQL makes the second writer wait for the first to commit, SQLite allows one writer at a time.
    Returns whether the attempt may go ahead (the user row is refreshed either way).
    """
    result = session.execute(
        update(UserRow)
        .where(
            UserRow.pk == user_pk,
            or_(UserRow.totp_locked_until.is_(None), UserRow.totp_locked_until <= now),
            UserRow.totp_failures < limit,
        )
        .values(totp_failures=UserRow.totp_failures + 1)
        .execution_options(synchronize_session=False)
    )
    user = session.get(UserRow, user_pk)
    if user is not None:
        session.refresh(user, ["totp_failures", "totp_lockouts", "totp_locked_until"])
    return int(getattr(result, "rowcount", 0) or 0) == 1


def record_attempt(
    session: Session, username: str, address: str, *, succeeded: bool, at: datetime | None = None
) -> None:
    """Note a sign-in attempt (the caller commits)."""
    row = LoginAttemptRow(username=username[:80], address=address[:64], succeeded=succeeded, at=at or utcnow())
    session.add(row)


def count_failures(
    session: Session, *, since: datetime, username: str | None = None, address: str | None = None
) -> int:
    """Failed sign-in attempts since ``since`` for this username and/or from this address."""
    query = (
        select(func.count())
        .select_from(LoginAttemptRow)
        .where(LoginAttemptRow.at >= since, LoginAttemptRow.succeeded.is_(False))
    )
    if username is not None:
        query = query.where(LoginAttemptRow.username == username)
    if address is not None:
        query = query.where(LoginAttemptRow.address == address)
    return int(session.scalar(query) or 0)


def prune_attempts(session: Session, *, before: datetime) -> None:
    """Forget attempts older than ``before`` (they no longer count towards any limit)."""
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
