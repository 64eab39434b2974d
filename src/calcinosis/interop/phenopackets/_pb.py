"""The protobuf classes of the ``phenopackets`` package, imported on first use.

They are the ``interop`` extra: a core install still runs ``diagnose``; only the Phenopacket
commands need them, and say how to install them when they are missing. The package ships no
type information (no ``py.typed``), so its messages are ``Any`` here; the functions of this
folder give them typed edges.
"""

from __future__ import annotations

from typing import Any

from calcinosis.errors import CalcinosisError

__all__ = ["PhenopacketsUnavailableError", "json_format", "pb"]


class PhenopacketsUnavailableError(CalcinosisError):
    """The ``phenopackets`` package (the ``interop`` extra) is not installed."""


def pb() -> Any:
    """The ``phenopackets`` module (Phenopacket, PhenotypicFeature, OntologyClass...)."""
    try:
        import phenopackets  # type: ignore[import-untyped]
    except ImportError:
        raise PhenopacketsUnavailableError(
            "GA4GH Phenopackets need the 'interop' extra: run scripts/setup (or pip install 'calcinosis[interop]')"
        ) from None
    return phenopackets


def json_format() -> Any:
    """``google.protobuf.json_format`` (installed with ``phenopackets``)."""
    pb()
    from google.protobuf import json_format as module  # type: ignore[import-untyped]

    return module
