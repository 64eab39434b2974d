"""Benchmark of CT deposit quantification (issue #6 target on 2 cores: <= 5 s and peak memory <= 3x the volume).

A synthetic 512x512x600 int16 CT (300 MiB): soft tissue 40 +- 20 HU, two cortical long bones
with marrow, and 3000 calcified balls (radius 1-6 voxels, 300-1000 HU). Each pipeline runs in
its own process so that its peak RSS is its own:

- calcinosis: ``quantify_ct`` (body outline, threshold, cc3d labelling, shape-based bone
  removal, per-deposit statistics on bounding boxes);
- baseline: a plain scipy.ndimage pipeline (threshold, ``ndimage.label``, then
  ``ndimage.sum/mean/maximum`` over all labels and ``find_objects``), no bone removal.

Peak memory is reported as process peak RSS minus the RSS after the volume is loaded, and as a
ratio to the volume's size. Run: .venv/bin/python bench/imaging.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SHAPE = (600, 512, 512)
SPACING = (1.0, 0.8, 0.8)


def make_volume(path: Path) -> None:
    rng = np.random.default_rng(0)
    vol = np.full(SHAPE, -1000, dtype=np.int16)
    z, y, x = SHAPE
    yy, xx = np.ogrid[:y, :x]
    body = (yy - y / 2) ** 2 + (xx - x / 2) ** 2 <= 220**2
    vol[:, body] = 40
    for by, bx in ((200, 200), (320, 300)):
        r2 = (yy - by) ** 2 + (xx - bx) ** 2
        vol[:, r2 <= 22**2] = 1000
        vol[:, r2 <= 14**2] = 20
    vol += rng.normal(0, 20, size=SHAPE).astype(np.int16) * (vol > -500)
    for _ in range(3000):
        r = int(rng.integers(1, 7))
        cz, cy, cx = int(rng.integers(10, z - 10)), int(rng.integers(80, y - 80)), int(rng.integers(80, x - 80))
        g = np.ogrid[-r : r + 1, -r : r + 1, -r : r + 1]
        ball = g[0] ** 2 + g[1] ** 2 + g[2] ** 2 <= r * r
        crop = vol[cz - r : cz + r + 1, cy - r : cy + r + 1, cx - r : cx + r + 1]
        crop[ball] = int(rng.integers(300, 1000))
    np.save(path, vol)


def run_one(method: str, path: str) -> None:
    from scipy import ndimage

    from calcinosis.imaging.ct import quantify_ct
    from calcinosis.imaging.volume import Volume

    vol = np.load(path)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    if method == "calcinosis":
        result = quantify_ct(Volume(array=vol, spacing=SPACING))
        print(json.dumps(result.timings_s), file=sys.stderr)
        n, bones = len(result.deposits), result.bone_components
    else:
        mask = vol >= 130
        labels, n = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
        index = np.arange(1, n + 1)
        ndimage.sum(mask, labels, index)
        ndimage.mean(vol, labels, index)
        ndimage.maximum(vol, labels, index)
        ndimage.find_objects(labels)
        bones = 0
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "method": method,
                "wall_s": wall,
                "extra_peak_mb": (peak - base_rss) / 1024,
                "components": int(n),
                "bones": bones,
            }
        )
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vol.npy"
        t = time.perf_counter()
        # made in a child process: the peak RSS of a process survives fork and exec, so the
        # parent must stay small for the children's peaks to be their own
        subprocess.run([sys.executable, __file__, "--make", str(path)], check=True)
        size_mb = np.prod(SHAPE) * 2 / 2**20
        print(
            f"synthetic CT {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} int16 ({size_mb:.0f} MiB) made in {time.perf_counter() - t:.1f} s"
        )
        results = {}
        for method in ("calcinosis", "scipy-baseline"):
            out = subprocess.run(
                [sys.executable, __file__, "--run", method, str(path)], capture_output=True, text=True, check=True
            )
            results[method] = json.loads(out.stdout.strip().splitlines()[-1])
        for method, r in results.items():
            print(
                f"{method:15s} wall {r['wall_s']:.2f} s, peak memory +{r['extra_peak_mb']:.0f} MiB "
                f"({r['extra_peak_mb'] / size_mb:.2f}x the volume), {r['components']} deposits/components, {r['bones']} bones"
            )
        c, b = results["calcinosis"], results["scipy-baseline"]
        print(
            f"calcinosis / baseline: time {c['wall_s'] / b['wall_s']:.2f}x, memory {c['extra_peak_mb'] / b['extra_peak_mb']:.2f}x"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        run_one(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--make":
        make_volume(Path(sys.argv[2]))
    else:
        main()
