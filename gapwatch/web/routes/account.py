"""The signed-in user's own account: details, sessions, password, API tokens and (admins) the authenticator app.

Creating an API token and turning sign-in codes off ask for the current password (and the current code when
codes are on) again, so a session left open or stolen cannot be turned into a lasting credential or used to
strip the second factor. The secret of an authenticator being set up stays in the stored session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import InvalidInput, NotFound
from gapwatch.services.accounts import (
    TooManyAttempts,
    UserRow,
    account_by_pk,
    api_tokens,
    change_password,
    create_api_token,
    disable_totp,
    enable_totp,
    enrolment_secret,
    forget_enrolment,
    pending_enrolment,
    revoke_api_token,
    sign_out_everywhere,
    totp_uri,
    web_sessions,
)
from gapwatch.services.sessions import SessionRow
from gapwatch.web.deps import (
    CurrentUser,
    DbSession,
    address_of,
    confirm_it_is_you,
    current_session,
    now_of,
    policy_of,
    require,
    require_role,
    sign_in_session,
)
from gapwatch.web.permissions import Permission, Role
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Reader = Annotated[CurrentUser, Depends(require(Permission.READ))]
Admin = Annotated[CurrentUser, Depends(require_role(Role.ADMIN))]


def _row(db: Session, user: CurrentUser) -> UserRow:
    row = account_by_pk(db, user.pk)
    if row is None:
        raise NotFound("Your account no longer exists")
    return row


def _web_session(request: Request) -> SessionRow:
    row = current_session(request)
    if row is None:  # only a browser's stored session reaches these pages (API tokens are refused before)
        raise NotFound("This page needs a browser session")
    return row


def _field_errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field or "form", problem.message)
    return errors or {"form": exc.message}


@router.get("/account")
def account(request: Request, user: Reader, db: DbSession) -> Response:
    """Who you are, your role, your sessions, and what you can change."""
    row = _row(db, user)
    here = current_session(request)
    context = {
        "account": row,
        "changed": request.query_params.get("changed"),
        "sessions": web_sessions(db, row.pk),
        "this_session": here.pk if here is not None else None,
    }
    return render(request, "account/index.html", context)


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere_route(request: Request, user: Reader, db: DbSession) -> Response:
    """End every session of your account, this one included (a browser left signed in somewhere)."""
    ended = sign_out_everywhere(db, _row(db, user))
    db.commit()
    request.session.clear()
    request.state.user = None  # the page that follows is a visitor's
    notice = f"You have signed out everywhere ({ended} session{'' if ended == 1 else 's'} ended)."
    context = {"next": "/", "errors": {}, "values": {}, "hide_sign_in": True, "notice": notice}
    return render(request, "auth/sign_in.html", context)


@router.get("/account/password")
def password_page(request: Request, user: Reader) -> Response:
    """The change-password form (the only page open to a user whose password was reset)."""
    return render(request, "account/password.html", {"errors": {}})


@router.post("/account/password")
def password(
    request: Request,
    user: Reader,
    db: DbSession,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    """Change your password: every session ends and every API token is revoked; this browser carries on in a
    new session."""
    row = _row(db, user)
    try:
        change_password(
            db,
            row,
            current=current_password,
            new=new_password,
            confirm=confirm_password,
            address=address_of(request),
            policy=policy_of(request),
            now=now_of(request),
        )
    except TooManyAttempts as exc:
        db.commit()
        errors = {"current_password": f"{exc.message}. {exc.hint}"}
        return render(request, "account/password.html", {"errors": errors}, status_code=429)
    except InvalidInput as exc:
        db.commit()  # a wrong current password counts towards the account's limit
        return render(request, "account/password.html", {"errors": _field_errors(exc)}, status_code=422)
    sign_in_session(request, db, row)
    db.commit()
    return RedirectResponse("/account?changed=password", status_code=303)


def _tokens_context(db: Session, user: CurrentUser, **extra: Any) -> dict[str, Any]:
    return {"tokens": api_tokens(db, user.pk), "errors": {}, "secret": None, "name": "", **extra}


@router.get("/account/tokens")
def tokens_page(request: Request, user: Reader, db: DbSession) -> Response:
    """Your API tokens (their secrets are shown only once, when created)."""
    return render(request, "account/tokens.html", _tokens_context(db, user))


@router.post("/account/tokens")
def create_token(
    request: Request,
    user: Reader,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "365",
    current_password: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """Create a token for an API client (it acts with your role) once you have confirmed it is you."""
    row = _row(db, user)
    errors: dict[str, str] = {}
    days: int | None = None
    if expires_in_days not in ("30", "90", "365", "never"):
        errors["expires_in_days"] = "Choose when the token expires"
    elif expires_in_days != "never":
        days = int(expires_in_days)
    if not name.strip() or len(name.strip()) > 200:
        errors["name"] = "Give the token a name of up to 200 characters"
    status = 422
    if not errors:
        errors, status = confirm_it_is_you(request, db, row, current_password, code)
    secret = None
    if not errors:
        try:
            _, secret = create_api_token(db, row, name=name, expires_in_days=days)
        except InvalidInput as exc:
            errors = _field_errors(exc)
        else:
            db.commit()
    context = _tokens_context(db, user, errors=errors, secret=secret, name=name)
    return render(request, "account/tokens.html", context, status_code=status if errors else 201)


@router.post("/account/tokens/{token_pk}/revoke")
def revoke_token(request: Request, token_pk: int, user: Reader, db: DbSession) -> Response:
    """Revoke one of your tokens at once."""
    revoke_api_token(db, _row(db, user), token_pk, actor=user.username)
    db.commit()
    return RedirectResponse("/account/tokens", status_code=303)


def _two_factor_context(row: UserRow, secret: str | None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "account": row,
        "secret": secret,
        "errors": errors or {},
        "uri": totp_uri(secret, row.username, "gapwatch") if secret else None,
    }


@router.get("/account/two-factor")
def two_factor_page(request: Request, user: Admin, db: DbSession) -> Response:
    """Set up an authenticator app (offered to administrators, whose accounts can do the most harm)."""
    row = _row(db, user)
    secret = None
    if not row.totp_secret:
        secret = enrolment_secret(_web_session(request), sealer=policy_of(request).sealer)
        db.commit()
    return render(request, "account/two_factor.html", _two_factor_context(row, secret))


@router.post("/account/two-factor")
def two_factor(
    request: Request,
    user: Admin,
    db: DbSession,
    code: Annotated[str, Form()] = "",
) -> Response:
    """Turn the second factor on once the app shows a correct code."""
    row = _row(db, user)
    web_session = _web_session(request)
    sealer = policy_of(request).sealer
    secret = pending_enrolment(web_session, sealer=sealer)
    if row.totp_secret or not secret:
        return RedirectResponse("/account/two-factor", status_code=303)
    try:
        enable_totp(db, row, secret, code, now=now_of(request).timestamp(), sealer=sealer)
    except InvalidInput as exc:
        return render(
            request, "account/two_factor.html", _two_factor_context(row, secret, _field_errors(exc)), status_code=422
        )
    forget_enrolment(web_session)
    db.commit()
    return RedirectResponse("/account?changed=two-factor", status_code=303)


@router.post("/account/two-factor/disable")
def two_factor_off(
    request: Request,
    user: Admin,
    db: DbSession,
    current_password: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """Turn the second factor off, once you have confirmed it is you (password and a current code)."""
    row = _row(db, user)
    if not row.totp_secret:
        return RedirectResponse("/account/two-factor", status_code=303)
    errors, status = confirm_it_is_you(request, db, row, current_password, code)
    if errors:
        return render(request, "account/two_factor.html", _two_factor_context(row, None, errors), status_code=status)
    disable_totp(db, row, actor=user.username)
    db.commit()
    return RedirectResponse("/account?changed=two-factor-off", status_code=303)
