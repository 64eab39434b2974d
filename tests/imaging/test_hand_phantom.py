"""A phantom PA hand radiograph built by the tests: bone shafts with a cortex, carpal bones, and
flat deposits of known area in known regions (the truth the hand-region tests check against)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from calcinosis.imaging.volume import Volume

PX = 0.2  # mm at the patient
SHAPE = (1100, 900)  # 220 x 180 mm
BONE_K = 55.0  # brightness per mm of cortex crossed
FINGER_X = {"index": 80.0, "middle": 102.0, "ring": 124.0, "little": 146.0}
FINGER_BONES = (("metacarpal", 60.0, 9.0), ("proximal", 40.0, 9.0), ("middle", 25.0, 8.0), ("distal", 17.0, 6.5))
THUMB_BONES = (("metacarpal", 45.0, 9.5), ("proximal", 32.0, 8.5), ("distal", 24.0, 7.0))
BASE_Y = 190.0
GAP = 3.0


@dataclass
class HandTruth:
    """Where the phantom's deposits are: (centre y, centre x, radius) mm, area mm² and region."""

    deposits: list[tuple[float, float, float, float, str]] = field(default_factory=list)
    axes: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = field(default_factory=dict)
    bone: npt.NDArray[np.bool_] | None = None

    def region_area(self, region: str) -> float:
        return sum(a for *_, a, r in self.deposits if r == region)


def _tube(
    yy: npt.NDArray[np.float64],
    xx: npt.NDArray[np.float64],
    start: npt.NDArray[np.float64],
    u: npt.NDArray[np.float64],
    length: float,
    width: float,
) -> npt.NDArray[np.float64]:
    """Projection of a hollow bone: cortex thickness crossed (brighter at the rim), a little marrow."""
    s = (yy - start[0]) * u[0] + (xx - start[1]) * u[1]
    q = -(yy - start[0]) * u[1] + (xx - start[1]) * u[0]
    outer, inner = width / 2, 0.6 * width / 2
    t_out = 2 * np.sqrt(np.clip(outer**2 - q**2, 0, None))
    t_in = 2 * np.sqrt(np.clip(inner**2 - q**2, 0, None))
    inside = (s >= 0) & (s <= length)
    return np.where(inside, BONE_K * (t_out - t_in) + 0.1 * BONE_K * t_in, 0.0)


def _ray(
    start: npt.NDArray[np.float64],
    u: npt.NDArray[np.float64],
    bones: tuple[tuple[str, float, float], ...],
    scale: float,
):
    """(name, proximal end, length, width) of each bone of a ray, proximal first."""
    out = []
    at = start.copy()
    for name, length, width in bones:
        length *= scale
        out.append((name, at.copy(), length, width))
        at = at + (length + GAP) * u
    return out


def hand_phantom(
    *, seed: int = 1, scale: dict[str, float] | None = None, extra: list[tuple[float, float, float, str]] | None = None
) -> tuple[Volume, HandTruth]:
    """A PA right hand, fingers up. ``scale`` multiplies a deposit's area by region (follow-up
    phantoms); ``extra`` adds deposits (y, x, radius, region)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]] * PX
    img = 1000 + 200 * np.sin(yy / (SHAPE[0] * PX) * np.pi) + 100 * (xx / (SHAPE[1] * PX))
    truth = HandTruth()
    bone = np.zeros(SHAPE)
    up = np.array([-1.0, 0.0])
    rays: dict[str, list[tuple[str, npt.NDArray[np.float64], float, float]]] = {}
    for finger, x in FINGER_X.items():
        rays[finger] = _ray(np.array([BASE_Y, x]), up, FINGER_BONES, 0.85 if finger == "little" else 1.0)
    angle = np.radians(25)
    thumb_u = np.array([-np.cos(angle), -np.sin(angle)])
    rays["thumb"] = _ray(np.array([BASE_Y - 2, 60.0]), thumb_u, THUMB_BONES, 1.0)
    for finger, bones in rays.items():
        u = thumb_u if finger == "thumb" else up
        for name, start, length, width in bones:
            img += _tube(yy, xx, start, u, length, width)
            bone += _tube(yy, xx, start, u, length, width)
            truth.axes[f"{finger}_{name}"] = (start, start + length * u)
    for cy, cx, ry, rx in ((200.0, 85.0, 5.0, 7.0), (201.0, 110.0, 5.5, 7.5), (199.0, 136.0, 5.0, 6.5)):
        r = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
        # a round bone: a shell of cortex around marrow, brighter at its rim
        bone_r = np.where(
            r <= 1, BONE_K * 2 * 6 * (np.sqrt(np.clip(1 - r**2, 0, None)) - np.sqrt(np.clip(0.6**2 - r**2, 0, None))), 0
        )
        img += bone_r
        bone += bone_r

    def tip(finger: str) -> npt.NDArray[np.float64]:
        _, start, length, _ = rays[finger][-1]
        u = thumb_u if finger == "thumb" else up
        return start + length * u

    def beside(finger: str, bone: str, offset: float) -> npt.NDArray[np.float64]:
        for name, start, length, _ in rays[finger]:
            if name == bone:
                u = thumb_u if finger == "thumb" else up
                return start + length / 2 * u + offset * np.array([u[1], -u[0]])
        raise KeyError(bone)

    placed: list[tuple[npt.NDArray[np.float64], float, str, float]] = [
        (tip("index") + 5.5 * up, 3.0, "index_distal", 350.0),  # fingertip pulp beyond the tuft
        (tip("ring") + 4.5 * up, 2.0, "ring_distal", 500.0),
        (beside("middle", "middle", 8.0), 2.5, "middle_middle", 350.0),
        (beside("little", "proximal", 9.0), 2.0, "little_proximal", 150.0),
        (beside("index", "proximal", 9.0), 1.5, "index_proximal", 350.0),
        (np.array([150.0, 113.0]), 3.0, "palm", 350.0),  # between the middle and ring metacarpals
        (beside("thumb", "proximal", 9.0), 2.5, "thumb", 350.0),
        (np.array([210.0, 122.0]), 2.0, "wrist", 350.0),
    ]
    for y, x, r, region in extra or []:
        placed.append((np.array([y, x]), r, region, 350.0))
    for centre, radius, region, contrast in placed:
        r = radius * np.sqrt((scale or {}).get(region, 1.0))
        disk = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= r * r
        img[disk] += contrast
        truth.deposits.append((float(centre[0]), float(centre[1]), r, float(disk.sum()) * PX * PX, region))
    truth.bone = bone > 0
    img += rng.normal(0, 10, img.shape)
    volume = Volume(array=img.astype(np.float32)[None], spacing=(0.0, PX, PX), modality="radiograph", source="hand")
    return volume, truth


def test_phantom_deposits_lie_in_soft_tissue() -> None:
    """The phantom's deposits never overlap a bone (a deposit over bone is a stated limit, not tested here)."""
    _, truth = hand_phantom()
    assert truth.bone is not None
    bones = truth.bone
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]] * PX
    for y, x, r, _, _ in truth.deposits:
        near = (yy - y) ** 2 + (xx - x) ** 2 <= (r + 1.0) ** 2
        assert not (bones & near).any()
