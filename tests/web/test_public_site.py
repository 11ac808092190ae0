"""The public site a resident reads: summary first, plain words instead of verdict jargon, only published figures
(withheld ones by their GSS symbol), the page equal to its JSON, and the open data's CSVW data dictionary."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from gapwatch.queries.public import NOT_ENOUGH_YEARS, gap_sentence, trend_sentence
from gapwatch.services import approvals, publishing
from gapwatch.services.publishing import CSV_COLUMNS, SYMBOLS
from tests.web.test_pages_public import REPORT, published  # noqa: F401  (the fixture)


def _publish(engine: Engine) -> None:
    approvals.approve_report(engine, None, "forum", by="chris")
    publishing.publish(engine, None, "forum", by="po-user")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_verdicts_read_as_plain_words() -> None:
    assert trend_sentence("could not be calculated") == NOT_ENOUGH_YEARS
    assert trend_sentence("not enough data") == NOT_ENOUGH_YEARS
    assert trend_sentence("getting better (illustrative demo data)").startswith("Getting better")
    assert "narrowing" in gap_sentence("FSM vs non-FSM", "narrowing")
    assert gap_sentence("A vs B", "not enough data to test the gap's trend").startswith("Not enough data")


def test_public_page_is_summary_first_and_equals_its_json(published: tuple[Engine, TestClient]) -> None:  # noqa: F811
    engine, client = published
    _publish(engine)
    html = client.get(REPORT).text
    text = _text(html)
    assert text.index("At a glance") < text.index("What improved") < text.index("The questions and their answers")
    assert "could not be calculated" not in text and "not enough data to test" not in text
    summary = client.get(f"{REPORT}/summary.json").json()
    # what improved and what did not: the constructed narrowing and widening FSM gaps, as in the JSON
    improved = [s["subject"] for s in summary["improved"]]
    worse = [s["subject"] for s in summary["not_improved"]]
    assert any("GN" in s for s in improved) and any("GW" in s for s in worse)
    block = text[text.index("What improved") : text.index("Download the data")]
    for subject in improved + worse:
        assert subject in block
    counts = summary["counts"]
    assert f"{len(summary['indicators'])}: {counts['better']} getting better, {counts['worse']} getting worse" in text
    # each KPQ's plain answer is on the page
    for k in summary["kpqs"]:
        assert k["question"] in text and k["sentence"] in text
    # the withheld district (2 of 50) shows [c] in the table and the JSON, never its value
    sm = next(i for i in summary["indicators"] if i["id"] == "SM")
    rows = list(csv.DictReader(io.StringIO(client.get(f"{REPORT}/data.csv").text)))
    name = next(r["area_name"] for r in rows if r["area_code"] == "D1")
    d1 = [r for r in sm["rows"] if r["area"] == name]
    assert d1 and all(r["value"] == "[c]" and r["interval"] == "[c]" for r in d1)
    assert all(p["value"] is None for p in sm["headline"] if p["area"] == "D1")
    # details per indicator behind <details>, the data dictionary linked from the page
    assert html.count('<details class="govuk-details gw-public-indicator"') == len(summary["indicators"])
    assert f"{REPORT}/data.csv-metadata.json" in html.replace("%20", "%20")


def test_csvw_metadata_describes_every_column(published: tuple[Engine, TestClient]) -> None:  # noqa: F811
    engine, client = published
    assert client.get(f"{REPORT}/data.csv-metadata.json").status_code == 404  # not published yet
    _publish(engine)
    response = client.get(f"{REPORT}/data.csv-metadata.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/csvm+json")
    meta = json.loads(response.text)
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw" and meta["url"] == "data.csv"
    assert meta["dc:title"] and meta["dc:license"]["@id"].startswith("http://www.nationalarchives.gov.uk/")
    columns = meta["tableSchema"]["columns"]
    header = next(csv.reader(io.StringIO(client.get(f"{REPORT}/data.csv").text)))
    assert [c["name"] for c in columns] == header == list(CSV_COLUMNS)  # every CSV column described, in order
    allowed = {"string", "number", "integer", "boolean", "date"}
    for c in columns:
        assert c["titles"] and c["dc:description"] and c["datatype"] in allowed, c
    assert set(meta["tableSchema"]["primaryKey"]) <= set(header)
    # every symbol found in a numeric column is declared as that column's null, so a CSVW reader sees a blank
    rows = list(csv.DictReader(io.StringIO(client.get(f"{REPORT}/data.csv").text)))
    numeric = {c["name"]: set(c["null"]) for c in columns if c["datatype"] == "number"}
    assert numeric and all(set(SYMBOLS) <= nulls for nulls in numeric.values())
    for r in rows:
        for name, nulls in numeric.items():
            assert r[name] in nulls or float(r[name].replace(",", "")) == float(r[name].replace(",", "")), (name, r)
    assert any(r["value"] == "[c]" for r in rows)
    # per indicator: unit, measure, method and disclosure control
    notes = {n["type"]: n for n in meta["notes"]}
    assert notes["symbols"]["symbols"] == SYMBOLS
    described = {i["dc:identifier"]: i for i in notes["indicators"]["indicators"]}
    assert {r["indicator"] for r in rows} <= set(described)
    sm = described["SM"]
    assert sm["unit"] == next(r["unit"] for r in rows if r["indicator"] == "SM")
    assert "Wilson" in sm["method"] and sm["disclosure_control"]["method"] == "threshold"
