"""The rest of the plan shown: principles, the three sources of performance information, delivery plans with
their ambitions, the PSA 1 reward, LAA/statutory filters on the indicator list, and "This is Kent" — each page
equal to its JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.web.conftest import page_text


def test_plan_about_shows_principles_sources_delivery_plans_and_reward(client_as: Callable[[str], Any]) -> None:
    client = client_as("board_member")
    page = client.get("/plan/about")
    assert page.status_code == 200
    text = page_text(page.text)
    ctx = client.get("/api/v1/plan/context").json()["data"]
    assert len(ctx["principles"]) == 10 and len(ctx["information_sources"]) == 3
    for p in ctx["principles"]:
        assert " ".join(p["text"].split()) in text
    for s in ctx["information_sources"]:
        assert s["name"] in text and s["horizon"] in text
    assert len(ctx["delivery_plans"]) >= 30
    for d in ctx["delivery_plans"]:
        assert d["title"] in text and all(a["title"] in text for a in d["ambitions"])
    psa = next(r for r in ctx["rewards"] if r["plan"] == "psa1-kent-agreement")
    assert psa["reward_total"] == 21_600_000 and "£21,600,000" in text
    assert "/plan/about" in client.get("/plan").text


def test_indicator_list_filters_by_laa_and_statutory_flags(client_as: Callable[[str], Any]) -> None:
    from gapwatch.ingest.framework_yaml import read_framework
    from gapwatch.services.frameworks import bundled_framework_path

    framework = read_framework(bundled_framework_path()).framework
    client = client_as("board_member")
    for flag, tag in (("laa", "LAA"), ("statutory", "Statutory")):
        want = {i.id for i in framework.indicators if getattr(i, flag)}
        body = client.get(f"/indicators?flag={flag}").text
        shown = set(re.findall(r'href="/indicators/([^"?#]+)"', body))
        assert want and shown == want, flag
        assert f">{tag}</strong>" in body
        assert f'<option value="{flag}" selected>' in body
    everything = set(re.findall(r'href="/indicators/([^"?#]+)"', client.get("/indicators").text))
    flagged = {i.id for i in framework.indicators if i.laa or i.statutory}
    assert flagged < everything  # no filter: every indicator, flagged or not


def test_about_the_area_is_public_and_equals_its_api(client_as: Callable[[str], Any]) -> None:
    anonymous = client_as("anonymous")
    page = anonymous.get("/about-the-area")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "£15,587" in text and "£16,792" in text and "17 years" in text
    assert "Vision for Kent 2011-2021" in text and "5. This is Kent: Living in Kent" in text
    assert anonymous.get("/api/v1/plan/facts").status_code in (401, 303)  # the API needs a token or a session
    data = client_as("board_member").get("/api/v1/plan/facts").json()["data"]
    facts = [f for t in data for f in t["facts"]]
    assert len(facts) == 44
    for t in data:
        assert t["topic"] in text
    for f in facts:
        assert f["text"] in text
    gdhi = next(f for f in facts if f["id"] == "living-gdhi")
    assert (gdhi["value"], gdhi["comparator_value"]) == (15587, 16792)
    redirect = client_as("board_member").get("/plan/facts", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"] == "/about-the-area"


def test_navigation_names_my_work_and_accountability(client_as: Callable[[str], Any]) -> None:
    lead = client_as("lead_officer").get("/dashboard").text
    assert 'href="/my-work"' in lead and 'href="/accountability"' not in lead
    officer = client_as("performance_officer").get("/dashboard").text
    assert 'href="/accountability"' in officer
