"""Commentary on a cycle's exceptions in the web app: the "story behind the curve" as a workflow.

The workflow lives in :mod:`gapwatch.services.comments` (the CLI's ``cycle commentary-request|write|approve``
calls the same functions); these pages are its shell:

* ``/commentary`` — a cycle's commentary (the latest cycle unless ``?cycle=``): every request, who was asked,
  when, and where it stands (requested, draft, approved, rejected); performance officers ask from here or
  from the "Request commentary" buttons beside a draft paper's exceptions (``/commentary/new``).
* ``/commentary/mine`` — the commentary the signed-in user has been asked for (linked from "My work").
* ``/commentary/{id}`` — one request: the owner writes the four structured parts; the board's chair or a
  delegate approves or rejects what was written.

Who may do what is decided by the services, whichever shell asks: the door lets any signed-in user in to
write or decide, and the service refuses (403) anyone but the owner asked (or a performance officer) and the
chair or a delegate. Every step is audited as the signed-in user. Once the cycle closes the commentary is
frozen with its reports: the forms go and the pages say so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from gapwatch.errors import Conflict, InvalidInput, Problem
from gapwatch.services import accounts, comments
from gapwatch.services.cycles import CycleStatus, cycle_status_or_none, list_cycle_names
from gapwatch.services.plans import current_plan
from gapwatch.services.report_data import STORY_PARTS
from gapwatch.web.deps import CurrentUser
from gapwatch.web.permissions import Permission
from gapwatch.web.routes._pages import DB, ENGINE, MANAGE, READ, errors_of, form_value
from gapwatch.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Status -> (label, GOV.UK tag colour) as the pages show it.
STATUS_TAGS: dict[str, tuple[str, str]] = {
    "requested": ("Requested", "govuk-tag--yellow"),
    "draft": ("Awaiting approval", "govuk-tag--blue"),
    "approved": ("Approved", "govuk-tag--green"),
    "rejected": ("Rejected", "govuk-tag--red"),
}
#: The help under each part of the write form (Clear Impact's turn-the-curve questions).
_HINTS = {
    "story": "What is happening to this measure and why. Required.",
    "partners": "Who else has a role in turning the curve.",
    "what_works": "What evidence says works, including low-cost and no-cost ideas.",
    "proposal": "What the partnership proposes to do, by whom and when.",
}


def _cycle_url(cycle: str) -> str:
    return "/commentary?" + urlencode({"cycle": cycle})


def _deciding(engine: Engine, cycle: str, user: CurrentUser) -> list[dict[str, str]]:
    return [{"id": b.id, "name": b.name} for b in comments.deciding_boards(engine, cycle, user)]


@router.get("/commentary")
def commentary_index(
    request: Request, user: CurrentUser | None = READ, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """A cycle's commentary: every request with who was asked, when, and its status."""
    assert user is not None
    status = cycle_status_or_none(engine, request.query_params.get("cycle") or None)
    requests = comments.commentary_requests(engine, status.name) if status is not None else []
    plan = current_plan(db)
    boards = []
    if status is not None:
        boards = [
            {
                "id": b,
                "name": plan.boards[b].name if b in plan.boards else b,
                "url": f"/reports/{quote(status.name, safe='')}/{quote(b, safe='')}",
            }
            for b in status.boards
        ]
    counts = {key: sum(1 for r in requests if r.status == key) for key in STATUS_TAGS}
    return render(
        request,
        "commentary/index.html",
        {
            "status": status,
            "cycles": list_cycle_names(engine),
            "requests": requests,
            "counts": counts,
            "boards": boards,
            "deciding": _deciding(engine, status.name, user) if status is not None else [],
            "tags": STATUS_TAGS,
            "saved": request.query_params.get("saved"),
        },
    )


@router.get("/commentary/mine")
def commentary_mine(request: Request, user: CurrentUser | None = READ, engine: Engine = ENGINE) -> Response:
    """The commentary the signed-in user has been asked for, open cycles first."""
    assert user is not None
    return render(
        request,
        "commentary/mine.html",
        {"requests": comments.asked_of(engine, user.username), "tags": STATUS_TAGS},
    )


def _owners(db: Session) -> list[tuple[str, str]]:
    """Everyone who can be asked: the active accounts (the owner writes as themselves), with the plan person
    each stands for, so a performance officer can tell the right "J. Smith" from another."""
    plan = current_plan(db)
    out = []
    for account in accounts.accounts(db):
        if not account.active:
            continue
        person = plan.person_name(account.person_id) if account.person_id else None
        label = f"{account.display_name} ({account.username})" + (f", {person}" if person else "")
        out.append((account.username, label))
    return sorted(out, key=lambda pair: pair[1].casefold())


def _suggested_owner(db: Session, subject: str) -> str:
    """The account linked to the plan's owner of ``subject`` (an action's lead officer, a risk's owner), if any."""
    plan = current_plan(db)
    kind, _, item_id = subject.partition(":")
    person = None
    if kind == "action" and item_id in plan.actions:
        person = plan.actions[item_id].lead_officer
    elif kind == "risk":
        person = next((r.owner for r in plan.framework.risks if r.id == item_id), None)
    if person is None:
        return ""
    return next((a.username for a in accounts.accounts(db) if a.active and a.person_id == person), "")


def _subjects(db: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """What commentary may be asked on, grouped as the select's option groups (subject, label)."""
    plan = current_plan(db)
    fw = plan.framework
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("Reports as a whole", [(f"report:{b.id}", b.name) for b in plan.boards.values()]),
        ("Indicators", [(f"indicator:{i.id}", f"{i.code}: {i.title}") for i in fw.indicators]),
        ("Actions", [(f"action:{a.id}", f"{a.number}: {a.text}") for a in fw.actions]),
        ("Risks", [(f"risk:{r.id}", r.title) for r in fw.risks]),
        ("Outcomes", [(f"outcome:{o.id}", f"{o.code} {o.title}") for o in fw.outcomes]),
        ("Key Performance Questions", [(f"kpq:{k.id}", f"{k.id}: {k.question}") for k in fw.kpqs]),
    ]
    return [(name, [(key, label[:120]) for key, label in items]) for name, items in groups if items]


def _request_form(
    request: Request,
    engine: Engine,
    db: Session,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    status = cycle_status_or_none(engine, values.get("cycle") or None)
    subject = values.get("subject", "")
    kind, _, item_id = subject.partition(":")
    fixed = bool(values.get("fixed")) and kind in comments.STORY_KINDS and bool(item_id)
    board = values.get("board", "")
    back = f"/reports/{quote(status.name, safe='')}/{quote(board, safe='')}" if status and board else None
    return render(
        request,
        "commentary/request.html",
        {
            "status": status,
            "values": values,
            "errors": errors or {},
            "fixed": fixed,
            "title": comments.subject_title(current_plan(db), kind, item_id) if fixed else "",
            "subjects": [] if fixed else _subjects(db),
            "owners": _owners(db),
            "back": back,
        },
        status_code=status_code,
    )


@router.get("/commentary/new")
def request_form(
    request: Request, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """The form a performance officer asks an owner for commentary with; ``?subject=indicator:NI75`` (and
    ``board``, to come back to its paper) pre-fills it from an exception of a draft paper."""
    query = request.query_params
    subject = query.get("subject", "")
    values = {
        "cycle": query.get("cycle", ""),
        "subject": subject,
        "board": query.get("board", ""),
        "fixed": "1" if subject else "",
        "owner": _suggested_owner(db, subject),
    }
    return _request_form(request, engine, db, values)


@router.post("/commentary/new")
async def request_commentary(
    request: Request, user: CurrentUser | None = MANAGE, engine: Engine = ENGINE, db: Session = DB
) -> Response:
    """Ask the chosen owner for commentary on the subject in the cycle (audited as the signed-in user)."""
    assert user is not None
    form = await request.form()
    values = {name: form_value(form, name) for name in ("cycle", "subject", "owner", "board", "fixed")}
    status: CycleStatus | None = None
    try:
        status = cycle_status_or_none(engine, values["cycle"] or None)
        if status is None:
            raise Conflict("No reporting cycle has been opened: open one before asking for commentary")
        values["cycle"] = status.name
        if status.status != "open":
            raise Conflict(f"Reporting cycle '{status.name}' is closed: its commentary is frozen with its reports")
        if not values["owner"]:
            raise InvalidInput(
                "The commentary cannot be requested", problems=[Problem("Choose who to ask", field="owner")]
            )
        number = comments.request_commentary(engine, status.name, values["subject"], values["owner"], by=user)
    except InvalidInput as exc:
        return _request_form(request, engine, db, values, errors=errors_of(exc.problems), status_code=422)
    except Conflict as exc:
        if status is None or status.status != "open":
            raise
        # The owner has an unanswered request on this subject already: say so beside the owner.
        return _request_form(request, engine, db, values, errors={"owner": exc.message}, status_code=409)
    return RedirectResponse(f"{_cycle_url(status.name)}&saved=requested#request-{number}", status_code=303)


def _request_page(
    request: Request,
    engine: Engine,
    user: CurrentUser,
    commentary_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    entry = comments.commentary_request(engine, commentary_id)
    may_write = entry.cycle_open and (entry.owner == user.username or user.may(Permission.MANAGE_DATA))
    context: dict[str, Any] = {
        "entry": entry,
        "tags": STATUS_TAGS,
        "parts": [(key, head, _HINTS[key]) for key, head in STORY_PARTS],
        "max_part": comments.MAX_PART,
        "values": values if values is not None else entry.values,
        "errors": errors or {},
        "may_write": may_write,
        "deciding": _deciding(engine, entry.cycle, user) if entry.cycle_open else [],
        "cycle_url": _cycle_url(entry.cycle),
        "saved": request.query_params.get("saved"),
    }
    return render(request, "commentary/show.html", context, status_code=status_code)


def _part_errors(problems: list[Problem]) -> dict[str, str]:
    """The service's problems as the error summary words them: each message names its part ("What works must
    be 2000 characters or fewer"), as GOV.UK error messages do, and links to its box."""
    heads = dict(STORY_PARTS)
    out = {}
    for field, message in errors_of(problems).items():
        if field in heads and message.startswith("must "):
            message = f"{heads[field]} {message}"
        out[field] = message[:1].upper() + message[1:]
    return out


@router.get("/commentary/{commentary_id:int}")
def commentary_page(
    request: Request, commentary_id: int, user: CurrentUser | None = READ, engine: Engine = ENGINE
) -> Response:
    """One request: what was written, the owner's write form, the chair's approve and reject buttons."""
    assert user is not None
    return _request_page(request, engine, user, commentary_id)


@router.post("/commentary/{commentary_id:int}")
async def write_commentary(
    request: Request, commentary_id: int, user: CurrentUser | None = READ, engine: Engine = ENGINE
) -> Response:
    """The owner's structured commentary; the service refuses anyone but the owner or a performance officer."""
    assert user is not None
    form = await request.form()
    parts = {key: form_value(form, key) for key, _ in STORY_PARTS}
    try:
        comments.write_commentary(engine, commentary_id, parts, by=user)
    except InvalidInput as exc:
        errors = _part_errors(exc.problems)
        return _request_page(request, engine, user, commentary_id, values=parts, errors=errors, status_code=422)
    return RedirectResponse(f"/commentary/{commentary_id}?saved=written", status_code=303)


@router.post("/commentary/{commentary_id:int}/decision")
async def decide_commentary(
    request: Request, commentary_id: int, user: CurrentUser | None = READ, engine: Engine = ENGINE
) -> Response:
    """Approve or reject written commentary; the service accepts only the board's chair or a delegate."""
    assert user is not None
    form = await request.form()
    decision = form_value(form, "decision")
    if decision not in ("approved", "rejected"):
        raise InvalidInput("Choose approve or reject", problems=[Problem("Choose approve or reject", field="decision")])
    board = form_value(form, "board")
    if not board:
        raise InvalidInput("Choose the board you decide for", problems=[Problem("Choose a board", field="board")])
    comments.decide_story(engine, commentary_id, board, by=user, approve=decision == "approved")
    return RedirectResponse(f"/commentary/{commentary_id}?saved={decision}", status_code=303)
