"""Make untrusted text safe to show: no control characters, no direction overrides, bounded length.

Case ids, file names and any string a user typed can hold ESC sequences (which clear a
terminal or hide a warning), NUL bytes (invalid in HTML), bidirectional overrides (which
reorder what a reader sees) or megabytes of text (which make rich's wrapping quadratic).
Every output path (terminal, HTML, PDF) passes such strings through :func:`plain`; the
terminal additionally escapes rich markup (:func:`calcinosis.cli._common.safe`).
"""

from __future__ import annotations

import re

__all__ = ["plain"]

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional formatting characters
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: object, *, limit: int | None = None, newlines: bool = True) -> str:
    """``text`` without unsafe characters (each shown as U+FFFD), cut to ``limit`` characters with '…'."""
    out = _UNSAFE.sub("\ufffd", str(text))
    if not newlines:
        out = out.replace("\n", " ").replace("\t", " ")
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return out
