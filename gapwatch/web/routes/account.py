"""The signed-in user's own account: details, password, API tokens and (admins) the authenticator app."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import InvalidInput, NotFound
from gapwatch.services.accounts import (
    UserRow,
    account_by_pk,
    api_tokens,
    change_password,
    create_api_token,
    disable_totp,
    enable_totp,
    new_totp_secret,
    revoke_api_token,
    totp_uri,
)
from gapwatch.web.deps import CurrentUser, DbSession, require, require_role, sign_in_session
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


def _field_errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field or "form", problem.message)
    return errors or {"form": exc.message}


@router.get("/account")
def account(request: Request, user: Reader, db: DbSession) -> Response:
    """Who you are, your role, and what you can change."""
    row = _row(db, user)
    return render(request, "account/index.html", {"account": row, "changed": request.query_params.get("changed")})


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
    """Change your password; your other sessions end, this one continues."""
    row = _row(db, user)
    try:
        change_password(db, row, current=current_password, new=new_password, confirm=confirm_password)
    except InvalidInput as exc:
        return render(request, "account/password.html", {"errors": _field_errors(exc)}, status_code=422)
    db.commit()
    sign_in_session(request, row)
    return RedirectResponse("/account?changed=password", status_code=303)


@router.get("/account/tokens")
def tokens_page(request: Request, user: Reader, db: DbSession) -> Response:
    """Your API tokens (their secrets are shown only once, when created)."""
    return render(request, "account/tokens.html", {"tokens": api_tokens(db, user.pk), "errors": {}, "secret": None})


@router.post("/account/tokens")
def create_token(
    request: Request,
    user: Reader,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "365",
) -> Response:
    """Create a token for an API client; it acts with your role."""
    row = _row(db, user)
    errors: dict[str, str] = {}
    days: int | None = None
    if expires_in_days not in ("30", "90", "365", "never"):
        errors["expires_in_days"] = "Choose when the token expires"
    elif expires_in_days != "never":
        days = int(expires_in_days)
    secret = None
    if not errors:
        try:
            _, secret = create_api_token(db, row, name=name, expires_in_days=days)
        except InvalidInput as exc:
            errors = _field_errors(exc)
        else:
            db.commit()
    context = {"tokens": api_tokens(db, user.pk), "errors": errors, "secret": secret, "name": name}
    return render(request, "account/tokens.html", context, status_code=422 if errors else 201)


@router.post("/account/tokens/{token_pk}/revoke")
def revoke_token(request: Request, token_pk: int, user: Reader, db: DbSession) -> Response:
    """Revoke one of your tokens at once."""
    revoke_api_token(db, _row(db, user), token_pk, actor=user.username)
    db.commit()
    return RedirectResponse("/account/tokens", status_code=303)


@router.get("/account/two-factor")
def two_factor_page(request: Request, user: Admin, db: DbSession) -> Response:
    """Set up an authenticator app (offered to administrators, whose accounts can do the most harm)."""
    row = _row(db, user)
    secret = None
    if not row.totp_secret:
        secret = request.session.get("totp_setup") or new_totp_secret()
        request.session["totp_setup"] = secret
    context: dict[str, Any] = {
        "account": row,
        "secret": secret,
        "errors": {},
        "uri": totp_uri(secret, row.username, "gapwatch") if secret else None,
    }
    return render(request, "account/two_factor.html", context)


@router.post("/account/two-factor")
def two_factor(
    request: Request,
    user: Admin,
    db: DbSession,
    code: Annotated[str, Form()] = "",
) -> Response:
    """Turn the second factor on once the app shows a correct code."""
    row = _row(db, user)
    secret = request.session.get("totp_setup")
    if not isinstance(secret, str):
        return RedirectResponse("/account/two-factor", status_code=303)
    try:
        enable_totp(db, row, secret, code)
    except InvalidInput as exc:
        context = {
            "account": row,
            "secret": secret,
            "uri": totp_uri(secret, row.username, "gapwatch"),
            "errors": _field_errors(exc),
        }
        return render(request, "account/two_factor.html", context, status_code=422)
    db.commit()
    request.session.pop("totp_setup", None)
    return RedirectResponse("/account?changed=two-factor", status_code=303)


@router.post("/account/two-factor/disable")
def two_factor_off(request: Request, user: Admin, db: DbSession) -> Response:
    """Turn the second factor off."""
    disable_totp(db, _row(db, user), actor=user.username)
    db.commit()
    return RedirectResponse("/account?changed=two-factor-off", status_code=303)
