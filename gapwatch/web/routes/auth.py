"""Sign in (password, then a TOTP code for accounts that turned it on) and sign out."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import InvalidInput
from gapwatch.services import accounts as account_service
from gapwatch.services.accounts import TooManyAttempts, account_by_pk, authenticate, check_sign_in_code
from gapwatch.web.deps import CurrentUser, DbSession, SettingsDep, require, sign_in_session
from gapwatch.web.permissions import Permission
from gapwatch.web.templating import render

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)

PublicUser = Annotated[CurrentUser | None, Depends(require(Permission.PUBLIC))]
#: Seconds a user has to enter their code after the password was accepted.
_CODE_WINDOW = 300


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site (never another site: open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
        try:
            row = authenticate(
                db,
                username,
                password,
                address=_address(request),
                attempts_per_minute=settings.login_attempts_per_minute,
            )
        except TooManyAttempts as exc:
            errors["username"] = f"{exc.message}. {exc.hint}"
            status = 429
        except InvalidInput as exc:
            db.commit()  # keep the failed attempt: it counts towards the limit
            errors["username"] = exc.message
        else:
            db.commit()
            if row.totp_secret:
                request.session.clear()
                request.session.update({"pending_uid": row.pk, "pending_at": int(time.time())})
                return RedirectResponse(f"/sign-in/code?next={target}", status_code=303)
            sign_in_session(request, row)
            return RedirectResponse(target, status_code=303)
    values = {"username": username}
    context = {"next": target, "errors": errors, "values": values, "hide_sign_in": True}
    return render(request, "auth/sign_in.html", context, status_code=status)


@router.get("/sign-in/code")
def code_page(request: Request, user: PublicUser, next: str = "/") -> Response:
    """The second step for accounts with an authenticator app."""
    if "pending_uid" not in request.session:
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
    """Check the 6-digit code; a used or wrong code is refused (and counts as a failed attempt)."""
    pending = request.session.get("pending_uid")
    started = request.session.get("pending_at", 0)
    if not isinstance(pending, int) or time.time() - float(started) > _CODE_WINDOW:
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)
    row = account_by_pk(db, pending)
    if row is None or not row.active:
        request.session.clear()
        return RedirectResponse("/sign-in", status_code=303)
    if not check_sign_in_code(db, row, code):
        db.commit()
        errors = {"code": "Enter the 6-digit code your authenticator app shows now"}
        return render(
            request,
            "auth/code.html",
            {"next": safe_next(next), "errors": errors, "hide_sign_in": True},
            status_code=422,
        )
    db.commit()
    sign_in_session(request, row)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out")
def sign_out(request: Request, user: PublicUser, db: DbSession) -> Response:
    """End the session."""
    if user is not None:
        account_service.sign_out(db, user)
        db.commit()
    request.session.clear()
    return RedirectResponse("/sign-in?signed_out=1", status_code=303)
