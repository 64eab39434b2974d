"""Benchmark of ``POST /api/v1/diagnose`` under a bounded loopback load (issue #14 targets on a
2-core machine: at least 40 % of a bare FastAPI endpoint's throughput, p99 <= 50 ms).

Both servers run in the same run, one after the other, each as one uvicorn process on
127.0.0.1 with the same settings; the same client (``--concurrency`` processes, each with one
keep-alive connection and one request in flight, cycling through the dev cases as JSON) loads
each for ``--seconds`` after a warm-up. Printed: requests per second, p50 and p99 latency of
each, and the ratios.

Run: .venv/bin/python bench/api.py [--seconds 10] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES = Path(os.environ.get("CALCINOSIS_SHARED", ROOT.parent / "shared")) / "cases"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _serve(app: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        cwd=ROOT / "bench" if app.startswith("_bare") else ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(400):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            break
        except OSError:
            time.sleep(0.05)
    return proc


def _client(url: str, bodies: list[bytes], seconds: float, offset: int, step: int, out: Any) -> None:
    """One client process: a keep-alive connection, one request at a time (light on CPU, unlike an
    asyncio client, so that the server is what is measured)."""
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {"content-type": "application/json"}
    latencies: list[float] = []
    errors = 0
    i = offset
    warm_until = time.perf_counter() + 1.0  # warm-up, not counted
    end = warm_until + seconds
    while (now := time.perf_counter()) < end:
        conn.request("POST", parsed.path, body=bodies[i % len(bodies)], headers=headers)
        response = conn.getresponse()
        response.read()
        done = time.perf_counter()
        if now >= warm_until:
            latencies.append(done - now)
            errors += response.status != 200
        i += step
    out.put((latencies, errors))


def _load(url: str, bodies: list[bytes], seconds: float, concurrency: int) -> tuple[int, list[float], int]:
    """``concurrency`` client processes for ``seconds``; requests per second, latencies, non-200 count."""
    queue: Any = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_client, args=(url, bodies, seconds, k, concurrency, queue))
        for k in range(concurrency)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    latencies = [lat for lats, _ in results for lat in lats]
    return round(len(latencies) / seconds), latencies, sum(e for _, e in results)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes, the same for both servers")
    args = parser.parse_args()
    # the dev cases as JSON, the API's own media type (YAML is accepted too, and costs ~2 ms more to parse)
    bodies = [
        json.dumps(yaml.safe_load(p.read_text(encoding="utf-8"))).encode() for p in sorted(CASES.glob("dev-*.yaml"))
    ]
    rows = []
    for name, app, path in (
        ("bare FastAPI endpoint", "_bare_app:app", "/bare"),
        ("POST /api/v1/diagnose", "calcinosis.web.asgi:app", "/api/v1/diagnose"),
    ):
        port = _free_port()
        proc = _serve(app, port, args.workers)
        try:
            rps, latencies, errors = _load(f"http://127.0.0.1:{port}{path}", bodies, args.seconds, args.concurrency)
        finally:
            proc.terminate()
            proc.wait(10)
        rows.append((name, rps, _pct(latencies, 0.5), _pct(latencies, 0.99), errors))
    print(
        f"loopback, {args.concurrency} requests in flight, {args.workers} worker(s), {args.seconds:g} s each, "
        f"{len(bodies)} dev-case bodies"
    )
    for name, rps, p50, p99, errors in rows:
        print(f"  {name:<24} {rps:>6} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   non-200: {errors}")
    (_, bare_rps, _, _, _), (_, rps, _, p99, _) = rows
    ratio = rps / bare_rps
    print(f"  throughput ratio {ratio:.2f} (target >= 0.40); diagnose p99 {p99:.1f} ms (target <= 50 ms)")


if __name__ == "__main__":
    main()
