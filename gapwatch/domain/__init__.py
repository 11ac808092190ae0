"""The partnership's performance framework as validated, immutable models.

Pure: no web, no database. ``Framework`` (in :mod:`gapwatch.domain.framework`) is the root; the other
modules hold one concept each. :class:`Model` — the strict, frozen pydantic base every model here uses — is
public, for other layers' own strict models (an import mapping, for instance).
"""

from gapwatch.domain._base import Model

__all__ = ["Model"]
