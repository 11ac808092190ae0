"""gapwatch: performance management for partnerships that tackle disadvantage and narrow gaps in outcomes.

The package is layered so that dependencies point inwards only: ``domain`` and ``stats`` are pure;
``ingest`` and ``store`` sit on them; ``services`` holds the use cases; ``cli``, ``web`` and ``reports``
are thin shells around ``services``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
