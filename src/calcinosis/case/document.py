"""Turn the bytes of a case file into plain data, strictly: one reading path for YAML and JSON.

Why strict: clinical software that silently drops a high phosphate is worse than one that
refuses the file. So, before the case model sees anything:

- **limits** (:data:`LIMITS`) are checked: file size (read at most one byte past it, so
  ``/dev/zero`` cannot exhaust memory), nesting depth, number of items, string lengths;
- **duplicate keys** are refused with the line of each occurrence (YAML and JSON), where a
  plain loader keeps the last one and loses the first;
- **YAML numbers and booleans follow YAML 1.2**: ``true``/``false`` only are booleans,
  numbers are decimal, dates stay text (``id: 2024-01-01`` is the text "2024-01-01"). The YAML 1.1 tokens that a plain loader turns into
  something else are refused with the reason (``012`` octal, ``1:05`` base 60, ``yes``/``no``/
  ``on``/``off`` booleans, ``1_000``, ``0x1F``): quoting them makes them text;
- a byte-order mark is honoured for UTF-8, UTF-16 and UTF-32 alike (a BOM states the
  encoding; nothing is guessed); other encodings are refused with the offset of the bad byte.

Everything refused raises :class:`~calcinosis.errors.CaseValidationError` naming the file,
the line and what to write instead.
"""

from __future__ import annotations

import codecs
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import yaml

from calcinosis.errors import CaseValidationError
from calcinosis.issues import Issue

__all__ = ["LIMITS", "check_shape", "load_document", "read_document_bytes"]

LIMITS: dict[str, int] = {
    # a case is a few kilobytes; 1 MiB leaves room for long repeated-measurement lists
    "file_bytes": 1_048_576,
    # the case format nests 3 levels (imaging[0].patterns[1]); 20 is far beyond any real case
    "depth": 20,
    # every mapping, list and scalar counted (aliases counted each time they are used)
    "items": 20_000,
    # one list (findings, labs, imaging...)
    "list_length": 1_000,
    # any string; `id` has its own, shorter limit (it is shown in every report)
    "string_chars": 4_000,
    "id_chars": 200,
}

_AMBIGUOUS_TAG = "tag:calcinosis,2026:ambiguous"


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader with YAML 1.2 core-schema scalars and refusal of duplicate keys."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}


def _resolver(tag: str, pattern: str, first: str | list[str]) -> None:
    _StrictLoader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789")
_resolver(
    "tag:yaml.org,2002:float",
    r"""^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    "-+0123456789.",
)
_resolver(
    _AMBIGUOUS_TAG,
    r"""^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N
    |[-+]?0[0-9_]+(?:\.[0-9_]*)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?
    |[-+]?0[xXoObB][0-9a-fA-F_]+)$""",
    "yYnNoO-+0123456789",
)


def _explain_ambiguous(token: str) -> str:
    low = token.lower()
    if low in ("yes", "no", "on", "off", "y", "n"):
        return (
            f"{token!r} is read as a yes/no value by some YAML readers and as text by others; "
            'write true or false for a yes/no item, or quote it ("...") if you mean the text'
        )
    if ":" in token:
        return (
            f"{token!r} is read as a base-60 number by YAML 1.1 (1:05 = 65) and as text by YAML 1.2; "
            "write the number in one unit (for example 65), or quote it if it is text"
        )
    if low.lstrip("+-").startswith(("0x", "0o", "0b")):
        return f"{token!r} is a hexadecimal, octal or binary number; write it in decimal"
    if "_" in token:
        return f"{token!r} has an underscore, which some YAML readers drop (1_000 = 1000); write the plain number"
    return (
        f"{token!r} has a leading zero: YAML 1.1 reads it as an octal number "
        f"(012 = 10), YAML 1.2 as decimal; write it without the leading zero"
    )


class _Refused(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _construct_ambiguous(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _Refused(_explain_ambiguous(str(node.value)), node.start_mark.line + 1)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _Refused("merge keys (<<) are not part of the case format", key_node.start_mark.line + 1)
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise _Refused("a key must be a plain word", line)
        if key in seen:
            raise _Refused(
                f"key {key!r} appears twice in one mapping (lines {seen[key]} and {line}); "
                "keep one (a YAML reader would silently keep only the last)",
                line,
            )
        seen[key] = line
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(_AMBIGUOUS_TAG, _construct_ambiguous)
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_ambiguous)


def _construct_foreign(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _Refused(f"the YAML tag {node.tag} has no place in a case file", node.start_mark.line + 1)


for _tag in ("binary", "set", "omap", "pairs"):
    _StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct_foreign)


# ---- JSON ----------------------------------------------------------------------------------
def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


# the pure-Python scanner of the json module, whose object parser can be replaced (typeshed
# does not describe these internals)
_DECODER: Any = json.decoder
_SCANNER: Any = json.scanner


def _json_loads(text: str) -> Any:
    """``json.loads`` that refuses duplicate keys with both line numbers, and NaN/Infinity."""
    decoder: Any = json.JSONDecoder(parse_constant=_refuse_constant)
    original: Callable[..., tuple[Any, int]] = _DECODER.JSONObject

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, *rest: Any) -> tuple[Any, int]:
        s, start = s_and_end
        pairs, end = original(s_and_end, strict, scan_once, None, lambda p: p, *rest[2:])
        seen: dict[str, int] = {}
        for key, _ in pairs:
            if key in seen:
                lines = _key_lines(s, start, end, key, scan_once)
                raise _Refused(
                    f"key {key!r} appears twice in one object (lines {lines[0]} and {lines[1]}); keep one "
                    "(a JSON reader would silently keep only the last)",
                    lines[1],
                )
            seen[key] = 1
        return dict(pairs), end

    decoder.parse_object = parse_object
    decoder.scan_once = _SCANNER.py_make_scanner(decoder)
    return decoder.decode(text)


def _key_lines(s: str, start: int, end: int, key: str, scan_once: Any) -> list[int]:
    """Lines of the occurrences of ``key`` among the keys of the object spanning s[start:end]."""
    ws = _DECODER.WHITESPACE.match
    lines: list[int] = []
    pos = ws(s, start).end()
    while pos < end and s[pos] == '"':
        name, after = _DECODER.scanstring(s, pos + 1)
        if name == key:
            lines.append(_line_of(s, pos))
        pos = ws(s, after).end() + 1  # the ':'
        _, pos = scan_once(s, ws(s, pos).end())
        pos = ws(s, pos).end()
        if pos < end and s[pos] == ",":
            pos = ws(s, pos + 1).end()
    return lines if len(lines) >= 2 else [0, 0]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a case can hold (only finite numbers)")


# ---- reading ---------------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_document_bytes(path: Path) -> bytes:
    """The bytes of a case file, refusing one larger than the limit without reading it all."""
    try:
        if path.is_dir():
            raise CaseValidationError(f"{path}: is a folder, not a case file", path=path)
        with path.open("rb") as fh:
            data = fh.read(LIMITS["file_bytes"] + 1)
    except FileNotFoundError:
        if path.is_symlink():
            raise CaseValidationError(f"{path}: is a symbolic link to a missing file", path=path) from None
        raise CaseValidationError(f"{path}: no such case file", path=path) from None
    except OSError as exc:
        reason = "a loop of symbolic links" if exc.errno == 40 else (exc.strerror or str(exc))
        raise CaseValidationError(f"{path}: cannot be read ({reason})", path=path) from None
    if len(data) > LIMITS["file_bytes"]:
        raise CaseValidationError(
            f"{path}: larger than the limit for a case file ({LIMITS['file_bytes']:,} bytes); "
            "a case is a few kilobytes: is this the right file?",
            path=path,
        )
    return data


def _decode(data: bytes, source: str) -> str:
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CaseValidationError(
            f"{source}: not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); save the case as UTF-8",
            path=source,
        ) from None
    return text.removeprefix("\ufeff")


def load_document(data: bytes, *, source: str, fmt: str) -> Any:
    """Parse the bytes of a case (``fmt`` 'json' or 'yaml') into plain data, within :data:`LIMITS`."""
    kind = "JSON" if fmt == "json" else "YAML"
    text = _decode(data, source)
    if "\x00" in text:
        raise CaseValidationError(f"{source}: contains NUL characters; not a text case file", path=source)
    try:
        parsed = _json_loads(text) if fmt == "json" else yaml.load(text, Loader=_StrictLoader)
    except _Refused as exc:
        where = f", line {exc.line}" if exc.line else ""
        raise CaseValidationError(f"{source}{where}: {exc}", path=source) from None
    except RecursionError:
        raise CaseValidationError(
            f"{source}: nested deeper than the limit ({LIMITS['depth']} levels)", path=source
        ) from None
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        raise CaseValidationError(f"{source}: not valid {kind}: {exc}", path=source) from None
    check_shape(parsed, source)
    return parsed


def check_shape(data: Any, source: str) -> None:
    """Depth, item count, list and string lengths, walked without recursion."""
    count = 0
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        count += 1
        loc = where or "the top level"
        if count > LIMITS["items"]:
            raise CaseValidationError(f"{source}: more than {LIMITS['items']:,} items; not a case file", path=source)
        if depth > LIMITS["depth"]:
            raise CaseValidationError(
                f"{source}: {loc} is nested deeper than the limit ({LIMITS['depth']} levels)", path=source
            )
        if isinstance(node, dict):
            for key, value in node.items():
                _check_string(key, f"{where}.{key}" if where else str(key), source)
                stack.append((value, depth + 1, f"{where}.{key}" if where else str(key)))
        elif isinstance(node, list):
            if len(node) > LIMITS["list_length"]:
                raise CaseValidationError(
                    f"{source}: {loc} has {len(node):,} items, more than the limit ({LIMITS['list_length']:,})",
                    path=source,
                )
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(node))
        else:
            _check_string(node, loc, source)
    if isinstance(data, dict) and isinstance(data.get("id"), str) and len(data["id"]) > LIMITS["id_chars"]:
        raise CaseValidationError(
            f"{source}: id has {len(data['id']):,} characters, more than the limit ({LIMITS['id_chars']})",
            issues=[
                Issue.error("case.limit", "id too long", "id", expected=f"at most {LIMITS['id_chars']} characters")
            ],
            path=source,
        )


def _check_string(value: Any, where: str, source: str) -> None:
    if isinstance(value, str) and len(value) > LIMITS["string_chars"]:
        raise CaseValidationError(
            f"{source}: {where} has {len(value):,} characters, more than the limit ({LIMITS['string_chars']:,})",
            path=source,
        )
