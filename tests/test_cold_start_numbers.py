"""Numbers are written by Babel with a locale that holds only its number symbols, read from a
JSON cache (issue #17): reading Babel's whole locale data took 35 ms of every start. The numbers
must be written exactly as with Babel's full locale, the cache must be read on a warm start and
never used when it is damaged or of another Babel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel import Locale
from babel.numbers import parse_pattern

from calcinosis import i18n, number_symbols
from calcinosis.number_symbols import NumbersOnlyLocale, number_locale

VALUES = [0.0, 1e-7, 0.00049, 0.0005, 0.004, 0.005, 0.0125, 0.1, 1 / 3, 0.5, 0.985, 0.995, 0.99995, 1.0]
VALUES += [2.5, 12.345, 999.5, 1234.5678, 1_234_567.891, -0.5, -3.25, -1234.5]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of this test's own, and the symbols read afresh before and after."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CALCINOSIS_CACHE_DIR", str(folder))
    _forget_numbers()
    yield folder
    _forget_numbers()


def _forget_numbers() -> None:
    """Clear every number format i18n keeps: the next number reads the symbols again."""
    number_locale.cache_clear()
    i18n._number_format.cache_clear()
    i18n._percent_affixes.cache_clear()


def _refuse_babel_data(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Locale) -> None:
        raise AssertionError(f"Babel's locale data for {self} was read")

    monkeypatch.setattr(Locale, "_data", property(refuse))


@pytest.mark.parametrize(("lang", "full"), [("en", "en_GB"), ("fr", "fr_FR")])
def test_numbers_are_written_as_with_babels_full_locale(cache: Path, lang: str, full: str) -> None:
    locale, percent_pattern = number_locale(lang)
    reference = Locale.parse(full)
    assert percent_pattern == reference.percent_formats[None].pattern
    patterns = [percent_pattern, "#,##0.0 %", "#,##0.00%", "#,##0", "#,##0.#", "#,##0.##", "#,##0.###"]
    for pattern in patterns:
        parsed = parse_pattern(pattern)
        for x in VALUES:
            assert parsed.apply(x, locale) == parsed.apply(x, reference), (lang, pattern, x)


def test_the_french_symbols_are_french(cache: Path) -> None:
    """Decimal comma, a narrow no-break space between thousands, a no-break space before '%'."""
    assert i18n.decimal(1234.5, "fr") == "1\u202f234,5"
    assert i18n.percent(0.985, "fr", 1) == "98,5\u00a0%"
    assert i18n.percent(0.985, "en", 1) == "98.5%"


def test_a_warm_start_reads_the_symbols_from_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = {lang: i18n.percent(0.1234, lang, 1) + i18n.decimal(-1234.5, lang) for lang in ("en", "fr")}
    (path,) = cache.glob("numbers-*.json")
    assert path.stat().st_mode & 0o077 == 0  # written for this user only
    _forget_numbers()
    _refuse_babel_data(monkeypatch)
    assert {lang: i18n.percent(0.1234, lang, 1) + i18n.decimal(-1234.5, lang) for lang in ("en", "fr")} == first


def test_the_locale_answers_nothing_but_its_numbers(cache: Path) -> None:
    locale, _ = number_locale("fr")
    assert isinstance(locale, NumbersOnlyLocale) and str(locale) == "fr_FR"
    with pytest.raises(KeyError):
        _ = locale.display_name  # would need the language names: not loaded, never guessed


def test_a_damaged_cache_is_ignored_and_rebuilt(cache: Path) -> None:
    expected = i18n.percent(0.5, "fr")
    (path,) = cache.glob("numbers-*.json")
    header, _, body = path.read_bytes().partition(b"\n")
    table = json.loads(body)
    table["fr"]["symbols"]["decimal"] = "."  # altered behind the checksum
    path.write_bytes(header + b"\n" + json.dumps(table).encode())
    _forget_numbers()
    assert i18n.decimal(0.5, "fr") == "0,5" and i18n.percent(0.5, "fr") == expected
    assert json.loads(path.read_bytes().partition(b"\n")[2])["fr"]["symbols"]["decimal"] == ","


def test_another_babel_is_another_key(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = number_symbols._key()
    monkeypatch.setattr(number_symbols.babel, "__version__", "0.0.0")
    assert key is not None and number_symbols._key() not in (None, key)


@pytest.mark.parametrize("table", [{}, {"en": {}}, {"en": {"symbols": {}, "percent": "#"}}, [], "x"])
def test_a_table_of_the_wrong_shape_is_refused(table: object) -> None:
    assert not number_symbols._is_table(table)
