"""Benchmark of the board reports (issue 7): the full Kent county report with every locality annex, as PDF.

    python bench/bench_report.py                 # the full run; prints figures and PASS/FAIL per target
    python bench/bench_report.py --keep out/     # also write the PDF, HTML and Word files to out/
    python bench/bench_report.py --indicators 6  # a small run (the test suite's smoke test)
    python bench/bench_report.py --one-document  # also lay the paper out in one process, for comparison

Steps: build the Kent demo in a temporary SQLite database (framework, its stated figures, the demo's
illustrative series); add seeded benchmark data — for every proportion and rate indicator that the
Kent Forum's KPQ evidence rules name, 2003/04-2010/11 values for Kent and its 12 districts (what the
locality annexes report) and, at county level, the breakdowns those rules use (population groups, IMD
quintiles for deprivation gaps and the SII), with numerators and denominators drawn from binomial or
Poisson distributions; every value flagged illustrative and the batch named "Benchmark data
(illustrative, not real figures)"; keys holding a real figure are never replaced. Then open the cycle
"2011 H2" (cut-off 31 December 2011) and close it, which computes and freezes all 19 boards' reports.
The timed step is what `gapwatch report build --board "Kent Forum" --annexes --format pdf` does: read
the frozen snapshots (county + 12 localities), assemble the report, draw every chart (vl-convert) and
lay out the PDF (WeasyPrint; the county body and annexes in parts, a process per core, when a core is free).
Then the frozen paper: the first download after the close renders and stores it,
later downloads read the stored file (median of five; byte-identical to the first, under 200 ms).
Exits 0 once it has printed its figures (``--strict``: exit 1 when a
target is missed).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gapwatch.domain.framework import Framework
from gapwatch.domain.indicators import Indicator, MeasureType, Polarity
from gapwatch.services.cycles import close_cycle, open_cycle
from gapwatch.services.database import open_database
from gapwatch.services.demo import build_demo
from gapwatch.services.frameworks import stored_framework
from gapwatch.services.imports import import_parsed, parse_frame
from gapwatch.services.observations import observations_frame
from gapwatch.settings import Settings

__all__ = ["BATCH", "bench_frame", "main", "run"]

BATCH = "Benchmark data (illustrative, not real figures)"
SEED = 20111231
CYCLE = "2011 H2"
CUTOFF = date(2011, 12, 31)
TARGET_SECONDS = 30.0
TARGET_PAGES = 50
TARGET_CHARTS = 60
TARGET_FROZEN_SECONDS = 0.2
FROZEN_REPEATS = 5
_FIRST_YEARS = range(2003, 2011)  # 2003/04 ... 2010/11: every period ends before the cut-off
_QUINTILES = "imd2019-quintile"


def _periods(kind: str) -> list[str]:
    if kind == "academic":
        return [f"{y}/{(y + 1) % 100:02d} AY" for y in _FIRST_YEARS]
    if kind == "calendar":
        return [str(y + 1) for y in _FIRST_YEARS]
    return [f"{y}/{(y + 1) % 100:02d}" for y in _FIRST_YEARS]


def _kind(indicator: Indicator) -> str:
    text = f"{indicator.code} {indicator.title} {indicator.data_source or ''}".lower()
    if any(word in text for word in ("key stage", "gcse", "pupil", "school", "ks2", "ks4", "foundation stage")):
        return "academic"
    if "survey" in text:
        return "calendar"
    return "financial"


def _scope(framework: Framework) -> dict[str, tuple[Indicator, set[str]]]:
    """The proportion and rate indicators the KPQ evidence rules of the Kent Forum's ambitions name,
    each with the breakdowns (category types) those rules use: the data the county report's answers need."""
    forum = next(b for b in framework.boards if b.kind.value == "forum")
    indicators = {i.id: i for i in framework.indicators}
    out: dict[str, tuple[Indicator, set[str]]] = {}
    for kpq in framework.kpqs:
        if kpq.ambition not in forum.ambitions:
            continue
        for ev in kpq.evidence:
            ind = indicators.get(ev.indicator or "")
            if ind is None or ind.measure not in (MeasureType.PROPORTION, MeasureType.RATE):
                continue
            _, types = out.setdefault(ind.id, (ind, set()))
            if ev.measure.value in ("deprivation_gap", "sii"):
                types.add(ev.category_type or _QUINTILES)
            elif ev.measure.value in ("group_gap", "trend") and ev.category_type:
                types.add(ev.category_type)
    return out


def _draw(rng: np.random.Generator, ind: Indicator, level: float, n: int) -> tuple[float, float]:
    if ind.measure is MeasureType.PROPORTION:
        count = float(rng.binomial(n, min(max(level / ind.multiplier, 0.01), 0.99)))
    else:
        count = float(rng.poisson(max(level, 0.01) * n / ind.multiplier))
    return count, count / n * ind.multiplier


def bench_frame(framework: Framework, *, seed: int = SEED, limit: int | None = None) -> pl.DataFrame:
    """The seeded benchmark observations (columns of a tidy file), every row flagged illustrative."""
    rng = np.random.default_rng(seed)
    county = next(a.id for a in framework.areas if a.level.value == "county")
    districts = [a.id for a in framework.areas if a.parent == county and a.level.value == "district"]
    groups = {g.id: g for g in framework.groups}
    rows: list[dict[str, Any]] = []
    for ind, types in list(_scope(framework).values())[:limit]:
        periods = _periods(_kind(ind))
        sign = {Polarity.HIGHER_IS_BETTER: 1.0, Polarity.LOWER_IS_BETTER: -1.0}.get(ind.polarity, 0.0)
        prop = ind.measure is MeasureType.PROPORTION
        centre = (0.6 if sign >= 0 else 0.15) * ind.multiplier if prop else 40.0 * ind.multiplier / 1000
        spread = rng.normal(0, 0.12, len(districts))
        for t, period in enumerate(periods):
            level = centre * (1 + sign * 0.02 * (t - 4))
            total_x, total_n = 0.0, 0
            for d, s in zip(districts, spread, strict=True):
                n = int(rng.integers(900, 1600)) if prop else int(rng.integers(90_000, 160_000))
                x, v = _draw(rng, ind, level * (1 + s * 0.97**t), n)
                total_x, total_n = total_x + x, total_n + n
                rows.append(
                    {
                        "indicator": ind.id,
                        "area_code": d,
                        "period": period,
                        "category_type": "",
                        "category": "",
                        "value": v,
                        "numerator": x,
                        "denominator": float(n),
                    }
                )
            rows.append(
                {
                    "indicator": ind.id,
                    "area_code": county,
                    "period": period,
                    "category_type": "",
                    "category": "",
                    "value": total_x / total_n * ind.multiplier,
                    "numerator": total_x,
                    "denominator": float(total_n),
                }
            )
            for gid in sorted(t for t in types if t in groups):
                cats = groups[gid].categories
                for i, cat in enumerate(cats):
                    rank = (i - (len(cats) - 1) / 2) / max(len(cats) - 1, 1)
                    effect = (
                        -sign * 0.35 * rank * 0.98**t
                        if gid == _QUINTILES
                        else (-sign * 0.3 * 0.97**t if cat.comparator else 0.0)
                    )
                    n = int(total_n * (0.2 if gid == _QUINTILES else 0.15 if cat.comparator else 0.85))
                    x, v = _draw(rng, ind, level * (1 + effect), max(n, 30))
                    rows.append(
                        {
                            "indicator": ind.id,
                            "area_code": county,
                            "period": period,
                            "category_type": gid,
                            "category": cat.id,
                            "value": v,
                            "numerator": x,
                            "denominator": float(max(n, 30)),
                        }
                    )
    frame = pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "area_code": pl.String,
            "period": pl.String,
            "category_type": pl.String,
            "category": pl.String,
            "value": pl.Float64,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
        },
        orient="row",
    )
    return frame.with_columns(
        illustrative=pl.lit(True), note=pl.lit(f"ILLUSTRATIVE: gapwatch benchmark data (seed {seed}); not real data.")
    )


def _load_bench_data(engine: Any, *, limit: int | None) -> int:
    framework = stored_framework(engine)
    frame = bench_frame(framework, limit=limit)
    real = observations_frame(engine).select(
        pl.col("indicator_id").alias("indicator"),
        "area_code",
        "period",
        pl.col("category_type").fill_null(""),
        pl.col("category").fill_null(""),
    )
    keys = ["indicator", "area_code", "period", "category_type", "category"]
    frame = frame.join(real.unique(), on=keys, how="anti")
    parsed = parse_frame(BATCH, frame, fmt="illustrative")
    report = import_parsed(
        engine,
        parsed,
        source=f"bench/bench_report.py (seed {SEED})",
        batch_name=BATCH,
        illustrative=True,
        actor="bench",
    )
    return int(report.inserted)


def run(
    *,
    limit: int | None = None,
    keep: Path | None = None,
    workdir: Path | None = None,
    boards: list[str] | None = None,
    demo: Path | None = None,
    one_document: bool = False,
    paper_only: bool = False,
) -> dict[str, Any]:
    """Build the data, close the cycle and time the county report; return the figures.

    ``boards`` limits the cycle to those boards (ids or names; the Kent Forum must be one of them): the test
    suite's smoke run closes it for the Kent Forum and two localities instead of all 19 boards. ``demo``: a
    SQLite file already holding what `gapwatch demo` builds, copied instead of building it (the test suite's).
    ``paper_only``: the PDF and HTML only, without the frozen download and Word steps (the smoke run: those two
    lay the paper out again and are tested on their own in tests/reports).
    """
    from gapwatch.reports import build_board_report, render_docx, render_html, render_pdf  # noqa: PLC0415
    from gapwatch.reports.frozen import paper  # noqa: PLC0415
    from gapwatch.reports.html import render_svgs  # noqa: PLC0415

    figures: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        t = time.perf_counter()
        if demo is not None:
            shutil.copyfile(demo, Path(tmp) / "bench.db")
        engine = open_database(Settings(database_url=f"sqlite:///{Path(tmp) / 'bench.db'}"))
        if demo is None:
            build_demo(engine)
        figures["demo_s"] = time.perf_counter() - t
        t = time.perf_counter()
        figures["bench_values"] = _load_bench_data(engine, limit=limit)
        figures["data_s"] = time.perf_counter() - t
        t = time.perf_counter()
        opened = open_cycle(
            engine, CYCLE, data_cutoff=CUTOFF, action_deadline=date(2012, 1, 31), boards=boards, by="bench"
        )
        figures["boards"] = len(opened.boards)
        close_cycle(engine, CYCLE, by="bench")
        figures["close_s"] = time.perf_counter() - t

        t, cpu, helpers_cpu = time.perf_counter(), time.process_time(), _children_cpu()
        report = build_board_report(engine, "Kent Forum", CYCLE, annexes=True)
        figures["assemble_s"] = time.perf_counter() - t
        t2 = time.perf_counter()
        svgs = render_svgs(report.charts)
        figures["charts_s"] = time.perf_counter() - t2
        t2 = time.perf_counter()
        pdf = render_pdf(report, svgs)
        figures["layout_s"] = time.perf_counter() - t2
        figures["pdf_s"] = time.perf_counter() - t
        figures["pdf_cpu_s"] = time.process_time() - cpu
        figures["helpers_cpu_s"] = _children_cpu() - helpers_cpu
        if one_document:
            # The same paper laid out in one process (as it was before papers were laid out in parts).
            t2 = time.perf_counter()
            single = render_pdf(report, svgs, workers=1)
            figures["one_document_s"] = time.perf_counter() - t2
            figures["one_document_same_pages"] = single.pages == pdf.pages
        figures.update(
            pages=pdf.pages,
            charts=len(report.charts),
            annexes=len(report.annexes),
            indicator_pages=len(report.sections),
            pdf_bytes=len(pdf.content),
            pdf_parts=pdf.parts,
        )
        t = time.perf_counter()
        html = render_html(report, svgs)
        figures["html_s"] = time.perf_counter() - t
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "kent-forum.pdf").write_bytes(pdf.content)
            (keep / "kent-forum.html").write_text(html, encoding="utf-8")
        if paper_only:
            engine.dispose()
            figures["load_after"] = os.getloadavg()[0]
            return figures
        # The frozen paper: the first download after the close renders and stores it; every later one is
        # read from the stored file (what GET /reports/<cycle>/<board>/report.pdf?annexes=1 returns).
        t = time.perf_counter()
        first = paper(engine, "Kent Forum", CYCLE, "pdf", annexes=True)
        figures["first_download_s"] = time.perf_counter() - t
        served = []
        identical = True
        for _ in range(FROZEN_REPEATS):
            t = time.perf_counter()
            again = paper(engine, "Kent Forum", CYCLE, "pdf", annexes=True)
            served.append(time.perf_counter() - t)
            identical = identical and again.stored and again.content == first.content
        figures["frozen_download_s"] = statistics.median(served)
        figures["frozen_identical"] = identical
        t = time.perf_counter()
        docx = render_docx(report)
        figures["docx_s"] = time.perf_counter() - t
        if keep is not None:
            (keep / "kent-forum.docx").write_bytes(docx)
        engine.dispose()
    figures["load_after"] = os.getloadavg()[0]
    return figures


def _children_cpu() -> float:
    """CPU seconds of finished child processes (chart and layout helpers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--indicators", type=int, default=None, help="Only this many benchmark indicators.")
    parser.add_argument("--keep", type=Path, default=None, help="Folder to write the PDF, HTML and Word files to.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    parser.add_argument(
        "--one-document", action="store_true", help="Also lay the paper out in one process, for comparison."
    )
    args = parser.parse_args(argv)
    f = run(limit=args.indicators, keep=args.keep, one_document=args.one_document)
    print(f"load average before/after: {f['load_before']:.2f} / {f['load_after']:.2f} on {os.cpu_count()} cores")
    print(
        f"demo built in {f['demo_s']:.1f} s; {f['bench_values']:,} benchmark values loaded in {f['data_s']:.1f} s; "
        f"cycle opened and closed ({f['boards']} boards frozen) in {f['close_s']:.1f} s"
    )
    print(
        f"county report: {f['indicator_pages']} indicator pages, {f['annexes']} locality annexes, "
        f"{f['charts']} charts, {f['pages']} PDF pages, {f['pdf_bytes'] / 1e6:.1f} MB"
    )
    print(
        f"  read snapshots + assemble {f['assemble_s']:.2f} s, charts (SVG) {f['charts_s']:.2f} s, "
        f"PDF layout {f['layout_s']:.2f} s: PDF in {f['pdf_s']:.2f} s (CPU {f['pdf_cpu_s']:.2f} s here, "
        f"{f['helpers_cpu_s']:.2f} s in helper processes; laid out as {f['pdf_parts']} document(s))"
    )
    if "one_document_s" in f:
        print(
            f"  the same paper laid out in one process: {f['one_document_s']:.2f} s"
            f"{'' if f['one_document_same_pages'] else ' (A DIFFERENT PAGE COUNT)'}"
        )
    print(f"  HTML (charts already drawn) {f['html_s']:.2f} s; Word with PNG charts {f['docx_s']:.2f} s")
    print(
        f"frozen paper: first download after the close (render and store) {f['first_download_s']:.2f} s; "
        f"then from the stored file {1000 * f['frozen_download_s']:.1f} ms (median of {FROZEN_REPEATS}), "
        f"byte-identical: {'yes' if f['frozen_identical'] else 'NO'}"
    )
    checks = [
        (f"PDF in under {TARGET_SECONDS:.0f} s", f["pdf_s"] < TARGET_SECONDS, f"{f['pdf_s']:.2f} s"),
        (f"at least {TARGET_PAGES} pages", f["pages"] >= TARGET_PAGES, str(f["pages"])),
        (f"at least {TARGET_CHARTS} charts", f["charts"] >= TARGET_CHARTS, str(f["charts"])),
        (
            f"frozen PDF download in under {1000 * TARGET_FROZEN_SECONDS:.0f} ms, byte-identical",
            f["frozen_download_s"] < TARGET_FROZEN_SECONDS and f["frozen_identical"],
            f"{1000 * f['frozen_download_s']:.1f} ms",
        ),
    ]
    for name, ok, value in checks:
        print(f"{_verdict(ok)}  {name}: {value}")
    return 1 if args.strict and not all(ok for _, ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
