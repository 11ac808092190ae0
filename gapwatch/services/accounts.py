"""Accounts: create users, sign in (Argon2, throttled), re-authenticate, change and reset passwords, API tokens.

Passwords are hashed with Argon2id at the OWASP Password Storage Cheat Sheet's minimum (m=19 MiB, t=2, p=1),
and at most two hashes are computed at once, so a burst of sign-ins cannot exhaust the server's memory.
Unknown usernames are checked against a dummy hash so that response times do not reveal which accounts
exist. Every change is written to the audit log in the same transaction.

Throttling is designed so that one attacker cannot lock out everyone else (see docs/web.md):

* wrong passwords are counted per account (``policy.attempts_per_minute`` a minute, twelve times that an
  hour, from any address): past the limit only that account waits;
* and per client address (``policy.attempts_per_address`` a minute, whatever the usernames, so much higher
  than the per-account limit that an office behind one address does not reach it by mistake): past it, the
  address waits — except for an account this browser signed in to before (``known_accounts``: the web app's
  signed "known browser" cookie, after OWASP's device cookies), so real users keep signing in while someone
  sharing their address sprays made-up names.

A password change, a reset by an admin and deactivation end every session of the account and revoke its API
tokens (a password change keeps the session it was made in).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gapwatch.domain.access import Role
from gapwatch.errors import Conflict, GapwatchError, InvalidInput, NotFound, Problem
from gapwatch.services.sessions import (
    DEFAULT_POLICY,
    SessionRow,
    SignInPolicy,
    aware,
    end_all_sessions,
    end_session,
    sessions_of,
)
from gapwatch.services.two_factor import (
    CodeCheck,
    CodeOutcome,
    check_sign_in_code,
    codes_locked_until,
    disable_totp,
    enable_totp,
    enrolment_secret,
    forget_enrolment,
    new_totp_secret,
    pending_enrolment,
    totp_code,
    totp_uri,
    verify_totp,
)
from gapwatch.store.accounts import (
    ApiTokenRow,
    UserRow,
    count_failures,
    find_token,
    get_user,
    get_user_by_pk,
    list_tokens,
    list_users,
    prune_attempts,
    record_attempt,
    revoke_tokens,
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
    "CodeCheck",
    "CodeOutcome",
    "Role",
    "SignInPolicy",
    "TooManyAttempts",
    "UserRow",
    "account",
    "account_by_pk",
    "accounts",
    "api_tokens",
    "authenticate",
    "check_sign_in_code",
    "codes_locked_until",
    "complete_sign_in",
    "change_password",
    "create_api_token",
    "create_demo_users",
    "create_user",
    "disable_totp",
    "enable_totp",
    "enrolment_secret",
    "forget_enrolment",
    "pending_enrolment",
    "generate_password",
    "hash_password",
    "new_totp_secret",
    "password_problems",
    "people_to_link",
    "reauthenticate",
    "reset_password",
    "revoke_api_token",
    "sign_out",
    "sign_out_everywhere",
    "totp_code",
    "totp_uri",
    "update_user",
    "user_for_token",
    "user_summary",
    "verify_password",
    "verify_totp",
    "web_sessions",
]

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "gw_"


class _Named(Protocol):
    @property
    def username(self) -> str: ...


class TooManyAttempts(GapwatchError):
    """Sign-in refused for a while after too many failures for the account or from the address."""

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
    """Change an account's details (the caller commits). Deactivating ends the user's sessions and tokens."""
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
        if not active:
            _end_everything(session, user, actor=actor)
    after = user_summary(user)
    if after != before:
        record_audit(session, actor, "update", f"user:{user.username}", before, after)
    return user


def _end_everything(
    session: Session, user: UserRow, *, actor: str | _Named, keep: SessionRow | None = None, now: datetime | None = None
) -> None:
    """End every session of ``user`` (but ``keep``) and revoke every API token, auditing the tokens revoked."""
    end_all_sessions(session, user.pk, keep=keep)
    user.session_epoch += 1
    revoked = revoke_tokens(session, user.pk, at=now or utcnow())
    if revoked:
        names = sorted(row.name for row in revoked)
        record_audit(session, actor, "revoke", f"user:{user.username}", {"api_tokens": names}, {"api_tokens": []})


def _too_many(message: str) -> TooManyAttempts:
    return TooManyAttempts(message, hint="Wait a minute, then try again.")


def _check_account_limit(session: Session, username: str, *, now: datetime, policy: SignInPolicy) -> None:
    """Refuse when the account has had too many wrong passwords (in the last minute, or the last hour)."""
    last_minute = count_failures(session, since=now - timedelta(minutes=1), username=username)
    if last_minute >= policy.attempts_per_minute:
        raise _too_many("Too many failed sign-in attempts")
    if count_failures(session, since=now - timedelta(hours=1), username=username) >= policy.attempts_per_hour:
        raise TooManyAttempts("Too many failed sign-in attempts", hint="Try again later, or ask an administrator.")


def _note_failure(session: Session, username: str, address: str, *, now: datetime, policy: SignInPolicy) -> None:
    """Record a wrong password; the failure that reaches a limit is audited once (not every try after it)."""
    record_attempt(session, username, address, succeeded=False, at=now)
    session.flush()
    since = now - timedelta(minutes=1)
    reached = count_failures(session, since=since, username=username) == policy.attempts_per_minute
    if reached and get_user(session, username) is not None:
        detail = f"{policy.attempts_per_minute} wrong passwords in a minute; the account waits"
        record_audit(session, "system", "sign_in_throttled", f"user:{username}", detail=detail)
    if count_failures(session, since=since, address=address) == policy.attempts_per_address:
        detail = f"{policy.attempts_per_address} failed sign-ins in a minute from this address"
        record_audit(session, "system", "sign_in_throttled", f"address:{address}", detail=detail)
    prune_attempts(session, before=now - timedelta(hours=1))


def _refused() -> InvalidInput:
    return InvalidInput(
        "Enter a correct username and password",
        problems=[Problem("Enter a correct username and password", field="username")],
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    policy: SignInPolicy = DEFAULT_POLICY,
    known_accounts: Collection[int] = (),
    now: datetime | None = None,
) -> UserRow:
    """Check a password; returns the user or raises :class:`InvalidInput` / :class:`TooManyAttempts`.

    The limits are described in the module's notes: per account (only that account waits), and per address
    (waived for the accounts in ``known_accounts``, those this browser signed in to before). The attempt is
    recorded (the caller commits, whatever the outcome). An account without sign-in codes is signed in here
    (audited); one with codes is signed in by :func:`complete_sign_in` once its code is accepted.
    """
    username = username.strip().lower()[:80]
    now = now or utcnow()
    user = get_user(session, username) if username else None
    _check_account_limit(session, username, now=now, policy=policy)
    known = user is not None and user.pk in known_accounts
    if not known and count_failures(session, since=now - timedelta(minutes=1), address=address) >= (
        policy.attempts_per_address
    ):
        raise _too_many("Too many failed sign-in attempts")
    if user is None or not user.active:
        verify_password(_dummy(), password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok or user is None:
        _note_failure(session, username, address, now=now, policy=policy)
        raise _refused()
    record_attempt(session, username, address, succeeded=True, at=now)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if not user.totp_secret:
        complete_sign_in(session, user, now=now)
    return user


def complete_sign_in(session: Session, user: UserRow, *, now: datetime | None = None) -> None:
    """Record a finished sign-in (password, and the code when the account has codes); the caller commits."""
    user.last_sign_in_at = now or utcnow()
    record_audit(session, user, "sign_in", f"user:{user.username}")


def reauthenticate(
    session: Session,
    user: UserRow,
    *,
    password: str,
    code: str = "",
    address: str,
    policy: SignInPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> None:
    """Ask a signed-in user to prove it is still them (their password, and their code if they have codes)
    before something sensitive: turning codes off, creating an API token.

    Wrong passwords count towards the account's sign-in limit and wrong codes towards its code limit, so a
    stolen session cannot be used to guess either. Raises :class:`InvalidInput` (by field) or
    :class:`TooManyAttempts`; the caller commits either way.
    """
    now = now or utcnow()
    _check_account_limit(session, user.username, now=now, policy=policy)
    if not verify_password(user.password_hash, password):
        _note_failure(session, user.username, address, now=now, policy=policy)
        raise InvalidInput(
            "Confirm it is you",
            problems=[Problem("Your current password is not correct", field="current_password")],
        )
    check = check_sign_in_code(session, user, code, now=now, policy=policy, purpose="reauthenticate")
    if check.outcome is CodeOutcome.LOCKED:
        until = f"{check.locked_until:%H:%M} UTC" if check.locked_until else "later"
        raise TooManyAttempts("Too many wrong sign-in codes", hint=f"Your sign-in codes are locked until {until}.")
    if not check.accepted:
        raise InvalidInput(
            "Confirm it is you",
            problems=[Problem("Enter the 6-digit code your authenticator app shows now", field="code")],
        )


def change_password(
    session: Session,
    user: UserRow,
    *,
    current: str,
    new: str,
    confirm: str,
    keep: SessionRow | None = None,
    address: str = "unknown",
    policy: SignInPolicy = DEFAULT_POLICY,
    now: datetime | None = None,
) -> None:
    """The user changes their own password (the caller commits).

    Every other session ends (``keep`` is the one the change was made in) and every API token is revoked: a
    user changing a password they fear is known also shuts out whoever knew it. A wrong current password
    counts towards the account's sign-in limit.
    """
    now = now or utcnow()
    _check_account_limit(session, user.username, now=now, policy=policy)
    problems: list[Problem] = []
    if not verify_password(user.password_hash, current):
        _note_failure(session, user.username, address, now=now, policy=policy)
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
    record_audit(session, user, "change_password", f"user:{user.username}")
    _end_everything(session, user, actor=user, keep=keep, now=now)


def reset_password(session: Session, user: UserRow, *, actor: str, password: str | None = None) -> str:
    """An admin resets a password: returns the temporary one; the user must change it when signing in.

    Every session of the user ends and every API token is revoked (a token must not outlive the password
    whose holder made it).
    """
    temporary = password or generate_password()
    problems = password_problems(temporary, username=user.username)
    if problems:
        raise InvalidInput("The password was not reset", problems=problems)
    user.password_hash = hash_password(temporary)
    user.must_change_password = password is None
    record_audit(session, actor, "reset_password", f"user:{user.username}")
    _end_everything(session, user, actor=actor)
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


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> UserRow | None:
    """The active user owning a valid (known, unrevoked, unexpired) token, or None; notes its last use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = find_token(session, _digest(token))
    if row is None or row.revoked_at is not None:
        return None
    now = now or utcnow()
    expires = aware(row.expires_at)
    if expires is not None and expires <= now:
        return None
    user = session.get(UserRow, row.user_pk)
    if user is None or not user.active:
        return None
    last = aware(row.last_used_at)
    if last is None or now - last > timedelta(minutes=5):
        row.last_used_at = now
    return user


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


def web_sessions(session: Session, user_pk: int) -> list[SessionRow]:
    """An account's signed-in sessions, most recently used first."""
    return sessions_of(session, user_pk)


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


def sign_out(session: Session, user: _Named, *, session_id: str | None = None) -> None:
    """End the session with this id (a copied cookie dies with it) and record the sign-out (the caller commits)."""
    if session_id:
        end_session(session, session_id)
    record_audit(session, user, "sign_out", f"user:{user.username}")


def sign_out_everywhere(session: Session, user: UserRow) -> int:
    """End every session of ``user``, this one included; returns how many (the caller commits)."""
    ended = end_all_sessions(session, user.pk)
    user.session_epoch += 1
    record_audit(session, user, "sign_out_everywhere", f"user:{user.username}", detail=f"{ended} sessions ended")
    return ended


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
