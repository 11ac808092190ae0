"""Server-side sessions and the sign-in policy (limits and lifetimes) every sign-in check follows.

A browser's cookie holds only a random session id (256 bits); the database holds its SHA-256 digest and
everything the session knows. So a session ends when its row goes — at sign-out, a password change or
reset, deactivation — on every app server at once, and a copied cookie is dead from that moment. A session
also ends after ``idle`` without a request and ``lifetime`` after signing in, however busy (OWASP ASVS 3.3:
12 hours and 30 minutes by default). A new id is issued at each step up (password accepted, code accepted,
password changed), so an id seen before signing in is worth nothing afterwards (session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from gapwatch.services.sealing import Sealer
from gapwatch.store.accounts import (
    SessionRow,
    UserRow,
    delete_sessions,
    delete_stale_sessions,
    find_session,
    list_sessions,
)
from gapwatch.store.tables import utcnow

__all__ = [
    "ACTIVE",
    "AWAITING_CODE",
    "DEFAULT_POLICY",
    "SessionRow",
    "SignInPolicy",
    "aware",
    "end_all_sessions",
    "end_session",
    "live_session",
    "recently_authenticated",
    "sessions_of",
    "start_session",
]

#: The stages of a session: waiting for the sign-in code after a correct password, and signed in.
AWAITING_CODE = "code"
ACTIVE = "active"
#: A session's last use is written at most this often (not on every request).
_TOUCH_EVERY = timedelta(minutes=1)


class _Settings(Protocol):
    login_attempts_per_minute: int
    login_attempts_per_address: int
    totp_attempts: int
    totp_lock_minutes: int
    session_idle_minutes: int
    session_lifetime_hours: int
    admin_confirm_minutes: int
    secret_key: str


@dataclass(frozen=True)
class SignInPolicy:
    """Limits on guessing and the lifetimes of sessions (from the settings of the same names)."""

    attempts_per_minute: int = 5  # wrong passwords per account per minute
    attempts_per_address: int = 30  # wrong passwords from one client address per minute, any usernames
    code_attempts: int = 5  # wrong sign-in codes in a row before the codes lock
    code_lock: timedelta = timedelta(minutes=5)  # the first lock; each further one in a row doubles
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=12)
    code_window: timedelta = timedelta(minutes=5)  # time to enter the code after the password
    #: how recently an administrator must have entered their password to change someone else's account: a
    #: session's id is new at every authentication, so its start is the moment the password was last given
    confirm_window: timedelta = timedelta(minutes=15)
    #: seals authenticator secrets at rest with a key derived from the secret key (see services/sealing.py)
    sealer: Sealer = Sealer()

    @property
    def attempts_per_hour(self) -> int:
        """Wrong passwords per account per hour (twelve minutes' worth: 60 by default, under ASVS's 100)."""
        return 12 * self.attempts_per_minute

    @classmethod
    def from_settings(cls, settings: _Settings) -> SignInPolicy:
        return cls(
            attempts_per_minute=settings.login_attempts_per_minute,
            attempts_per_address=settings.login_attempts_per_address,
            code_attempts=settings.totp_attempts,
            code_lock=timedelta(minutes=settings.totp_lock_minutes),
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(hours=settings.session_lifetime_hours),
            confirm_window=timedelta(minutes=settings.admin_confirm_minutes),
            sealer=Sealer.from_secret_key(settings.secret_key),
        )


#: The policy of the documented default settings.
DEFAULT_POLICY = SignInPolicy()


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` as an aware UTC datetime (SQLite returns naive ones; everything is stored in UTC)."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(
    session: Session,
    user: UserRow,
    *,
    stage: str = ACTIVE,
    address: str | None = None,
    now: datetime | None = None,
    policy: SignInPolicy = DEFAULT_POLICY,
) -> str:
    """Store a new session for ``user``; returns its id, for the cookie (only its digest is stored).

    Sessions of anyone that have run out are forgotten on the way (the caller commits).
    """
    now = now or utcnow()
    delete_stale_sessions(
        session,
        idle_before=now - policy.idle,
        started_before=now - policy.lifetime,
        pending_before=now - policy.code_window,
    )
    session_id = secrets.token_urlsafe(32)
    row = SessionRow(
        digest=_digest(session_id),
        user_pk=user.pk,
        stage=stage,
        created_at=now,
        last_seen_at=now,
        address=(address or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    return session_id


def live_session(
    session: Session,
    session_id: str,
    *,
    stage: str | None = ACTIVE,
    now: datetime | None = None,
    policy: SignInPolicy = DEFAULT_POLICY,
) -> tuple[SessionRow, UserRow] | None:
    """The session with this id and its (active) user, if it is at ``stage`` (None: any) and has not run out.

    A session found run out is deleted. Its last use is noted (at most once a minute; the caller commits).
    """
    if not session_id or len(session_id) > 100:
        return None
    row = find_session(session, _digest(session_id))
    if row is None or (stage is not None and row.stage != stage):
        return None
    now = now or utcnow()
    created, last_seen = aware(row.created_at), aware(row.last_seen_at)
    assert created is not None and last_seen is not None
    ends = min(created + policy.lifetime, last_seen + policy.idle)
    if row.stage != ACTIVE:
        ends = min(ends, created + policy.code_window)
    user = session.get(UserRow, row.user_pk)
    if now >= ends or user is None or not user.active:
        session.delete(row)
        return None
    if now - last_seen >= _TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def recently_authenticated(row: SessionRow, *, now: datetime, policy: SignInPolicy = DEFAULT_POLICY) -> bool:
    """Whether the password (and code) were given within ``policy.confirm_window`` in this session.

    Every authentication starts a new session row, so the row's start is when the password was last entered:
    a sensitive operation (changing someone else's account) asks for it again once that is too long ago, and
    a session left open or copied cannot be used for it (OWASP ASVS 3.7.1).
    """
    created = aware(row.created_at)
    return created is not None and now - created < policy.confirm_window


def end_session(session: Session, session_id: str) -> int | None:
    """End the session with this id (any stage); returns its user's key, or None if there was none."""
    row = find_session(session, _digest(session_id)) if session_id else None
    if row is None:
        return None
    user_pk = row.user_pk
    session.delete(row)
    session.flush()
    return user_pk


def end_all_sessions(session: Session, user_pk: int, *, keep: SessionRow | None = None) -> int:
    """End every session of a user, but ``keep`` if given; returns how many ended (the caller commits)."""
    return delete_sessions(session, user_pk, keep=keep.pk if keep is not None else None)


def sessions_of(session: Session, user_pk: int) -> list[SessionRow]:
    """A user's signed-in sessions, most recently used first."""
    return list_sessions(session, user_pk)
