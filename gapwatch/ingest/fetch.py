"""Optional online fetches: Fingertips data through the ``fingertips-py`` client (the ``fetch`` extra) and
the official English Indices of Deprivation files from GOV.UK.

Each fetch only downloads to a file; the file is then imported like any other (and so validated whole,
recorded as a batch, traceable to its SHA-256). Nothing here runs in tests against the network: the tests
replace the network call with the files in ../shared/data.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from gapwatch.errors import GapwatchError, InvalidInput, NotFound

__all__ = ["FINGERTIPS_AREA_TYPES", "IMD_DOWNLOADS", "fetch_fingertips", "fetch_imd"]

#: Fingertips area type ids people use most (see https://fingertips.phe.org.uk/api/area_types).
FINGERTIPS_AREA_TYPES: dict[str, int] = {
    "england": 15,
    "region": 6,
    "county-ua": 502,
    "district-ua": 501,
    "county-ua-pre-2019": 102,
    "district-ua-pre-2019": 101,
    "msoa": 3,
    "ward": 8,
}
_GOV = "https://assets.publishing.service.gov.uk"
#: Official IoD downloads: (edition, file) -> URL. File 1 = IMD ranks and deciles; File 2 = domains;
#: File 6 = population denominators; File 7 = every score, rank, decile and denominator (CSV).
IMD_DOWNLOADS: dict[tuple[str, str], str] = {
    ("IMD2019", "1"): f"{_GOV}/government/uploads/system/uploads/attachment_data/file/833970/"
    "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
    ("IMD2019", "2"): f"{_GOV}/government/uploads/system/uploads/attachment_data/file/833973/"
    "File_2_-_IoD2019_Domains_of_Deprivation.xlsx",
    ("IMD2019", "6"): f"{_GOV}/government/uploads/system/uploads/attachment_data/file/833980/"
    "File_6_-_IoD2019_Population_Denominators.xlsx",
    ("IMD2019", "7"): f"{_GOV}/media/5dc407b440f0b6379a7acc8d/"
    "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",
    ("IMD2015", "1"): f"{_GOV}/government/uploads/system/uploads/attachment_data/file/467764/"
    "File_1_ID_2015_Index_of_Multiple_Deprivation.xlsx",
}


def fetch_fingertips(
    indicator_ids: Sequence[int | str], area_type: int | str, dest: Path, *, parent_area_type: int | str = 15
) -> Path:
    """Download Fingertips data for indicators at an area type, in the Fingertips export format, to ``dest``.

    ``area_type`` is a Fingertips area type id or one of :data:`FINGERTIPS_AREA_TYPES`' names.
    """
    try:
        from fingertips_py import retrieve_data
    except ImportError as exc:
        raise GapwatchError(
            "Fetching from Fingertips needs the fingertips-py client",
            hint="Install gapwatch with the 'fetch' extra: pip install 'gapwatch[fetch]'.",
        ) from exc
    type_id = FINGERTIPS_AREA_TYPES.get(str(area_type).lower(), area_type)
    if not str(type_id).isdigit():
        raise InvalidInput(
            f"Unknown Fingertips area type '{area_type}'",
            hint=f"Give an id or one of: {', '.join(FINGERTIPS_AREA_TYPES)}",
        )
    ids = [str(i) for i in indicator_ids]
    if not ids or not all(i.isdigit() for i in ids):
        raise InvalidInput("Fingertips indicator ids are numbers, e.g. --indicator 93356")
    try:
        frame = retrieve_data.get_data_by_indicator_ids(ids, int(type_id), parent_area_type_id=int(parent_area_type))
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise GapwatchError(
            f"Fingertips could not be reached or answered badly: {exc}",
            hint="Check the network connection, or download the CSV from the Fingertips site.",
        ) from exc
    if frame is None or len(frame) == 0:
        raise NotFound(f"Fingertips has no data for indicator(s) {', '.join(ids)} at area type {type_id}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    frame.to_csv(part, index=False)
    part.replace(dest)
    return dest


def fetch_imd(
    dest_dir: Path, *, edition: str = "IMD2019", file: str = "7", url: str | None = None, timeout: float = 120
) -> Path:
    """Download an official IoD file (or ``url``) into ``dest_dir``; returns the path written."""
    key = (edition.upper() if edition.upper().startswith("IMD") else "IMD" + edition, str(file))
    address = url or IMD_DOWNLOADS.get(key)
    if address is None:
        known = ", ".join(f"{e} file {f}" for e, f in IMD_DOWNLOADS)
        raise InvalidInput(f"No known download for {key[0]} file {key[1]}", hint=f"Known: {known}; or give --url.")
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / address.rsplit("/", 1)[-1]
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response, part.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out)
    except (OSError, urllib.error.URLError) as exc:
        part.unlink(missing_ok=True)
        raise GapwatchError(
            f"Could not download {address}: {exc}",
            hint="Check the network connection, or download the file by hand and load it.",
        ) from exc
    part.replace(dest)
    return dest
