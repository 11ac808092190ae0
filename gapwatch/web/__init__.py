"""The web application (FastAPI + Jinja2, GOV.UK Frontend): build it with :func:`create_app`."""

from __future__ import annotations

from gapwatch.web.app import create_app

__all__ = ["create_app"]
