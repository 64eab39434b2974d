"""Synthetic CT phantoms with ground truth, built by the tests themselves.

A limb-like body (soft tissue 40 HU with noise) holding two long bones (cortical tube 1000 HU
around 20 HU marrow) and deposits of known voxels: nodules, a sheet, a linear streak, rice
grains aligned with the long axis (muscle fibres), a tiny punctate focus, and a nodule fused to
the outer cortex of a bone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.volume import Volume


@dataclass
class Truth:
    """What the phantom holds."""

    deposits: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)
    bone: npt.NDArray[np.bool_] | None = None


def _grid(shape: tuple[int, int, int], spacing: tuple[float, float, float]):  # type: ignore[no-untyped-def]
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    return z * spacing[0], y * spacing[1], x * spacing[2]


def limb_phantom(
    *,
    shape: tuple[int, int, int] = (100, 320, 320),
    spacing: tuple[float, float, float] = (1.0, 0.5, 0.5),
    seed: int = 7,
) -> tuple[Volume, Truth]:
    """A limb phantom with every deposit shape of the acceptance criteria."""
    rng = np.random.default_rng(seed)
    z, y, x = _grid(shape, spacing)
    cy, cx = shape[1] * spacing[1] / 2, shape[2] * spacing[2] / 2
    hu = np.full(shape, -1000.0, dtype=np.float32)
    body = (y - cy) ** 2 + (x - cx) ** 2 <= 70.0**2
    body = np.broadcast_to(body, shape)
    hu[body] = 40.0
    truth = Truth()
    bone = np.zeros(shape, dtype=bool)
    for by, bx in ((cy - 25, cx - 20), (cy + 20, cx + 25)):
        r2 = (y - by) ** 2 + (x - bx) ** 2
        outer = np.broadcast_to(r2 <= 11.0**2, shape)
        inner = np.broadcast_to(r2 <= 7.0**2, shape)
        hu[outer] = 1000.0
        hu[inner] = 20.0
        bone |= outer
    truth.bone = bone

    def put(name: str, region: npt.NDArray[np.bool_], value: float, pattern: str) -> None:
        region = np.broadcast_to(region, shape) & ~bone
        hu[region] = value
        truth.deposits[name] = region.copy()
        truth.patterns[name] = pattern

    zc = shape[0] * spacing[0] / 2
    for i, r in enumerate((3.0, 4.5, 6.0)):
        py, px = cy - 45 + 25 * i, cx + 40
        put(f"nodule_{r:g}", (z - zc) ** 2 + (y - py) ** 2 + (x - px) ** 2 <= r**2, 600.0, "nodular")
    put("sheet", (abs(z - zc - 20) <= 12) & (abs(y - (cy + 45)) <= 1.0) & (abs(x - (cx - 35)) <= 12), 400.0, "sheet")
    put("streak", (abs(z - zc + 25) <= 0.6) & (abs(y - (cy - 50)) <= 0.6) & (abs(x - (cx - 10)) <= 20), 500.0, "linear")
    for k in range(5):
        gy, gx, gz = cy + 5 + 6 * k, cx - 50, zc - 30 + 12 * k
        put(
            f"rice_{k}",
            ((z - gz) / 4.5) ** 2 + ((y - gy) / 1.3) ** 2 + ((x - gx) / 1.3) ** 2 <= 1.0,
            500.0,
            "rice_grain",
        )
    put(
        "punctate",
        (abs(z - zc + 10) <= 0.5) & (abs(y - (cy + 55)) <= 0.5) & (abs(x - (cx + 10)) <= 0.5),
        450.0,
        "punctate",
    )
    # a nodule fused to the outer cortex of the first bone
    by, bx = cy - 25, cx - 20
    put("on_bone", (z - zc) ** 2 + (y - by) ** 2 + (x - (bx - 14.0)) ** 2 <= 4.0**2, 700.0, "nodular")
    hu += rng.normal(0, 15, size=shape).astype(np.float32) * (hu > -500)
    return Volume(array=np.rint(hu).astype(np.int16), spacing=spacing, source="limb_phantom"), truth
