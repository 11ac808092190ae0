"""Accounts: create users, sign in (Argon2, throttled), change and reset passwords, API tokens, TOTP.

Passwords are hashed with Argon2id at the OWASP Password Storage Cheat Sheet's minimum (m=19 MiB, t=2, p=1),
and at most two hashes are computed at once, so a burst of sign-ins cannot exhaust the server's memory.
Unknown usernames are checked against a dummy hash so that response times do not reveal which accounts
exist. Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.domain.access import Role
from gapwatch.errors import Conflict, GapwatchError, InvalidInput, NotFound, Problem
from gapwatch.store.accounts import (
    ApiTokenRow,
    UserRow,
    count_failed_attempts,
    find_token,
    get_user,
    get_user_by_pk,
    list_tokens,
    list_users,
    prune_attempts,
    record_attempt,
)
from gapwatch.store.audit import record_audit
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import framework_ids, get_framework
from gapwatch.store.tables import utcnow

__all__ = [
    "ARGON2_PARAMETERS",
    "DEMO_LEAD_PERSON",
    "MIN_PASSWORD_LENGTH",
    "TOKEN_PREFIX",
    "ApiTokenRow",
    "Role",
    "TooManyAttempts",
    "UserRow",
    "account",
    "account_by_pk",
    "accounts",
    "api_tokens",
    "authenticate",
    "check_sign_in_code",
    "change_password",
    "create_api_token",
    "create_demo_users",
    "create_user",
    "disable_totp",
    "enable_totp",
    "generate_password",
    "hash_password",
    "new_totp_secret",
    "password_problems",
    "people_to_link",
    "reset_password",
    "revoke_api_token",
    "sign_out",
    "totp_code",
    "totp_uri",
    "update_user",
    "user_for_token",
    "user_summary",
    "verify_password",
    "verify_totp",
]

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "gw_"
_TOTP_STEP = 30
_TOTP_DIGITS = 6


class _Named(Protocol):
    @property
    def username(self) -> str: ...


class TooManyAttempts(GapwatchError):
    """Sign-in refused for a minute after too many failures for the account or from the address."""

    code = "too_many_attempts"
    status_code = 429


#: Argon2id cost: the OWASP Password Storage Cheat Sheet's minimum (19 MiB, 2 iterations, 1 lane).
ARGON2_PARAMETERS: dict[str, int] = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
_hasher = PasswordHasher(
    time_cost=ARGON2_PARAMETERS["time_cost"],
    memory_cost=ARGON2_PARAMETERS["memory_cost"],
    parallelism=ARGON2_PARAMETERS["parallelism"],
)
_hash_slots = threading.BoundedSemaphore(2)
_dummy_hash: str | None = None

# A few passwords too common to allow whatever their length (NCSC: block the most common).
_COMMON = frozenset(
    {"password123", "password1234", "qwertyuiop", "1234567890", "letmein123", "welcome123", "passw0rd123"}
)


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    with _hash_slots:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
    with _hash_slots:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


def generate_password() -> str:
    """A random password that is easy to type: four groups of four lower-case letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def password_problems(password: str, *, username: str = "", field: str = "password") -> list[Problem]:
    """What is wrong with a new password (length over complexity, as NCSC and NIST SP 800-63B advise)."""
    problems: list[Problem] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(Problem(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long", field=field))
    elif password.lower() in _COMMON or (username and username.lower() in password.lower()):
        problems.append(Problem("Password is too easy to guess: do not use your username", field=field))
    if len(password) > 200:
        problems.append(Problem("Password must be 200 characters or fewer", field=field))
    return problems


def _username_problems(username: str) -> list[Problem]:
    if not username:
        return [Problem("Enter a username", field="username")]
    if len(username) > 80 or not all(c.isalnum() or c in "._-@" for c in username):
        return [Problem("Username must be up to 80 letters, digits, dots, dashes, underscores or @", field="username")]
    return []


def _role_problems(role: str) -> list[Problem]:
    if role not in {r.value for r in Role}:
        allowed = ", ".join(r.value for r in Role)
        return [Problem(f"Role must be one of: {allowed}", field="role")]
    return []


def user_summary(user: UserRow) -> dict[str, object]:
    """The audited view of an account (never the password hash or TOTP secret)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "person_id": user.person_id,
        "organisation_id": user.organisation_id,
        "active": user.active,
        "totp": bool(user.totp_secret),
    }


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    person_id: str | None = None,
    organisation_id: str | None = None,
    email: str | None = None,
    must_change_password: bool = False,
    actor: str = "system",
) -> UserRow:
    """Add an account (the caller commits). Raises :class:`InvalidInput` listing every problem."""
    username = username.strip().lower()
    problems = _username_problems(username) + _role_problems(role)
    problems += password_problems(password, username=username)
    if not display_name.strip():
        problems.append(Problem("Enter the person's name", field="display_name"))
    if problems:
        raise InvalidInput("The account could not be created", problems=problems)
    if get_user(session, username) is not None:
        raise Conflict(f"There is already an account called '{username}'", hint="Choose another username.")
    user = UserRow(
        username=username,
        display_name=display_name.strip(),
        role=role,
        person_id=person_id or None,
        organisation_id=organisation_id or None,
        email=email or None,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        active=True,
        session_epoch=0,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    record_audit(session, actor, "create", f"user:{username}", None, user_summary(user))
    return user


def update_user(
    session: Session,
    user: UserRow,
    *,
    actor: str,
    display_name: str | None = None,
    role: str | None = None,
    person_id: str | None = None,
    organisation_id: str | None = None,
    email: str | None = None,
    active: bool | None = None,
) -> UserRow:
    """Change an account's details (the caller commits). Deactivating ends the user's sessions."""
    before = user_summary(user)
    problems = _role_problems(role) if role is not None else []
    if display_name is not None and not display_name.strip():
        problems.append(Problem("Enter the person's name", field="display_name"))
    if problems:
        raise InvalidInput("The account could not be changed", problems=problems)
    if display_name is not None:
        user.display_name = display_name.strip()
    if role is not None:
        user.role = role
    if person_id is not None:
        user.person_id = person_id or None
    if organisation_id is not None:
        user.organisation_id = organisation_id or None
    if email is not None:
        user.email = email or None
    if active is not None and active != user.active:
        user.active = active
        user.session_epoch += 1
    after = user_summary(user)
    if after != before:
        record_audit(session, actor, "update", f"user:{user.username}", before, after)
    return user


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything is stored in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def authenticate(session: Session, username: str, password: str, *, address: str, attempts_per_minute: int) -> UserRow:
    """Check a sign-in; returns the user or raises :class:`InvalidInput` / :class:`TooManyAttempts`.

    Failures are counted per username and per address over the last minute; the limit applies to both.
    The attempt is recorded (the caller commits, whatever the outcome).
    """
    username = username.strip().lower()[:80]
    now = utcnow()
    window_start = now - timedelta(minutes=1)
    by_user, by_address = count_failed_attempts(session, since=window_start, username=username, address=address)
    if by_user >= attempts_per_minute or by_address >= attempts_per_minute:
        raise TooManyAttempts("Too many failed sign-in attempts", hint="Wait a minute, then try again.")
    user = get_user(session, username) if username else None
    if user is None or not user.active:
        verify_password(_dummy(), password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    record_attempt(session, username, address, succeeded=ok)
    if not ok or user is None:
        prune_attempts(session, before=now - timedelta(hours=1))
        raise InvalidInput(
            "Enter a correct username and password",
            problems=[Problem("Enter a correct username and password", field="username")],
        )
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = now
    record_audit(session, user, "sign_in", f"user:{user.username}")
    return user


def change_password(session: Session, user: UserRow, *, current: str, new: str, confirm: str) -> None:
    """The user changes their own password (the caller commits)."""
    problems: list[Problem] = []
    if not verify_password(user.password_hash, current):
        problems.append(Problem("Your current password is not correct", field="current_password"))
    problems += password_problems(new, username=user.username, field="new_password")
    if new != confirm:
        problems.append(Problem("The two new passwords are different", field="confirm_password"))
    if not problems and new == current:
        problems.append(Problem("Choose a password different from your current one", field="new_password"))
    if problems:
        raise InvalidInput("Your password was not changed", problems=problems)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_epoch += 1
    record_audit(session, user, "change_password", f"user:{user.username}")


def reset_password(session: Session, user: UserRow, *, actor: str, password: str | None = None) -> str:
    """An admin resets a password: returns the temporary one; the user must change it when signing in.

    Every session of the user ends (``session_epoch`` goes up) and their API tokens stay as they are.
    """
    temporary = password or generate_password()
    problems = password_problems(temporary, username=user.username)
    if problems:
        raise InvalidInput("The password was not reset", problems=problems)
    user.password_hash = hash_password(temporary)
    user.must_change_password = password is None
    user.session_epoch += 1
    record_audit(session, actor, "reset_password", f"user:{user.username}")
    return temporary


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    session: Session, user: UserRow, *, name: str, expires_in_days: int | None = 365
) -> tuple[ApiTokenRow, str]:
    """A new API token for ``user``: returns the row and the secret, which is shown once and never stored."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(
            "The token was not created",
            problems=[Problem("Give the token a name of up to 200 characters", field="name")],
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    row = ApiTokenRow(
        user_pk=user.pk, name=name, digest=_digest(secret), prefix=secret[:10], created_at=utcnow(), expires_at=expires
    )
    session.add(row)
    session.flush()
    record_audit(session, user, "create", f"api_token:{row.pk}", None, {"name": name, "prefix": row.prefix})
    return row, secret


def revoke_api_token(session: Session, user: UserRow, token_pk: int, *, actor: str) -> None:
    """Revoke one of ``user``'s tokens (the caller commits)."""
    row = session.get(ApiTokenRow, token_pk)
    if row is None or row.user_pk != user.pk:
        raise NotFound("There is no such token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_audit(session, actor, "revoke", f"api_token:{row.pk}", {"name": row.name}, None)


def user_for_token(session: Session, token: str) -> UserRow | None:
    """The active user owning a valid (known, unrevoked, unexpired) token, or None; notes its last use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = find_token(session, _digest(token))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    expires = _aware(row.expires_at)
    if expires is not None and expires <= now:
        return None
    user = session.get(UserRow, row.user_pk)
    if user is None or not user.active:
        return None
    last = _aware(row.last_used_at)
    if last is None or now - last > timedelta(minutes=5):
        row.last_used_at = now
    return user


# --- TOTP (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits: what authenticator apps expect) ---------------


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


def verify_totp(session: Session, user: UserRow, code: str, *, now: float | None = None) -> bool:
    """Whether ``code`` is valid for ``user`` now and not used before (a replayed code is refused)."""
    if not user.totp_secret:
        return True
    step = _matching_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def enable_totp(session: Session, user: UserRow, secret: str, code: str, *, now: float | None = None) -> None:
    """Turn on the second factor once the user proves their app shows the right code."""
    step = _matching_step(secret, code, now)
    if step is None:
        raise InvalidInput(
            "The code is not correct",
            problems=[Problem("Enter the 6-digit code your authenticator app shows now", field="code")],
        )
    user.totp_secret = secret
    user.totp_last_step = step
    record_audit(session, user, "enable_totp", f"user:{user.username}")


def disable_totp(session: Session, user: UserRow, *, actor: str) -> None:
    """Turn off the second factor (the user themself, or an admin for a lost phone)."""
    if user.totp_secret:
        user.totp_secret = None
        user.totp_last_step = None
        record_audit(session, actor, "disable_totp", f"user:{user.username}")


# --- look-ups for the shells ------------------------------------------------------------------------------


def account(session: Session, username: str) -> UserRow | None:
    """The account called ``username`` (any case), or None."""
    return get_user(session, username)


def account_by_pk(session: Session, pk: int) -> UserRow | None:
    """The account with key ``pk``, or None."""
    return get_user_by_pk(session, pk)


def accounts(session: Session) -> list[UserRow]:
    """Every account, by username."""
    return list_users(session)


def api_tokens(session: Session, user_pk: int) -> list[ApiTokenRow]:
    """An account's API tokens, newest first."""
    return list_tokens(session, user_pk)


def people_to_link(session: Session) -> list[dict[str, str]]:
    """The framework's people an account can stand for (a lead officer's account updates what they own)."""
    try:
        framework = get_framework(session)
    except NotFound:
        return []
    names = {o.id: o.name for o in framework.organisations}
    return [
        {"id": p.id, "name": p.name, "organisation": names.get(p.organisation or "", "")}
        for p in sorted(framework.people, key=lambda p: p.name)
    ]


def check_sign_in_code(session: Session, user: UserRow, code: str, *, now: float | None = None) -> bool:
    """The second sign-in step: whether ``code`` is right (see :func:`verify_totp`); a refusal is audited.

    The caller commits either way (a used code's step is remembered; a refusal is on the record).
    """
    if verify_totp(session, user, code, now=now):
        return True
    record_audit(session, user, "sign_in_code_refused", f"user:{user.username}")
    return False


def sign_out(session: Session, user: _Named) -> None:
    """Record that ``user`` signed out (the caller commits; the shell ends the session itself)."""
    record_audit(session, user, "sign_out", f"user:{user.username}")


# --- demo accounts ------------------------------------------------------------------------------------------


#: The illustrative officer the demo lead account stands for when the framework names none.
DEMO_LEAD_PERSON = "demo-lead-officer"


def _busiest_lead(session: Session) -> tuple[str | None, str | None]:
    """The framework person leading the most actions and risks (the demo lead officer), and their organisation."""
    try:
        framework = get_framework(session)
    except NotFound:
        return None, None
    counts: dict[str, int] = {}
    for action in framework.actions:
        if action.lead_officer:
            counts[action.lead_officer] = counts.get(action.lead_officer, 0) + 1
    for risk in framework.risks:
        if risk.owner:
            counts[risk.owner] = counts.get(risk.owner, 0) + 1
    if not counts:
        return None, None
    person_id = max(sorted(counts), key=lambda p: counts[p])
    organisation = next((p.organisation for p in framework.people if p.id == person_id), None)
    return person_id, organisation


def create_demo_users(engine: Engine) -> list[tuple[str, str, str]]:
    """One demo account per role, with fresh random passwords: returns (username, role, password) rows.

    Run again, it resets the demo accounts' passwords (the old ones are never stored in clear). The lead
    officer is linked to the framework person who leads the most actions, so they have something to update.
    """
    plan = [
        ("admin", "Demo administrator", Role.ADMIN),
        ("performance", "Demo performance officer", Role.PERFORMANCE_OFFICER),
        ("lead", "Demo lead officer", Role.LEAD_OFFICER),
        ("board", "Demo board member", Role.BOARD_MEMBER),
    ]
    created: list[tuple[str, str, str]] = []
    with session_scope(engine) as session:
        person_id, organisation = _busiest_lead(session)
        if person_id is None and framework_ids(session):
            # The framework names no lead officers (Kent's plan does not): link the demo account to an
            # illustrative officer, whom the demo then makes lead of a few actions.
            person_id = DEMO_LEAD_PERSON
        for username, name, role in plan:
            password = generate_password()
            existing = get_user(session, username)
            is_lead = role is Role.LEAD_OFFICER
            if existing is None:
                create_user(
                    session,
                    username=username,
                    display_name=name,
                    role=role,
                    password=password,
                    person_id=person_id if is_lead else None,
                    organisation_id=organisation if is_lead else None,
                    actor="gapwatch demo",
                )
            else:
                reset_password(session, existing, actor="gapwatch demo", password=password)
                existing.active = True
                if is_lead and person_id:
                    existing.person_id, existing.organisation_id = person_id, organisation
            created.append((username, role.value, password))
    return created
