"""The protobuf classes of the ``phenopackets`` package, imported on first use.

They are the ``interop`` extra: a core install still runs ``diagnose``; only the Phenopacket
commands need them, and say how to install them when they are missing. The package ships no
type information (no ``py.typed``), so its messages are ``Any`` here; the functions of this
folder give them typed edges.
"""

from __future__ import annotations

from typing import Any

from calcinosis.errors import CalcinosisError
from calcinosis.i18n import message

__all__ = ["PhenopacketsUnavailableError", "json_format", "pb"]


class PhenopacketsUnavailableError(CalcinosisError):
    """The ``phenopackets`` package (the ``interop`` extra) is not installed."""


def pb(lang: str = "en") -> Any:
    """The ``phenopackets`` module (Phenopacket, PhenotypicFeature, OntologyClass...); when it
    is missing, the error says how to install it, in ``lang``."""
    try:
        import phenopackets  # type: ignore[import-untyped]
    except ImportError:
        raise PhenopacketsUnavailableError(message("pp_unavailable", lang)) from None
    return phenopackets


def json_format(lang: str = "en") -> Any:
    """``google.protobuf.json_format`` (installed with ``phenopackets``)."""
    pb(lang)
    from google.protobuf import json_format as module  # type: ignore[import-untyped]

    return module
