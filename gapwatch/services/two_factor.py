"""Sign-in codes from an authenticator app (TOTP, RFC 6238), with a per-account limit on wrong codes.

A 6-digit code accepted one step either side of now has three chances in a million of being guessed at
each try, so what protects the second factor is how many tries there are. They are counted per account
(not per address, which an attacker changes at will): after ``policy.code_attempts`` wrong codes in a row
(5 by default) the account's codes lock for ``policy.code_lock`` (5 minutes), doubling with each further
lock in a row up to a day, and the pending sign-in ends. That allows about 5 guesses in the first five
minutes and some 45 in the first day — a chance of about one in seven thousand, rather than the even chance
of the unlimited 145 tries a second found in testing. The right code is refused too while the lock lasts.

Each try is counted by one conditional UPDATE before the code is checked, so parallel requests cannot sneak
extra tries past the limit. Wrong codes are not audited one by one (an attacker would flood the log);
each lock is, with the number of wrong codes that earned it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

from sqlalchemy.orm import Session

from gapwatch.errors import InvalidInput, Problem
from gapwatch.services.sealing import Sealer, is_sealed
from gapwatch.services.sessions import DEFAULT_POLICY, SignInPolicy, aware
from gapwatch.store.accounts import SessionRow, UserRow, claim_code_attempt
from gapwatch.store.audit import record_audit
from gapwatch.store.tables import utcnow

__all__ = [
    "CodeCheck",
    "CodeOutcome",
    "check_sign_in_code",
    "codes_locked_until",
    "disable_totp",
    "enable_totp",
    "enrolment_secret",
    "forget_enrolment",
    "new_totp_secret",
    "pending_enrolment",
    "totp_code",
    "totp_uri",
    "verify_totp",
]

_TOTP_STEP = 30
_TOTP_DIGITS = 6
#: The longest lock of sign-in codes, however many locks in a row.
_LONGEST_LOCK = timedelta(days=1)


def new_totp_secret() -> str:
    """A random 160-bit secret, base32 as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp_code(secret: str, step: int) -> str:
    """The code for time step ``step`` (RFC 4226 HOTP over the RFC 6238 counter)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**_TOTP_DIGITS
    return f"{number:0{_TOTP_DIGITS}d}"


def totp_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app imports."""
    label = quote(f"{issuer}:{username}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={_TOTP_DIGITS}&period={_TOTP_STEP}"


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = code.strip().replace(" ", "")
    if len(code) != _TOTP_DIGITS or not code.isdigit():
        return None
    current = int((time.time() if now is None else now) // _TOTP_STEP)
    for step in (current, current - 1, current + 1):  # one step of clock drift either way
        if hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def verify_totp(
    session: Session, user: UserRow, code: str, *, now: float | None = None, sealer: Sealer = DEFAULT_POLICY.sealer
) -> bool:
    """Whether ``code`` is valid for ``user`` now and not used before (a replayed code is refused).

    The stored secret is opened with ``sealer``; one stored before sealing existed is sealed once it has
    proved right. No attempt limit here: sign-in and re-authentication go through :func:`check_sign_in_code`.
    """
    if not user.totp_secret:
        return True
    secret = sealer.open(user.totp_secret)
    step = _matching_step(secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    if sealer.seals and not is_sealed(user.totp_secret):
        user.totp_secret = sealer.seal(secret)
    return True


class CodeOutcome(StrEnum):
    """What became of a sign-in code."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # refused unchecked (or it was the last wrong code allowed): the codes are locked


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code, with the lock's end or the tries left before one."""

    outcome: CodeOutcome
    locked_until: datetime | None = None
    attempts_left: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome is CodeOutcome.ACCEPTED


def codes_locked_until(user: UserRow, *, now: datetime | None = None) -> datetime | None:
    """When the lock on the account's sign-in codes ends, or None if they are not locked."""
    until = aware(user.totp_locked_until)
    return until if until is not None and until > (now or utcnow()) else None


def check_sign_in_code(
    session: Session,
    user: UserRow,
    code: str,
    *,
    now: datetime | None = None,
    policy: SignInPolicy = DEFAULT_POLICY,
    purpose: str = "sign_in",
) -> CodeCheck:
    """Check a sign-in code against the account's limit (see the module's notes); the caller commits.

    ``purpose`` names what the code was for in the audit entry of a lock (``sign_in``, ``reauthenticate``).
    An account without codes passes.
    """
    if not user.totp_secret:
        return CodeCheck(CodeOutcome.ACCEPTED)
    now = now or utcnow()
    limit = policy.code_attempts
    if not claim_code_attempt(session, user.pk, now=now, limit=limit):
        until = codes_locked_until(user, now=now)
        if until is None:  # tries used up but no lock: the limit was lowered since; lock now
            until = _lock(session, user, now=now, policy=policy, purpose=purpose)
        return CodeCheck(CodeOutcome.LOCKED, locked_until=until)
    if verify_totp(session, user, code, now=now.timestamp(), sealer=policy.sealer):
        user.totp_failures = 0
        user.totp_lockouts = 0
        user.totp_locked_until = None
        return CodeCheck(CodeOutcome.ACCEPTED)
    if user.totp_failures < limit:
        return CodeCheck(CodeOutcome.WRONG, attempts_left=limit - user.totp_failures)
    return CodeCheck(CodeOutcome.LOCKED, locked_until=_lock(session, user, now=now, policy=policy, purpose=purpose))


def _lock(session: Session, user: UserRow, *, now: datetime, policy: SignInPolicy, purpose: str) -> datetime:
    """Lock the account's codes (twice as long as the last lock in a row, up to a day); audited once."""
    lock = min(policy.code_lock * (1 << min(user.totp_lockouts, 16)), _LONGEST_LOCK)
    until = now + lock
    wrong = user.totp_failures
    user.totp_locked_until = until
    user.totp_lockouts += 1
    user.totp_failures = 0
    record_audit(
        session,
        user,
        "lock_sign_in_codes",
        f"user:{user.username}",
        None,
        {"wrong_codes": wrong, "locked_until": until.isoformat(timespec="seconds"), "locks": user.totp_lockouts},
        detail=f"{wrong} wrong sign-in codes in a row ({purpose}); locked for {int(lock.total_seconds() // 60)} min",
    )
    return until


def enrolment_secret(web_session: SessionRow, *, fresh: bool = False, sealer: Sealer = DEFAULT_POLICY.sealer) -> str:
    """The secret of the authenticator being set up in this session, kept sealed in the stored session (never
    in the cookie) until the code proves the app has it; ``fresh`` starts again with a new one. The caller
    commits."""
    current = pending_enrolment(web_session, sealer=sealer)
    if fresh or current is None:
        current = new_totp_secret()
        web_session.totp_setup = sealer.seal(current)
    return current


def pending_enrolment(web_session: SessionRow, *, sealer: Sealer = DEFAULT_POLICY.sealer) -> str | None:
    """The secret of the authenticator being set up in this session, or None."""
    return sealer.open(web_session.totp_setup) if web_session.totp_setup else None


def forget_enrolment(web_session: SessionRow) -> None:
    """Drop the secret of an authenticator set up (or abandoned) in this session (the caller commits)."""
    web_session.totp_setup = None


def enable_totp(
    session: Session,
    user: UserRow,
    secret: str,
    code: str,
    *,
    now: float | None = None,
    sealer: Sealer = DEFAULT_POLICY.sealer,
) -> None:
    """Turn on the second factor once the user proves their app shows the right code (stored sealed)."""
    step = _matching_step(secret, code, now)
    if step is None:
        raise InvalidInput(
            "The code is not correct",
            problems=[Problem("Enter the 6-digit code your authenticator app shows now", field="code")],
        )
    user.totp_secret = sealer.seal(secret)
    user.totp_last_step = step
    user.totp_failures = 0
    user.totp_lockouts = 0
    user.totp_locked_until = None
    record_audit(session, user, "enable_totp", f"user:{user.username}")


def disable_totp(session: Session, user: UserRow, *, actor: str) -> None:
    """Turn off the second factor (an admin for someone who lost their phone; a user re-authenticates first)."""
    if user.totp_secret:
        user.totp_secret = None
        user.totp_last_step = None
        user.totp_failures = 0
        user.totp_lockouts = 0
        user.totp_locked_until = None
        record_audit(session, actor, "disable_totp", f"user:{user.username}")
