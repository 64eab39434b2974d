"""Benchmark of the registry (issue #15): 10,000 patients x 10 visits on SQLite and PostgreSQL.

For each backend: the load time (patients, visits with their stored case and result, one lesion
measured at every visit, one treatment per patient, through the ORM's bulk inserts in batches),
then, through the web app signed in, p50/p99 of the patient timeline page over 200 random
patients and of the cohort response summary (5 runs), each beside a baseline measured in the
same run: ``GET /api/v1/health`` through the same client (what any request costs).

The diagnosis results stored are those of the dev cases, computed once and cycled: this measures
the registry, not the engine.

Run: .venv/bin/python bench/registry.py [--patients 10000] [--visits 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from calcinosis import diagnose, load_kb, read_case
from calcinosis.registry import store
from calcinosis.registry.db import migrate, open_engine, session_scope
from calcinosis.registry.models import Lesion, LesionMeasurement, Patient, Treatment, Visit
from calcinosis.registry.throwaway import throwaway_postgres
from calcinosis.web.app import create_app
from calcinosis.web.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(os.environ.get("CALCINOSIS_SHARED", ROOT.parent / "shared")) / "cases"
PASSWORD = "benchmark password 42"
BATCH = 500


def load(url: str, n_patients: int, n_visits: int) -> float:
    kb = load_kb()
    samples = []
    for path in sorted(CASES.glob("dev-*.yaml")):
        case = read_case(path, kb)
        report = diagnose(case, kb)
        lead = report.differential[0]
        samples.append(
            (
                case.model_dump(mode="json", exclude_none=True),
                report.model_dump(mode="json", by_alias=True),
                report.category,
                lead,
            )
        )
    engine = open_engine(url)
    migrate(engine)
    with session_scope(engine) as s:
        store.add_user(s, "bench", PASSWORD, "clinician", actor="bench")
    rng = random.Random(7)
    start = time.perf_counter()
    first_day = dt.date(2015, 1, 1)
    for batch_start in range(0, n_patients, BATCH):
        with session_scope(engine) as s:
            codes = [f"B{i:06d}" for i in range(batch_start, min(batch_start + BATCH, n_patients))]
            s.execute(insert(Patient), [{"code": c, "sex": rng.choice(["female", "male"])} for c in codes])
            ids = dict(s.execute(select(Patient.code, Patient.id).where(Patient.code.in_(codes))).all())
            s.execute(insert(Lesion), [{"patient_id": ids[c], "label": "L1", "site": "hand"} for c in codes])
            lesion_ids = dict(
                s.execute(select(Lesion.patient_id, Lesion.id).where(Lesion.patient_id.in_(ids.values()))).all()
            )
            s.execute(
                insert(Treatment),
                [
                    {"patient_id": ids[c], "treatment": "diltiazem", "start": first_day + dt.timedelta(days=30)}
                    for c in codes
                ],
            )
            visits = []
            for c in codes:
                for k in range(n_visits):
                    case, result, category, lead = samples[rng.randrange(len(samples))]
                    visits.append(
                        {
                            "patient_id": ids[c],
                            "date": first_day + dt.timedelta(days=120 * k),
                            "case": case,
                            "result": result,
                            "category": category,
                            "leading_diagnosis": lead.diagnosis,
                            "leading_probability": lead.probability,
                            "code_version": "bench",
                            "kb_version": kb.version,
                        }
                    )
            s.execute(insert(Visit), visits)
            rows = s.execute(select(Visit.id, Visit.patient_id).where(Visit.patient_id.in_(ids.values()))).all()
            s.execute(
                insert(LesionMeasurement),
                [
                    {
                        "lesion_id": lesion_ids[pid],
                        "visit_id": vid,
                        "area_cm2": rng.uniform(0.5, 3.0),
                        "pain_vas": rng.randint(0, 10),
                    }
                    for vid, pid in rows
                ],
            )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def timings(client: TestClient, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path)
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, (path, r.status_code)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(url: str, n_patients: int) -> dict[str, float]:
    app = create_app(Settings(database_url=url))
    with TestClient(app) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)})
        assert "/logout" in client.get("/registry").text, "not signed in: the timings would measure the sign-in page"
        rng = random.Random(11)
        codes = [f"B{rng.randrange(n_patients):06d}" for _ in range(200)]
        health = timings(client, "/api/v1/health", 200)
        timeline = []
        for code in codes:
            timeline += timings(client, f"/registry/patients/{code}", 1)
        cohort = timings(client, "/registry/cohort", 5)
    return {
        "health_p50": pct(health, 0.5),
        "timeline_p50": pct(timeline, 0.5),
        "timeline_p99": pct(timeline, 0.99),
        "cohort_p50": pct(cohort, 0.5),
        "cohort_max": max(cohort) * 1000,
    }


def report(name: str, load_s: float, n: int, visits: int, m: dict[str, float]) -> None:
    print(f"{name}: {n} patients x {visits} visits loaded in {load_s:.1f} s ({n * visits / load_s:,.0f} visits/s)")
    print(f"  baseline GET /api/v1/health p50 {m['health_p50']:.2f} ms")
    print(
        f"  patient timeline p50 {m['timeline_p50']:.1f} ms, p99 {m['timeline_p99']:.1f} ms "
        f"({m['timeline_p50'] / m['health_p50']:.0f}x the baseline)"
    )
    print(f"  cohort response summary p50 {m['cohort_p50']:.0f} ms, max {m['cohort_max']:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        seconds = load(url, args.patients, args.visits)
        report("SQLite", seconds, args.patients, args.visits, measure(url, args.patients))
    with throwaway_postgres() as url:
        seconds = load(url, args.patients, args.visits)
        report("PostgreSQL", seconds, args.patients, args.visits, measure(url, args.patients))


if __name__ == "__main__":
    main()
