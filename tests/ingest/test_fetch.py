"""Online fetches, tested offline: the network call is replaced by the files in ../shared/data, so the real
fingertips-py code path (URL building, CSV parsing) runs up to the socket."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from gapwatch.errors import GapwatchError, InvalidInput
from gapwatch.ingest import fetch
from gapwatch.ingest.fingertips import read_fingertips
from gapwatch.ingest.imd import read_imd


def test_fingertips_fetch_writes_an_importable_export(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fingertips_py", reason="the 'fetch' extra is not installed")
    from fingertips_py import retrieve_data

    real_read_csv = retrieve_data.pd.read_csv
    urls: list[str] = []

    def offline(url: str, **kwargs: Any) -> Any:
        urls.append(url)
        return real_read_csv(shared_data / "fingertips" / "indicators-CountyUA.data.csv", **kwargs)

    monkeypatch.setattr(retrieve_data.pd, "read_csv", offline)
    dest = fetch.fetch_fingertips([93356], "county-ua", tmp_path / "ft.csv")
    assert "by_indicator_id?indicator_ids=93356&child_area_type_id=502&parent_area_type_id=15" in urls[0]
    parsed = read_fingertips(dest)
    original = read_fingertips(shared_data / "fingertips" / "indicators-CountyUA.data.csv")
    assert parsed.frame.height == original.frame.height
    assert parsed.frame["value"].sum() == pytest.approx(original.frame["value"].sum())


def test_fingertips_fetch_failures_are_gapwatch_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fingertips_py", reason="the 'fetch' extra is not installed")
    from fingertips_py import retrieve_data

    def down(url: str, **kwargs: Any) -> Any:
        raise OSError("network is unreachable")

    monkeypatch.setattr(retrieve_data.pd, "read_csv", down)
    with pytest.raises(GapwatchError, match="could not be reached"):
        fetch.fetch_fingertips([93356], 502, tmp_path / "ft.csv")
    with pytest.raises(InvalidInput, match="Unknown Fingertips area type"):
        fetch.fetch_fingertips([93356], "parish", tmp_path / "ft.csv")
    assert not (tmp_path / "ft.csv").exists()


def test_imd_download(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = shared_data / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    asked: list[str] = []

    def offline(url: str, timeout: float = 0) -> io.BytesIO:
        asked.append(url)
        return io.BytesIO(source.read_bytes())

    monkeypatch.setattr(fetch.urllib.request, "urlopen", offline)
    path = fetch.fetch_imd(tmp_path, edition="2019", file="7")
    assert asked == [fetch.IMD_DOWNLOADS[("IMD2019", "7")]]
    assert path.name.startswith("File_7_") and path.read_bytes() == source.read_bytes()
    assert read_imd(path).edition == "IMD2019"


def test_imd_download_failure_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(url: str, timeout: float = 0) -> io.BytesIO:
        raise OSError("timed out")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", down)
    with pytest.raises(GapwatchError, match="Could not download"):
        fetch.fetch_imd(tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidInput, match="No known download"):
        fetch.fetch_imd(tmp_path, edition="2007")
