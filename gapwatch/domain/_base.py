"""What every framework item shares: a stable id, where the fact came from, and a note."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["Item", "ItemId", "Model", "Source", "Text"]

#: Stable identifiers: letters, digits and . _ : - (no spaces), so they work in URLs and spreadsheets.
ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", max_length=80)]
#: Non-empty text with surrounding white space removed.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Model(BaseModel):
    """Strict, frozen base: unknown fields are errors (a typo in a framework file must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(Model):
    """Where a fact came from: the document (file name) and the section within it."""

    document: Text
    section: str | None = None
    page: str | None = None


class Item(Model):
    """A framework item: stable id, provenance and an optional note (e.g. a corrected typo in a source)."""

    id: ItemId
    source: Source | None = None
    note: str | None = Field(default=None, description="Free text, e.g. the original wording of a corrected typo.")
