"""Make untrusted text safe to show: no control characters, no direction overrides, bounded length.

Case ids, file names and any string a user typed can hold ESC sequences (which clear a
terminal or hide a warning), NUL bytes (invalid in HTML), bidirectional overrides (which
reorder what a reader sees) or megabytes of text (which make rich's wrapping quadratic).
Every output path (terminal, HTML, PDF) passes such strings through :func:`plain`; the
terminal additionally escapes rich markup (:func:`calcinosis.cli._common.safe`).
"""

from __future__ import annotations

import re

__all__ = ["json_safe", "plain"]

# C0 controls but tab and newline, DEL, C1 controls, the bidirectional formatting characters, the
# invisible ones (zero-width space and joiners, word joiner, byte-order mark: two ids that look
# the same) and the line and paragraph separators (a line break a terminal does not show as one)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")


def json_safe(text: str) -> str:
    """JSON text with the unsafe characters json.dumps leaves raw (DEL, C1 controls, direction
    overrides, invisible characters) written as ``\\uXXXX`` escapes: the same JSON value, but a
    terminal or an editor shows the escape instead of obeying the character (``--json`` printed a
    case id's right-to-left override as is). They can only stand inside JSON strings, where the
    escape is valid; json.dumps already escapes the C0 controls."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def plain(text: object, *, limit: int | None = None, newlines: bool = True) -> str:
    """``text`` without unsafe characters (each shown as U+FFFD), cut to ``limit`` characters with '…'."""
    out = _UNSAFE.sub("\ufffd", str(text))
    if not newlines:
        out = out.replace("\n", " ").replace("\t", " ")
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return out
