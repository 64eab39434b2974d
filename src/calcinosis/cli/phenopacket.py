"""``calcinosis phenopacket export|import``: GA4GH Phenopackets v2."""

from __future__ import annotations

import typer

__all__ = ["app"]

app = typer.Typer(help="Exchange cases as GA4GH Phenopackets v2.", no_args_is_help=True)
