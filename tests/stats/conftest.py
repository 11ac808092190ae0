"""Shared fixtures for the statistics tests: the PHEindicatormethods reference data and comparisons.

The reference files live outside the repository, in ``<repo root>/../shared/data/phe-reference`` (see
its README.md). They are reached through the top-level ``shared_data`` fixture, which skips with a clear
reason when the shared folder is absent (and fails in CI).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

ReadCsv = Callable[..., pl.DataFrame]


@pytest.fixture(scope="session")
def phe_reference(shared_data: Path) -> Path:
    """The phe-reference folder of the shared data."""
    path = shared_data / "phe-reference"
    if not (path / "README.md").exists():
        pytest.skip(f"{path} is absent: the PHEindicatormethods reference data is not in the shared data")
    return path


@pytest.fixture(scope="session")
def read_reference(phe_reference: Path) -> ReadCsv:
    """Read a reference CSV by its path under phe-reference: empty cells are null, the literal 'None'
    stays a string (the Quantiles sheet uses it as a group name)."""

    def read(relative: str, **kwargs: object) -> pl.DataFrame:
        options: dict[str, object] = {
            "null_values": [""],
            "infer_schema_length": None,
            "encoding": "utf8-lossy",
        }
        options.update(kwargs)
        return pl.read_csv(phe_reference / relative, **options)  # type: ignore[arg-type]

    return read


def as_floats(values: pl.Series | npt.ArrayLike) -> npt.NDArray[np.float64]:
    if isinstance(values, pl.Series):
        return np.asarray(values.cast(pl.Float64).fill_null(np.nan).to_numpy(), dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def assert_close(
    actual: pl.Series | npt.ArrayLike,
    expected: pl.Series | npt.ArrayLike,
    *,
    rtol: float = 1e-8,
    atol: float = 0.0,
    label: str = "",
) -> None:
    """Element-wise closeness, with missing values (null or NaN) required in the same places."""
    a, e = as_floats(actual), as_floats(expected)
    assert a.shape == e.shape, f"{label}: shapes differ {a.shape} != {e.shape}"
    a_missing, e_missing = np.isnan(a), np.isnan(e)
    assert np.array_equal(a_missing, e_missing), (
        f"{label}: missing in different rows: actual {np.flatnonzero(a_missing)}, expected {np.flatnonzero(e_missing)}"
    )
    np.testing.assert_allclose(a[~a_missing], e[~e_missing], rtol=rtol, atol=atol, err_msg=label)


def assert_frame_columns_close(
    actual: pl.DataFrame,
    expected: pl.DataFrame,
    columns: dict[str, str] | list[str],
    *,
    rtol: float = 1e-8,
    atol: float = 0.0,
) -> None:
    """Compare columns of two frames row by row; ``columns`` maps actual names to expected names."""
    pairs = columns.items() if isinstance(columns, dict) else [(c, c) for c in columns]
    assert actual.height == expected.height, f"row counts differ: {actual.height} != {expected.height}"
    for mine, theirs in pairs:
        assert_close(actual[mine], expected[theirs], rtol=rtol, atol=atol, label=mine)
