"""``calcinosis intake NOTE.txt``: a free-text note → a case to review, with its evidence."""

from __future__ import annotations

from pathlib import Path

import typer

from calcinosis.cli._common import KB_OPTION, fail, handles_errors, load, safe

__all__ = ["NOTE_SUFFIXES", "intake", "note_case"]

NOTE_SUFFIXES = (".txt", ".text")
"""A file with one of these suffixes is a free-text note: ``diagnose`` reads it through the intake."""

_MAX_BYTES = 5_000_000  # a referral letter is a few kB; 5 MB bounds the work (a 1 MB note takes seconds)
_STYLES = {
    "present": "bold green",
    "absent": "bold red",
    "historical": "bold cyan",
    "hypothetical": "yellow",
    "family": "magenta",
}


@handles_errors
def intake(
    note: Path = typer.Argument(..., help="The note: a UTF-8 text file, in French or English."),
    lang: str | None = typer.Option(
        None,
        "--lang",
        "-l",
        help="Language of the note (fr or en); detected when omitted. Also the language of the messages.",
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the case here (YAML)."),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the extraction (case, items, evidence) as JSON."),
    kb_path: Path | None = KB_OPTION,
) -> None:
    """Read a clinical note into a case: every item with the words it came from and why."""
    from calcinosis.intake.language import IntakeError, say

    ui = lang if lang in ("fr", "en") else "en"
    if lang is not None and lang not in ("fr", "en"):
        raise fail(say("intake_bad_lang", "en", lang=lang) + " / " + say("intake_bad_lang", "fr", lang=lang))
    if output is not None:
        from calcinosis.outputs import check_output

        check_output(output, inputs=[note], force=force, lang=ui)
    text = _read(note, ui)
    kb = load(kb_path)
    from calcinosis.intake import extract_case

    try:
        extraction = extract_case(text, kb, lang=lang)
    except IntakeError as exc:
        raise fail(exc.text(ui) if lang is not None else str(exc), ui) from None
    ui = lang or extraction.lang
    import yaml

    case_text = yaml.safe_dump(extraction.case, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    if as_json:
        typer.echo(extraction.to_json())
    else:
        _render(text, extraction, case_text, ui)
    if output is not None:
        from calcinosis.outputs import write_output

        write_output(output, case_text, inputs=[note], force=force, lang=ui)
        typer.echo(say("written", ui, path=output), err=as_json)


def _read(path: Path, lang: str) -> str:
    from calcinosis.intake.language import say

    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise fail(say("intake_unreadable", lang, path=path, reason=exc.strerror or type(exc).__name__), lang) from None
    if len(data) > _MAX_BYTES:
        raise fail(say("intake_too_large", lang, path=path, limit=_MAX_BYTES), lang)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise fail(say("intake_not_text", lang, path=path, offset=exc.start), lang) from None


def _render(text: str, extraction: object, case_text: str, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from calcinosis.intake.language import say
    from calcinosis.intake.result import Extraction
    from calcinosis.textsafe import plain

    assert isinstance(extraction, Extraction)
    console = Console(highlight=False)
    how = (
        say("lang_given", lang, lang=extraction.lang)
        if extraction.lang_given
        else say("lang_detected", lang, lang=extraction.lang, how=extraction.lang_detection)
    )
    console.print(safe(how, 200))
    shown = plain(text[:20_000])
    note = Text(shown)
    for item in [*extraction.items, *extraction.dropped]:
        if item.end <= len(shown) and item.start < item.end:
            note.stylize(_STYLES.get(item.status, "bold"), item.start, item.end)
    for unknown in extraction.not_understood:
        if unknown.end <= len(shown):
            note.stylize("underline", unknown.start, unknown.end)
    console.rule(say("title_note", lang))
    console.print(note)
    for title, rows in (("title_items", extraction.items), ("title_dropped", extraction.dropped)):
        console.rule(say(title, lang))
        if not rows:
            console.print(say("none_found", lang))
            continue
        table = Table(show_lines=False)
        for col in ("col_field", "col_term", "col_text", "col_status", "col_reason"):
            table.add_column(say(col, lang))
        for item in rows[:500]:
            table.add_row(
                safe(item.field, 40),
                safe(item.term, 60),
                safe(item.text, 60),
                Text(say(f"status_{item.status}", lang), style=_STYLES.get(item.status, "")),
                safe(item.reason, 200),
            )
        console.print(table)
    console.rule(say("title_not_understood", lang))
    if not extraction.not_understood:
        console.print(say("none_found", lang))
    for unknown in extraction.not_understood[:200]:
        console.print(safe(say("not_understood_line", lang, text=unknown.text), 160))
    if extraction.missing:
        console.print(Text(say("missing_age", lang), style="bold yellow"))
    console.rule(say("title_case", lang))
    from rich.markup import escape

    console.print(escape(plain(case_text)))


def note_case(path: Path, kb: object, lang: str) -> object:
    """The case read from the note at ``path`` for ``calcinosis diagnose NOTE.txt``.

    It says on stderr that the case was read from free text, with how many items were placed,
    set aside and not understood, and how to review it; a note that gives no age stops here
    (the age is required and is never guessed).
    """
    from calcinosis.case.reader import parse_case
    from calcinosis.i18n import message
    from calcinosis.intake import IntakeError, extract_case
    from calcinosis.kb.model import KnowledgeBase

    assert isinstance(kb, KnowledgeBase)
    text = _read(path, lang)
    try:
        extraction = extract_case(text, kb)
    except IntakeError as exc:
        raise fail(f"{safe(str(path))}: {exc.text(lang)}", lang) from None
    if extraction.missing:
        raise fail(message("note_missing", lang, path=safe(str(path)), fields=", ".join(extraction.missing)), lang)
    typer.echo(
        message(
            "note_read",
            lang,
            path=safe(str(path)),
            note_lang=extraction.lang,
            items=len(extraction.items),
            dropped=len(extraction.dropped),
            unknown=len(extraction.not_understood),
        ),
        err=True,
    )
    return parse_case(extraction.case, kb, source=f"{path} (intake)", lang=lang)
