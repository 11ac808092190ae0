"""Administration: user accounts (admins) and the audit log (admins and performance officers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from gapwatch.errors import Conflict, Forbidden, InvalidInput, NotFound
from gapwatch.services.accounts import (
    Role,
    UserRow,
    account,
    accounts,
    create_user,
    disable_totp,
    generate_password,
    people_to_link,
    reset_password,
    update_user,
)
from gapwatch.services.audit import AuditFilter, audit_csv, audit_filter, audit_page
from gapwatch.web.deps import (
    CurrentUser,
    DbSession,
    confirm_it_is_you,
    require,
    require_confirmed,
    sign_in_session,
)
from gapwatch.web.pagination import Pagination, paginate
from gapwatch.web.permissions import ROLE_LABELS, Permission
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

UserAdmin = Annotated[CurrentUser, Depends(require(Permission.MANAGE_USERS))]
AuditReader = Annotated[CurrentUser, Depends(require(Permission.VIEW_AUDIT))]
#: Changing an account needs the administrator's password entered in the last few minutes (ASVS 3.7.1).
NewUserAdmin = Annotated[CurrentUser, Depends(require_confirmed(Permission.MANAGE_USERS, "/admin/users/new"))]
ConfirmedAdmin = Annotated[CurrentUser, Depends(require_confirmed(Permission.MANAGE_USERS, "/admin/users/{username}"))]


def _safe_next(target: str) -> str:
    """Only an administration page of this site (never another site, never a protocol-relative path)."""
    if target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin/users"


@router.get("/admin/confirm")
def confirm_page(request: Request, user: UserAdmin, db: DbSession) -> Response:
    """Ask the administrator for their password (and code) before a change to someone's account."""
    target = _safe_next(request.query_params.get("next", ""))
    return render(request, "admin/confirm.html", {"next": target, "errors": {}})


@router.post("/admin/confirm")
def confirm(
    request: Request,
    user: UserAdmin,
    db: DbSession,
    current_password: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password (and code); a new session starts, so the next few minutes of changes are allowed."""
    target = _safe_next(next)
    row = _user(db, user.username)
    errors, status = confirm_it_is_you(request, db, row, current_password, code)
    if errors:
        return render(request, "admin/confirm.html", {"next": target, "errors": errors}, status_code=status)
    sign_in_session(request, db, row)
    db.commit()
    return RedirectResponse(target, status_code=303)


def _user(db: Session, username: str) -> UserRow:
    row = account(db, username)
    if row is None:
        raise NotFound(f"There is no account called '{username}'")
    return row


def _errors(exc: InvalidInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field or "username", problem.message)
    return errors or {"username": exc.message}


def _form_context(db: Session, **extra: Any) -> dict[str, Any]:
    roles = [{"value": r.value, "text": ROLE_LABELS[r]} for r in Role]
    return {"roles": roles, "people": people_to_link(db), "errors": {}, "values": {}, **extra}


@router.get("/admin/users")
def users(request: Request, user: UserAdmin, db: DbSession) -> Response:
    """Every account, its role and whether it is active."""
    return render(request, "admin/users.html", {"accounts": accounts(db), "done": request.query_params.get("done")})


@router.get("/admin/users/new")
def new_user_page(request: Request, user: UserAdmin, db: DbSession) -> Response:
    """The form to add an account."""
    return render(request, "admin/user_form.html", _form_context(db, account=None))


@router.post("/admin/users/new")
def new_user(
    request: Request,
    user: NewUserAdmin,
    db: DbSession,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form()] = "",
) -> Response:
    """Add an account with a temporary password, shown once; the person chooses their own at first sign-in."""
    values = {"username": username, "display_name": display_name, "email": email, "role": role, "person_id": person_id}
    temporary = generate_password()
    try:
        create_user(
            db,
            username=username,
            display_name=display_name,
            role=role,
            password=temporary,
            email=email,
            person_id=person_id or None,
            must_change_password=True,
            actor=user.username,
        )
    except InvalidInput as exc:
        context = _form_context(db, account=None, errors=_errors(exc), values=values)
        return render(request, "admin/user_form.html", context, status_code=422)
    except Conflict as exc:
        context = _form_context(db, account=None, errors={"username": exc.message}, values=values)
        return render(request, "admin/user_form.html", context, status_code=409)
    db.commit()
    context = {"username": username.strip().lower(), "password": temporary, "created": True}
    return render(request, "admin/password_shown.html", context, status_code=201)


@router.get("/admin/users/{username}")
def edit_user_page(
    request: Request,
    username: str,
    user: UserAdmin,
    db: DbSession,
) -> Response:
    """One account: change its details or role, reset its password."""
    row = _user(db, username)
    values = {
        "display_name": row.display_name,
        "email": row.email or "",
        "role": row.role,
        "person_id": row.person_id or "",
        "active": row.active,
    }
    return render(request, "admin/user_form.html", _form_context(db, account=row, values=values))


@router.post("/admin/users/{username}")
def edit_user(
    request: Request,
    username: str,
    user: ConfirmedAdmin,
    db: DbSession,
    display_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    person_id: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    """Save an account's details. Admins cannot demote or deactivate themselves (no lock-out)."""
    row = _user(db, username)
    values = {
        "display_name": display_name,
        "email": email,
        "role": role,
        "person_id": person_id,
        "active": active == "yes",
    }
    errors: dict[str, str] = {}
    if row.pk == user.pk and role != row.role:
        errors["role"] = "You cannot change your own role: ask another administrator"
    if row.pk == user.pk and active != "yes":
        errors["active"] = "You cannot deactivate your own account"
    if not errors:
        try:
            update_user(
                db,
                row,
                actor=user.username,
                display_name=display_name,
                role=role,
                email=email,
                person_id=person_id,
                active=active == "yes",
            )
        except InvalidInput as exc:
            errors = _errors(exc)
    if errors:
        db.rollback()
        context = _form_context(db, account=row, errors=errors, values=values)
        return render(request, "admin/user_form.html", context, status_code=422)
    db.commit()
    return RedirectResponse(f"/admin/users?done=saved:{row.username}", status_code=303)


def _not_yourself(row: UserRow, user: CurrentUser, what: str) -> None:
    """Your own password and sign-in codes change in *Your account*, where your current ones are asked for:
    here they would not be, so a session left open could take the account over."""
    if row.pk == user.pk:
        raise Forbidden(f"You cannot {what} here", hint="Use Your account, which asks for your current password.")


@router.post("/admin/users/{username}/reset-password")
def reset(request: Request, username: str, user: ConfirmedAdmin, db: DbSession) -> Response:
    """Give the account a temporary password (shown once), end its sessions and revoke its API tokens."""
    row = _user(db, username)
    _not_yourself(row, user, "reset your own password")
    temporary = reset_password(db, row, actor=user.username)
    db.commit()
    return render(request, "admin/password_shown.html", {"username": row.username, "password": temporary})


@router.post("/admin/users/{username}/two-factor/disable")
def reset_two_factor(request: Request, username: str, user: ConfirmedAdmin, db: DbSession) -> Response:
    """Turn off sign-in codes for someone who lost their phone."""
    row = _user(db, username)
    _not_yourself(row, user, "turn off your own sign-in codes")
    disable_totp(db, row, actor=user.username)
    db.commit()
    return RedirectResponse(f"/admin/users?done=two-factor-off:{row.username}", status_code=303)


def _audit_where(request: Request) -> tuple[AuditFilter | None, dict[str, str], dict[str, str]]:
    query = request.query_params
    values = {key: query.get(key, "") for key in ("username", "action", "entity", "since", "until")}
    try:
        return audit_filter(**values), values, {}
    except InvalidInput as exc:
        return None, values, _errors(exc)


@router.get("/admin/audit")
def audit(
    request: Request,
    params: Pagination,
    user: AuditReader,
    db: DbSession,
) -> Response:
    """The audit log, newest first, filtered by who, what and when."""
    where, values, errors = _audit_where(request)
    if where is None:
        context: dict[str, Any] = {"entries": [], "page": None, "values": values, "errors": errors, "pagination": None}
        return render(request, "admin/audit.html", context, status_code=400)
    rows, total = audit_page(db, where, offset=params.offset, limit=params.per_page)
    page = paginate(lambda offset, limit: rows, params, total=total)
    context2: dict[str, Any] = {
        "entries": rows,
        "page": page,
        "values": values,
        "errors": {},
        "pagination": page.govuk_pagination(request) if page.pages > 1 else None,
        "csv_query": request.url.query,
    }
    return render(request, "admin/audit.html", context2)


@router.get("/admin/audit.csv")
def audit_export(request: Request, user: AuditReader, db: DbSession) -> Response:
    """The filtered audit log as CSV (every matching entry, not just one page)."""
    where, _, errors = _audit_where(request)
    if where is None:
        raise InvalidInput("The filter is not valid", hint="; ".join(errors.values()))
    return StreamingResponse(
        audit_csv(db, where),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="gapwatch-audit-log.csv"'},
    )
