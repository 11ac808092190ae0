"""Build gapwatch/geography/england_areas.csv: England's regions, counties, unitaries, metropolitan and London
boroughs and districts with current GSS codes, names, parents and their history since 2009.

Usage: python scripts/build_geography.py [DATA_DIR]   (default: ../shared/data beside the checkout)

Sources (all ONS / MHCLG / OHID, Open Government Licence v3.0):
- lookups/lookup_ltla16_to_ltla24_names_codes.csv — each district's code and name every year 2016-2024:
  renames (Shepway -> Folkestone and Hythe, 2018), recodes (Northumberland E06000048 -> E06000057, 2020),
  mergers (Christchurch, Bournemouth, Poole -> BCP 2019; Buckinghamshire 2020; Northamptonshire 2021;
  Cumbria, North Yorkshire, Somerset 2023).
- lookups/lookup_ltla21_utla21.csv — district -> county (2021), for the two-tier parents.
- fingertips/indicators-DistrictUApre419.data.csv and indicators-CountyUA.data.csv — Fingertips' Parent Code,
  which gives each district (2016-2018) and each county/UA its region; ONS lookups give no regions.
- lookups/lookup_ltla24_csp24_pfa24.csv — police force areas, used only to give a region to the two areas
  Fingertips leaves out (City of London, Isles of Scilly): the region of the other districts of their PFA.
- imd/imd2007_lsoa01_england.csv, imd/imd2010_lsoa01_england.csv — the pre-2011 district codes (29UN Thanet,
  00AA City of London) of 2007 and 2009; each is assigned to the 2016 district holding its LSOAs (via
  lookups/lookup_lsoa01_lsoa11.csv and the LSOA 2011 -> district 2013 codes of imd/imd2015_lsoa11_england.csv),
  and only when at least 95% of its LSOAs fall in one district (the rest are boundary noise of the bridge).

Rules: a code that stopped being used is a *former code* of its successor when that successor has no other
predecessor (a recode or a county that became a unitary of the same boundary: Buckinghamshire E10000002 ->
E06000060); when several areas merged, each predecessor stays an *abolished area* of its own (end_year, and
successor_code when exactly one area took it over) so that old data about it keeps its own code instead of
being collapsed into the merged area. Abolished areas have their region as parent.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "gapwatch" / "geography" / "england_areas.csv"
REGIONS = {
    "E92000001": "England",
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
YEARS = list(range(16, 25))
COLUMNS = ["code", "name", "level", "parent_code", "former_names", "former_codes", "end_year", "successor_code"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _level(code: str) -> str:
    return "county" if code.startswith(("E10", "E11")) else "district"


def build(data: Path) -> tuple[list[dict[str, str]], list[str]]:
    """The area rows and a log of decisions (ambiguous old codes, regions filled from PFAs)."""
    log: list[str] = []
    history = [r for r in _rows(data / "lookups/lookup_ltla16_to_ltla24_names_codes.csv") if r["ltla24_code"][0] == "E"]
    # every code ever used, its latest name, former names, last year, and the 2024 code it became
    names: dict[str, list[str]] = defaultdict(list)
    last_year: dict[str, int] = {}
    successor: dict[str, set[str]] = defaultdict(set)
    for row in history:
        for yy in YEARS:
            code, name = row[f"ltla{yy}_code"], row[f"ltla{yy}_name"]
            if name not in names[code]:
                names[code].append(name)
            last_year[code] = max(last_year.get(code, 0), yy)
            successor[code].add(row["ltla24_code"])
    current = {r["ltla24_code"] for r in history}
    predecessors: dict[str, set[str]] = defaultdict(set)
    for code, succ in successor.items():
        if code not in current:
            for s in succ:
                predecessors[s].add(code)

    # regions: Fingertips parent codes for 2016-18 districts and counties/UAs
    region: dict[str, str] = {}
    for f in ("indicators-DistrictUApre419.data.csv", "indicators-CountyUA.data.csv"):
        for r in _rows(data / "fingertips" / f):
            if r["Parent Code"].startswith("E12"):
                region[r["Area Code"]] = r["Parent Code"]
    county_names: dict[str, str] = {
        r["Area Code"]: r["Area Name"]
        for r in _rows(data / "fingertips/indicators-CountyUA.data.csv")
        if r["Area Code"].startswith("E10")
    }
    utla = {
        r["ltla21_code"]: (r["utla21_code"], r["utla21_name"]) for r in _rows(data / "lookups/lookup_ltla21_utla21.csv")
    }
    for ucode, uname in utla.values():
        if ucode.startswith("E10"):
            county_names.setdefault(ucode, uname)
    # a code's region: its own, else that of any predecessor or successor in the history
    for row in history:
        found = {region[row[f"ltla{yy}_code"]] for yy in YEARS if row[f"ltla{yy}_code"] in region}
        if len(found) == 1:
            for yy in YEARS:
                region.setdefault(row[f"ltla{yy}_code"], next(iter(found)))
    pfa = {r["ltla24_code"]: r["pfa24_code"] for r in _rows(data / "lookups/lookup_ltla24_csp24_pfa24.csv")}
    for code in sorted(current - set(region)):
        peers = {region[c] for c, p in pfa.items() if p == pfa.get(code) and c in region}
        if len(peers) == 1:
            region[code] = next(iter(peers))
            log.append(f"{code} {names[code][-1]}: region {region[code]} from its police force area {pfa[code]}")
    # counties of 2016-2024: from the district -> county lookup of 2021 and Fingertips' county list
    county_districts: dict[str, set[str]] = defaultdict(set)
    for row in history:
        for yy in YEARS:
            code = row[f"ltla{yy}_code"]
            if code in utla and utla[code][0].startswith("E10"):
                county_districts[utla[code][0]].update(row[f"ltla{y}_code"] for y in YEARS)
    current_counties = {utla[c][0] for c in current if c in utla and utla[c][0].startswith("E10")}

    out: dict[str, dict[str, object]] = {}
    for code, name in REGIONS.items():
        out[code] = {
            "code": code,
            "name": name,
            "level": "country" if code.startswith("E92") else "region",
            "parent_code": "" if code.startswith("E92") else "E92000001",
            "former_names": [],
            "former_codes": [],
        }
    for code in sorted(current):
        parent = region.get(code, "")
        if code.startswith("E07") and code in utla and utla[code][0] in current_counties:
            parent = utla[code][0]
        out[code] = {
            "code": code,
            "name": names[code][-1],
            "level": "district",
            "parent_code": parent,
            "former_names": names[code][:-1],
            "former_codes": [],
        }
    for county in sorted(current_counties):
        out[county] = {
            "code": county,
            "name": county_names[county],
            "level": "county",
            "parent_code": region[county],
            "former_names": [],
            "former_codes": [],
        }
    # former district codes: recodes become former codes; merged predecessors stay as abolished areas
    for code in sorted(set(successor) - current):
        succ = successor[code]
        target = next(iter(succ)) if len(succ) == 1 else ""
        if target and predecessors[target] == {code} and not _existed_before(history, target, code):
            out[target]["former_codes"].append(code)  # type: ignore[union-attr]
            for nm in names[code]:
                if nm not in out[target]["former_names"] and nm != out[target]["name"]:  # type: ignore[operator]
                    out[target]["former_names"].append(nm)  # type: ignore[union-attr]
            continue
        out[code] = {
            "code": code,
            "name": names[code][-1],
            "level": "district",
            "parent_code": region.get(code, ""),
            "former_names": names[code][:-1],
            "former_codes": [],
            "end_year": str(2000 + last_year[code] + 1),
            "successor_code": target,
        }
    # abolished counties: same boundary as one unitary -> former code; otherwise an abolished area
    for county in sorted(set(county_names) - current_counties):
        members = county_districts.get(county, set())
        succ = {s for m in members for s in successor.get(m, set())}
        target = next(iter(succ)) if len(succ) == 1 else ""
        if not members:  # abolished before 2021: the unitary of the same name took it over (Buckinghamshire)
            same = [c for c in current if out[c]["name"] == county_names[county]]
            target = same[0] if len(same) == 1 else ""
            members = predecessors.get(target, set())
        elif target and predecessors[target] <= members | {p for m in members for p in predecessors.get(m, set())}:
            out[target]["former_codes"].append(county)  # type: ignore[union-attr]
            continue
        ended = [last_year[m] for m in members if m in last_year and m not in current]
        out[county] = {
            "code": county,
            "name": county_names[county],
            "level": "county",
            "parent_code": region.get(county, ""),
            "former_names": [],
            "former_codes": [],
            # not in the 2021 county lookup, so gone by April 2021 at the latest (Northamptonshire)
            "end_year": str(2000 + max(ended) + 1) if ended else "2021",
            "successor_code": target,
        }
    _old_style_codes(data, out, successor, log)
    rows = []
    for area in out.values():
        rows.append(
            {
                "code": area["code"],
                "name": area["name"],
                "level": area["level"],
                "parent_code": area["parent_code"],
                "former_names": ";".join(area["former_names"]),  # type: ignore[arg-type]
                "former_codes": ";".join(area["former_codes"]),  # type: ignore[arg-type]
                "end_year": area.get("end_year", ""),
                "successor_code": area.get("successor_code", ""),
            }
        )
    order = {"country": 0, "region": 1, "county": 2, "district": 3}
    rows.sort(key=lambda r: (order[str(r["level"])], r["end_year"] != "", r["code"]))
    return rows, log  # type: ignore[return-value]


def _existed_before(history: list[dict[str, str]], target: str, old: str) -> bool:
    """Whether ``target`` was already in use while ``old`` still was (then ``old`` merged into it)."""
    for row in history:
        years_target = [yy for yy in YEARS if row[f"ltla{yy}_code"] == target]
        if years_target and row["ltla16_code"] != old and min(years_target) == YEARS[0]:
            return True
    return False


def _old_style_codes(
    data: Path, out: dict[str, dict[str, object]], successor: dict[str, set[str]], log: list[str]
) -> None:
    """Pre-2011 codes of the IMD 2007 and 2010 files, via their LSOAs, onto 2016 districts."""
    lsoa11_district = {r["lsoa11_code"]: r["lad13_code"] for r in _rows(data / "imd/imd2015_lsoa11_england.csv")}
    bridge: dict[str, list[str]] = defaultdict(list)
    for r in _rows(data / "lookups/lookup_lsoa01_lsoa11.csv"):
        bridge[r["lsoa01_code"]].append(r["lsoa11_code"])
    for f, col in (("imd2007_lsoa01_england.csv", "lad07"), ("imd2010_lsoa01_england.csv", "lad09")):
        hits: dict[str, Counter[str]] = defaultdict(Counter)
        old_names: dict[str, str] = {}
        for r in _rows(data / "imd" / f):
            old = r[f"{col}_code"]
            old_names[old] = r[f"{col}_name"]
            for l11 in bridge.get(r["lsoa01_code"], []):
                if l11 in lsoa11_district:
                    hits[old][lsoa11_district[l11]] += 1
        for old, counts in sorted(hits.items()):
            (best, n), total = counts.most_common(1)[0], sum(counts.values())
            if n / total < 0.95:
                log.append(f"{f}: {old} {old_names[old]} spreads over {dict(counts)}: left out")
                continue
            target = best if best in out else next(iter(successor.get(best, {best})))
            if target not in out:
                log.append(f"{f}: {old} -> {best}: no such area")
                continue
            area = out[target]
            if old not in area["former_codes"]:  # type: ignore[operator]
                area["former_codes"].append(old)  # type: ignore[union-attr]
            name = old_names[old].removesuffix(" District")
            if name != area["name"] and name not in area["former_names"]:  # type: ignore[operator]
                area["former_names"].append(name)  # type: ignore[union-attr]


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    rows, log = build(data)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for line in log:
        print(line)
    levels = Counter((str(r["level"]), "abolished" if r["end_year"] else "current") for r in rows)
    print(
        f"wrote {OUT.relative_to(REPO)}: {len(rows)} areas "
        + ", ".join(f"{k[0]} {k[1]} {v}" for k, v in sorted(levels.items()))
    )


if __name__ == "__main__":
    main()
