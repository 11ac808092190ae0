"""FastAPI dependencies: the database session of a request, the signed-in user, and access rules.

Every route declares exactly one access rule, by a dependency made with :func:`require` (a
:class:`~gapwatch.web.permissions.Permission`) or :func:`require_role` (a list of roles)::

    Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]

    @router.get("/actions")
    def actions(request: Request, user: Reader, db: DbSession) -> HTMLResponse: ...

The rule object is attached to the dependency (``.access_rule``) so that the authorisation matrix test can
read every route's rule from the app's route table.

The session is NOT committed for you: a handler (or the service it calls) commits its own writes, so a
write is never reported as done before it is. Anything uncommitted is rolled back when the request ends.

Who is asking: a browser's session cookie names a session stored in the database (``sid``), which must be
signed in, unexpired and its user active; an ``Authorization: Bearer`` token is accepted under ``/api/`` only
(anywhere else it is refused, so a token can never drive the HTML forms). A user whose password was reset must
choose a new one before anything else, whichever way they came.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.routing import Route

from gapwatch.errors import Forbidden, GapwatchError, InvalidInput
from gapwatch.services.accounts import SignInPolicy, TooManyAttempts, UserRow, reauthenticate, user_for_token
from gapwatch.services.sessions import ACTIVE, SessionRow, live_session, recently_authenticated, start_session
from gapwatch.settings import Settings
from gapwatch.web.permissions import ANONYMOUS, OWN_ONLY, ROLE_LABELS, ROLE_PERMISSIONS, Permission, Role, role_may
from gapwatch.web.security import check_csrf, client_address, is_api_path

__all__ = [
    "ConfirmationRequired",
    "confirm_it_is_you",
    "require_confirmed",
    "AccessRule",
    "CurrentUser",
    "DbSession",
    "EngineDep",
    "SettingsDep",
    "PasswordChangeRequired",
    "RouteInfo",
    "SignInRequired",
    "TokenNotAccepted",
    "access_rule_of",
    "address_of",
    "csrf_protect",
    "current_session",
    "current_user",
    "get_db",
    "get_db_session",
    "get_engine",
    "get_settings",
    "now_of",
    "policy_of",
    "require",
    "require_role",
    "route_table",
    "sign_in_session",
]

#: Paths a user who must change their password may still open.
_PASSWORD_CHANGE_PATHS = ("/account/password", "/sign-out")


class SignInRequired(GapwatchError):
    """The page needs a signed-in user (pages redirect to the sign-in page; the API answers 401)."""

    code = "unauthenticated"
    status_code = 401


class PasswordChangeRequired(GapwatchError):
    """The user's password was reset by an admin: they must choose a new one before anything else."""

    code = "password_change_required"
    status_code = 403


class ConfirmationRequired(GapwatchError):
    """A sensitive change needs the password entered recently: the page asks for it, then returns to ``back``."""

    code = "confirmation_required"
    status_code = 403

    def __init__(self, message: str, *, back: str) -> None:
        super().__init__(message, hint="Enter your password again to continue.")
        self.back = back


class TokenNotAccepted(GapwatchError):
    """An API token sent to a page or form: tokens are for the JSON API under /api/ only."""

    code = "token_not_accepted"
    status_code = 401


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as routes and templates see it (no password hash)."""

    pk: int
    username: str
    display_name: str
    role: str
    person_id: str | None = None
    organisation_id: str | None = None
    must_change_password: bool = False
    totp_enabled: bool = False
    via_token: bool = False

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def may(self, permission: Permission) -> bool:
        """Whether the user's role holds ``permission``."""
        return role_may(self.role, permission)

    @classmethod
    def from_row(cls, row: UserRow, *, via_token: bool = False) -> CurrentUser:
        return cls(
            pk=row.pk,
            username=row.username,
            display_name=row.display_name,
            role=row.role,
            person_id=row.person_id,
            organisation_id=row.organisation_id,
            must_change_password=row.must_change_password,
            totp_enabled=bool(row.totp_secret),
            via_token=via_token,
        )


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The app's database engine (for services that open their own transaction)."""
    engine: Engine = request.app.state.engine
    return engine


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request; uncommitted work is rolled back at the end."""
    session: Session = request.app.state.sessionmaker()
    request.state.db = session  # so that page furniture (the header's name) reuses this connection
    try:
        yield session
    finally:
        session.rollback()
        session.close()


#: The name the web contract uses.
get_db_session = get_db


#: Annotated parameter types (``db: DbSession``), so route signatures need no call in their defaults.
DbSession = Annotated[Session, Depends(get_db)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def now_of(request: Request) -> datetime:
    """The time of the request, from the app's clock (tests may replace ``app.state.clock``)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def policy_of(request: Request) -> SignInPolicy:
    """The app's sign-in limits and session lifetimes."""
    policy: SignInPolicy = request.app.state.sign_in_policy
    return policy


def address_of(request: Request) -> str:
    """The client's address (through the trusted proxies of the settings)."""
    return client_address(request, request.app.state.trusted_proxies)


def sign_in_session(request: Request, db: Session, user: UserRow, *, stage: str = ACTIVE) -> None:
    """Start a new stored session for ``user`` and put its id in a fresh cookie (a new CSRF token too; nothing
    of the previous session kept). The caller commits."""
    session_id = start_session(db, user, stage=stage, address=address_of(request), now=now_of(request))
    request.session.clear()
    request.session["sid"] = session_id


def current_session(request: Request) -> SessionRow | None:
    """The stored session of the signed-in browser (None for API tokens and visitors); after current_user."""
    row: SessionRow | None = getattr(request.state, "web_session", None)
    return row


def current_user(request: Request, db: DbSession) -> CurrentUser | None:
    """The signed-in user (session cookie) or API client (``Authorization: Bearer``, under /api/ only), or None.

    A cookie whose session has ended (signed out, password changed or reset, deactivated, idle or too old) is
    cleared, and the browser is a visitor again.
    """
    if hasattr(request.state, "user"):
        cached: CurrentUser | None = request.state.user
        return cached
    user: CurrentUser | None = None
    request.state.web_session = None
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if authorization and is_api_path(request.url.path):
        if scheme.lower() != "bearer" or not credentials.strip():
            raise SignInRequired("The Authorization header must be 'Bearer <token>'")
        row = user_for_token(db, credentials.strip(), now=now_of(request))
        if row is None:
            raise SignInRequired("The API token is not valid (unknown, revoked or expired)")
        db.commit()  # last_used_at
        user = CurrentUser.from_row(row, via_token=True)
    elif scheme.lower() == "bearer":
        raise TokenNotAccepted(
            "API tokens are accepted only by the JSON API under /api/",
            hint="Sign in with a browser to use the pages and forms.",
        )
    elif "session" in request.scope:
        session_id = request.session.get("sid")
        if isinstance(session_id, str):
            found = live_session(db, session_id, stage=None, now=now_of(request), policy=policy_of(request))
            db.commit()  # the session's last use, or its deletion once run out
            if found is None:
                request.session.pop("sid", None)
            elif found[0].stage == ACTIVE:  # (not a sign-in still waiting for its code)
                request.state.web_session, row = found
                user = CurrentUser.from_row(row)
    request.state.user = user
    return user


@dataclass(frozen=True)
class AccessRule:
    """Who may use a route: the roles allowed (``anonymous`` included when public) and the permission."""

    name: str
    roles: frozenset[str]
    permission: Permission | None = None

    def allows(self, role: str) -> bool:
        return role in self.roles

    def own_only(self, role: str) -> bool:
        """Whether ``role`` is allowed only for items it owns (checked by the service)."""
        return self.permission is not None and (role, self.permission) in OWN_ONLY


def _guard(rule: AccessRule) -> Callable[..., CurrentUser | None]:
    def dependency(request: Request, user: Annotated[CurrentUser | None, Depends(current_user)]) -> CurrentUser | None:
        role = user.role if user is not None else ANONYMOUS
        if not rule.allows(role):
            if user is None:
                raise SignInRequired("Sign in to see this page")
            allowed = [ROLE_LABELS[r].lower() + "s" for r in ROLE_LABELS if r in rule.roles and r != ANONYMOUS]
            who = " and ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
            raise Forbidden(
                f"This is open to {who} only, and you are signed in as a {user.role_label.lower()}",
                hint="Ask an administrator if your role should change.",
            )
        if (
            user is not None
            and user.must_change_password
            and (user.via_token or not request.url.path.startswith(_PASSWORD_CHANGE_PATHS))
        ):
            raise PasswordChangeRequired("Choose a new password before you continue")
        return user

    dependency.access_rule = rule  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{rule.name}"
    return dependency


@cache
def require(permission: Permission) -> Callable[..., CurrentUser | None]:
    """The dependency that lets through the roles holding ``permission`` (and returns the user or None)."""
    roles = frozenset(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)
    return _guard(AccessRule(name=str(permission), roles=roles, permission=Permission(permission)))


@cache
def _require_roles(roles: frozenset[str]) -> Callable[..., CurrentUser | None]:
    name = "+".join(sorted(roles))
    return _guard(AccessRule(name=f"roles:{name}", roles=roles))


def require_role(*roles: Role | str) -> Callable[..., CurrentUser | None]:
    """The dependency that lets through only ``roles`` (prefer :func:`require` with a permission)."""
    known = {str(r) for r in Role} | {ANONYMOUS}
    unknown = {str(r) for r in roles} - known
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    return _require_roles(frozenset(str(r) for r in roles))


def confirm_it_is_you(
    request: Request, db: Session, row: UserRow, password: str, code: str
) -> tuple[dict[str, str], int]:
    """Check the signed-in user's current password (and code) before something sensitive: the errors by field
    (none if it is them) and the status to answer with. A refusal is committed (it counts towards the
    account's limits on wrong passwords and codes)."""
    try:
        reauthenticate(
            db,
            row,
            password=password,
            code=code,
            address=address_of(request),
            policy=policy_of(request),
            now=now_of(request),
        )
    except TooManyAttempts as exc:
        db.commit()
        return {"current_password": f"{exc.message}. {exc.hint}"}, 429
    except InvalidInput as exc:
        db.commit()
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field or "form", problem.message)
        return errors or {"form": exc.message}, 422
    return {}, 200


@cache
def require_confirmed(permission: Permission, back: str) -> Callable[..., CurrentUser | None]:
    """:func:`require` ``permission``, and a password entered in the last few minutes (the setting
    ``admin_confirm_minutes``); otherwise the user is asked for it and sent back to the page ``back`` (a path
    pattern whose ``{name}`` parts are filled from the route's path parameters)."""
    guard = require(permission)

    def dependency(request: Request, user: Annotated[CurrentUser | None, Depends(guard)]) -> CurrentUser | None:
        row = current_session(request)
        if user is not None and (
            row is None or not recently_authenticated(row, now=now_of(request), policy=policy_of(request))
        ):
            raise ConfirmationRequired(
                "Confirm it is you before changing someone's account",
                back=back.format(**request.path_params),
            )
        return user

    # The annotation names a local (``guard``), which FastAPI cannot resolve from a string: give it the objects.
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
            inspect.Parameter(
                "user",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[CurrentUser | None, Depends(guard)],
            ),
        ]
    )
    dependency.__name__ = f"confirmed_{permission}"
    return dependency


def access_rule_of(dependant: Any) -> list[AccessRule]:
    """Every access rule declared on a route's dependency tree (a well-formed route has exactly one)."""
    rules: list[AccessRule] = []
    stack = [dependant]
    while stack:
        node = stack.pop()
        rule = getattr(node.call, "access_rule", None) if node.call is not None else None
        if isinstance(rule, AccessRule) and rule not in rules:
            rules.append(rule)
        stack.extend(node.dependencies)
    return rules


@dataclass(frozen=True)
class RouteInfo:
    """One route of the app as mounted (full path, with the include-time dependencies of its router)."""

    path: str
    methods: frozenset[str]
    kind: str  # "api" (a FastAPI route, with a dependant), "route" (plain Starlette) or "mount"
    dependant: Any | None = None


@cache
def page_paths() -> frozenset[str]:
    """Paths of every page (GET route) of the app, from its routers (``create_app`` includes them all).

    Worked out once per process: the navigation asks on every page, and walking an app's route table with
    FastAPI's route contexts costs ~0.1 s — once per app built, which the test suite does hundreds of times.
    """
    from gapwatch.web.routes import ROUTERS  # noqa: PLC0415 - the routes import this module

    return frozenset(
        route.path
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute | Route) and "GET" in (route.methods or ())
    )


def route_table(app: FastAPI) -> list[RouteInfo]:
    """Every route of ``app``, flattened through included routers (FastAPI keeps them nested)."""
    table: list[RouteInfo] = []
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        path = str(context.path or getattr(original, "path", ""))
        methods = frozenset(context.methods or ())
        if isinstance(original, APIRoute):
            table.append(RouteInfo(path, methods, "api", getattr(context, "dependant", original.dependant)))
        elif methods:
            table.append(RouteInfo(path, methods, "route"))
        else:
            table.append(RouteInfo(path, methods, "mount"))
    return table


async def csrf_protect(request: Request) -> None:
    """Applied to every router by ``create_app``: state-changing requests need the session's CSRF token."""
    await check_csrf(request)
