"""Hand radiographs followed by region in the registry: a measured study attached to a visit, its
per-region values in the course (classes of the last step), the CLI response, the patient page
and the course chart (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from calcinosis import KnowledgeBase, read_case
from calcinosis.cli.main import app as cli
from calcinosis.imaging.radiograph import quantify_radiograph
from calcinosis.imaging.results import ImagingResult
from calcinosis.registry import store
from calcinosis.registry.db import migrate, open_engine, session_scope
from calcinosis.registry.imaging_course import hand_course, imaging_course, region_rule
from calcinosis.registry.models import ImagingStudy
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

from ..conftest import SHARED
from ..imaging.test_hand_phantom import hand_phantom

D1, D2 = dt.date(2025, 1, 10), dt.date(2026, 1, 12)
CREST = SHARED / "cases" / "dev-003-crest-fingertips.yaml"
PASSWORD = "correct horse battery staple"
# the phantom's eight deposits, one per region (tests/imaging/test_hand_phantom.py)
REGIONS = {
    "index_distal", "ring_distal", "middle_middle", "little_proximal",
    "index_proximal", "palm", "thumb", "wrist",
}  # fmt: skip


@pytest.fixture(scope="module")
def hands() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two hand radiographs a year apart: index fingertip deposit +30 % in area, palm deposit -30 %."""
    before, _ = hand_phantom(seed=1)
    after, _ = hand_phantom(seed=2, scale={"index_distal": 1.3, "palm": 0.7})
    r1, r2 = quantify_radiograph(before, hand=True), quantify_radiograph(after, hand=True)
    return r1.model_dump(mode="json"), r2.model_dump(mode="json")


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A throwaway SQLite registry for the command-line tests (each command opens its own engine)."""
    eng = open_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(eng)
    yield eng
    eng.dispose()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _patient(engine: Engine, kb: KnowledgeBase, code: str = "P001") -> None:
    case = read_case(CREST, kb)
    with session_scope(engine) as s:
        p = store.add_patient(s, code, actor="t", sex="female", birth_year=1960)
        for day in (D1, D2):
            store.add_visit(s, p, case, kb, date=day, actor="t")


def _attach_by_cli(engine: Engine, tmp_path: Path, payloads: tuple[dict[str, Any], ...]) -> None:
    runner = CliRunner()
    for day, payload in zip((D1, D2), payloads, strict=True):
        path = tmp_path / f"result-{day}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        out = runner.invoke(
            cli, ["registry", "add-imaging", "P001", str(path), "--date", str(day), "--db", _url(engine)]
        )
        assert out.exit_code == 0, out.stderr


def _old_version(payload: dict[str, Any]) -> dict[str, Any]:
    """The same measurement as a version before hand regions wrote it: no ``hand``, no deposit region."""
    old = {k: v for k, v in payload.items() if k != "hand"}
    old["deposits"] = [
        {k: v for k, v in d.items() if k not in ("region", "density_ratio")} for d in payload["deposits"]
    ]
    return old


def test_hand_result_round_trips_and_the_course_classes_each_region(
    engine: Engine, kb: KnowledgeBase, hands: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """The whole result is stored with ``hand``; the course: +30 % progression, -30 % improvement."""
    _patient(engine, kb)
    with session_scope(engine) as s:
        p = store.get_patient(s, "P001")
        for day, payload in zip((D1, D2), hands, strict=True):
            store.add_imaging(s, p, date=day, result=payload, actor="t")
    with session_scope(engine) as s:
        stored = [st.result for st in s.scalars(select(ImagingStudy).order_by(ImagingStudy.id))]
        assert stored == list(hands)  # the JSON as written, ``hand`` included
        assert ImagingResult.model_validate(stored[0]).hand is not None
        rows, steps = imaging_course(store.get_patient(s, "P001"))
    assert [r.date for r in rows] == [D1, D2] and all(r.hand is not None for r in rows)
    (step,) = steps
    changes = {c.region: c for c in step.regions}
    assert len(changes) == 15
    index, palm = changes["index_distal"], changes["palm"]
    assert index.change == "progression" and 25 < index.change_percent < 35  # type: ignore[operator]
    assert palm.change == "improvement" and -35 < palm.change_percent < -25  # type: ignore[operator]
    assert changes["ring_distal"].change == "stable" and abs(changes["ring_distal"].change_percent) < 5  # type: ignore[arg-type]
    assert changes["middle_distal"].change is None  # empty at both radiographs
    # coverage follows the area (the region's own area barely moves between the two phantoms)
    assert index.after_coverage_percent / index.before_coverage_percent == pytest.approx(
        index.after_mm2 / index.before_mm2, rel=0.05
    )
    assert step.change_rule is not None and "10.1016/j.semarthrit.2022.151980" in step.change_rule
    course = hand_course(rows, steps)
    assert course is not None and course.dates == [D1, D2] and course.last_step == (D1, D2)
    assert {r.region for r in course.regions} == REGIONS  # every region that ever held a deposit, no other
    by = {r.region: r for r in course.regions}
    assert (by["index_distal"].change, by["palm"].change, by["wrist"].change) == (
        "progression",
        "improvement",
        "stable",
    )
    assert by["index_distal"].area_mm2[1] > by["index_distal"].area_mm2[0] > 0
    assert course.total_mm2 == [r.hand_total_mm2 for r in rows]


def test_cli_attaches_and_the_response_shows_the_region_table(
    engine: Engine, kb: KnowledgeBase, tmp_path: Path, hands: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """``add-imaging`` keeps ``hand``; ``registry response`` prints each region's area per date and
    class; on both backends (the commands close their connections when they end)."""
    _patient(engine, kb)
    _attach_by_cli(engine, tmp_path, hands)
    with session_scope(engine) as s:
        assert [st.result for st in s.scalars(select(ImagingStudy).order_by(ImagingStudy.id))] == list(hands)
    out = CliRunner().invoke(cli, ["registry", "response", "P001", "--db", _url(engine)], env={"COLUMNS": "220"})
    assert out.exit_code == 0, out.stderr
    text = out.stdout
    assert "Hand radiographs: deposit area by region (mm²)" in text
    assert D1.isoformat() in text and D2.isoformat() in text
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") >= 5}
    assert re.search(r"\+(2[5-9]|3[0-5])\s%\s*│\s*progression", lines["index, distal phalanx"])
    assert re.search(r"-(2[5-9]|3[0-5])\s%\s*│\s*improvement", lines["palm (metacarpals)"])
    assert "stable" in lines["wrist"] and "whole hand" in lines
    assert "index, middle phalanx" not in lines  # never held a deposit
    assert "extrapolation" in text and "Valenzuela 2022" in text
    as_json = CliRunner().invoke(cli, ["registry", "response", "P001", "--json", "--db", _url(engine)])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["patient"] == "P001"


def test_a_result_of_an_older_version_without_hand_still_loads(
    sqlite_engine: Engine, kb: KnowledgeBase, tmp_path: Path, hands: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """No ``hand`` (an older version): stored, followed deposit by deposit, no region class, no error."""
    engine = sqlite_engine
    _patient(engine, kb)
    _attach_by_cli(engine, tmp_path, (_old_version(hands[0]), hands[1]))
    with session_scope(engine) as s:
        rows, steps = imaging_course(store.get_patient(s, "P001"))
    assert rows[0].hand is None and rows[0].unreadable is None and rows[1].hand is not None
    (step,) = steps
    assert step.total_change_percent is not None and step.matched == 8 and step.regions == []
    course = hand_course(rows, steps)
    assert course is not None and course.dates == [D2] and course.last_step is None
    assert all(r.change is None for r in course.regions)
    out = CliRunner().invoke(cli, ["registry", "response", "P001", "--db", _url(engine)], env={"COLUMNS": "220"})
    assert out.exit_code == 0
    table = out.stdout.split("Hand radiographs: deposit area by region (mm²)")[1]
    assert "index, distal phalanx" in table and D2.isoformat() in table and D1.isoformat() not in table
    assert "progression" not in table and "Change classes" not in table  # one radiograph by region: no class


def test_two_hand_radiographs_on_one_date_are_not_followed_hand_by_hand(
    engine: Engine, kb: KnowledgeBase, hands: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Both hands at the second visit: the result does not say which hand, so no region class is given."""
    _patient(engine, kb)
    with session_scope(engine) as s:
        p = store.get_patient(s, "P001")
        store.add_imaging(s, p, date=D1, result=hands[0], actor="t")
        store.add_imaging(s, p, date=D2, result=hands[1], actor="t")
        store.add_imaging(s, p, date=D2, result=hands[0], actor="t")
    with session_scope(engine) as s:
        rows, steps = imaging_course(store.get_patient(s, "P001"))
    assert all(step.regions == [] for step in steps)
    course = hand_course(rows, steps)
    assert course is not None and course.last_step is None and course.note is not None
    assert course.note.startswith("several hand radiographs on one date")
    assert region_rule(course, "fr").startswith(
        "Plusieurs radiographies de la main à la même date (les deux mains\u202f?)"
    )


@pytest.fixture
def site(registry_url: str, kb: KnowledgeBase) -> Iterator[tuple[TestClient, Engine]]:
    engine = open_engine(registry_url)
    migrate(engine)
    with session_scope(engine) as s:
        store.add_user(s, "doc", PASSWORD, "clinician", actor="setup")
    app = create_app(Settings(database_url=registry_url), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        data = {"username": "doc", "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login", data=data, follow_redirects=False).status_code == 303
        yield client, engine
    engine.dispose()


def _row(page: str, region: str) -> str:
    match = re.search(rf'<tr data-region="{region}">(.*?)</tr>', page, re.S)
    assert match, region
    return match.group(1)


def test_patient_page_and_chart_show_the_regions(
    site: tuple[TestClient, Engine], kb: KnowledgeBase, hands: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """The page (French and English) has the region table with the classes; the chart a line per region."""
    client, engine = site
    _patient(engine, kb)
    with session_scope(engine) as s:
        p = store.get_patient(s, "P001")
        for day, payload in zip((D1, D2), hands, strict=True):
            store.add_imaging(s, p, date=day, result=payload, actor="t")
    fr = client.get("/registry/patients/P001?lang=fr")
    assert fr.status_code == 200
    page = fr.text
    assert "Radiographies de la main\u00a0: surface des dépôts par région (mm²)" in page
    assert "index, phalange distale" in _row(page, "index_distal") and "progression" in _row(page, "index_distal")
    assert "amélioration" in _row(page, "palm") and "stable" in _row(page, "wrist")
    assert "main entière" in _row(page, "total")
    assert 'data-region="index_middle"' not in page  # never held a deposit
    assert "extrapolation" in page and "improvement" not in page and "distal phalanx" not in page
    assert 'height="690"' in page  # the chart's third panel
    en = client.get("/registry/patients/P001?lang=en").text
    assert "improvement" in _row(en, "palm") and "index, distal phalanx" in _row(en, "index_distal")

    svg = client.get("/registry/patients/P001/chart.svg?lang=fr")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    lines = dict(re.findall(r'<g id="hand-region-(\w+)">\s*<path d="([^"]+)"', svg.text))
    assert set(lines) == REGIONS

    def ys(d: str) -> list[float]:
        return [float(y) for y in re.findall(r"[ML] [-\d.]+ ([-\d.]+)", d)]

    assert len(ys(lines["index_distal"])) == 2
    assert ys(lines["index_distal"])[1] < ys(lines["index_distal"])[0]  # rises (SVG y grows downwards)
    assert ys(lines["palm"])[1] > ys(lines["palm"])[0]  # falls
    assert "Dépôts par région de la main (mm²)" in svg.text and "index, phalange distale" in svg.text
    assert "paume (métacarpiens)" in svg.text
    assert "index, distal phalanx" in client.get("/registry/patients/P001/chart.svg?lang=en").text


def test_an_unreadable_stored_result_is_said_not_a_traceback(
    site: tuple[TestClient, Engine], kb: KnowledgeBase
) -> None:
    """A stored result that is not an ImagingResult: the page shows the study as unreadable, in its language."""
    client, engine = site
    _patient(engine, kb)
    bad = {"modality": "radiograph", "total_volume_mm3": 1.0, "deposits": [{"id": "one"}]}
    with session_scope(engine) as s:
        store.add_imaging(s, store.get_patient(s, "P001"), date=D1, result=bad, actor="t")
    with session_scope(engine) as s:
        rows, steps = imaging_course(store.get_patient(s, "P001"))
    assert rows[0].unreadable is not None and "first at " in rows[0].unreadable and steps == []
    fr = client.get("/registry/patients/P001?lang=fr")
    assert fr.status_code == 200 and "le résultat enregistré est illisible\u202f; non comparé" in fr.text
