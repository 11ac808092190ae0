"""Lay a long paper out in parts, in parallel: the county report in one process, its annexes in others.

WeasyPrint lays a document out on one core, and the county paper with twelve annexes is ~165 pages. The
county body and the annexes are independent once their page numbers are known, so the paper is cut into
*parts* — the county article, then the annex articles in one run per further core — each laid out as its
own document in a helper process (a bare ``python -c`` that imports only WeasyPrint, as
:mod:`gapwatch.reports._render_pool` does for charts; not ``multiprocessing``, whose children re-import
the caller's ``__main__``), and the PDFs are joined with pypdf. What depends on the whole paper is added
afterwards from what the parts report back (their page counts and the page of every anchor):

* "Page n of N" is left out of the parts and drawn by an *overlay* document per part — the same ``@page``
  rules, ``counter-reset: page`` to the part's first page and N written in — whose pages are stamped onto
  the part's pages as form XObjects (same font, size and box, so the same place; nothing is re-parsed).
* The contents' page numbers (``target-counter``) are laid out in the part but not drawn
  (``visibility: hidden``: WeasyPrint skips hidden text and the layout is unchanged). The overlay repeats
  each article's cover header, everything hidden except the leaders and numbers, now literal page numbers;
  a header starts its article's first page, so it lands in the same place. The county's cover is alone on
  its page, so its whole contents list is drawn by the overlay (its entries for the annexes, which are in
  other parts, may wrap differently in the part). An annex's contents lines are laid out with page numbers
  counted from its part's start; a number later gains up to two digits, so a line with less free space
  than that (:data:`_SLACK_EM`) has its part laid out again with the real numbers.
* Links to anchors in another part are kept as named destinations (WeasyPrint would drop them), and every
  part's named destinations and bookmarks are rebuilt in the joined PDF, an annex's bookmarks under the
  paper's title as in one document.

A helper that fails or stalls, or a paper that does not split as expected, is laid out in one process
instead: the result never depends on the pool. The joined paper's pdftotext and pixels equal the
one-document layout's (tests/reports/test_pdf_parts.py).
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MIN_PARTS", "Parts", "grouped", "render_in_parts", "split_parts"]

_LOG = logging.getLogger(__name__)

#: Fewer articles (county and annexes) than this cannot be laid out in parts.
MIN_PARTS = 2

_ARTICLE = '<article class="gw-report'
_ANNEX = '<article class="gw-report gw-annex"'
_ILLUSTRATIVE = "gw-illustrative-banner"

# Parts: no page numbers in the footer, contents' numbers laid out but not drawn.
_PART_CSS = """
@page { @bottom-right { content: none; } }
@media print { .gw-contents a::after { visibility: hidden; } }
"""
# The first part (the county paper) starts with its cover alone on a page: its whole contents list is
# drawn by the overlay, so the entries for the annexes (other parts) may wrap differently in the part.
_FIRST_PART_CSS = """
@media print { .gw-contents, .gw-contents * { visibility: hidden; } }
"""
_CARRY_CSS = """
@media print { .gw-running { string-set: running content(text), illustrative "Includes illustrative demo data"; } }
"""
_START_CSS = """
@page :first { counter-reset: page %d; }
"""
# Overlays: only the footer and the contents' numbers (the first part: its whole contents) are drawn.
_OVERLAY_CSS = """
@page { @top-left { content: none; } @top-right { content: none; }
  @bottom-right { content: "Page " counter(page) " of %(total)d"; } }
@page :first { counter-reset: page %(first)d; }
.gw-report-root, .gw-report-root * { visibility: hidden !important; }
.gw-cover > :not(nav), .gw-cover > :not(nav) * { background: none !important; border-color: transparent !important; }
@media print { .gw-report-root %(visible)s { visibility: visible !important; } }
%(numbers)s
"""

#: Seconds a helper may take over one document before it is stopped (and the paper laid out here).
_TIMEOUT = 600.0

#: Smallest free space left by a contents line's leader, in ems, for the line to be laid out the same
#: with two more digits in its page number (DejaVu Sans digits are 0.636 em wide).
_SLACK_EM = 1.4

_HELPER = r"""
import json, logging, runpy, sys
import weasyprint
import weasyprint.pdf as wpdf
from weasyprint.pdf import anchors as wanchors
from weasyprint.text.fonts import FontConfiguration

def keep_links(pages):
    # Links to an anchor in another part are kept (the joined PDF has its named destination).
    names = set()
    for page in pages:
        here = []
        for name, (x, y, _, _) in page.anchors.items():
            if name not in names:
                names.add(name)
                here.append((name, x, y))
        yield list(page.links), here

def slack(doc):
    # The least free space a leader leaves on its line, in ems (None: no leader).
    least = None
    for page in doc.pages:
        for box in page._page_box.descendants():
            if getattr(box, "is_leader", False) and box.children:
                free = (box.width - box.children[0].width) / box.style["font_size"]
                least = free if least is None else min(least, free)
    return least

logging.getLogger("weasyprint").setLevel(logging.CRITICAL)
runpy.run_path(sys.argv[1])["install"]()
fonts = FontConfiguration()
import time
for line in sys.stdin:
    job = json.loads(line)
    cpu = time.process_time()
    wpdf.resolve_links = keep_links if job["part"] else wanchors.resolve_links
    with open(job["html"], encoding="utf-8") as f:
        doc = weasyprint.HTML(string=f.read(), base_url=None).render(font_config=fonts)
    doc.write_pdf(job["pdf"])
    anchors = {}
    for i, page in enumerate(doc.pages):
        for name in page.anchors:
            anchors.setdefault(name, i)
    least = slack(doc) if job["slack"] else None
    out = {"pages": len(doc.pages), "anchors": anchors, "slack": least, "cpu": time.process_time() - cpu}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


@dataclass(frozen=True)
class Parts:
    """A print HTML document cut into independent documents: one per part (county body, each annex)."""

    head: str
    bodies: list[str]
    tail: str

    def document(self, i: int, css: str = "", body: str | None = None) -> str:
        """Part ``i`` (or ``body``) as a complete document, with ``css`` after the report's stylesheet."""
        head = self.head.replace("</style>", css + "\n</style>", 1) if css else self.head
        return head + (self.bodies[i] if body is None else body) + self.tail


def split_parts(html: str) -> Parts | None:
    """The county article and each annex article as separate parts, or None if the HTML is not a paper."""
    first = html.find(_ARTICLE)
    root_end = html.rfind("</div>")
    if first < 0 or root_end < first or html.count("</style>") != 1:
        return None
    starts = [m.start() for m in re.finditer(re.escape(_ANNEX), html)]
    if not starts or starts[0] <= first or html.count(_ARTICLE) != len(starts) + 1:
        return None
    edges = [first, *starts, root_end]
    bodies = [html[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    return Parts(head=html[:first], bodies=bodies, tail=html[root_end:])


def grouped(parts: Parts, blocks: int) -> Parts:
    """The county alone, then its annexes in ``blocks`` runs of about equal size (a process each).

    Annexes laid out together cost less than one document each (stylesheets, fonts, joining).
    """
    county, annexes = parts.bodies[0], parts.bodies[1:]
    blocks = max(1, min(blocks, len(annexes)))
    size = sum(len(a) for a in annexes) / blocks
    runs: list[list[str]] = [[]]
    done = 0
    for annex in annexes:
        if runs[-1] and len(runs) < blocks and done + len(annex) / 2 > size * len(runs):
            runs.append([])
        runs[-1].append(annex)
        done += len(annex)
    return Parts(head=parts.head, bodies=[county, *("".join(run) for run in runs)], tail=parts.tail)


def _headers(body: str) -> list[tuple[str, str]]:
    """Each article of a part: its id and its cover header (title to contents), which starts its first page."""
    out = []
    for start in [m.start() for m in re.finditer(re.escape(_ARTICLE), body)]:
        end = body.find("</header>", start)
        anchor = re.match(r'<article class="[^"]*" id="([^"]+)"', body[start:])
        if end < 0 or anchor is None:
            raise ValueError("an article without a cover header")
        out.append((anchor.group(1), body[start : end + len("</header>")] + "</article>"))
    return out


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _overlay(parts: Parts, i: int, first: int, pages: int, total: int, anchors: dict[str, int]) -> str:
    """Part ``i``'s overlay: each article's header where the article starts, blank pages in between."""
    headers = _headers(parts.bodies[i])
    starts = [anchors[anchor] - (first - 1) for anchor, _ in headers] + [pages]
    if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise ValueError("the part's articles are not where expected")
    blank = '<div style="break-before: page"></div>'
    body = "".join(h + blank * (starts[k + 1] - starts[k] - 1) for k, (_, h) in enumerate(headers))
    numbers = []
    for href in sorted(set(re.findall(r'<a href="#([^"]+)"', "".join(h for _, h in headers)))):
        if href not in anchors:
            raise KeyError(f"contents entry #{href} has no anchor")
        numbers.append(
            f".gw-report-root .gw-contents a[href={_css_string('#' + href)}]::after "
            f'{{ content: leader(". ") "{anchors[href] + 1}"; }}'
        )
    visible = ".gw-contents, .gw-report-root .gw-contents *" if i == 0 else ".gw-contents a::after"
    css = _OVERLAY_CSS % {"total": total, "first": first, "visible": visible, "numbers": "\n".join(numbers)}
    css += _edges(i, len(parts.bodies))
    return parts.document(i, css, body)


def _cover_alone(parts: Parts, anchors: dict[str, int]) -> bool:
    """Whether the first part's cover fills its first page alone (the next element starts page 2)."""
    body = parts.bodies[0]
    after = re.search(r'\bid="([^"]+)"', body[body.find("</header>") :])
    return after is not None and anchors.get(after.group(1), 0) >= 1


@dataclass(frozen=True)
class _Job:
    """A document for a helper: a part (links to other parts kept; ``slack`` measured) or an overlay."""

    html: Path
    pdf: Path
    part: bool
    slack: bool = False


class _Helper:
    """One helper process laying documents out, one job at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter running our own code
            [sys.executable, "-c", _HELPER, str(Path(__file__).with_name("_svg_text.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def run(self, job: _Job) -> dict[str, Any]:
        """Lay one document out; its page count, the page of each anchor and the contents' slack."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        message = {"html": str(job.html), "pdf": str(job.pdf), "part": job.part, "slack": job.slack}
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        watchdog = threading.Timer(_TIMEOUT, self.proc.kill)  # a stuck helper ends with no answer
        watchdog.start()
        try:
            line = self.proc.stdout.readline()
        finally:
            watchdog.cancel()
        if not line:
            raise RuntimeError("PDF helper process ended without an answer")
        result: dict[str, Any] = json.loads(line)
        return result

    def close(self) -> None:
        """End the helper (it ends when its standard input closes)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck helper
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _run_jobs(jobs: Sequence[_Job], helpers: list[_Helper]) -> list[dict[str, Any]]:
    """Each job laid out by whichever helper is free, in order of the list (largest first works best)."""
    results: list[dict[str, Any] | None] = [None] * len(jobs)
    lock = threading.Lock()
    queue = list(range(len(jobs)))

    def work(helper: _Helper) -> None:
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop(0)
            results[index] = helper.run(jobs[index])

    with ThreadPoolExecutor(max_workers=len(helpers)) as pool:
        for future in [pool.submit(work, h) for h in helpers]:
            future.result()
    return [r for r in results if r is not None]


def _join(part_pdfs: list[Path], overlay_pdfs: list[Path], firsts: list[int]) -> bytes:
    """The parts' pages, each stamped with its overlay page; named destinations and bookmarks rebuilt."""
    from pypdf import PdfReader, PdfWriter  # noqa: PLC0415 - needed only for a paper laid out in parts
    from pypdf.generic import Fit  # noqa: PLC0415

    writer = PdfWriter()
    readers = []
    refs = []
    for part_pdf, overlay_pdf in zip(part_pdfs, overlay_pdfs, strict=True):
        reader, overlay = PdfReader(part_pdf), PdfReader(overlay_pdf)
        for page, stamp in zip(reader.pages, overlay.pages, strict=True):
            added = writer.add_page(page)
            refs.append(added.indirect_reference)
            _stamp(writer, added, stamp, len(refs))
        readers.append(reader)
    for reader, first in zip(readers, firsts, strict=True):
        for name, dest in reader.named_destinations.items():
            index = reader.get_destination_page_number(dest)
            if index is None:
                continue
            writer.add_named_destination_object(_destination(name, refs[first - 1 + index], dest))
    top = None
    for n, (reader, first) in enumerate(zip(readers, firsts, strict=True)):
        parent = top if n else None
        items = _outline(writer, reader, reader.outline, first - 1, parent, Fit)
        if n == 0 and items:
            top = items[0]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _stamp(writer: Any, page: Any, stamp: Any, number: int) -> None:
    """Draw the overlay page ``stamp`` over ``page`` as a form XObject: no content stream is parsed.

    (pypdf's ``merge_page`` parses and rewrites each page's content stream: seconds for a long paper.)
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, StreamObject  # noqa: PLC0415

    source = stamp["/Contents"].get_object()
    if not isinstance(source, StreamObject):
        page.merge_page(stamp)
        return
    form = source.clone(writer, force_duplicate=True)
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = stamp.mediabox
    form[NameObject("/Resources")] = stamp["/Resources"].clone(writer)
    name = NameObject(f"/GwStamp{number}")
    resources = page["/Resources"]
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    resources["/XObject"][name] = writer._add_object(form)  # noqa: SLF001 - pypdf has no public way
    original = page.raw_get("/Contents")
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(b"\nQ\nq " + name.encode() + b" Do Q\n")
    parts = list(original) if isinstance(original, ArrayObject) else [original]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(before), *parts, writer._add_object(after)]  # noqa: SLF001
    )


def _destination(name: str, page_ref: Any, dest: Any) -> Any:
    from pypdf.generic import Destination, Fit, TextStringObject  # noqa: PLC0415

    fit = Fit.xyz(dest.left, dest.top, dest.zoom) if dest.typ == "/XYZ" else Fit.fit()
    return Destination(TextStringObject(name), page_ref, fit)


def _outline(writer: Any, reader: Any, items: list[Any], offset: int, parent: Any, fit_cls: Any) -> list[Any]:
    """Copy a part's bookmarks (nested lists) under ``parent``; returns the items added at this level."""
    added: list[Any] = []
    for item in items:
        if isinstance(item, list):
            if added:
                _outline(writer, reader, item, offset, added[-1], fit_cls)
            continue
        index = reader.get_destination_page_number(item)
        fit = fit_cls.xyz(item.left, item.top, item.zoom) if item.typ == "/XYZ" else fit_cls.fit()
        added.append(writer.add_outline_item(title=item.title, page_number=offset + index, parent=parent, fit=fit))
    return added


def render_in_parts(html: str, *, workers: int | None = None) -> tuple[bytes, int] | None:
    """The paper laid out in parts by helper processes and joined: (PDF bytes, pages), or None.

    None means "lay it out in one process": too few parts, a single core, or a helper that failed.
    ``workers`` is the number of helper processes; by default one per core, at most four.
    """
    if importlib.util.find_spec("pypdf") is None:  # pragma: no cover - depends on the installation
        return None
    whole = split_parts(html)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if whole is None or len(whole.bodies) < MIN_PARTS or workers <= 1:
        return None
    parts = grouped(whole, workers - 1)
    helpers = [_Helper() for _ in range(min(workers, len(parts.bodies)))]
    try:
        with tempfile.TemporaryDirectory(prefix="gapwatch-pdf-") as tmp:
            return _render(parts, Path(tmp), helpers)
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.SubprocessError):
        _LOG.warning("laying the paper out in parts failed; laying it out in one document", exc_info=True)
        return None
    finally:
        for helper in helpers:
            helper.close()


def _edges(i: int, n: int) -> str:
    """The body's margin only where the one document has it: above the first part, below the last."""
    return ("body { margin-top: 0; }" if i else "") + ("body { margin-bottom: 0; }" if i < n - 1 else "")


def _part_css(i: int, n: int, illustrative: list[bool], start: int | None) -> str:
    css = _PART_CSS + (_FIRST_PART_CSS if i == 0 else "") + _edges(i, n)
    if i and any(illustrative[:i]):  # the running header's "illustrative" note carries on, as in one document
        css += _CARRY_CSS
    return css + (_START_CSS % start if start is not None else "")


def _render(parts: Parts, tmp: Path, helpers: list[_Helper]) -> tuple[bytes, int]:
    n = len(parts.bodies)
    illustrative = [_ILLUSTRATIVE in body for body in parts.bodies]

    def job(i: int, start: int | None = None) -> _Job:
        path = tmp / f"part{i}.html"
        path.write_text(parts.document(i, _part_css(i, n, illustrative, start)), encoding="utf-8")
        return _Job(path, tmp / f"part{i}.pdf", part=True, slack=i > 0)

    # 1. Every part laid out, largest first, its page numbers counted from 1 (a part's page count does
    # not depend on them).
    t0 = time.perf_counter()
    order = sorted(range(n), key=lambda i: -len(parts.bodies[i]))
    results = dict(zip(order, _run_jobs([job(i) for i in order], helpers), strict=True))
    counts = [int(results[i]["pages"]) for i in range(n)]
    firsts = [1 + sum(counts[:i]) for i in range(n)]
    total = sum(counts)
    if total >= 1000 or not _cover_alone(parts, results[0]["anchors"]):
        raise RuntimeError("the paper does not split into parts")
    # 2. A part whose contents lines might wrap differently with longer page numbers is laid out again
    # with its real first page number.
    redo = [i for i in range(1, n) if results[i]["slack"] is not None and results[i]["slack"] < _SLACK_EM]
    t1 = time.perf_counter()
    if redo:
        again = _run_jobs([job(i, firsts[i]) for i in redo], helpers)
        if [int(r["pages"]) for r in again] != [counts[i] for i in redo]:
            raise RuntimeError("a part laid out again has a different page count")
    anchors: dict[str, int] = {}
    for i in range(n):
        for name, index in results[i]["anchors"].items():
            anchors.setdefault(name, firsts[i] - 1 + int(index))
    # 3. The overlays (page numbers, contents numbers), stamped onto the parts' pages.
    overlays = []
    for i in range(n):
        path = tmp / f"overlay{i}.html"
        path.write_text(_overlay(parts, i, firsts[i], counts[i], total, anchors), encoding="utf-8")
        overlays.append(_Job(path, tmp / f"overlay{i}.pdf", part=False))
    t2 = time.perf_counter()
    stamped = _run_jobs(overlays, helpers)
    t3 = time.perf_counter()
    if [int(r["pages"]) for r in stamped] != counts:
        raise RuntimeError("an overlay's page count differs from its part's")
    content = _join([tmp / f"part{i}.pdf" for i in range(n)], [o.pdf for o in overlays], firsts)
    _LOG.debug(
        "cpu: parts %s overlays %s",
        [round(r["cpu"], 2) for r in results.values()],
        [round(r["cpu"], 2) for r in stamped],
    )
    _LOG.debug(
        "paper in %d parts (%d laid out again): parts %.2f s, again %.2f s, overlays %.2f s, join %.2f s",
        n,
        len(redo),
        t1 - t0,
        t2 - t1,
        t3 - t2,
        time.perf_counter() - t3,
    )
    return content, total
