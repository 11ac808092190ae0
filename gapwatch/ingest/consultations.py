"""Reading a consultation's response file (one row per response) or its published summary counts (one row per
figure: :func:`read_summary`), each checked whole against the consultation.

Columns: ``response_id`` (unique), ``respondent_type`` (an id or label of the consultation's respondent types),
then one column per question, named by the question's id. A closed question's cell holds an option (its id or
its label, case ignored); a "choose" question's cell holds up to ``max_choices`` options separated by ``;``;
a free-text question's cell holds the words. Unknown columns are refused (a misspelt question would otherwise be
lost). Every problem — an answer outside the question's options, a "choose two" row with three choices, an
unknown respondent type, a repeated id — is reported with file, row and field, and nothing is returned until the
file is sound. The checks run on whole columns (unpivot, split, join), not row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from gapwatch.domain.consultations import Consultation, PublishedFigure, QuestionKind
from gapwatch.errors import InvalidInput, Problem
from gapwatch.ingest.csvfile import read_csv_table

__all__ = [
    "MAX_PROBLEMS",
    "SEPARATOR",
    "SUMMARY_COLUMNS",
    "ConsultationResponses",
    "parse_responses",
    "parse_summary",
    "read_responses",
    "read_summary",
]

SEPARATOR = ";"
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class ConsultationResponses:
    """A checked response file: ``responses`` (row, response, respondent_type), ``answers`` (long: response,
    respondent_type, question, option) and ``texts`` (response, question, text)."""

    file: str
    responses: pl.DataFrame
    answers: pl.DataFrame
    texts: pl.DataFrame


def read_responses(path: Path, consultation: Consultation) -> ConsultationResponses:
    """Read and check a response file (see the module docstring)."""
    table = read_csv_table(path)
    return parse_responses(table.frame, consultation, table.file)


def parse_responses(frame: pl.DataFrame, c: Consultation, file: str) -> ConsultationResponses:
    """Check a response table (every cell text, a ``row`` column) against consultation ``c``."""
    problems: list[Problem] = []
    required = ["response_id", "respondent_type"]
    questions = {q.id: q for q in c.questions}
    missing = [col for col in required if col not in frame.columns]
    unknown = [col for col in frame.columns if col not in {"row", *required, *questions}]
    problems += [Problem("required column is missing", file=file, field=col) for col in missing]
    problems += [
        Problem(f"'{col}' is not a question of consultation '{c.id}' ({', '.join(questions)})", file=file, field=col)
        for col in unknown
    ]
    if problems:
        raise InvalidInput(
            f"{file}: the columns do not fit consultation '{c.id}'; nothing was written", problems=problems
        )
    if "row" not in frame.columns:
        frame = frame.with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))

    def located(rows: pl.DataFrame, field: str | None, message: str) -> None:
        for r in rows.head(MAX_PROBLEMS).iter_rows(named=True):
            problems.append(Problem(message.format(**r), file=file, row=int(r["row"]), field=field or r.get("field")))

    ids = frame.with_columns(pl.col("response_id").str.strip_chars())
    located(ids.filter(pl.col("response_id").fill_null("") == ""), "response_id", "no response id")
    located(
        ids.filter(pl.col("response_id").is_duplicated() & (pl.col("response_id").fill_null("") != "")),
        "response_id",
        "response id '{response_id}' appears more than once",
    )
    types = pl.DataFrame(
        [(t.id.lower(), t.id) for t in c.respondent_types] + [(t.label.lower(), t.id) for t in c.respondent_types],
        schema={"key": pl.String, "type_id": pl.String},
        orient="row",
    ).unique("key")
    ids = ids.with_columns(pl.col("respondent_type").str.strip_chars().str.to_lowercase().alias("key")).join(
        types, on="key", how="left"
    )
    located(ids.filter(pl.col("key").fill_null("") == ""), "respondent_type", "no respondent type given")
    located(
        ids.filter(pl.col("type_id").is_null() & (pl.col("key").fill_null("") != "")),
        "respondent_type",
        "'{respondent_type}' is not a respondent type of this consultation"
        + f" ({', '.join(t.id for t in c.respondent_types)})",
    )
    closed = [q for q in questions if q in frame.columns and questions[q].kind is not QuestionKind.FREE_TEXT]
    free = [q for q in questions if q in frame.columns and questions[q].kind is QuestionKind.FREE_TEXT]
    base = ids.select("row", pl.col("response_id").alias("response"), pl.col("type_id").alias("respondent_type"))
    if closed:
        long = (
            ids.select(
                "row", pl.col("response_id").alias("response"), pl.col("type_id").alias("respondent_type"), *closed
            )
            .unpivot(
                index=["row", "response", "respondent_type"], on=closed, variable_name="question", value_name="cell"
            )
            .with_columns(pl.col("cell").fill_null("").str.split(SEPARATOR))
            .explode("cell")
            .with_columns(pl.col("cell").str.strip_chars())
            .filter(pl.col("cell") != "")
            .with_columns(pl.col("cell").str.to_lowercase().alias("key"))
        )
        opts = pl.DataFrame(
            [(q.id, k, o.id) for q in c.questions for o in q.options for k in {o.id.lower(), o.label.lower()}],
            schema={"question": pl.String, "key": pl.String, "option": pl.String},
            orient="row",
        )
        long = long.join(opts, on=["question", "key"], how="left")
        located(
            long.filter(pl.col("option").is_null()).with_columns(pl.col("question").alias("field")),
            None,
            "'{cell}' is not an option of question '{question}'",
        )
        limits = pl.DataFrame(
            [
                (q, 1 if questions[q].kind is QuestionKind.SINGLE else int(questions[q].max_choices or 1))
                for q in closed
            ],
            schema={"question": pl.String, "limit": pl.Int64},
            orient="row",
        )
        chosen = (
            long.group_by("row", "question")
            .agg(pl.col("cell").n_unique().alias("n"), pl.col("cell").str.join("; ").alias("cells"))
            .join(limits, on="question")
            .filter(pl.col("n") > pl.col("limit"))
            .sort("row", "question")
            .with_columns(pl.col("question").alias("field"))
        )
        located(chosen, None, "{n} choices ({cells}) where question '{question}' allows at most {limit}")
        answers = (
            long.filter(pl.col("option").is_not_null())
            .select("response", "respondent_type", "question", "option")
            .unique(maintain_order=True)
        )
    else:
        answers = pl.DataFrame(
            schema={"response": pl.String, "respondent_type": pl.String, "question": pl.String, "option": pl.String}
        )
    if free:
        texts = (
            ids.select(pl.col("response_id").alias("response"), *free)
            .unpivot(index="response", on=free, variable_name="question", value_name="text")
            .with_columns(pl.col("text").str.strip_chars())
            .filter(pl.col("text").fill_null("") != "")
        )
    else:
        texts = pl.DataFrame(schema={"response": pl.String, "question": pl.String, "text": pl.String})
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.field or ""))
        more = f" (the first {MAX_PROBLEMS} of each kind are listed)" if len(problems) >= MAX_PROBLEMS else ""
        raise InvalidInput(
            f"{file}: {len(problems)} problem(s) in the responses{more}; nothing was written",
            problems=problems,
            hint=f"Separate the choices of a 'choose' question with '{SEPARATOR}'; use the options' ids or labels.",
        )
    return ConsultationResponses(file, base, answers, texts)


#: The columns of a published summary file; ``respondent_type`` and ``text`` may be left out.
SUMMARY_COLUMNS = ("question", "option", "respondent_type", "count", "base", "text")


def read_summary(path: Path, consultation: Consultation) -> list[PublishedFigure]:
    """Read and check a consultation's published summary counts (see :func:`parse_summary`)."""
    table = read_csv_table(path)
    return parse_summary(table.frame, consultation, table.file)


def parse_summary(frame: pl.DataFrame, c: Consultation, file: str) -> list[PublishedFigure]:
    """Check a published summary table against consultation ``c`` and return its figures.

    One row per figure: ``question`` (a closed question's id, or ``respondent_type`` to count respondents by type),
    ``option`` (id or label, case ignored), ``respondent_type`` (blank: all respondents), ``count`` and ``base``
    (whole numbers, count at most base) and an optional ``text``. Across rows: one figure per question, option and
    respondent type, one base per question and respondent type, and the counts of a question's options at most
    its base (a single-answer question: the options are exclusive) or ``max_choices`` x base (a "choose two"
    question: each respondent counted at most twice). Every problem is reported with file, row and field; nothing
    is returned until the whole file is sound.
    """
    problems: list[Problem] = []
    required = ["question", "option", "count", "base"]
    missing = [col for col in required if col not in frame.columns]
    unknown = [col for col in frame.columns if col not in {"row", *SUMMARY_COLUMNS}]
    problems += [Problem("required column is missing", file=file, field=col) for col in missing]
    problems += [
        Problem(f"unknown column (expected {', '.join(SUMMARY_COLUMNS)})", file=file, field=col) for col in unknown
    ]
    if problems:
        raise InvalidInput(f"{file}: the columns are not a published summary; nothing was written", problems=problems)
    if "row" not in frame.columns:
        frame = frame.with_row_index("row", offset=1).with_columns(pl.col("row").cast(pl.Int64))
    for col in ("respondent_type", "text"):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    questions = {q.id: q for q in c.questions}
    types = {t.id.lower(): t.id for t in c.respondent_types} | {t.label.lower(): t.id for t in c.respondent_types}
    options = {(q.id, k): o.id for q in c.questions for o in q.options for k in (o.id.lower(), o.label.lower())} | {
        ("respondent_type", k): v for k, v in types.items()
    }
    clean = frame.with_columns(
        pl.col(x).fill_null("").str.strip_chars() for x in ("question", "option", "respondent_type", "count", "base")
    ).with_columns(
        pl.col("count").cast(pl.Int64, strict=False).alias("n"),
        pl.col("base").cast(pl.Int64, strict=False).alias("b"),
        pl.col("respondent_type").str.to_lowercase().replace_strict(types, default=None).alias("type_id"),
        pl.col("option").str.to_lowercase().alias("key"),
    )
    option_frame = pl.DataFrame(
        [(q, k, o) for (q, k), o in options.items()],
        schema={"question": pl.String, "key": pl.String, "option_id": pl.String},
        orient="row",
    )
    clean = clean.join(option_frame, on=["question", "key"], how="left").sort("row")

    def located(rows: pl.DataFrame, field: str, message: str) -> None:
        for r in rows.head(MAX_PROBLEMS).iter_rows(named=True):
            problems.append(Problem(message.format(**r), file=file, row=int(r["row"]), field=field))

    known_q = pl.col("question").is_in([*questions, "respondent_type"])
    located(
        clean.filter(~known_q),
        "question",
        "'{question}' is not a question of consultation " + f"'{c.id}' ({', '.join([*questions, 'respondent_type'])})",
    )
    free = [q for q, x in questions.items() if x.kind is QuestionKind.FREE_TEXT]
    located(clean.filter(pl.col("question").is_in(free)), "question", "'{question}' is free text: it has no options")
    located(
        clean.filter(known_q & ~pl.col("question").is_in(free) & pl.col("option_id").is_null()),
        "option",
        "'{option}' is not an option of question '{question}'",
    )
    located(
        clean.filter((pl.col("respondent_type") != "") & pl.col("type_id").is_null()),
        "respondent_type",
        "'{respondent_type}' is not a respondent type of this consultation"
        + f" ({', '.join(t.id for t in c.respondent_types)})",
    )
    located(
        clean.filter(pl.col("n").is_null() | (pl.col("n") < 0)), "count", "'{count}' is not a whole number of 0 or more"
    )
    located(clean.filter(pl.col("b").is_null() | (pl.col("b") <= 0)), "base", "'{base}' is not a whole number above 0")
    located(clean.filter(pl.col("n") > pl.col("b")), "count", "the count {n} is more than the base {b}")
    keyed = clean.filter(pl.col("option_id").is_not_null()).with_columns(pl.col("type_id").fill_null("").alias("t"))
    located(
        keyed.filter(pl.struct("question", "option_id", "t").is_duplicated()).filter(
            pl.struct("question", "option_id", "t").is_first_distinct().not_()
        ),
        "option",
        "'{option}' of question '{question}' is given twice for the same respondents",
    )
    first_base = keyed.group_by("question", "t").agg(pl.col("b").first().alias("b0"), pl.col("row").first().alias("r0"))
    located(
        keyed.join(first_base, on=["question", "t"]).filter(pl.col("b") != pl.col("b0")),
        "base",
        "the base {b} differs from row {r0}'s ({b0}) for the same question and respondents",
    )
    limit = {q: (int(x.max_choices or 1) if x.kind is QuestionKind.CHOOSE else 1) for q, x in questions.items()}
    totals = (
        keyed.group_by("question", "t")
        .agg(pl.col("n").sum().alias("total"), pl.col("b").max().alias("b"), pl.col("row").max().alias("row"))
        .with_columns(pl.col("question").replace_strict(limit, default=1, return_dtype=pl.Int64).alias("k"))
        .filter(pl.col("total") > pl.col("k") * pl.col("b"))
        .with_columns(
            pl.when(pl.col("k") > 1)
            .then(pl.format("{} x the base {}", pl.col("k"), pl.col("b")))
            .otherwise(pl.format("the base {}", pl.col("b")))
            .alias("most")
        )
        .sort("row")
    )
    located(
        totals,
        "count",
        "the counts of question '{question}' add up to {total}, more than {most} (each respondent answers it at most"
        " {k} time(s))",
    )
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.field or ""))
        raise InvalidInput(
            f"{file}: {len(problems)} problem(s) in the published summary; nothing was written",
            problems=problems,
            hint="One row per figure: question, option, respondent_type (blank: all), count, base.",
        )
    return [
        PublishedFigure(
            question=r["question"],
            option=r["option_id"],
            respondent_type=r["type_id"],
            count=int(r["n"]),
            base=int(r["b"]),
            text=(r["text"] or None),
            base_note=f"{file}, row {r['row']}",
        )
        for r in clean.iter_rows(named=True)
    ]
