"""What a file says about its indicators: measure type, unit, multiplier and polarity, read from its own
columns (a tidy file's ``measure``, ``unit``, ``multiplier`` and ``polarity``; a Fingertips export's
``Value type``, ``Unit`` and ``Polarity`` where it has them) or, failing those, from the indicator's name
("… rate per 100,000", "… (%)", "estimated number of …").

The words publishers use are read into gapwatch's own: "Percentage" and "%" are a proportion, "Directly
standardised rate" a standardised rate, "RAG - Low is good" lower-is-better. An indicator added with
``--add-unknown-indicators`` takes them, so that the same file imports again unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from gapwatch.domain.indicators import MeasureType, Polarity
from gapwatch.ingest.tables import Problems

__all__ = [
    "MEASURE_WORDS",
    "POLARITY_WORDS",
    "complete_definition",
    "file_metadata",
    "guess_from_name",
    "measure_of",
    "multiplier_of",
    "normalise_measures",
    "polarity_of",
]

#: Publishers' words for a measure type (compared in lower case, spaces squeezed).
MEASURE_WORDS: dict[str, MeasureType] = {
    **{m.value: m for m in MeasureType},
    **{m.value.replace("_", " "): m for m in MeasureType},
    "percentage": MeasureType.PROPORTION,
    "percent": MeasureType.PROPORTION,
    "%": MeasureType.PROPORTION,
    "crude rate": MeasureType.RATE,
    "directly standardised rate": MeasureType.STANDARDISED_RATE,
    "directly age-standardised rate": MeasureType.STANDARDISED_RATE,
    "age-standardised rate": MeasureType.STANDARDISED_RATE,
    "age standardised rate": MeasureType.STANDARDISED_RATE,
    "dsr": MeasureType.STANDARDISED_RATE,
    "indirectly standardised ratio": MeasureType.RATIO,
    "standardised ratio": MeasureType.RATIO,
    "standardised admission ratio": MeasureType.RATIO,
    "standardised mortality ratio": MeasureType.RATIO,
    "number": MeasureType.COUNT,
    "average": MeasureType.MEAN,
    "life expectancy": MeasureType.MEAN,
    "index": MeasureType.SCORE,
}
#: Publishers' words for polarity (Fingertips writes "RAG - High is good", "BOB - Blue orange blue" …).
POLARITY_WORDS: dict[str, Polarity] = {
    **{p.value: p for p in Polarity},
    **{p.value.replace("_", " "): p for p in Polarity},
    "rag - high is good": Polarity.HIGHER_IS_BETTER,
    "rag - low is good": Polarity.LOWER_IS_BETTER,
    "high is good": Polarity.HIGHER_IS_BETTER,
    "low is good": Polarity.LOWER_IS_BETTER,
    "higher": Polarity.HIGHER_IS_BETTER,
    "lower": Polarity.LOWER_IS_BETTER,
    "bob - blue orange blue": Polarity.NO_JUDGEMENT,
    "not applicable": Polarity.NO_JUDGEMENT,
    "none": Polarity.NO_JUDGEMENT,
}
_PER = re.compile(r"(?:per|/)\s*(100,000|100000|10,000|10000|1,000|1000|100)\b")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def measure_of(text: str | None) -> MeasureType | None:
    """The measure type a publisher's word names ("Crude rate" -> rate), or ``None`` if it names none."""
    return MEASURE_WORDS.get(_key(text)) if text else None


def polarity_of(text: str | None) -> Polarity | None:
    """The polarity a publisher's words name ("RAG - Low is good" -> lower-is-better), or ``None``."""
    return POLARITY_WORDS.get(_key(text)) if text else None


def multiplier_of(unit: str | None) -> float | None:
    """The multiplier a unit implies: "%" 100, "per 1,000" 1,000, "per 100,000" 100,000; else ``None``."""
    if not unit:
        return None
    low = _key(unit)
    if low in ("%", "percent", "percentage", "per cent"):
        return 100.0
    m = _PER.search(low)
    return float(m[1].replace(",", "")) if m else None


def guess_from_name(name: str) -> tuple[MeasureType, str, float]:
    """Measure, unit and multiplier guessed from an indicator's title when the file states none."""
    low = _key(name)
    m = _PER.search(low)
    if m and m[1] != "100":
        mult = float(m[1].replace(",", ""))
        kind = MeasureType.STANDARDISED_RATE if "standardised" in low else MeasureType.RATE
        return kind, f"per {int(mult):,}", mult
    if re.search(r"\bnumber\b|\bcount\b", low):
        return MeasureType.COUNT, "", 1.0
    if re.search(r"%|percent|proportion|prevalence|\bshare\b", low):
        return MeasureType.PROPORTION, "%", 100.0
    return MeasureType.SCORE, "", 1.0


def complete_definition(meta: dict[str, Any], name: str) -> dict[str, Any]:
    """Measure, unit, multiplier and polarity for a new indicator: what the file says, the rest implied.

    A unit implies a measure ("%" a proportion, "per 1,000" a rate) and its multiplier; a measure implies
    its usual unit; only what neither says is guessed from the name.
    """
    measure = meta.get("measure")
    unit = meta.get("unit")
    multiplier = meta.get("multiplier")
    guessed = guess_from_name(name)
    if measure is None and unit:
        implied = multiplier_of(unit)
        if implied == 100:
            measure = MeasureType.PROPORTION
        elif implied is not None:
            measure = MeasureType.STANDARDISED_RATE if "standardised" in name.lower() else MeasureType.RATE
    if measure is None:
        measure = guessed[0]
        unit = guessed[1] if unit is None else unit
    measure = MeasureType(measure)
    if unit is None:
        unit = (
            "%"
            if measure is MeasureType.PROPORTION
            else (f"per {int(multiplier):,}" if multiplier else (guessed[1] if guessed[0] is measure else ""))
        )
    if multiplier is None:
        multiplier = multiplier_of(unit) or (guessed[2] if guessed[0] is measure else 1.0)
    return {
        "measure": measure,
        "unit": str(unit),
        "multiplier": float(multiplier),
        "polarity": Polarity(meta.get("polarity") or Polarity.NO_JUDGEMENT),
    }


def normalise_measures(frame: pl.DataFrame, problems: Problems) -> pl.DataFrame:
    """The ``measure`` and ``polarity`` columns in gapwatch's words; words it does not know are problems."""
    for column, words, kind in (("measure", MEASURE_WORDS, "measure type"), ("polarity", POLARITY_WORDS, "polarity")):
        if column not in frame.columns or frame[column].null_count() == frame.height:
            continue
        key = frame[column].str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
        known = {k: v.value for k, v in words.items()}
        mapped = key.replace_strict(known, default=None, return_dtype=pl.String)
        shown = sorted({v.value for v in words.values()})
        problems.add_rows(
            frame,
            key.is_not_null() & (key != "") & mapped.is_null(),
            f"'{{value}}' is not a {kind} gapwatch knows ({', '.join(shown)})",
            field=column,
            show=column,
        )
        frame = frame.with_columns(mapped.alias(column))
    return frame


def file_metadata(frame: pl.DataFrame, problems: Problems) -> dict[str, dict[str, Any]]:
    """Per indicator code, the name, measure, unit, multiplier and polarity its first rows state.

    Rows that disagree with them (two units for one indicator) are found by the import, which checks every
    row's unit and measure against the indicator's definition, the new ones included.
    """
    columns = [c for c in ("indicator_name", "measure", "unit", "multiplier", "polarity") if c in frame.columns]
    keyed = frame.filter(pl.col("indicator").is_not_null())
    if keyed.is_empty() or not columns:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for column in columns:
        stated = keyed.filter(pl.col(column).is_not_null() & (pl.col(column) != "")).select("row", "indicator", column)
        if stated.is_empty():
            continue
        firsts = stated.group_by("indicator", maintain_order=True).agg(pl.col(column, "row").first())
        for code, value, row in firsts.iter_rows():
            if column == "multiplier":
                try:
                    number = float(str(value).replace(",", ""))
                except ValueError:
                    number = 0.0
                if not 0 < number < float("inf"):
                    problems.add(f"multiplier '{value}' is not a positive number", row=row, field="multiplier")
                    continue
                value = number
            out.setdefault(code, {})["name" if column == "indicator_name" else column] = value
    return out
