"""The partnership's performance framework as validated, immutable models.

Pure: no web, no database. ``Framework`` (in :mod:`gapwatch.domain.framework`) is the root; the other
modules hold one concept each.
"""
