"""Comments from the web pages go through the one service (gapwatch.services.comments): stored once, audited in
the same transaction, refused with the form's error summary when empty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.errors import GapwatchError
from gapwatch.services import comments as service
from gapwatch.store.audit import AuditFilter, query_audit
from gapwatch.store.progress import CommentRow

PAGES = [("action", "CYPP-1", "/actions/CYPP-1"), ("indicator", "NI118", "/indicators/NI118")]


def _stored(app: FastAPI, kind: str, item: str) -> tuple[list[str], list[tuple[str, str]]]:
    with Session(app.state.engine) as session:
        rows = session.scalars(select(CommentRow).where(CommentRow.entity_kind == kind, CommentRow.entity_id == item))
        bodies = [row.body for row in rows]
        audit = [(r.username, r.action) for r in query_audit(session, AuditFilter(entity=f"{kind}:{item}"))]
    return bodies, audit


@pytest.mark.parametrize(("kind", "item", "page"), PAGES, ids=[p[0] for p in PAGES])
def test_a_comment_is_stored_once_and_audited_once(
    app: FastAPI, client_as: Callable[[str], Any], post_form: Callable[..., Any], kind: str, item: str, page: str
) -> None:
    bea = client_as("board_member")
    empty = post_form(bea, f"{page}/comments", {"comment": "   "})
    assert empty.status_code == 422 and "Enter a comment" in empty.text
    done = post_form(bea, f"{page}/comments", {"comment": "  Is this on track?  "})
    assert done.status_code == 303 and done.headers["location"].startswith(f"{page}?saved=comment")
    assert _stored(app, kind, item) == (["Is this on track?"], [("bea", "comment.create")])
    assert "Is this on track?" in bea.get(page).text


@pytest.mark.parametrize(("kind", "item", "page"), PAGES, ids=[p[0] for p in PAGES])
def test_a_comment_whose_audit_entry_fails_is_not_stored(
    app: FastAPI,
    client_as: Callable[[str], Any],
    post_form: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    item: str,
    page: str,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise GapwatchError("the audit log is unavailable")

    monkeypatch.setattr(service, "record_audit", broken)
    response = post_form(client_as("performance_officer"), f"{page}/comments", {"comment": "Lost"})
    assert response.status_code == 400 and "the audit log is unavailable" in response.text
    assert _stored(app, kind, item) == ([], [])
