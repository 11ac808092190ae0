"""How `gapwatch demo --public-data DIR` reads each real public file it may find there.

Each recipe is an ordinary :class:`~gapwatch.ingest.tidy.TableMapping` (what a user would write in a
mapping file): which rows to keep, which columns are the area, period and breakdown, and which columns
are the measures. Files are looked for by name anywhere under DIR (e.g. ``DIR/dfe/neet/…``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapwatch.ingest.tidy import TableMapping

__all__ = ["AREA_FILES", "FINGERTIPS_FILES", "FRAMEWORK_IDS", "IMD_FILES", "RECIPES", "Recipe", "publisher"]

#: ONS lookups, in the order they are loaded (districts before their counties and renames).
AREA_FILES = (
    "LSOA11_WD20_LAD20_EW_LU.csv",
    "lookup_ltla21_utla21.csv",
    "lookup_ltla16_to_ltla24_names_codes.csv",
    "lookup_lsoa01_lsoa11.csv",
)
#: Indices of Deprivation by LSOA (older editions first, so each file's districts resolve).
IMD_FILES = (
    "imd2007_lsoa01_england.csv",
    "imd2010_lsoa01_england.csv",
    "imd2010_lsoa01_domains.csv",
    "imd2015_lsoa11_england.csv",
    "File_1_ID_2015_Index_of_Multiple_Deprivation.xlsx",
    "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
    "File_2_-_IoD2019_Domains_of_Deprivation.csv",
    "imd2019_lsoa11_score_decile.csv",
    "File_6_-_IoD2019_Population_Denominators.csv",
)
_RENAMED = {
    "IndicatorID": "Indicator ID",
    "IndicatorName": "Indicator Name",
    "ParentCode": "Parent Code",
    "ParentName": "Parent Name",
    "AreaCode": "Area Code",
    "AreaName": "Area Name",
    "AreaType": "Area Type",
    "Category_Type": "Category Type",
    "Timeperiod": "Time period",
    "Lower_CI_95.0_limit": "Lower CI 95.0 limit",
    "Upper_CI_95.0_limit": "Upper CI 95.0 limit",
    "Lower_CI_99.8_limit": "Lower CI 99.8 limit",
    "Upper_CI_99.8_limit": "Upper CI 99.8 limit",
    "Value_note": "Value note",
}
#: Fingertips exports, with the mapping the two South East files need for their edited headers.
FINGERTIPS_FILES: tuple[tuple[str, dict[str, str]], ...] = (
    ("indicators-CountyUA.data.csv", {}),
    ("indicators-DistrictUApre419.data.csv", {}),
    ("cypmh_southeast_CountyUA_renamed_headers.csv", _RENAMED),
    ("suicide_southeast_CountyUA_renamed_headers.csv", _RENAMED),
)


#: National or local deprivation deciles as the framework's category ids (1 = most deprived).
_DECILES = {str(d): f"d{d}" for d in range(1, 11)}
#: NCMP's period codes (607 = 2006/07 … 1718 = 2017/18) as academic years.
_NCMP_PERIODS = {
    f"{y % 100}{(y + 1) % 100:02d}" if y >= 2010 else f"{y % 10}{(y + 1) % 100:02d}": f"{y}/{(y + 1) % 100:02d} AY"
    for y in range(2006, 2018)
}

#: Real series whose definition matches one of the framework's own indicators: {series id: (framework id,
#: note)}. Series whose definition differs keep their own id and are linked to the same outcome in
#: ``frameworks/kent/public-indicators.yaml``, whose notes say how they differ.
FRAMEWORK_IDS: dict[str, tuple[str, str]] = {
    "DfE-CLA-rate": (
        "PSA1-looked-after-children",
        "DfE: children looked after at 31 March per 10,000 children under 18 (SSDA903), the PSA 1 definition.",
    ),
    "DfE-CLA-count": (
        "PSA1-children-in-care",
        "DfE: children looked after by the local authority at 31 March (SSDA903), the PSA 1 definition.",
    ),
    "PHE-NCMP-obese-reception": (
        "NI55",
        "NCMP: Reception children measured as obese (BMI at or above the 95th centile of UK90), the NI 55 definition.",
    ),
}

_PUBLISHERS = (
    ("NCMP", "PHE / NHS Digital (National Child Measurement Programme)"),
    ("LE_by", "PHE (life expectancy by deprivation decile, PHEindicatormethods data)"),
    ("IN12-", "Social Mobility Commission (DfE data)"),
    ("2026-01-01-", "Social Mobility Commission, State of the Nation (DfE data)"),
    ("eyfsp", "DfE, Early years foundation stage profile results"),
    ("UD_NEETNK", "DfE, NEET and participation: local authority figures"),
    ("LA_Dashboard", "DfE, Level 2 and 3 attainment age 16 to 25 (attainment by age 19)"),
    ("ks2_la", "DfE, Outcomes for children in need, including children looked after"),
    ("ks4_la", "DfE, Outcomes for children in need, including children looked after"),
    ("cla_number", "DfE, Children looked after in England including adoptions"),
)


def publisher(file: str) -> str:
    """Who published the file a recipe reads (for the source of every row of the demo extract)."""
    return next((who for start, who in _PUBLISHERS if file.startswith(start)), "unknown publisher")


@dataclass(frozen=True)
class Recipe:
    """One pass over one file: a batch name and the mapping that reads it."""

    file: str
    name: str
    mapping: TableMapping


def _m(**data: Any) -> TableMapping:
    return TableMapping.model_validate(data)


_AGE19_COHORTS = {str(y): f"{y - 1}/{str(y)[2:]} AY" for y in range(2005, 2023)}
_AGE19_MEASURES = [
    {
        "indicator": "NI80",
        "numerator": "l3_by19",
        "denominator": "number_in_ss_cohort",
        "value": "l3_by19_rate",
        "name": "Achievement of a Level 3 qualification by age 19",
        "measure": "proportion",
        "unit": "%",
        "polarity": "higher_is_better",
    },
    {
        "indicator": "NI79",
        "numerator": "l2_by19",
        "denominator": "number_in_ss_cohort",
        "value": "l2_by19_rate",
        "name": "Achievement of a Level 2 qualification by age 19",
        "measure": "proportion",
        "unit": "%",
        "polarity": "higher_is_better",
    },
    {
        "indicator": "DfE-L2EM-by-19",
        "numerator": "l2_with_em_by19",
        "denominator": "number_in_ss_cohort",
        "value": "l2_with_em_by19_rate",
        "name": "Level 2 with English and maths by age 19 (%)",
        "measure": "proportion",
        "unit": "%",
        "polarity": "higher_is_better",
    },
]
_AGE19_BASE: dict[str, Any] = {
    "columns": {"la_code_9": "area_code", "la_name": "area_name", "cohort_19_in": "period"},
    "constants": {"area_type": "county"},
    "exclude": {"la_code_9": ["ALL"], "cohort_19_in": ["2023", "2024", "2025"]},
    "measures": _AGE19_MEASURES,
}
_AGE19 = "LA_Dashboard_2022_without_Scilly.csv"

_EES_LA = {"new_la_code": "area_code", "la_name": "area_name", "time_period": "period"}
_NEET_MEASURES: list[dict[str, Any]] = [
    {
        "indicator": "DfE-NEET-NK-16-17",
        "value": "NEET_not_known_percent",
        "name": "16-17 year olds not in education, employment or training or activity not known (%)",
        "measure": "proportion",
        "unit": "%",
        "polarity": "lower_is_better",
    },
    *[
        {"indicator": "DfE-NEET-NK-16-17", "value": col, "set": {"category_type": "SEND status", "category": cat}}
        for col, cat in (
            ("NEET_NK_noSEN_percent", "No SEN"),
            ("NEET_NK_EHCP_percent", "EHC plan"),
            ("NEET_NK_SENDsupport_percent", "SEN support"),
        )
    ],
    {
        "indicator": "DfE-NEET-NK-16-17",
        "value": "VG_NEET_NK_percentage",
        "set": {"category_type": "Vulnerable group", "category": "Vulnerable group"},
    },
]
_SOCIAL_GROUP = {"social_care_group": "category"}
_KS2: list[dict[str, Any]] = [
    {
        "indicator": "DfE-KS2-RWM-social-care",
        "numerator": "t_rwm_met_expected_standard",
        "denominator": "t_rwm_eligible_pupils",
        "value": "pt_rwm_met_expected_standard",
        "name": "Key Stage 2: reading, writing and maths at the expected standard, children in need / looked after (%)",
        "measure": "proportion",
        "unit": "%",
        "polarity": "higher_is_better",
    }
]
_KS4: list[dict[str, Any]] = [
    {
        "indicator": "DfE-KS4-L2basics-social-care",
        "numerator": "t_l2basics_94",
        "denominator": "t_pupils",
        "value": "pt_l2basics_94",
        "measure": "proportion",
        "unit": "%",
        "polarity": "higher_is_better",
        "name": "Key Stage 4: grade 4 or above in English and maths, children in need / looked after (%)",
    },
    {
        "indicator": "DfE-KS4-Att8-social-care",
        "value": "avg_att8",
        "measure": "mean",
        "unit": "points",
        "multiplier": 1,
        "polarity": "higher_is_better",
        "name": "Key Stage 4: average Attainment 8 score, children in need / looked after",
    },
]


def _ees(
    file: str,
    name: str,
    measures: list[dict[str, Any]],
    *,
    extra_columns: dict[str, str] | None = None,
    constants: dict[str, str] | None = None,
    where: dict[str, list[str]] | None = None,
    exclude: dict[str, list[str]] | None = None,
    recode: dict[str, dict[str, str]] | None = None,
) -> list[Recipe]:
    """An Explore Education Statistics file: its local authority rows and its national row."""
    out = []
    for level, columns in (
        ("Local authority", _EES_LA),
        ("National", {"country_code": "area_code", "time_period": "period"}),
    ):
        out.append(
            Recipe(
                file,
                f"{name} ({level.lower()})",
                _m(
                    columns={**columns, **(extra_columns or {})},
                    constants=dict(constants or {}),
                    where={"geographic_level": [level], **(where or {})},
                    exclude=dict(exclude or {}),
                    recode=dict(recode or {}),
                    measures=measures,
                ),
            )
        )
    return out


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        _AGE19,
        "DfE attainment by 19: all pupils",
        _m(**_AGE19_BASE, where={"fsm": ["ALL"], "sen": ["ALL"], "gender": ["ALL"]}, recode={"period": _AGE19_COHORTS}),
    ),
    Recipe(
        _AGE19,
        "DfE attainment by 19: by free school meal eligibility",
        _m(
            **{
                **_AGE19_BASE,
                "columns": {**_AGE19_BASE["columns"], "fsm": "category"},
                "constants": {"area_type": "county", "category_type": "fsm"},
            },
            where={"fsm": ["Eligible for FSM", "Not eligible for FSM"], "sen": ["ALL"], "gender": ["ALL"]},
            recode={
                "period": _AGE19_COHORTS,
                "category": {"Eligible for FSM": "fsm", "Not eligible for FSM": "non-fsm"},
            },
        ),
    ),
    Recipe(
        "eyfsp_headline_measures_kent_medway_lad_fsm_2022_2025.csv",
        "DfE EYFSP good level of development: all",
        _m(
            columns={"lad_code": "area_code", "lad_name": "area_name", "time_period": "period"},
            where={"breakdown_topic": ["Total"]},
            measures=[
                {
                    "indicator": "DfE-EYFSP-GLD",
                    "numerator": "gld_children_count",
                    "denominator": "children_count",
                    "value": "gld_children_percent",
                    "name": "Early years: good level of development (%)",
                    "measure": "proportion",
                    "unit": "%",
                    "polarity": "higher_is_better",
                }
            ],
        ),
    ),
    Recipe(
        "eyfsp_headline_measures_kent_medway_lad_fsm_2022_2025.csv",
        "DfE EYFSP good level of development: by FSM",
        _m(
            columns={
                "lad_code": "area_code",
                "lad_name": "area_name",
                "time_period": "period",
                "breakdown": "category",
            },
            where={"breakdown": ["Eligible for free school meals", "Not eligible for free school meals"]},
            constants={"category_type": "fsm"},
            recode={
                "category": {"Eligible for free school meals": "fsm", "Not eligible for free school meals": "non-fsm"}
            },
            measures=[
                {
                    "indicator": "DfE-EYFSP-GLD",
                    "numerator": "gld_children_count",
                    "denominator": "children_count",
                    "value": "gld_children_percent",
                }
            ],
        ),
    ),
    *[
        r
        for f in (
            "UD_NEETNK_LA_dashboard_2021_vg_removed.csv",
            "UD_NEETNK_LA_dashboard_2022_final.csv",
            "UD_NEETNK_LA_dashboard_2023_final.csv",
            "UD_NEETNK_LA_dashboard_final.csv",
        )
        # The 2021 file carries a placeholder row ("LA demo", no code) that a real import rightly refuses.
        for r in _ees(f, f"DfE NEET and not known, {f}", _NEET_MEASURES, exclude={"la_name": ["LA demo"]})
    ],
    *_ees(
        "ks2_la.csv",
        "DfE KS2 attainment of children in need and looked after",
        _KS2,
        extra_columns=_SOCIAL_GROUP,
        constants={"category_type": "Social care group"},
    ),
    *_ees(
        "ks4_la.csv",
        "DfE KS4 attainment of children in need and looked after",
        _KS4,
        extra_columns=_SOCIAL_GROUP,
        constants={"category_type": "Social care group"},
    ),
    *_ees(
        "cla_number_and_rate_per_10k_children.csv",
        "DfE children looked after at 31 March",
        [
            {
                "indicator": "DfE-CLA-count",
                "value": "children_count",
                "name": "Children looked after at 31 March (number)",
                "measure": "count",
                "unit": "children",
                "multiplier": 1,
                "polarity": "lower_is_better",
            },
            {
                "indicator": "DfE-CLA-rate",
                "numerator": "children_count",
                "denominator": "population_estimate",
                "value": "rate_per_10000",
                "name": "Children looked after at 31 March (rate per 10,000 children)",
                "measure": "rate",
                "unit": "per 10,000",
                "multiplier": 10000,
                "polarity": "lower_is_better",
            },
        ],
        where={"population_type": ["Children looked after on 31 March each year"]},
        recode={"period": {str(y): f"March {y}" for y in range(2010, 2031)}},
    ),
    Recipe(
        "IN12-attainment-at-age-11--full-dataset.csv",
        "SMC attainment at 11 by disadvantage, by local authority",
        _m(
            columns={"Area_code": "area_code", "Area_name": "area_name", "Time_period": "period", "SEB": "category"},
            where={"Area_type": ["Local authority"], "SEB": ["Disadvantaged", "Not known to be disadvantaged"]},
            constants={"category_type": "Disadvantage"},
            measures=[
                {
                    "indicator": "SMC-KS2-expected",
                    "value": "Value",
                    "name": "Key Stage 2: reading, writing and maths at the expected standard (%) (SMC)",
                    "measure": "proportion",
                    "unit": "%",
                    "polarity": "higher_is_better",
                }
            ],
        ),
    ),
    *[
        Recipe(
            f"2026-01-01-{code}-full-dataset.csv",
            f"SMC {title} by disadvantage, England",
            _m(
                columns={
                    "area_code": "area_code",
                    "area_name": "area_name",
                    "time_period": "period",
                    "primary_split_value": "category",
                    "lci": "lower_95",
                    "uci": "upper_95",
                    "sample_size": "denominator",
                },
                where={"chart_type": ["trend"], "area_type": ["Country"], "primary_split_type": ["seb"]},
                constants={"category_type": "Disadvantage"},
                academic_years=True,
                measures=[
                    {
                        "indicator": f"SMC-{code.upper()}",
                        "value": "value",
                        "name": f"{title} (%) (Social Mobility Commission)",
                        "measure": "proportion",
                        "unit": "%",
                        "polarity": "higher_is_better",
                    }
                ],
            ),
        )
        for code, title in (
            ("in11", "Level of development at age 5"),
            ("in12", "Attainment at age 11"),
            ("in13", "Attainment at age 16"),
        )
    ],
    Recipe(
        "LE_by_local_deprivation_decile_LA.csv",
        "PHE life expectancy by local deprivation decile",
        _m(
            columns={"GeoCode": "area_code", "Sex": "sex", "Decile": "category"},
            where={"GeoCode": ["E92000001", "E10000016", *[f"E07000{n}" for n in range(105, 117)]]},
            constants={
                "category_type": "imd-decile-local",
                "period": "2015-17",
                "note": "Period not stated in the source; its geography fits the 2015-17 release (unverified).",
            },
            recode={"sex": {"1": "Male", "2": "Female"}, "category": _DECILES},
            measures=[
                {
                    "indicator": "PHE-LE-local-decile",
                    "value": "LifeExp",
                    "numerator": "Deaths",
                    "denominator": "Pop",
                    "name": "Life expectancy at birth by deprivation decile within the area (years)",
                    "measure": "mean",
                    "unit": "years",
                    "multiplier": 1,
                    "polarity": "higher_is_better",
                }
            ],
        ),
    ),
    *[
        Recipe(
            "NCMP_england_by_imd_decile.csv",
            f"PHE NCMP obesity by IMD decile, England, {year}",
            _m(
                columns={
                    "AreaCode": "area_code",
                    "Period": "period",
                    "Decile": "category",
                    "LCL": "lower_95",
                    "UCL": "upper_95",
                },
                where={"SchoolYear": [code]},
                constants={"category_type": "imd-decile-national"},
                recode={"category": _DECILES, "period": _NCMP_PERIODS},
                measures=[
                    {"indicator": indicator, "value": "Rate", "numerator": "Count", "denominator": "Measured", **meta}
                ],
            ),
        )
        for code, year, indicator, meta in (
            ("R", "Reception", "PHE-NCMP-obese-reception", {}),
            (
                "6",
                "Year 6",
                "PHE-NCMP-obese-year6",
                {
                    "name": "Children in Year 6 measured as obese (NCMP) (%)",
                    "measure": "proportion",
                    "unit": "%",
                    "polarity": "lower_is_better",
                },
            ),
        )
    ],
)
