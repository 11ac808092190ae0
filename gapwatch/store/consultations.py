"""The table of imported consultation responses and the coding of their free text.

One row per response: its respondent type, its closed answers (``{question: [options]}``), its free text
(``{question: text}``), the themes the codebook found (``auto_themes``) and the themes that stand (``themes``:
the automatic coding until an officer reviews it, then the officer's). ``reviewed_by``/``reviewed_at`` say who
confirmed or changed the coding; the change itself is in the audit log. ``illustrative`` marks generated files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gapwatch.store.tables import Base, FrameworkScoped, utcnow

__all__ = ["ConsultationResponseRow"]


class ConsultationResponseRow(FrameworkScoped, Base):
    """One imported response to a consultation."""

    __tablename__ = "consultation_responses"
    __table_args__ = (
        UniqueConstraint("framework_pk", "consultation_id", "response_id", name="uq_consultation_responses_id"),
    )

    consultation_id: Mapped[str] = mapped_column(String(80), index=True)
    response_id: Mapped[str] = mapped_column(String(200))
    row: Mapped[int] = mapped_column(Integer)
    respondent_type: Mapped[str] = mapped_column(String(80))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    texts: Mapped[dict[str, Any]] = mapped_column(JSON)
    auto_themes: Mapped[list[Any]] = mapped_column(JSON)
    themes: Mapped[list[Any]] = mapped_column(JSON)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    source_file: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
