"""Benchmark of ``POST /api/v1/diagnose`` under a bounded loopback load (issue #14 targets on a
2-core machine: at least 40 % of a bare FastAPI endpoint's throughput, p99 <= 50 ms).

Both servers run in the same run, one after the other, each as one uvicorn process on
127.0.0.1 with the same settings; the same client (httpx, asyncio, ``--concurrency`` requests in
flight, the same dev-case body) loads each for ``--seconds`` after a warm-up. Printed: requests
per second, p50 and p99 latency of each, and the ratios.

Run: .venv/bin/python bench/api.py [--seconds 10] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(os.environ.get("CALCINOSIS_SHARED", ROOT.parent / "shared")) / "cases"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _serve(app: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT / "bench" if app.startswith("_bare") else ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(400):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc


async def _load(url: str, bodies: list[bytes], seconds: float, concurrency: int) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = 0.0

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        nonlocal errors
        i = offset
        while time.perf_counter() < deadline:
            body = bodies[i % len(bodies)]
            i += concurrency
            start = time.perf_counter()
            response = await client.post(url, content=body, headers={"content-type": "application/yaml"})
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + 1.0  # warm-up, not counted
        await asyncio.gather(*(worker(client, k) for k in range(concurrency)))
        latencies.clear()
        errors = 0
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker(client, k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    return round(len(latencies) / elapsed), latencies, errors


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in sorted(CASES.glob("dev-*.yaml"))]
    rows = []
    for name, app, path in (
        ("bare FastAPI endpoint", "_bare_app:app", "/bare"),
        ("POST /api/v1/diagnose", "calcinosis.web.asgi:app", "/api/v1/diagnose"),
    ):
        port = _free_port()
        proc = _serve(app, port)
        try:
            rps, latencies, errors = asyncio.run(
                _load(f"http://127.0.0.1:{port}{path}", bodies, args.seconds, args.concurrency)
            )
        finally:
            proc.terminate()
            proc.wait(10)
        rows.append((name, rps, _pct(latencies, 0.5), _pct(latencies, 0.99), errors))
    print(f"loopback, {args.concurrency} requests in flight, {args.seconds:g} s each, {len(bodies)} dev-case bodies")
    for name, rps, p50, p99, errors in rows:
        print(f"  {name:<24} {rps:>6} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   non-200: {errors}")
    (_, bare_rps, _, _, _), (_, rps, _, p99, _) = rows
    ratio = rps / bare_rps
    print(f"  throughput ratio {ratio:.2f} (target >= 0.40); diagnose p99 {p99:.1f} ms (target <= 50 ms)")
    print(f"  mean latency check: {statistics.fmean([r[2] for r in rows]):.2f} ms (p50 average of both)")


if __name__ == "__main__":
    main()
