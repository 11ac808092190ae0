"""The DfE children's services statistical neighbour file ("New_Statistical_Neighbour_Groupings_April_2021.csv").

One row per upper-tier local authority: ``LA num``, ``LA Name``, ``LA number``, ``GOInd``, ``GOReg``, then ten
pairs ``SN1``/``SNP`` … ``SN10``/``SNP`` — each neighbour's old three-digit DfE LA number and its closeness band
("Extremely Close", "Very Close", "Close", "Somewhat close", "Not Close"). The header repeats ``SNP`` ten times
and the file ends with an "Old SNs:" section of authorities abolished by reorganisation (Dorset, Poole and
Bournemouth before 2019, Northamptonshire before 2021), which are read apart and never used as groups.

DfE LA numbers are not GSS codes: :mod:`gapwatch.services.comparators` maps them by the authority's name
against the areas the store knows (ONS names), using :func:`la_name_key` so that "Bristol, City of",
"Durham" / "County Durham" and "Kingston Upon Hull, City of" meet their ONS spellings.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.limits import MB

__all__ = ["NeighbourRow", "NeighbourFile", "la_name_key", "read_statistical_neighbours"]

#: The file is 30 KB; anything much bigger is not this file.
MAX_BYTES = 5 * MB
_SN = re.compile(r"^SN(\d+)$")
_BANDS = ("extremely close", "very close", "close", "somewhat close", "not close")


def la_name_key(name: str | None) -> str:
    """A local authority's name reduced for matching: case, '&', punctuation and words such as 'City of',
    'County', 'Borough', 'upon' and a '(Pre LG)' suffix ignored ("Kingston Upon Hull, City of" -> "kingstonhull")."""
    text = (name or "").lower().replace("&", "and")
    text = re.sub(r"\(pre lg\)", " ", text)
    text = re.sub(r"\b(district|borough|city|council|county|of|the|upon|on)\b", " ", text)
    return re.sub(r"[^a-z0-9]+", "", text)


@dataclass(frozen=True)
class NeighbourRow:
    """One authority's row: its DfE number and name, and its neighbours (number, closeness, column)."""

    line: int
    number: str
    name: str
    region: str | None
    neighbours: tuple[tuple[str, str | None, str], ...]


@dataclass
class NeighbourFile:
    """The rows of a statistical neighbour file (current authorities), the old section apart."""

    file: str
    rows: list[NeighbourRow]
    old: list[NeighbourRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _decode(path: Path, name: str) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    if size > MAX_BYTES:
        raise InvalidInput(f"{name}: {size:,} bytes is too large for a statistical neighbour file (at most 5 MB)")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_statistical_neighbours(path: str | Path) -> NeighbourFile:
    """Read and check a DfE statistical neighbour file; raise :class:`InvalidInput` listing every problem.

    Problems name the file, the line and the column: a missing ``LA num``/``LA Name``/``SN1`` column, an LA
    number that is not a number, an LA listed twice (a duplicate group), a row with no neighbours (an empty
    group), a neighbour number that is not an authority of the file, an authority listed as its own neighbour.
    """
    source = Path(path)
    name = str(source)
    lines = list(csv.reader(io.StringIO(_decode(source, name))))
    if not lines:
        raise InvalidInput(f"{name}: the file is empty")
    header = [h.strip() for h in lines[0]]
    problems: list[Problem] = []
    where = {h: i for i, h in reversed(list(enumerate(header)))}
    for needed in ("LA num", "LA Name", "SN1"):
        if needed not in where:
            problems.append(
                Problem(
                    f"no '{needed}' column (is this the DfE statistical neighbour file?)",
                    file=name,
                    line=1,
                    field=needed,
                )
            )
    if problems:
        raise InvalidInput(f"{name}: not a statistical neighbour file", problems=problems)
    sn_columns = [(i, h) for i, h in enumerate(header) if _SN.match(h)]
    region_at = where.get("GOReg")
    rows: list[NeighbourRow] = []
    old: list[NeighbourRow] = []
    in_old = False
    first_line: dict[str, int] = {}
    for n, cells in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if any(c.lower().startswith("old sns") for c in cells):
            in_old = True
            continue
        number = cells[where["LA num"]] if len(cells) > where["LA num"] else ""
        la_name = cells[where["LA Name"]] if len(cells) > where["LA Name"] else ""
        if not number.isdigit():
            problems.append(Problem(f"'{number}' is not a DfE LA number", file=name, line=n, field="LA num"))
            continue
        if not la_name:
            problems.append(Problem("no authority name", file=name, line=n, field="LA Name"))
        neighbours: list[tuple[str, str | None, str]] = []
        for i, column in sn_columns:
            value = cells[i] if i < len(cells) else ""
            if not value:
                continue
            if not value.isdigit():
                problems.append(Problem(f"'{value}' is not a DfE LA number", file=name, line=n, field=column))
                continue
            band = cells[i + 1] if i + 1 < len(cells) and header[i + 1] == "SNP" else None
            if band and band.lower() not in _BANDS:
                problems.append(Problem(f"'{band}' is not a closeness band", file=name, line=n, field=f"{column} SNP"))
            neighbours.append((value, band or None, column))
        row = NeighbourRow(
            n,
            number,
            la_name,
            cells[region_at] if region_at is not None and region_at < len(cells) else None,
            tuple(neighbours),
        )
        if in_old:
            old.append(row)
            continue
        if number in first_line:
            problems.append(
                Problem(
                    f"LA {number} ({la_name}) is listed twice (first on line {first_line[number]})",
                    file=name,
                    line=n,
                    field="LA num",
                )
            )
            continue
        first_line[number] = n
        if not neighbours:
            problems.append(
                Problem(f"LA {number} ({la_name}) has no neighbours (an empty group)", file=name, line=n, field="SN1")
            )
        rows.append(row)
    known = set(first_line)
    for row in rows:
        for value, _band, column in row.neighbours:
            if value == row.number:
                problems.append(
                    Problem(f"LA {value} is listed as its own neighbour", file=name, line=row.line, field=column)
                )
            elif value not in known:
                problems.append(
                    Problem(
                        f"neighbour {value} is not an authority of this file", file=name, line=row.line, field=column
                    )
                )
    if problems:
        count = len(problems)
        raise InvalidInput(
            f"{name}: the statistical neighbour file has {count} problem{'s' if count != 1 else ''}; "
            "nothing was loaded",
            problems=problems,
        )
    warnings = [f"{len(old)} pre-reorganisation authorities under 'Old SNs:' were not loaded"] if old else []
    return NeighbourFile(name, rows, old, warnings)
