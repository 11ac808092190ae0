"""How much of a file an importer will read: the bounds that keep one file from taking the server down.

Every reader (CSV and Excel) checks these before or while it reads, never after loading everything: a file's
size before opening it, a CSV header's width before parsing, a workbook's decompressed size and compression
ratio before unzipping it, and rows, columns, cells and cell lengths as it streams. A file beyond a limit is
refused with an :class:`~gapwatch.errors.InvalidInput` naming the file, the limit and the setting that
raises it. The defaults are those of :class:`gapwatch.settings.Settings` (``GAPWATCH_IMPORT_MAX_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gapwatch.errors import InvalidInput, Problem

__all__ = ["MB", "ReadLimits"]

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on one imported file (see ``docs/settings.md``: each has a setting of the same name)."""

    max_file_bytes: int = 200 * MB
    max_rows: int = 2_000_000
    max_columns: int = 1_000
    max_cells: int = 20_000_000
    max_field_chars: int = 32_767
    max_uncompressed_bytes: int = 500 * MB
    max_compression_ratio: int = 200

    def refuse(
        self,
        file: str,
        what: str,
        setting: str,
        *,
        row: int | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> InvalidInput:
        """The error for a file beyond a limit: what was found, the limit's setting, nothing read further."""
        return InvalidInput(
            f"{file}: {what}",
            problems=[Problem(what, file=file, row=row, field=field, line=line)],
            hint=f"The limit is the setting GAPWATCH_{setting.upper()} (see docs/settings.md); "
            "split the file, or raise the limit if the file is genuine.",
        )

    def check_size(self, file: str, size: int) -> None:
        """Refuse a file larger than ``max_file_bytes`` before reading any of it."""
        if size > self.max_file_bytes:
            raise self.refuse(
                file,
                f"the file is {size / MB:,.1f} MB, more than the limit of {self.max_file_bytes / MB:,.0f} MB",
                "import_max_file_mb",
            )

    def check_columns(self, file: str, columns: int, *, line: int = 1) -> None:
        """Refuse a table wider than ``max_columns``."""
        if columns > self.max_columns:
            raise self.refuse(
                file,
                f"the table has {columns:,} columns, more than the limit of {self.max_columns:,}",
                "import_max_columns",
                line=line,
            )

    def rows_allowed(self, columns: int) -> int:
        """How many data rows a table of ``columns`` columns may have (by the row and the cell limits)."""
        return max(1, min(self.max_rows, self.max_cells // max(columns, 1)))

    def too_many_rows(self, file: str, columns: int, *, row: int | None = None) -> InvalidInput:
        """The error for a table with more rows than :meth:`rows_allowed`."""
        allowed = self.rows_allowed(columns)
        if allowed < self.max_rows:
            return self.refuse(
                file,
                f"the table has more than {allowed:,} rows of {columns:,} columns: more than the limit of "
                f"{self.max_cells:,} cells",
                "import_max_cells",
                row=row,
            )
        return self.refuse(
            file, f"the table has more than the limit of {self.max_rows:,} data rows", "import_max_rows", row=row
        )

    def too_long(self, file: str, length: int, *, row: int | None = None, field: str | None = None) -> InvalidInput:
        """The error for a cell longer than ``max_field_chars``."""
        return self.refuse(
            file,
            f"a cell is {length:,} characters long, more than the limit of {self.max_field_chars:,}",
            "import_max_field_chars",
            row=row,
            field=field,
        )
