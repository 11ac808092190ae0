"""Consultations as a user works with them: list, results, import responses, review the coding, edit the codebook.

The consultation itself (questions, respondent types, published figures, codebook, KPQs) lives in the framework,
so a codebook edit is a framework revision like any other; imported responses live in ``consultation_responses``
with their automatic and reviewed themes. Every figure is computed by :mod:`gapwatch.analysis.consultations`;
every change (import, review, codebook) checks permission and is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from gapwatch.analysis.consultations import (
    SELF_SELECTED,
    ConsultationResult,
    KpqEvidenceItem,
    ThemeCount,
    code_texts,
    kpq_evidence,
    published_results,
    response_results,
    theme_counts,
)
from gapwatch.domain.access import Actor, Permission, as_actor, ensure_may
from gapwatch.domain.consultations import Consultation, QuestionKind, Theme
from gapwatch.domain.framework import Framework
from gapwatch.errors import InvalidInput, NotFound, Problem
from gapwatch.ingest.consultations import read_responses, read_summary
from gapwatch.ingest.tables import file_sha256
from gapwatch.store.audit import record_audit
from gapwatch.store.consultations import ConsultationResponseRow
from gapwatch.store.engine import session_scope
from gapwatch.store.frameworks import get_framework, get_framework_row, save_framework

__all__ = [
    "ConsultationBrief",
    "CodedResponse",
    "ConsultationResults",
    "ImportSummary",
    "consultation_results",
    "coded_responses",
    "consultation_briefs",
    "evidence_results",
    "get_consultation",
    "import_responses",
    "import_summary",
    "list_consultations",
    "responses_version",
    "review_coding",
    "update_codebook",
]


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored."""

    consultation: str
    file: str
    responses: int
    answers: int
    texts: int
    coded: int
    illustrative: bool


@dataclass(frozen=True)
class CodedResponse:
    """One free-text response with its themes for the review screen."""

    response_id: str
    respondent_type: str
    texts: dict[str, str]
    auto_themes: list[str]
    themes: list[str]
    reviewed_by: str | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class ConsultationResults:
    """A consultation's figures: published, from imported responses (when any), themes and KPQ evidence."""

    consultation: Consultation
    published: list[ConsultationResult]
    imported_responses: int
    from_responses: list[ConsultationResult]
    themes: list[ThemeCount]
    reviewed: int
    evidence: list[KpqEvidenceItem]
    illustrative_responses: bool
    notes: list[str] = field(default_factory=list)


def _message(error: Any) -> str:
    """A pydantic error in words: its message and, for a field, the field's name."""
    loc = ".".join(str(x) for x in error.get("loc", ()))
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def list_consultations(engine: Engine) -> list[Consultation]:
    """Every consultation of the stored framework, in file order."""
    with session_scope(engine) as session:
        return list(get_framework(session).consultations)


def _find(session: Session, consultation_id: str) -> Consultation:
    framework = get_framework(session)
    found: Consultation | None = framework.index("consultations").get(consultation_id)
    if found is None:
        ids = ", ".join(c.id for c in framework.consultations) or "none"
        raise NotFound(f"There is no consultation '{consultation_id}'", hint=f"Consultations: {ids}")
    return found


def get_consultation(engine: Engine, consultation_id: str) -> Consultation:
    """One consultation (NotFound lists the ids there are)."""
    with session_scope(engine) as session:
        return _find(session, consultation_id)


def _rows(session: Session, consultation_id: str) -> list[ConsultationResponseRow]:
    pk = get_framework_row(session).pk
    return list(
        session.scalars(
            select(ConsultationResponseRow)
            .where(
                ConsultationResponseRow.framework_pk == pk, ConsultationResponseRow.consultation_id == consultation_id
            )
            .order_by(ConsultationResponseRow.row)
        )
    )


def _texts_frame(rows: list[ConsultationResponseRow]) -> pl.DataFrame:
    return pl.DataFrame(
        {"response": [r.response_id for r in rows], "text": [" ".join(str(v) for v in r.texts.values()) for r in rows]},
        schema={"response": pl.String, "text": pl.String},
    )


def _answers_frame(rows: list[ConsultationResponseRow]) -> pl.DataFrame:
    return pl.DataFrame(
        [(r.response_id, r.respondent_type, q, o) for r in rows for q, options in r.answers.items() for o in options],
        schema={"response": pl.String, "respondent_type": pl.String, "question": pl.String, "option": pl.String},
        orient="row",
    )


def responses_version(session: Session) -> tuple[object, ...]:
    """Changes whenever consultation responses are imported (an import replaces the rows, so new keys): part of
    the cache key of results that rest on them, such as the KPQ answers."""
    row = session.execute(select(func.count(ConsultationResponseRow.pk), func.max(ConsultationResponseRow.pk))).one()
    return tuple(row)


def evidence_results(session: Session, c: Consultation) -> list[ConsultationResult]:
    """The figures a consultation's KPQ evidence rests on — the imported responses' when any, else the published
    summary's — exactly as :func:`consultation_results` chooses them for its ``evidence``."""
    rows = _rows(session, c.id)
    if rows:
        found = response_results(c, _answers_frame(rows), illustrative=any(r.illustrative for r in rows))
        if found:
            return found
    return published_results(c)


def import_responses(
    engine: Engine, consultation_id: str, path: Path, *, actor: Actor | str | None, illustrative: bool = False
) -> ImportSummary:
    """Check a response file whole and, only if sound, store its responses (replacing any imported before for this
    consultation) with their free text coded by the codebook. Needs MANAGE_DATA; audited."""
    who = as_actor(actor) if actor is not None else None
    if who is not None:
        ensure_may(who, Permission.MANAGE_DATA, doing="import consultation responses")
    with session_scope(engine) as session:
        c = _find(session, consultation_id)
        parsed = read_responses(path, c)
        pk = get_framework_row(session).pk
        free = [q.id for q in c.questions if q.kind is QuestionKind.FREE_TEXT]
        joined = (
            parsed.texts.group_by("response", maintain_order=True).agg(pl.col("text").str.join(" "))
            if parsed.texts.height
            else pl.DataFrame(schema={"response": pl.String, "text": pl.String})
        )
        coded = code_texts(joined, c.codebook)
        themes_of: dict[str, list[str]] = {}
        for response, theme in coded.iter_rows():
            themes_of.setdefault(response, []).append(theme)
        answers_of: dict[str, dict[str, list[str]]] = {}
        for response, _t, question, option in parsed.answers.iter_rows():
            answers_of.setdefault(response, {}).setdefault(question, []).append(option)
        texts_of: dict[str, dict[str, str]] = {}
        for response, question, text in parsed.texts.iter_rows():
            if question in free:
                texts_of.setdefault(response, {})[question] = text
        before = len(_rows(session, c.id))
        session.execute(
            delete(ConsultationResponseRow).where(
                ConsultationResponseRow.framework_pk == pk, ConsultationResponseRow.consultation_id == c.id
            )
        )
        for row, response, rtype in parsed.responses.iter_rows():
            themes = themes_of.get(response, [])
            session.add(
                ConsultationResponseRow(
                    framework_pk=pk,
                    consultation_id=c.id,
                    response_id=response,
                    row=int(row),
                    respondent_type=rtype,
                    answers=answers_of.get(response, {}),
                    texts=texts_of.get(response, {}),
                    auto_themes=themes,
                    themes=list(themes),
                    illustrative=illustrative,
                    source_file=parsed.file,
                )
            )
        summary = ImportSummary(
            c.id,
            parsed.file,
            parsed.responses.height,
            parsed.answers.height,
            len(texts_of),
            len(themes_of),
            illustrative,
        )
        record_audit(
            session,
            who,
            "consultation.import",
            f"consultation:{c.id}",
            {"responses": before} if before else None,
            {**summary.__dict__, "sha256": file_sha256(path)},
        )
    return summary


def import_summary(engine: Engine, consultation_id: str, path: Path, *, actor: Actor | str | None) -> int:
    """Replace a consultation's published summary with the counts of a CSV file (question, option, respondent
    type, count, base), checked whole first (:func:`gapwatch.ingest.consultations.read_summary`): a bad row is
    refused with file, row and field and nothing is written. Stored as a framework revision, audited with the
    figures before and after and the file's SHA-256. Needs MANAGE_DATA. Returns the number of figures."""
    who = as_actor(actor) if actor is not None else None
    if who is not None:
        ensure_may(who, Permission.MANAGE_DATA, doing="import a consultation's published summary")
    with session_scope(engine) as session:
        framework = get_framework(session)
        c = _find(session, consultation_id)
        figures = read_summary(path, c)
        try:
            updated_c = Consultation.model_validate({**c.model_dump(), "published": figures})
        except ValidationError as exc:
            raise InvalidInput(
                f"{path.name}: the summary does not fit the consultation; nothing was written",
                problems=[Problem(_message(e), file=path.name) for e in exc.errors()],
            ) from exc
        updated = framework.model_copy(
            update={"consultations": [updated_c if x.id == c.id else x for x in framework.consultations]}
        )
        revision, _ = save_framework(
            session, updated, source=f"published summary {path.name}", loaded_by=who.username if who else None
        )
        record_audit(
            session,
            who,
            "consultation.summary",
            f"consultation:{c.id}",
            [f.model_dump(mode="json", exclude_none=True) for f in c.published],
            {
                "published": [f.model_dump(mode="json", exclude_none=True) for f in figures],
                "file": path.name,
                "sha256": file_sha256(path),
                "revision": revision.number if revision else None,
            },
        )
        return len(figures)


def consultation_results(engine: Engine, consultation_id: str) -> ConsultationResults:
    """The published figures with Wilson intervals, the imported responses' figures overall and by respondent type,
    the theme counts (as reviewed, else as coded) and the KPQ evidence."""
    with session_scope(engine) as session:
        c = _find(session, consultation_id)
        rows = _rows(session, c.id)
    published = published_results(c)
    notes: list[str] = []
    from_responses: list[ConsultationResult] = []
    themes: list[ThemeCount] = []
    illustrative = any(r.illustrative for r in rows)
    if rows:
        from_responses = response_results(c, _answers_frame(rows), illustrative=illustrative)
        coded = pl.DataFrame(
            [(r.response_id, t) for r in rows for t in r.themes],
            schema={"response": pl.String, "theme": pl.String},
            orient="row",
        )
        themes = theme_counts(_texts_frame(rows), coded, c.codebook)
        if illustrative:
            notes.append("the imported responses are illustrative (generated), not real responses")
    else:
        notes.append("no response-level file imported: the figures are the published summary's")
    evidence = kpq_evidence(c, from_responses or published)
    reviewed = sum(1 for r in rows if r.reviewed_by)
    return ConsultationResults(c, published, len(rows), from_responses, themes, reviewed, evidence, illustrative, notes)


def coded_responses(engine: Engine, consultation_id: str, *, unreviewed_only: bool = False) -> list[CodedResponse]:
    """Responses with free text and their themes, for the review screen."""
    with session_scope(engine) as session:
        _find(session, consultation_id)
        rows = _rows(session, consultation_id)
        return [
            CodedResponse(
                r.response_id,
                r.respondent_type,
                dict(r.texts),
                list(r.auto_themes),
                list(r.themes),
                r.reviewed_by,
                r.reviewed_at,
            )
            for r in rows
            if r.texts and not (unreviewed_only and r.reviewed_by)
        ]


def review_coding(
    engine: Engine, consultation_id: str, response_id: str, themes: list[str], *, actor: Actor | str
) -> CodedResponse:
    """An officer confirms (same themes) or changes the coding of one response; audited with before and after."""
    who = as_actor(actor)
    ensure_may(who, Permission.MANAGE_DATA, doing="review the coding of consultation responses")
    with session_scope(engine) as session:
        c = _find(session, consultation_id)
        known = {t.id for t in c.codebook}
        bad = [t for t in themes if t not in known]
        if bad:
            raise InvalidInput(
                f"unknown theme{'s' if len(bad) > 1 else ''} {', '.join(bad)} for consultation '{c.id}'",
                problems=[
                    Problem(f"'{t}' is not in the codebook ({', '.join(sorted(known))})", field="themes") for t in bad
                ],
            )
        row = next((r for r in _rows(session, c.id) if r.response_id == response_id), None)
        if row is None:
            raise NotFound(f"There is no imported response '{response_id}' to consultation '{c.id}'")
        before = {"themes": list(row.themes), "reviewed_by": row.reviewed_by}
        row.themes = list(dict.fromkeys(themes))
        row.reviewed_by = who.username
        row.reviewed_at = datetime.now(UTC)
        record_audit(
            session,
            who,
            "consultation.review",
            f"consultation:{c.id}:{response_id}",
            before,
            {"themes": row.themes, "confirmed": sorted(row.themes) == sorted(row.auto_themes)},
        )
        return CodedResponse(
            row.response_id,
            row.respondent_type,
            dict(row.texts),
            list(row.auto_themes),
            list(row.themes),
            row.reviewed_by,
            row.reviewed_at,
        )


def update_codebook(
    engine: Engine, consultation_id: str, codebook: list[dict[str, Any]] | list[Theme], *, actor: Actor | str
) -> int:
    """Replace a consultation's codebook (a new framework revision, audited) and recode the responses no officer
    has reviewed yet. Returns the number recoded. A bad theme is refused with its field, nothing written."""
    who = as_actor(actor)
    ensure_may(who, Permission.MANAGE_DATA, doing="edit a consultation's codebook")
    themes: list[Theme] = []
    problems: list[Problem] = []
    for i, t in enumerate(codebook):
        try:
            themes.append(t if isinstance(t, Theme) else Theme.model_validate(t))
        except ValidationError as exc:
            problems += [Problem(_message(e), field=f"codebook[{i}]") for e in exc.errors()]
    ids = [t.id for t in themes]
    if len(set(ids)) != len(ids):
        problems.append(Problem("duplicate theme ids", field="codebook"))
    if problems:
        raise InvalidInput("the codebook has problems; nothing was written", problems=problems)
    with session_scope(engine) as session:
        framework = get_framework(session)
        c = _find(session, consultation_id)
        updated_c = c.model_copy(update={"codebook": themes})
        updated = framework.model_copy(
            update={"consultations": [updated_c if x.id == c.id else x for x in framework.consultations]}
        )
        revision, _ = save_framework(session, updated, source="codebook edit", loaded_by=who.username)
        rows = [r for r in _rows(session, c.id) if not r.reviewed_by]
        coded = code_texts(_texts_frame(rows), themes)
        found: dict[str, list[str]] = {}
        for response, theme in coded.iter_rows():
            found.setdefault(response, []).append(theme)
        for r in rows:
            r.auto_themes = found.get(r.response_id, [])
            r.themes = list(r.auto_themes)
        record_audit(
            session,
            who,
            "consultation.codebook",
            f"consultation:{c.id}",
            [t.model_dump(mode="json") for t in c.codebook],
            {
                "codebook": [t.model_dump(mode="json") for t in themes],
                "revision": revision.number if revision else None,
                "recoded": len(rows),
            },
        )
        return len(rows)


class ConsultationBrief(BaseModel):
    """A consultation as a board paper shows it: who responded and its published figures with Wilson intervals
    (the figures of :func:`consultation_results`, so the paper and the consultation page agree)."""

    id: str
    name: str
    opened: str | None = None
    closed: str | None = None
    responses: int | None = None
    figures: list[ConsultationResult] = Field(default_factory=list)
    imported_responses: int = 0
    illustrative: bool = False
    caveat: str = SELF_SELECTED
    source: str | None = None


def consultation_briefs(session: Session, framework: Framework, *, kpqs: set[str]) -> list[ConsultationBrief]:
    """The consultations whose own or whose questions' ``kpqs`` include any of ``kpqs`` (a board's)."""
    out: list[ConsultationBrief] = []
    for c in framework.consultations:
        linked = set(c.kpqs) | {k for q in c.questions for k in q.kpqs}
        if not linked & kpqs:
            continue
        rows = _rows(session, c.id)
        out.append(
            ConsultationBrief(
                id=c.id,
                name=c.name,
                opened=c.opened.isoformat() if c.opened else None,
                closed=c.closed.isoformat() if c.closed else None,
                responses=c.responses,
                figures=published_results(c),
                imported_responses=len(rows),
                illustrative=c.illustrative,
                source=(c.source.document + (f", {c.source.section}" if c.source.section else ""))
                if c.source
                else None,
            )
        )
    return out
