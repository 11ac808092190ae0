"""Sign in (password, then a TOTP code for accounts that turned it on) and sign out.

Between the two steps the browser holds a stored session at the ``code`` stage (never a user id in the
cookie); the code page accepts only a few wrong codes per account before the codes lock and that pending
sign-in ends (see :mod:`gapwatch.services.two_factor`). Each step issues a new session id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import InvalidInput
from gapwatch.services import accounts as account_service
from gapwatch.services.accounts import (
    CodeOutcome,
    TooManyAttempts,
    UserRow,
    authenticate,
    check_sign_in_code,
    codes_locked_until,
    complete_sign_in,
)
from gapwatch.services.sessions import AWAITING_CODE, end_session, live_session
from gapwatch.web.deps import (
    CurrentUser,
    DbSession,
    SettingsDep,
    address_of,
    now_of,
    policy_of,
    require,
    sign_in_session,
)
from gapwatch.web.permissions import Permission
from gapwatch.web.security import known_accounts, remember_account
from gapwatch.web.templating import render

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)

PublicUser = Annotated[CurrentUser | None, Depends(require(Permission.PUBLIC))]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site (never another site: open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _signed_in(request: Request, user_pk: int, target: str) -> Response:
    """Go on to ``target``, remembering in the known-browser cookie that this account signed in here."""
    response = RedirectResponse(target, status_code=303)
    https = request.app.state.settings.https
    remember_account(response, request, request.app.state.signing_key, user_pk, https=https)
    return response


def _locked_message(until: datetime | None) -> str:
    when = f"{until:%H:%M} UTC" if until is not None else "later"
    return f"Too many wrong security codes: sign-in codes for this account are locked until {when}"


@router.get("/sign-in")
def sign_in_page(request: Request, user: PublicUser, next: str = "/") -> Response:
    """The sign-in form (a signed-in user goes straight on)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request, "auth/sign_in.html", {"next": safe_next(next), "errors": {}, "values": {}, "hide_sign_in": True}
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    user: PublicUser,
    db: DbSession,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password (throttled); start the session, or ask for the second factor."""
    target = safe_next(next)
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    status = 422
    if not errors:
        now = now_of(request)
        try:
            row = authenticate(
                db,
                username,
                password,
                address=address_of(request),
                policy=policy_of(request),
                known_accounts=known_accounts(request, request.app.state.signing_key),
                now=now,
            )
        except TooManyAttempts as exc:
            db.commit()  # an audit entry when a limit was first reached
            errors["username"] = f"{exc.message}. {exc.hint}"
            status = 429
        except InvalidInput as exc:
            db.commit()  # keep the failed attempt: it counts towards the limit
            errors["username"] = exc.message
        else:
            if row.totp_secret:
                locked = codes_locked_until(row, now=now)
                if locked is not None:
                    db.commit()
                    errors["username"] = _locked_message(locked)
                    status = 429
                else:
                    sign_in_session(request, db, row, stage=AWAITING_CODE)
                    db.commit()
                    return RedirectResponse(f"/sign-in/code?next={target}", status_code=303)
            else:
                sign_in_session(request, db, row)
                db.commit()
                return _signed_in(request, row.pk, target)
    values = {"username": username}
    context = {"next": target, "errors": errors, "values": values, "hide_sign_in": True}
    return render(request, "auth/sign_in.html", context, status_code=status)


def _pending(request: Request, db: DbSession) -> tuple[str, UserRow] | None:
    """The browser's session waiting for a code, and its user (None if there is none, or it ran out)."""
    session_id = request.session.get("sid")
    if not isinstance(session_id, str):
        return None
    found = live_session(db, session_id, stage=AWAITING_CODE, now=now_of(request), policy=policy_of(request))
    db.commit()
    if found is None:
        return None
    return session_id, found[1]


@router.get("/sign-in/code")
def code_page(request: Request, user: PublicUser, db: DbSession, next: str = "/") -> Response:
    """The second step for accounts with an authenticator app."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    if _pending(request, db) is None:
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)
    return render(request, "auth/code.html", {"next": safe_next(next), "errors": {}, "hide_sign_in": True})


@router.post("/sign-in/code")
def code(
    request: Request,
    user: PublicUser,
    db: DbSession,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the 6-digit code. A wrong or used code counts against the account; after the last one allowed the
    codes lock and this pending sign-in ends (back to the password, which is then refused until the lock ends)."""
    pending = _pending(request, db)
    if pending is None:
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)
    session_id, row = pending
    now = now_of(request)
    check = check_sign_in_code(db, row, code, now=now, policy=policy_of(request))
    if check.outcome is CodeOutcome.LOCKED:
        end_session(db, session_id)
        db.commit()
        request.session.clear()
        errors = {"username": _locked_message(check.locked_until)}
        context = {"next": safe_next(next), "errors": errors, "values": {}, "hide_sign_in": True}
        return render(request, "auth/sign_in.html", context, status_code=429)
    if not check.accepted:
        db.commit()
        errors = {"code": "Enter the 6-digit code your authenticator app shows now"}
        return render(
            request,
            "auth/code.html",
            {"next": safe_next(next), "errors": errors, "hide_sign_in": True},
            status_code=422,
        )
    end_session(db, session_id)
    complete_sign_in(db, row, now=now)
    sign_in_session(request, db, row)
    db.commit()
    return _signed_in(request, row.pk, safe_next(next))


@router.post("/sign-out")
def sign_out(request: Request, user: PublicUser, db: DbSession) -> Response:
    """End the session: its stored row goes, so a copy of the cookie is worth nothing from now on."""
    session_id = request.session.get("sid")
    if user is not None:
        account_service.sign_out(db, user, session_id=session_id if isinstance(session_id, str) else None)
    elif isinstance(session_id, str):
        end_session(db, session_id)  # a sign-in waiting for its code
    db.commit()
    request.session.clear()
    return RedirectResponse("/sign-in?signed_out=1", status_code=303)
