"""Comments on the plan's items (an indicator, an action, a risk): the one way to add one, and to read them.

Board members, performance officers and admins comment (:attr:`~gapwatch.domain.access.Permission.COMMENT`);
a comment and its audit entry are written in the caller's transaction, whichever page or command asked.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gapwatch.domain.access import Actor, Permission, ensure_may
from gapwatch.errors import InvalidInput, NotFound, Problem
from gapwatch.services._plan import Plan, current_plan
from gapwatch.store.audit import record_audit
from gapwatch.store.progress import CommentRow, risk_states
from gapwatch.store.progress import add_comment as _store_comment
from gapwatch.store.progress import comments as _stored_comments

__all__ = ["COMMENT_KINDS", "MAX_COMMENT", "CommentRow", "add_comment", "comments_on"]

#: What can be commented on.
COMMENT_KINDS: tuple[str, ...] = ("indicator", "action", "risk")
#: The longest comment accepted, in characters.
MAX_COMMENT = 2000


def _check_item(session: Session, plan: Plan, kind: str, item_id: str) -> None:
    """Raise :class:`NotFound` unless ``kind`` is known and the plan has an item ``item_id`` of that kind."""
    if kind not in COMMENT_KINDS:
        raise NotFound(f"Comments cannot be added to a {kind}", hint=f"Comment on: {', '.join(COMMENT_KINDS)}")
    if kind == "indicator":
        known = item_id in plan.indicators
    elif kind == "action":
        known = item_id in plan.actions
    else:
        known = item_id in {r.id for r in plan.framework.risks} or item_id in risk_states(session, plan.pk)
    if not known:
        raise NotFound(f"There is no {kind} '{item_id}' in the plan")


def add_comment(session: Session, actor: Actor, kind: str, item_id: str, body: str) -> CommentRow:
    """Add ``actor``'s comment on an indicator, action or risk, with its audit entry; the caller commits.

    Raises :class:`Forbidden` (the actor's role does not comment), :class:`NotFound` (no such item) or
    :class:`InvalidInput` (empty or too long, named by the form's ``comment`` field).
    """
    ensure_may(actor, Permission.COMMENT, doing="comment")
    plan = current_plan(session)
    _check_item(session, plan, kind, item_id)
    text = body.strip()
    if not text:
        problem = Problem("Enter a comment", field="comment")
    elif len(text) > MAX_COMMENT:
        problem = Problem(f"Comment must be {MAX_COMMENT} characters or fewer", field="comment")
    else:
        problem = None
    if problem is not None:
        raise InvalidInput("There is a problem with the comment", problems=[problem])
    row = _store_comment(session, plan.pk, kind, item_id, text, actor.username)
    record_audit(session, actor, "comment.create", f"{kind}:{item_id}", None, {"comment": row.body})
    return row


def comments_on(session: Session, kind: str, item_id: str) -> list[CommentRow]:
    """The comments on an item, oldest first (a conversation reads top to bottom)."""
    return _stored_comments(session, current_plan(session).pk, kind, item_id)
