"""The Jinja2 environment of the pages: autoescaped, strict, with the project's French typography.

Filters give the templates what they print: ``ui`` (a UI message in the page's language, from
``messages.yaml`` like every other text), ``label`` (a vocabulary term's label), ``pct`` (a
probability with Babel's number format, never 0 % or 100 % for a non-certain value), ``cite``
(a reference's citation for a tooltip).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from calcinosis.case.reader import separator_readings
from calcinosis.engine.diagnose import URGENT_CODES
from calcinosis.i18n import decimal, message, percent
from calcinosis.kb.model import KnowledgeBase
from calcinosis.reports.plain_basis import plain_basis
from calcinosis.textsafe import plain

__all__ = ["templates"]

templates = Jinja2Templates(directory=str(resources.files("calcinosis") / "web" / "templates"))
env = templates.env
env.undefined = StrictUndefined
env.trim_blocks = True
env.lstrip_blocks = True


def _finalize(value: object) -> object:
    """Every printed string loses control characters (a case's text is untrusted; its length is
    already bounded by the case reader's limits); markup built by the templates themselves
    (macros) is left as it is, and autoescaping does the rest."""
    if isinstance(value, Markup):
        return value
    return plain(value) if isinstance(value, str) else value


env.finalize = _finalize


@pass_context
def _ui(ctx: Context, key: str, **values: object) -> str:
    return message(f"ui_{key}", str(ctx.get("lang", "en")), **values)


@pass_context
def _label(ctx: Context, term: str, list_name: str) -> str:
    kb: KnowledgeBase = ctx["kb"]
    try:
        return kb.vocabulary.label(list_name, term, str(ctx.get("lang", "en")))
    except (KeyError, ValueError):
        return term


@pass_context
def _pct(ctx: Context, p: float, digits: int = 0) -> str:
    return percent(p, str(ctx.get("lang", "en")), digits)  # never 0 % or 100 % for an uncertain value


@pass_context
def _field(ctx: Context, value: object) -> str:
    """A number as the form shows it: the decimal comma in French ('2,35'); the form reads both.
    A text typed with a dot before three digits ('1.200', refused as ambiguous) comes back as
    typed: turned into '1,200' it would no longer be what the message beside it quotes."""
    text = "" if value is None else str(value)
    if ctx.get("lang") == "fr" and re.fullmatch(r"[+-]?\d+\.\d+", text) and separator_readings(text) is None:
        return text.replace(".", ",")
    return text


@pass_context
def _num(ctx: Context, x: float, digits: int = 1) -> str:
    return decimal(x, str(ctx.get("lang", "en")), digits)


@pass_context
def _cite(ctx: Context, ref: str) -> str:
    kb: KnowledgeBase = ctx["kb"]
    spec = kb.references.get(ref)
    return spec.text(str(ctx.get("lang", "en"))) if spec is not None else ref


@pass_context
def _plain(ctx: Context, text: str) -> str:
    kb: KnowledgeBase = ctx["kb"]
    return plain_basis(text, kb, str(ctx.get("lang", "en")))  # a reason's case paths in words


def _tojson_attr(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


env.filters.update(
    field=_field, ui=_ui, label=_label, pct=_pct, num=_num, cite=_cite, plain=_plain, jsonattr=_tojson_attr
)
env.globals["ui"] = _ui
env.globals["urgent_codes"] = URGENT_CODES  # the emergencies the case page opens on


def _units_by_test(kb: KnowledgeBase) -> dict[str, list[str]]:
    """The units each lab test accepts (the unit list of a lab row follows its test)."""
    return {test: list(spec["units"]) for test, spec in kb.units["tests"].items()}


@pass_context
def _mechanism_label(ctx: Context, mechanism: str) -> str:
    from calcinosis.i18n import messages

    key = f"mechanism_{mechanism}"
    return message(key, str(ctx.get("lang", "en"))) if key in messages() else mechanism.replace("_", " ")


@pass_context
def _separator(ctx: Context) -> str:
    """'; ' in English, ' ; ' with a narrow no-break space in French (messages.yaml list_separator)."""
    return message("list_separator", str(ctx.get("lang", "en")))


@pass_context
def _colon(ctx: Context) -> str:
    """':' as the page's language writes it after a word (a no-break space before it in French)."""
    from calcinosis.i18n import colon

    return colon(str(ctx.get("lang", "en")))


@pass_context
def _lab_rows(ctx: Context, report: Any) -> list[Any]:
    """The report's laboratory table, the same rows as the clinician report and the terminal."""
    from calcinosis.reports.lab_table import lab_rows

    return lab_rows(report.labs, ctx["kb"], str(ctx.get("lang", "en")))


env.globals.update(
    units_by_test=_units_by_test,
    mechanism_label=_mechanism_label,
    separator=_separator,
    colon=_colon,
    lab_rows=_lab_rows,
)


def _extra_keys(extra: dict[str, Any]) -> list[str]:
    """The items of a loaded case the form keeps without showing them (``patient.postmenopausal``)."""
    keys = []
    for key, value in extra.items():
        if key == "patient" and isinstance(value, dict):
            keys += [f"patient.{k}" for k in value]
        else:
            keys.append(key)
    return keys


env.globals["extra_keys"] = _extra_keys
