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
from calcinosis.i18n import message, os_reason
from calcinosis.issues import Issue

__all__ = ["LIMITS", "case_yaml", "check_shape", "load_document", "read_document_bytes", "too_large_message"]

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
    # digits of a whole number: every number of a case is read as a float, and no float goes
    # past 1.8e308 (a 309-digit number may, a code review found); Python refuses to read more
    # than 4,300 digits, in its own words
    "number_digits": 308,
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
    """The ``messages.yaml`` key that explains why a YAML 1.1 token is refused."""
    low = token.lower()
    if low in ("yes", "no", "on", "off", "y", "n"):
        return "err_yaml_yes_no"
    if ":" in token:
        return "err_yaml_base60"
    if low.lstrip("+-").startswith(("0x", "0o", "0b")):
        return "err_yaml_radix"
    if "_" in token:
        return "err_yaml_underscore"
    return "err_yaml_leading_zero"


class _Refused(Exception):
    """Something the strict reader refuses: a ``messages.yaml`` key, its values and the line."""

    def __init__(self, key: str, line: int | None, /, **values: object) -> None:
        super().__init__(message(key, "en", **values))
        self.key = key
        self.values = values
        self.line = line

    def text(self, lang: str) -> str:
        return message(self.key, lang, **self.values)

    def shifted(self, by: int) -> _Refused:
        """The same refusal, its lines counted ``by`` lines further (those of a longer file)."""
        values = {k: v + by if k in ("first", "second") and isinstance(v, int) else v for k, v in self.values.items()}
        return _Refused(self.key, self.line + by if self.line else self.line, **values)


class _TooManyDigits:
    """A whole number with more digits than :data:`LIMITS` allows, kept until :func:`check_shape`
    names the item that holds it: a hostile-input audit found a duration of 5,001 digits
    refused with Python's own words ('Exceeds the limit (4300 digits) for integer string
    conversion... use sys.set_int_max_str_digits()'), naming no item."""

    def __init__(self, digits: int, line: int | None) -> None:
        self.digits = digits
        self.line = line


def _whole_number(text: str, line: int | None) -> int | _TooManyDigits:
    """A whole number, or the marker of one too long to be read."""
    digits = len(text.lstrip("+-"))
    return _TooManyDigits(digits, line) if digits > LIMITS["number_digits"] else int(text)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    if not re.fullmatch(r"[-+]?[0-9]+", text):  # an explicit !!int in another notation (0x1F)
        return loader.construct_yaml_int(node)
    return _whole_number(text, node.start_mark.line + 1)


def _construct_ambiguous(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    token = str(node.value)
    raise _Refused(_explain_ambiguous(token), node.start_mark.line + 1, token=repr(token))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise _Refused("err_yaml_merge", key_node.start_mark.line + 1)
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise _Refused("err_plain_key", line)
        if key in seen:
            raise _Refused("err_duplicate_yaml", line, key=repr(key), first=seen[key], second=line)
        seen[key] = line
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(_AMBIGUOUS_TAG, _construct_ambiguous)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_ambiguous)


def _construct_foreign(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _Refused("err_yaml_tag", node.start_mark.line + 1, tag=node.tag)


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
    decoder: Any = json.JSONDecoder(parse_constant=_refuse_constant, parse_int=lambda t: _whole_number(t, None))
    original: Callable[..., tuple[Any, int]] = _DECODER.JSONObject

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, *rest: Any) -> tuple[Any, int]:
        s, start = s_and_end
        pairs, end = original(s_and_end, strict, scan_once, None, lambda p: p, *rest[2:])
        seen: dict[str, int] = {}
        for key, _ in pairs:
            if key in seen:
                lines = _key_lines(s, start, end, key, scan_once)
                raise _Refused("err_duplicate_json", lines[1], key=repr(key), first=lines[0], second=lines[1])
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
    raise _Refused("err_json_constant", None, name=name)


# ---- reading ---------------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _count(n: int, lang: str) -> str:
    """A count with the language's digit grouping ('1,048,576' / '1 048 576')."""
    from calcinosis.i18n import decimal

    return f"{n:,}" if lang != "fr" else decimal(n, lang, 0)


def _error(source: object, key: str, lang: str, /, *, path: object = None, **values: object) -> CaseValidationError:
    """``source: message`` as a case error, in ``lang``."""
    text = message("err_file", lang, source=source, text=message(key, lang, **values))
    return CaseValidationError(text, path=str(path if path is not None else source))


def read_document_bytes(path: Path, *, lang: str = "en") -> bytes:
    """The bytes of a case file, refusing one larger than the limit without reading it all."""
    try:
        if path.is_dir():
            raise _error(path, "err_is_folder", lang)
        with path.open("rb") as fh:
            data = fh.read(LIMITS["file_bytes"] + 1)
    except FileNotFoundError:
        if path.is_symlink():
            raise _error(path, "err_dangling_link", lang) from None
        raise _error(path, "err_no_such_file", lang) from None
    except OSError as exc:
        reason = message("err_link_loop", lang) if exc.errno == 40 else os_reason(exc, lang)
        raise _error(path, "err_unreadable", lang, reason=reason) from None
    if len(data) > LIMITS["file_bytes"]:
        raise CaseValidationError(too_large_message(path, lang), path=str(path))
    return data


def too_large_message(source: object, lang: str) -> str:
    """'<source>: larger than the case file limit (N bytes)' in ``lang``: a file read from disk and
    a document posted to the web page are refused in the same words."""
    return message(
        "err_file", lang, source=source, text=message("err_too_large", lang, limit=_count(LIMITS["file_bytes"], lang))
    )


def _decode(data: bytes, source: str, lang: str = "en") -> str:
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _error(
            source, "err_not_utf8", lang, offset=exc.start, byte=repr(data[exc.start : exc.start + 1])
        ) from None
    return text.removeprefix("\ufeff")


def _syntax_detail(exc: Exception, lang: str, shift: int = 0) -> str:
    """What the YAML or JSON parser said: its own (English) words in English, the line and
    column in French (the parser's message has no translation); a JSON line's counted ``shift``
    lines further (see :func:`load_document`)."""
    if isinstance(exc, json.JSONDecodeError) and shift:  # its 'char' offset is the line's, not the file's
        if lang != "fr":
            return f"{exc.msg}: line {exc.lineno + shift} column {exc.colno}"
        return message("err_syntax_at", lang, line=exc.lineno + shift, column=exc.colno)
    if lang != "fr":
        return str(exc)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = getattr(mark, "line", None)
    if line is not None:
        return message("err_syntax_at", lang, line=line + 1, column=getattr(mark, "column", 0) + 1)
    if isinstance(exc, json.JSONDecodeError):
        return message("err_syntax_at", lang, line=exc.lineno, column=exc.colno)
    return message("err_syntax", lang)


def load_document(data: bytes, *, source: str, fmt: str, lang: str = "en", first_line: int = 1) -> Any:
    """Parse the bytes of a case (``fmt`` 'json' or 'yaml') into plain data, within :data:`LIMITS`.

    ``first_line``: the line of ``source`` the bytes begin on, so that an error names the
    file's own line. A hostile-input audit: a duplicate key on line 7 of a JSON Lines file was
    rejected as row 7 with a message that said 'line 1' (each line is parsed on its own)."""
    shift = first_line - 1
    kind = "JSON" if fmt == "json" else "YAML"
    text = _decode(data, source, lang)
    if "\x00" in text:
        raise _error(source, "err_nul", lang)
    try:
        parsed = _json_loads(text) if fmt == "json" else yaml.load(text, Loader=_StrictLoader)
    except _Refused as refused:
        exc = refused.shifted(shift)
        where = message("err_line", lang, line=exc.line) if exc.line else ""
        raise _error(f"{source}{where}", exc.key, lang, path=source, **exc.values) from None
    except RecursionError:
        raise _error(source, "err_too_deep", lang, limit=LIMITS["depth"]) from None
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        raise _error(source, "err_not_valid", lang, kind=kind, detail=_syntax_detail(exc, lang, shift)) from None
    check_shape(parsed, source, lang=lang)
    return parsed


def check_shape(data: Any, source: str, *, lang: str = "en") -> None:
    """Depth, item count, list and string lengths, walked without recursion."""
    count = 0
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        count += 1
        loc = where or message("err_top_level", lang)
        if count > LIMITS["items"]:
            raise _error(source, "err_too_many_items", lang, limit=_count(LIMITS["items"], lang))
        if depth > LIMITS["depth"]:
            raise _error(source, "err_nested_at", lang, where=loc, limit=LIMITS["depth"])
        if isinstance(node, dict):
            for key, value in node.items():
                _check_string(key, f"{where}.{key}" if where else str(key), source, lang)
                stack.append((value, depth + 1, f"{where}.{key}" if where else str(key)))
        elif isinstance(node, list):
            if len(node) > LIMITS["list_length"]:
                raise _error(
                    source,
                    "err_list_too_long",
                    lang,
                    where=loc,
                    n=_count(len(node), lang),
                    limit=_count(LIMITS["list_length"], lang),
                )
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(node))
        elif isinstance(node, _TooManyDigits):
            where_line = message("err_line", lang, line=node.line) if node.line else ""
            raise _error(
                f"{source}{where_line}",
                "err_number_too_long",
                lang,
                path=source,
                where=loc,
                n=_count(node.digits, lang),
                limit=LIMITS["number_digits"],
            )
        else:
            _check_string(node, loc, source, lang)
    if isinstance(data, dict) and isinstance(data.get("id"), str) and len(data["id"]) > LIMITS["id_chars"]:
        raise CaseValidationError(
            message(
                "err_file",
                lang,
                source=source,
                text=message("err_id_too_long", lang, n=_count(len(data["id"]), lang), limit=LIMITS["id_chars"]),
            ),
            issues=[
                Issue.error(
                    "case.limit",
                    message("err_id_too_long_short", lang),
                    "id",
                    expected=message("err_at_most_chars", lang, limit=LIMITS["id_chars"]),
                )
            ],
            path=source,
            lang=lang,
        )


def _check_string(value: Any, where: str, source: str, lang: str = "en") -> None:
    if isinstance(value, str) and len(value) > LIMITS["string_chars"]:
        raise _error(
            source,
            "err_string_too_long",
            lang,
            where=where,
            n=_count(len(value), lang),
            limit=_count(LIMITS["string_chars"], lang),
        )


def case_yaml(case: Any) -> str:
    """A case (the pydantic model) as a case-format YAML document: only what it states, in the
    format's key order, Unicode kept as written."""
    data = case.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data.setdefault("patient", {})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
