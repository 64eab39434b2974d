"""Issue 19, part 3, third round: the CT path without scipy, deposits measured all at once, numbers
painted in layers. Each faster function is compared, to the bit, with the method it replaced."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import ndimage

from calcinosis.imaging import _bone, _deposits
from calcinosis.imaging.ct import _candidate_box, _component_runs, _crop, _label, measure_ct
from calcinosis.imaging.results import Deposit
from calcinosis.imaging.shape import principal_lengths
from calcinosis.imaging.volume import Volume, in_memory_order

from .phantoms import limb_phantom

SPACINGS = [(1.0, 0.5, 0.5), (2.5, 0.7, 0.9), (1.0, 0.8, 0.8)]


# --- the bone test without scipy ------------------------------------------------------------------


def _cavities(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    cavity = rng.random(shape) < rng.random() * 0.1
    for k in range(shape[0]):
        if not cavity[k].any():
            cavity[k, rng.integers(shape[1]), rng.integers(shape[2])] = True
    return cavity


@pytest.mark.parametrize("seed", range(4))
def test_plane_distances_equal_scipy_distance_transform(seed: int) -> None:
    """Every voxel's in-plane distance to the cavity is scipy's distance_transform_edt, to the bit."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 40)), int(rng.integers(1, 40)))
        cavity = _cavities(rng, shape)
        spacing = (float(rng.choice([0.35, 0.5, 0.7, 0.8, 1.3])), float(rng.choice([0.5, 0.6, 0.8, 1.0])))
        expected = np.stack([ndimage.distance_transform_edt(~cavity[k], sampling=spacing) for k in range(shape[0])])
        voxels = np.nonzero(~cavity)
        np.testing.assert_array_equal(_bone.plane_distances(cavity, voxels, spacing), expected[voxels])


def test_fill_slices_on_thin_and_long_boxes() -> None:
    """Boxes one voxel wide or high, and many slices stacked, fill as binary_fill_holes does slice by slice."""
    rng = np.random.default_rng(8)
    for shape in [(5, 1, 9), (5, 9, 1), (1, 1, 1), (300, 12, 7), (3, 30, 40)]:
        comp = rng.random(shape) < 0.55
        expected = np.stack([ndimage.binary_fill_holes(s) for s in comp])
        np.testing.assert_array_equal(_bone.fill_slices(comp), expected)


def test_fused_deposits_with_given_voxels_and_fill() -> None:
    """Passing the component's voxels and filled slices (as the measurement does) changes nothing."""
    volume, truth = limb_phantom()
    assert truth.bone is not None
    labels, _ = ndimage.label(volume.array >= 130, structure=np.ones((3, 3, 3), dtype=bool))
    found = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        comp = labels[box] == index
        if np.count_nonzero(comp & truth.bone[box]) < 0.5 * comp.sum():
            continue  # not a bone
        plain = _bone.fused_deposits(comp, volume.spacing)
        given = _bone.fused_deposits(comp, volume.spacing, _bone.fill_slices(comp), voxels=np.nonzero(comp))
        np.testing.assert_array_equal(given, plain)
        found.append(int(np.count_nonzero(plain)))
    assert len(found) == 2 and sorted(found)[0] == 0 and sorted(found)[1] > 50  # the nodule on one bone


def test_positive_medians_equal_numpy_median() -> None:
    """Rows with an odd and an even count of positive values, and none: np.median of each row's positives."""
    rng = np.random.default_rng(6)
    values = np.where(rng.random((400, 36)) < 0.6, rng.random((400, 36)) * 10, 0.0)
    values[0] = 0.0
    values[1, :] = 0.0
    values[1, 7] = 2.5
    medians = _bone.positive_medians(values)
    assert np.isnan(medians[0])
    expected = [np.median(row[row > 0]) for row in values[1:]]
    np.testing.assert_array_equal(medians[1:], expected)
    assert {int(np.count_nonzero(row > 0)) % 2 for row in values[1:]} == {0, 1}


@pytest.mark.parametrize("shape", [(1, 1, 12), (12, 1, 1), (1, 12, 1), (1, 1, 1)])
def test_label_of_a_line_equals_ndimage(shape: tuple[int, int, int]) -> None:
    """cc3d cannot label a line; its runs of voxels are its components, numbered as ndimage numbers them."""
    line = (np.arange(12).reshape(shape) % 4 != 1) if np.prod(shape) > 1 else np.ones(shape, dtype=bool)
    expected, n = ndimage.label(line, structure=np.ones((3, 3, 3), dtype=bool))
    labels, m = _label(line)
    assert m == n
    np.testing.assert_array_equal(labels, expected)


def test_labels_numbered_as_ndimage() -> None:
    """The components come in the order ndimage.label numbers them (it decides ties between equal volumes)."""
    rng = np.random.default_rng(12)
    mask = rng.random((20, 30, 25)) < 0.12
    labels, n = _label(mask)
    expected, m = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    assert n == m > 50
    np.testing.assert_array_equal(labels, expected)


# --- deposits measured all at once ----------------------------------------------------------------


def _measure_one(hu: np.ndarray, box: tuple[slice, ...], part: np.ndarray, spacing: Any, voxel: float) -> Deposit:
    """One deposit measured as it was before the third round (per deposit, over its bounding box)."""
    dz, dy, dx = spacing
    zz, yy, xx = np.nonzero(part)
    values = hu[box][part].astype(np.float64)
    z0, y0, x0 = box[0].start, box[1].start, box[2].start
    coords = np.column_stack([(zz + z0) * dz, (yy + y0) * dy, (xx + x0) * dx])
    l1, l2, l3 = principal_lengths(coords, min(dy, dx))
    count = len(values)
    vol_mm3 = count * voxel
    starts = np.flatnonzero(np.diff(zz, prepend=-1))
    slice_max = np.maximum.reduceat(values, starts)
    slice_area = np.diff(np.append(starts, count)) * dy * dx
    weights = 1 + (slice_max >= 200).astype(int) + (slice_max >= 300) + (slice_max >= 400)
    agatston = float(np.sum(slice_area * weights)) * dz / 3.0
    centroid = coords.mean(axis=0)
    return Deposit(
        id=0,
        voxels=count,
        volume_mm3=round(vol_mm3, 2),
        largest_dimension_mm=round(l1, 2),
        mean_hu=round(float(values.mean()), 1),
        max_hu=float(values.max()),
        agatston_like=round(agatston, 1),
        mass_score=round(float(values.sum()) * voxel / 1000.0, 3),
        centroid_mm=(round(float(centroid[0]), 2), round(float(centroid[1]), 2), round(float(centroid[2]), 2)),
        bbox=(box[0].start, box[0].stop, box[1].start, box[1].stop, box[2].start, box[2].stop),
        elongation=round(l1 / l2, 2),
        flatness=round(l2 / l3, 2),
        pattern=_deposits.pattern(vol_mm3, l1, l2, l3),
        touches_bone=False,
    )


def _volumes() -> list[Volume]:
    rng = np.random.default_rng(4)
    speckle = np.where(rng.random((30, 60, 50)) < 0.15, rng.integers(130, 900, (30, 60, 50)), -50)
    fractions = (speckle + rng.choice([0.0, 0.25, 0.5], size=speckle.shape)).astype(np.float32)
    return [
        limb_phantom(shape=(60, 200, 200), spacing=(1.0, 0.8, 0.8))[0],
        Volume(array=speckle.astype(np.int16), spacing=(1.5, 0.9, 0.7)),
        Volume(array=fractions, spacing=(3.0, 0.6, 0.6)),  # float HU: sums depend on the order of the terms
    ]


@pytest.mark.parametrize("volume", _volumes(), ids=["limb", "speckle", "float"])
def test_batched_measures_equal_the_per_deposit_method(volume: Volume) -> None:
    """Every field of every deposit, to the bit: volumes, HU, Agatston-like score, centroid, principal axes."""
    mask = volume.array >= 130
    labels, n = _label(mask)
    runs = _component_runs(mask, labels, n)
    runs = runs.take(np.flatnonzero(runs.counts >= 3))
    found = _deposits.measure_runs(volume.array, runs, volume.spacing, volume.voxel_volume_mm3, touches_bone=False)
    assert len(found) == len(runs) > 10
    for i, (deposit, box) in enumerate(zip(found, runs.boxes().tolist(), strict=True)):
        part = _crop(runs, i, box)
        boxes = (slice(box[0], box[1]), slice(box[2], box[3]), slice(box[4], box[5]))
        assert deposit == _measure_one(volume.array, boxes, part, volume.spacing, volume.voxel_volume_mm3), i


def test_principal_shapes_equal_principal_lengths() -> None:
    """Runs of 1, 2, 3 and more voxels, many of the same count (stacked): lengths and centroids to the bit."""
    rng = np.random.default_rng(21)
    counts = np.array([1, 2, 3, 3, 7, 7, 7, 40, 40, 123, 500])
    zz, yy, xx = (rng.integers(0, 60, counts.sum()) for _ in range(3))
    runs = _deposits.Runs(zz, yy, xx, np.cumsum(counts) - counts, counts)
    spacing = (2.0, 0.7, 0.9)
    lengths, centroids = _deposits.principal_shapes(runs, spacing)
    for i in range(len(runs)):
        z, y, x = runs.voxels(i)
        coords = np.column_stack([z * spacing[0], y * spacing[1], x * spacing[2]])
        assert tuple(lengths[i].tolist()) == principal_lengths(coords, 0.7)
        np.testing.assert_array_equal(centroids[i], coords.mean(axis=0))


def test_runs_take_and_join() -> None:
    runs = _deposits.Runs(*(np.arange(10) * k for k in (1, 2, 3)), np.array([0, 4, 6]), np.array([4, 2, 4]))
    taken = runs.take(np.array([2, 0]))
    assert taken.counts.tolist() == [4, 4] and taken.starts.tolist() == [0, 4]
    assert taken.zz.tolist() == [6, 7, 8, 9, 0, 1, 2, 3]
    joined = _deposits.join([taken, runs.take(np.array([1]))])
    assert joined.starts.tolist() == [0, 4, 8] and joined.xx.tolist()[8:] == [12, 15]
    assert runs.boxes().tolist()[1] == [4, 6, 8, 11, 12, 16]
    assert len(runs.take(np.array([], dtype=np.intp))) == 0 and len(_deposits.join([])) == 0


def test_user_bone_mask_marks_components_more_than_half_inside() -> None:
    """A component more than half inside the user's bone mask is bone; the rest are measured as before."""
    volume, truth = limb_phantom(shape=(60, 200, 200), spacing=(1.0, 0.8, 0.8))
    assert truth.bone is not None
    plain, _ = measure_ct(volume)
    masked, _ = measure_ct(volume, bone_mask=truth.bone)
    assert masked.bone_components == 2
    assert [d.volume_mm3 for d in masked.deposits if not d.touches_bone] == [
        d.volume_mm3 for d in plain.deposits if not d.touches_bone
    ]


# --- the volume read in memory order --------------------------------------------------------------


@pytest.mark.parametrize("flips", [(), (1, 2), (0,), (0, 1, 2), (2,)])
def test_candidate_box_and_projections_of_flipped_views(flips: tuple[int, ...]) -> None:
    """A mapped LPS file is a view with negative strides: reduced in memory order, flipped back."""
    from calcinosis.imaging.overlay import _projections

    rng = np.random.default_rng(2)
    stored = np.full((30, 40, 50), -100, dtype=np.int16)
    stored[5:9, 3:30, 12:20] = rng.integers(130, 400, (4, 27, 8))
    view = np.flip(stored, flips) if flips else stored
    seen, flipped = in_memory_order(view)
    assert flipped == tuple(a for a in flips) and all(s > 0 for s in seen.strides)
    z, y, x = np.nonzero(view >= 130)
    expected = (slice(z.min(), z.max() + 1), slice(y.min(), y.max() + 1), slice(x.min(), x.max() + 1))
    assert _candidate_box(view, np.int16(130)) == expected
    mips = _projections(Volume(array=view, spacing=(1.0, 1.0, 1.0)))
    np.testing.assert_array_equal(mips[0], view.max(axis=0))
    np.testing.assert_array_equal(mips[1], view.max(axis=1))


# --- the command imports no scipy.ndimage ---------------------------------------------------------


def test_quantify_a_ct_never_imports_scipy_ndimage(tmp_path: Path) -> None:
    """scipy.ndimage costs 0.2-0.3 s to import: the whole command on a CT with bones does without it."""
    import nibabel as nib

    volume, _ = limb_phantom(shape=(60, 200, 200), spacing=(1.0, 0.8, 0.8))
    path = tmp_path / "limb.nii"
    nib.save(nib.Nifti1Image(volume.array.transpose(2, 1, 0), np.diag([-0.8, -0.8, 1.0, 1.0])), str(path))
    code = (
        "import sys\n"
        "from calcinosis.cli.main import main\n"
        f"sys.argv = ['calcinosis', 'image', 'quantify', {str(path)!r}, '--out', {str(tmp_path / 'out')!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith('scipy.ndimage')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result, loaded = done.stdout.rsplit("LOADED", 1)
    assert loaded.strip() == "[]"
    data = json.loads(result)
    assert data["bone_components"] == 2 and any(d["touches_bone"] for d in data["deposits"])
    assert len(list((tmp_path / "out").glob("*.png"))) == 2


# --- overlays: numbers in layers, deposits coloured at once ---------------------------------------


class _NumbersOneByOne:
    """The deposit numbers as they were painted before the third round: one number after the other."""

    def __init__(self, font: Any, stroke: int) -> None:
        from PIL import Image, ImageDraw

        self.digits = {}
        for ch in "0123456789":
            left, top, right, bottom = (int(v) for v in font.getbbox(ch, stroke_width=stroke))
            size = (max(1, right - left), max(1, bottom - top))
            outline, fill = Image.new("L", size, 0), Image.new("L", size, 0)
            ImageDraw.Draw(outline).text((-left, -top), ch, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
            ImageDraw.Draw(fill).text((-left, -top), ch, font=font, fill=255)
            self.digits[ch] = (
                font.getlength(ch),
                left,
                top,
                np.asarray(outline)[..., None],
                np.asarray(fill)[..., None],
            )

    def draw(self, pixels: np.ndarray, xy: tuple[float, float], number: int) -> None:
        from calcinosis.imaging.overlay import _paint

        placed, pen = [], 0.0
        for ch in str(number):
            advance, left, top, outline, fill = self.digits[ch]
            placed.append((round(pen) + left, top, outline, fill))
            pen += advance
        x0, y0 = min(x for x, _, _, _ in placed), min(y for _, y, _, _ in placed)
        width = max(x + o.shape[1] for x, _, o, _ in placed) - x0
        height = max(y + o.shape[0] for _, y, o, _ in placed) - y0
        outline_mask = np.zeros((height, width, 1), dtype=np.uint16)
        fill_mask = np.zeros((height, width, 1), dtype=np.uint16)
        for x, y, outline, fill in placed:
            rows, cols = slice(y - y0, y - y0 + outline.shape[0]), slice(x - x0, x - x0 + outline.shape[1])
            np.maximum(outline_mask[rows, cols], outline, out=outline_mask[rows, cols])
            np.maximum(fill_mask[rows, cols], fill, out=fill_mask[rows, cols])
        top, left = round(xy[1]) + y0, round(xy[0]) + x0
        r0, c0 = max(0, -top), max(0, -left)
        r1, c1 = min(height, pixels.shape[0] - top), min(width, pixels.shape[1] - left)
        if r0 < r1 and c0 < c1:
            region = pixels[top + r0 : top + r1, left + c0 : left + c1]
            _paint(region, outline_mask[r0:r1, c0:c1], fill_mask[r0:r1, c0:c1])


@pytest.mark.parametrize("advances", [None, {"1": 7.0, "7": 11.5, "0": 13.25}], ids=["bundled", "proportional"])
def test_numbers_painted_in_layers_equal_one_by_one(advances: dict[str, float] | None) -> None:
    """Hundreds of overlapping numbers, some off the image: the same pixels as painting them in turn
    (also with digits of unequal advance, which the bundled font does not have)."""
    from PIL import ImageFont

    from calcinosis.imaging.overlay import _Numbers

    font = ImageFont.load_default(size=19)
    if advances is not None:
        widths = dict(advances)
        font.getlength = lambda text, *args, **kwargs: widths.get(text, 12.0)  # type: ignore[method-assign]
    rng = np.random.default_rng(17)
    base = rng.integers(0, 256, size=(300, 420, 3), dtype=np.uint8)
    placed = [
        (int(rng.choice([rng.integers(1, 10), rng.integers(10, 1000), rng.integers(1000, 20000)])),
         (float(rng.uniform(-40, 440)), float(rng.uniform(-30, 320))))
        for _ in range(600)
    ]  # fmt: skip
    layered = base.copy()
    _Numbers(font, 2).draw(layered, placed)
    one_by_one = base.copy()
    reference = _NumbersOneByOne(font, 2)
    for number, xy in placed:
        reference.draw(one_by_one, xy, number)
    assert not np.array_equal(layered, base)
    np.testing.assert_array_equal(layered, one_by_one)


def test_deposits_coloured_at_once_as_one_by_one() -> None:
    """Overlapping projections: the later deposit's colour on top, number positions at the projections' means."""
    from calcinosis.imaging.overlay import _colour_deposits, deposit_colour

    volume, _ = limb_phantom(shape=(60, 200, 200), spacing=(1.0, 0.8, 0.8))
    result, masks = measure_ct(volume)
    rng = np.random.default_rng(3)
    extra = [((slice(10, 14), slice(90, 96), slice(90, 99)), rng.random((4, 6, 9)) < 0.4) for _ in range(3)]
    masks = [*masks, *extra]  # three deposits on the same place, painted over each other
    result.deposits.extend(result.deposits[0].model_copy(update={"id": len(result.deposits) + k}) for k in (1, 2, 3))
    for axis in (0, 1):
        shape = [n for a, n in enumerate(volume.array.shape) if a != axis]
        rgb = np.zeros((*shape, 3), dtype=np.uint8)
        at = _colour_deposits(rgb, result, masks, axis)
        expected_rgb = np.zeros_like(rgb)
        expected_at = []
        for deposit, (box, part) in zip(result.deposits, masks, strict=True):
            proj = part.any(axis=axis)
            keep = [b for i, b in enumerate(box) if i != axis]
            expected_rgb[keep[0], keep[1]][proj] = deposit_colour(deposit.id)
            rows, cols = np.nonzero(proj)
            expected_at.append((deposit.id, keep[0].start + rows.mean(), keep[1].start + cols.mean()))
        np.testing.assert_array_equal(rgb, expected_rgb)
        assert at == expected_at


def test_labelling_a_small_plane_cc3d_cannot_number_matches_scipy() -> None:
    """CI's property test found a volume cc3d's union-find overflows on ('maximum length
    exception'): a 3x3x1 plane with four isolated corners. The labelling falls back to scipy's,
    26-connected, with the same numbering; a traceback before."""
    import numpy as np
    from scipy import ndimage

    from calcinosis.imaging.ct import _label

    mask = np.zeros((3, 3, 1), dtype=bool)
    mask[0, 0, 0] = mask[0, 2, 0] = mask[2, 0, 0] = mask[2, 2, 0] = True
    labels, n = _label(mask)
    expected, m = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    assert n == m == 4 and (labels == expected).all()
