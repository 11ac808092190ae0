"""One conversion of analysis results to JSON-ready data, used by the API and the command line alike."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from enum import Enum
from typing import Any

__all__ = ["plain"]


def _properties(cls: type) -> list[str]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        names += [k for k, v in vars(klass).items() if isinstance(v, property) and not k.startswith("_")]
    return list(dict.fromkeys(names))


def plain(value: Any) -> Any:
    """Dataclasses (with their public properties), pydantic models, enums, dates and tuples as plain data.

    NaN and infinities become None (JSON has no NaN), so every consumer reads one shape.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _properties(type(value)):
            out[name] = plain(getattr(value, name))
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
