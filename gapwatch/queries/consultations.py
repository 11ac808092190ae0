"""Consultations as data: what ``gapwatch consultation … --format json`` prints and ``/api/v1/consultations…``
returns, made once here from :mod:`gapwatch.services.consultations` so the two cannot disagree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from gapwatch.queries.json import plain
from gapwatch.services.consultations import coded_responses, consultation_results, list_consultations

__all__ = ["consultation_coding", "consultation_doc", "consultation_list"]


def consultation_list(engine: Engine) -> list[dict[str, Any]]:
    """Every consultation: id, name, dates, published responses, KPQs."""
    return [
        {
            "id": c.id,
            "name": c.name,
            "opened": c.opened.isoformat() if c.opened else None,
            "closed": c.closed.isoformat() if c.closed else None,
            "responses": c.responses,
            "kpqs": c.kpqs,
            "illustrative": c.illustrative,
        }
        for c in list_consultations(engine)
    ]


def consultation_doc(engine: Engine, consultation_id: str) -> dict[str, Any]:
    """One consultation's results: published figures and response-level figures with Wilson intervals, theme
    counts with examples, KPQ evidence, notes."""
    r = consultation_results(engine, consultation_id)
    c = r.consultation
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "opened": c.opened.isoformat() if c.opened else None,
        "closed": c.closed.isoformat() if c.closed else None,
        "responses": c.responses,
        "kpqs": c.kpqs,
        "questions": [q.model_dump(mode="json", exclude_none=True) for q in c.questions],
        "codebook": [t.model_dump(mode="json") for t in c.codebook],
        "published": plain(r.published),
        "imported_responses": r.imported_responses,
        "illustrative_responses": r.illustrative_responses,
        "from_responses": plain(r.from_responses),
        "themes": plain(r.themes),
        "reviewed": r.reviewed,
        "evidence": plain(r.evidence),
        "notes": r.notes,
        "source": c.source.model_dump(mode="json") if c.source else None,
    }


def consultation_coding(engine: Engine, consultation_id: str, *, unreviewed_only: bool = False) -> list[dict[str, Any]]:
    """The free-text responses with their automatic and standing themes and who reviewed them."""
    return [plain(x) for x in coded_responses(engine, consultation_id, unreviewed_only=unreviewed_only)]
