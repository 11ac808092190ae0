"""The views for each user through HTTP on the Kent demo: the dashboard's small charts and recent changes, the
plan tree with rolled-up status, outcome pages, My actions and risks, owner accountability, the overview grid
and the API page — each compared with the JSON the API returns for the same thing (one answer everywhere)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from gapwatch.queries.plan_tree import rollup_of

ACTION = "AB2-A1"
OUTCOME = "CYPP-2B"


def _assign(client_as: Callable[[str], Any], post_form: Callable[..., Any], action: str, person: str) -> None:
    pat = client_as("performance_officer")
    html = pat.get(f"/actions/{action}").text
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version, "no version field on the action page"
    response = post_form(pat, f"/actions/{action}/lead", {"version": version.group(1), "lead_officer": person})
    assert response.status_code == 303, response.text[:500]


# --- the roll-up rule -------------------------------------------------------------------------------------------


def test_rollup_rule_worst_most_common_and_grey_never_green() -> None:
    r = rollup_of(["green", "green", "amber", "grey", "grey", "grey"])
    assert (r.worst, r.most_common, r.total, r.assessed) == ("amber", "green", 6, 3)
    assert r.counts == {"red": 0, "amber": 1, "green": 2, "grey": 3}
    tie = rollup_of(["green", "red"])
    assert (tie.worst, tie.most_common) == ("red", "red")  # a tie reads the cautious way
    nothing = rollup_of(["grey", "grey"])
    assert (nothing.worst, nothing.most_common) == ("grey", "grey")  # not assessed is not green
    assert rollup_of([]).total == 0


# --- dashboard ---------------------------------------------------------------------------------------------------


def test_dashboard_draws_small_charts_with_their_tables(client_as: Callable[[str], Any]) -> None:
    html = client_as("board_member").get("/dashboard").text
    assert "Indicators that matter" in html
    specs = re.findall(r'<script type="application/json" id="(chart-(?:trend|gap)-[^"]+)-spec">(.*?)</script>', html)
    assert specs, "no chart on the dashboard"
    for _, spec in specs:
        parsed = json.loads(spec)
        assert parsed["height"] == 150 and "layer" in parsed
    assert html.count("The figures in a table") >= len({s.split("-", 2)[2] for s, _ in specs})
    # each card's table holds every period either chart draws (the charts' text alternative)
    for article in re.findall(r'<article class="gw-highlight".*?</article>', html, re.S):
        drawn: set[str] = set()
        for spec in re.findall(r'<script type="application/json" id="[^"]+-spec">(.*?)</script>', article):
            for layer in json.loads(spec)["layer"]:
                drawn |= {v["period"] for v in layer.get("data", {}).get("values", []) if "period" in v}
        table = article[article.index("<tbody") :]
        assert all(f">{period}</td>" in table for period in drawn), (drawn, table[:300])
    # every board row says how many indicators it has and how many have data
    assert re.search(r"Thanet</span>.*?<td[^>]*>\d+ \(\d+\)</td>", html, re.S)


def test_recent_updates_name_the_action_and_what_changed(
    client_as: Callable[[str], Any], post_form: Callable[..., Any], lead_person: str
) -> None:
    _assign(client_as, post_form, ACTION, lead_person)
    html = client_as("board_member").get("/dashboard").text
    recent = html[html.index("Recent action updates") :]
    assert f"<strong>{ACTION}</strong>" in recent
    assert "lead officer assigned: " in recent
    assert "No update · Action" not in recent and "updated by performance" not in recent


# --- actions -----------------------------------------------------------------------------------------------------


def test_unassigned_action_defaults_to_choose_and_shows_its_url_reference(client_as: Callable[[str], Any]) -> None:
    html = client_as("performance_officer").get(f"/actions/{ACTION}").text
    select = html[html.index('id="lead_officer"') : html.index("</select>", html.index('id="lead_officer"'))]
    assert '<option value="" selected>— choose —</option>' in select
    assert select.count(" selected") == 1
    assert f"Action {ACTION}" in html


def test_lead_filter_lists_every_user_who_can_lead(client_as: Callable[[str], Any], lead_person: str) -> None:
    html = client_as("board_member").get("/actions").text
    officers = html[html.index('name="officer"') : html.index("</select>", html.index('name="officer"'))]
    assert f'value="{lead_person}"' in officers  # the test lead's person, whom the plan does not name


def test_my_work_and_accountability(
    client_as: Callable[[str], Any], post_form: Callable[..., Any], lead_person: str
) -> None:
    _assign(client_as, post_form, ACTION, lead_person)
    leo = client_as("lead_officer")
    mine = leo.get("/my-work")
    assert mine.status_code == 200
    main = mine.text[mine.text.index("<h1") : mine.text.index("Overdue (")]
    assert "1 action and" in main and f'href="/actions/{ACTION}"' in mine.text, main
    assert "98 actions nobody leads" in mine.text
    assert leo.get("/accountability").status_code == 403
    acc = client_as("performance_officer").get("/accountability")
    assert acc.status_code == 200
    owners = acc.text[acc.text.index('id="owners"') : acc.text.index("</table>", acc.text.index('id="owners"'))]
    assert "Test lead_officer" in owners or lead_person in owners
    assert "98 open actions have no lead officer" in acc.text


# --- plan tree and outcome pages -----------------------------------------------------------------------------------


def test_plan_tree_is_collapsible_with_rolled_up_status(client_as: Callable[[str], Any]) -> None:
    html = client_as("board_member").get("/plan").text
    assert html.count('<details class="gw-tree-details"') > 20
    assert "How status is rolled up" in html and "Worst:" in html
    assert f'href="/plan/outcomes/{OUTCOME}"' in html
    searched = client_as("board_member").get("/plan?q=teenage+pregnancy").text
    assert '<details class="gw-tree-details" open>' in searched


def test_outcome_page_matches_the_api_and_the_dashboard(client_as: Callable[[str], Any]) -> None:
    bea = client_as("board_member")
    page = bea.get(f"/plan/outcomes/{OUTCOME}")
    assert page.status_code == 200
    doc = bea.get(f"/api/v1/plan/outcomes/{OUTCOME}").json()["data"]
    dash = {i["id"]: i["status"] for i in bea.get("/api/v1/dashboard").json()["data"]["indicators"]}
    assert doc["indicators"], "the outcome has indicators"
    for ind in doc["indicators"]:
        assert ind["status"] == dash[ind["id"]]  # one status, wherever it is shown
        assert f'href="/indicators/{ind["id"]}"' in page.text
    for action in doc["actions"]:
        assert f'href="/actions/{action["id"]}"' in page.text
    assert doc["kpqs"] and all(k["id"] in page.text for k in doc["kpqs"])
    assert f"{doc['rollup']['total']} indicators and actions" in page.text
    assert bea.get("/plan/outcomes/no-such-outcome").status_code == 404


# --- overview grid ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("comparator", ["parent", "england"])
def test_overview_grid_matches_the_api(client_as: Callable[[str], Any], comparator: str) -> None:
    bea = client_as("board_member")
    page = bea.get(f"/overview?comparator={comparator}")
    assert page.status_code == 200
    doc = bea.get(f"/api/v1/overview?comparator={comparator}").json()["data"]
    assert len(doc["areas"]) == 12 and doc["rows"]
    grid = page.text[
        page.text.index('id="overview-grid"') : page.text.index("</table>", page.text.index('id="overview-grid"'))
    ]
    for comparison, n in doc["counts"].items():
        assert grid.count(f"gw-rug--{comparison.replace(' ', '-')}") == n + sum(
            1 for r in doc["rows"] for c in r["cells"] if c["value"] is None and c["comparison"] == comparison
        )
    if comparator == "parent":
        assert {"better", "worse"} <= set(doc["counts"])  # the real district data differ from Kent


def test_overview_refuses_an_unknown_comparator(client_as: Callable[[str], Any]) -> None:
    response = client_as("board_member").get("/overview?comparator=bogus")
    assert response.status_code == 422 and "choose one of: england, region, parent" in response.text


# --- API page --------------------------------------------------------------------------------------------------------


def test_api_page_is_readable_and_the_footer_points_to_it(client_as: Callable[[str], Any]) -> None:
    anon = client_as("anonymous")
    page = anon.get("/api-docs")
    assert page.status_code == 200
    for path in ("/api/v1/dashboard", "/api/v1/overview", "/api/v1/actions/{action_id}"):
        assert f"<code>{path}</code>" in page.text
    assert "Authorization" in page.text
    assert 'href="/api-docs">JSON API</a>' in anon.get("/accessibility").text
