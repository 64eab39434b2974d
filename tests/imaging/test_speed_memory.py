"""Issue 19, part 3: CT read as int16 without a float copy, exact values in a wider type when they
need one, reading memory bounded, and the faster bone separation and overlays still right."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from calcinosis.imaging.io import read_study
from calcinosis.imaging.volume import HUStore, exact_dtype

from .builders import dicom_dataset, save_dicom
from .phantoms import limb_phantom


def write_scaled_nifti(
    path: Path,
    stored: np.ndarray,
    *,
    slope: float = 1.0,
    intercept: float = 0.0,
    affine: np.ndarray | None = None,
) -> Path:
    """A NIfTI-1 file holding ``stored`` (x, y, z) as it is, with the scaling written in the header
    (nibabel's writer would choose its own scaling, so the header and the bytes are written here)."""
    import gzip

    import nibabel as nib

    header = nib.Nifti1Header()
    header.set_data_dtype(stored.dtype)
    header.set_data_shape(stored.shape)
    header.set_xyzt_units("mm")
    affine = np.diag([0.8, 0.7, 2.0, 1.0]) if affine is None else affine  # RAS by default: read as stored
    header.set_qform(affine, code=1)
    header.set_sform(affine, code=1)
    header["scl_slope"], header["scl_inter"] = slope, intercept
    buffer = io.BytesIO()
    header.write_to(buffer)
    buffer.write(b"\0" * (int(header["vox_offset"]) - buffer.tell()))
    buffer.write(stored.tobytes(order="F"))
    raw = buffer.getvalue()
    path.write_bytes(gzip.compress(raw, 1) if path.name.endswith(".gz") else raw)
    return path


def as_zyx(stored: np.ndarray) -> np.ndarray:
    return np.transpose(stored, (2, 1, 0))


@pytest.fixture
def stored() -> np.ndarray:
    rng = np.random.default_rng(19)
    return rng.integers(-1100, 3000, size=(24, 20, 6)).astype(np.int16)


# --- int16 without a float copy, exact otherwise -----------------------------------------------


@pytest.mark.parametrize("name", ["ct.nii", "ct.nii.gz"])
def test_integral_scaling_is_applied_in_int16(tmp_path: Path, stored: np.ndarray, name: str) -> None:
    """scl_slope 1, scl_inter -1024 (as converters write CT): int16, every value exact, no note."""
    path = write_scaled_nifti(tmp_path / name, stored + 1024, slope=1.0, intercept=-1024.0)
    vol = read_study(path)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, as_zyx(stored))
    assert not any("kept as" in a for a in vol.assumptions)


def test_whole_slope_other_than_one_stays_int16(tmp_path: Path, stored: np.ndarray) -> None:
    path = write_scaled_nifti(tmp_path / "ct.nii", (stored // 4).astype(np.int16), slope=2.0, intercept=-3.0)
    vol = read_study(path)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, as_zyx((stored // 4).astype(np.int32) * 2 - 3))


@pytest.mark.parametrize("slope", [0.5, 0.1])
def test_non_integral_slope_gives_exact_values_in_a_wider_type(
    tmp_path: Path, stored: np.ndarray, slope: float
) -> None:
    """A slope of 0.5 or 0.1 is never rounded to whole HU: float32 when it holds every value, else float64."""
    path = write_scaled_nifti(tmp_path / "ct.nii", stored, slope=slope, intercept=-1024.0)
    vol = read_study(path)
    header_slope = float(np.float32(slope))  # the header holds float32
    expected = as_zyx(stored).astype(np.float64) * header_slope - 1024.0
    assert vol.array.dtype == (np.float32 if slope == 0.5 else np.float64)
    np.testing.assert_array_equal(vol.array.astype(np.float64), expected)
    assert any("not all whole numbers" in a and f"kept as {vol.array.dtype}" in a for a in vol.assumptions)


def test_values_beyond_int16_are_kept_in_int32_not_clipped(tmp_path: Path, stored: np.ndarray) -> None:
    stored = stored.copy()
    stored[0, 0, 0] = 32000
    path = write_scaled_nifti(tmp_path / "ct.nii", stored, intercept=2000.0)
    vol = read_study(path)
    assert vol.array.dtype == np.int32
    assert int(vol.array.max()) == 34000
    np.testing.assert_array_equal(vol.array, as_zyx(stored).astype(np.int32) + 2000)
    assert any("do not fit in int16" in a and "34000" in a for a in vol.assumptions)


def test_float_nifti_of_whole_hu_is_read_as_int16(tmp_path: Path, stored: np.ndarray) -> None:
    path = write_scaled_nifti(tmp_path / "ct.nii", stored.astype(np.float32))
    vol = read_study(path)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, as_zyx(stored))


def test_float_nifti_with_fractions_is_kept_exact(tmp_path: Path, stored: np.ndarray) -> None:
    data = stored.astype(np.float32) + np.float32(0.25)
    vol = read_study(write_scaled_nifti(tmp_path / "ct.nii", data))
    assert vol.array.dtype == np.float32
    np.testing.assert_array_equal(vol.array, as_zyx(data))


@pytest.mark.parametrize(
    "affine",
    [
        np.diag([-0.8, -0.8, 2.0, 1.0]),  # LPS, as ITK writes: x and y flipped
        np.array([[0, 0, -2.0, 10], [0.5, 0, 0, 3], [0, -0.7, 0, 1], [0, 0, 0, 1]]),  # axes permuted
        np.array([[0.7, 0, 0, 0], [0, 0, 1.5, 0], [0, -0.6, 0, 0], [0, 0, 0, 1]]),  # coronal slices
    ],
)
def test_reoriented_reading_matches_nibabel(tmp_path: Path, stored: np.ndarray, affine: np.ndarray) -> None:
    """Voxels placed slice by slice land where nibabel's as_closest_canonical puts them; same spacing and affine."""
    import nibabel as nib

    path = write_scaled_nifti(tmp_path / "ct.nii", stored, affine=affine)
    vol = read_study(path)
    canonical = nib.as_closest_canonical(nib.load(str(path)))
    np.testing.assert_array_equal(vol.array, as_zyx(np.asarray(canonical.dataobj)))
    zooms = [float(z) for z in canonical.header.get_zooms()[:3]]
    assert vol.spacing == (zooms[2], zooms[1], zooms[0])
    assert vol.geometry.affine is not None
    np.testing.assert_allclose(vol.geometry.affine, canonical.affine)


def test_dicom_uint16_with_intercept_is_int16(tmp_path: Path) -> None:
    """The usual CT slice: unsigned stored values, RescaleIntercept -1024, read as exact int16."""
    pixels = np.array([[0, 1024, 1154, 4095]] * 4, dtype=np.uint16)
    ds = dicom_dataset(rows=4, columns=4, pixels=pixels, RescaleIntercept=-1024, RescaleSlope=1)
    vol = read_study(save_dicom(ds, tmp_path / "ct.dcm"))
    assert vol.array.dtype == np.int16
    assert vol.array[0, 0].tolist() == [-1024, 0, 130, 3071]


def test_dicom_fractional_slope_is_not_rounded(tmp_path: Path) -> None:
    pixels = np.array([[1, 3, 261, 2049]] * 4, dtype=np.int16)
    ds = dicom_dataset(rows=4, columns=4, pixels=pixels, RescaleIntercept=-1024, RescaleSlope=0.5)
    vol = read_study(save_dicom(ds, tmp_path / "ct.dcm"))
    assert vol.array.dtype == np.float32
    assert vol.array[0, 0].tolist() == [-1023.5, -1022.5, -893.5, 0.5]


def test_store_widens_once_and_keeps_earlier_slices() -> None:
    store = HUStore((3, 2, 2))
    store.put(0, np.full((2, 2), 7, dtype=np.int16))
    store.put(1, np.full((2, 2), 3, dtype=np.int16), 0.5, 0.0)  # 1.5: float32
    store.put(2, np.full((2, 2), 40000, dtype=np.int32))
    assert store.array.dtype == np.float32  # 40000 is exact in float32 too
    assert store.array[:, 0, 0].tolist() == [7.0, 1.5, 40000.0]


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([0, -1024, 32767], np.int16),
        ([-40000, 5], np.int32),
        ([2.0**40], np.int64),
        ([0.5, -3.25], np.float32),
        ([0.1], np.float64),
    ],
)
def test_exact_dtype(values: list[float], dtype: Any) -> None:
    assert exact_dtype(np.array(values, dtype=np.float64)) == np.dtype(dtype)


# --- memory of reading ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["big.nii", "big.nii.gz"])
def test_reading_allocates_at_most_twice_the_volume(tmp_path: Path, name: str) -> None:
    """numpy allocations while reading a 24 MB int16 CT (flipped on two axes): at most 2x the volume.

    (Through float32, as before issue 19, reading took the float copy and more: above 3x.)
    """
    rng = np.random.default_rng(3)
    stored = rng.integers(-1000, 2000, size=(256, 256, 192)).astype(np.int16)
    path = write_scaled_nifti(tmp_path / name, stored, slope=1.0, intercept=0.0, affine=np.diag([-0.8, -0.8, 1, 1]))
    del stored
    tracemalloc.start()
    try:
        vol = read_study(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert vol.array.dtype == np.int16
    assert peak <= 2 * vol.array.nbytes, f"peak {peak / vol.array.nbytes:.2f}x the volume"


# --- the measurement: same results, less work ---------------------------------------------------


def _fill_slices_reference(comp: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return np.stack([ndimage.binary_fill_holes(s) if s.any() else s for s in comp])


def test_fill_slices_equals_binary_fill_holes_slice_by_slice() -> None:
    """The one-pass hole filling gives, slice by slice, what binary_fill_holes gives (random shapes, rings)."""
    from calcinosis.imaging.ct import _fill_slices

    rng = np.random.default_rng(5)
    comp = rng.random((12, 30, 33)) < 0.45
    yy, xx = np.ogrid[:30, :33]
    ring = ((yy - 15) ** 2 + (xx - 16) ** 2 <= 100) & ((yy - 15) ** 2 + (xx - 16) ** 2 > 30)
    comp[3] = ring
    comp[4] = False
    np.testing.assert_array_equal(_fill_slices(comp), _fill_slices_reference(comp))
    assert _fill_slices(comp)[3].sum() > ring.sum()  # the marrow of the ring is filled


def _fused_reference(comp: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
    """The slice-by-slice method as it was before issue 19 (the behaviour to keep)."""
    from scipy import ndimage

    _, dy, dx = spacing
    out = np.zeros_like(comp)
    for k, sl in enumerate(comp):
        if not sl.any():
            continue
        cavity = ndimage.binary_fill_holes(sl) & ~sl
        if cavity.sum() < 4:
            continue
        dist = ndimage.distance_transform_edt(~cavity, sampling=(dy, dx))
        yy, xx = np.nonzero(sl)
        cy, cx = np.argwhere(cavity).mean(axis=0)
        sector = ((np.arctan2(yy - cy, xx - cx) + np.pi) / (2 * np.pi) * 36).astype(int) % 36
        d = dist[yy, xx]
        reach = np.zeros(36)
        np.maximum.at(reach, sector, d)
        thickness = float(np.median(reach[reach > 0]))
        beyond = d > thickness + max(dy, dx)
        out[k, yy[beyond], xx[beyond]] = True
    return np.asarray(ndimage.binary_dilation(out, iterations=1) & comp, dtype=bool)


def test_fused_deposits_same_as_slice_by_slice_on_the_phantom_bones() -> None:
    """Bone separation on whole boxes finds the same voxels as the per-slice loop it replaced."""
    from scipy import ndimage

    from calcinosis.imaging.ct import _fused_deposits

    volume, truth = limb_phantom()
    assert truth.bone is not None
    labels, _ = ndimage.label(volume.array >= 130, structure=np.ones((3, 3, 3), dtype=bool))
    checked = 0
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        comp = labels[box] == index
        if np.count_nonzero(comp & truth.bone[box]) < 0.5 * comp.sum():
            continue
        expected = _fused_reference(comp, volume.spacing)
        np.testing.assert_array_equal(_fused_deposits(comp, volume.spacing), expected)
        checked += 1
    assert checked == 2  # both bones; the fused nodule is found on one of them (test_quantify_ct)


@pytest.mark.parametrize("threshold", [130.0, 129.5, 130.2, -1024.0, 32767.0, 32766.5])
def test_threshold_in_the_volume_type_equals_the_float_comparison(threshold: float) -> None:
    from calcinosis.imaging.ct import _threshold_level

    hu = np.array([-32768, -1024, 129, 130, 131, 32766, 32767], dtype=np.int16)
    level = _threshold_level(hu, threshold)
    got = np.zeros(hu.shape, dtype=bool) if level is None else hu >= level
    np.testing.assert_array_equal(got, hu.astype(np.float64) >= threshold)


def test_measurement_peak_memory_is_bounded() -> None:
    """numpy allocations while measuring the limb phantom: mask and labels of the candidates' box only."""
    from calcinosis.imaging.ct import measure_ct

    volume, _ = limb_phantom(shape=(120, 320, 320))
    tracemalloc.start()
    try:
        result, _ = measure_ct(volume)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.bone_components == 2
    assert peak <= 2.5 * volume.array.nbytes, f"peak {peak / volume.array.nbytes:.2f}x the volume"


# --- overlays --------------------------------------------------------------------------------------


def test_projections_in_one_pass_equal_numpy_max() -> None:
    from calcinosis.imaging.overlay import _projections

    volume, _ = limb_phantom(shape=(70, 64, 48))
    mips = _projections(volume)
    np.testing.assert_array_equal(mips[0], volume.array.max(axis=0))
    np.testing.assert_array_equal(mips[1], volume.array.max(axis=1))


def test_painted_numbers_blend_as_pillow_pastes() -> None:
    """The numbers painted on the pixels are what Image.paste(colour, box, mask) would give, to the bit."""
    from PIL import Image

    from calcinosis.imaging.overlay import _paint

    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, size=(9, 13, 3), dtype=np.uint8)
    outline = rng.integers(0, 256, size=(9, 13), dtype=np.uint8)
    fill = rng.integers(0, 256, size=(9, 13), dtype=np.uint8)
    canvas = Image.fromarray(base)
    canvas.paste((0, 0, 0), (0, 0), Image.fromarray(outline))
    canvas.paste((255, 255, 255), (0, 0), Image.fromarray(fill))
    painted = base.copy()
    _paint(painted, outline[..., None].astype(np.uint16), fill[..., None].astype(np.uint16))
    np.testing.assert_array_equal(painted, np.asarray(canvas))


# --- round 2 (issue 19): components without find_objects, dilation by shifts, ordinary pages ------


def test_components_equal_find_objects_and_nonzero() -> None:
    """Boxes and voxels (same order) as ndimage.find_objects and np.nonzero(labels[box] == index)."""
    import cc3d
    from scipy import ndimage

    from calcinosis.imaging.ct import _components

    rng = np.random.default_rng(23)
    mask = rng.random((14, 25, 31)) < 0.2
    mask[2:12, 5:9, 5:9] = True  # one large component among many small ones
    labels, n = cc3d.connected_components(mask, connectivity=26, return_N=True)
    got = _components(mask, labels, int(n))
    expected = [
        (box, np.nonzero(labels[box] == index))
        for index, box in enumerate(ndimage.find_objects(labels), start=1)
        if box is not None
    ]
    assert len(got) == len(expected) == n > 10
    for (box, voxels), (box_ref, voxels_ref) in zip(got, expected, strict=True):
        assert box == box_ref
        for axis, axis_ref in zip(voxels, voxels_ref, strict=True):
            np.testing.assert_array_equal(axis, axis_ref)
    assert _components(np.zeros((3, 4, 5), dtype=bool), np.zeros((3, 4, 5), dtype=np.uint32), 0) == []


def test_dilation_by_shifts_equals_binary_dilation() -> None:
    from scipy import ndimage

    from calcinosis.imaging.ct import _dilate

    rng = np.random.default_rng(29)
    for shape in [(9, 17, 13), (1, 5, 6), (4, 1, 1)]:
        mask = rng.random(shape) < 0.1
        mask[0, 0, 0] = mask[-1, -1, -1] = True  # the edges: nothing wraps around
        np.testing.assert_array_equal(_dilate(mask), ndimage.binary_dilation(mask, iterations=1))


def test_ordinary_pages_restores_numpy_setting() -> None:
    """The huge-page switch is off inside (nested too) and back to what it was after, even on error."""
    from calcinosis.imaging.volume import _madvise_setter, ordinary_pages

    setter = _madvise_setter()
    if setter is None:
        pytest.skip("this numpy has no huge-page switch")
    before = setter(True)
    try:
        with ordinary_pages():
            assert setter(False) is False  # off inside (reading it sets it, to the same value)
            with ordinary_pages():
                assert setter(False) is False
            assert setter(False) is False  # still off after the inner one
            with pytest.raises(RuntimeError), ordinary_pages():
                raise RuntimeError("failure while measuring")
            assert setter(False) is False
        assert setter(True) is True  # restored
    finally:
        setter(before)


@pytest.mark.parametrize(
    "affine",
    [
        np.diag([0.8, 0.7, 2.0, 1.0]),  # RAS: as stored
        np.diag([-0.8, -0.7, 2.0, 1.0]),  # LPS as ITK writes it: two flips
        np.array([[0, 0.7, 0, 0], [0.8, 0, 0, 0], [0, 0, -2.0, 0], [0, 0, 0, 1.0]]),  # axes swapped: not mapped
    ],
)
def test_mapped_nifti_equals_nibabel_canonical(tmp_path: Path, stored: np.ndarray, affine: np.ndarray) -> None:
    """An uncompressed int16 file without scaling is mapped (read-only, no copy) when its axes are at
    most flipped, and holds what nibabel's as_closest_canonical gives, as the slice reader does."""
    import nibabel as nib

    path = write_scaled_nifti(tmp_path / "ct.nii", stored, affine=affine)
    volume = read_study(path)
    expected = np.asarray(nib.as_closest_canonical(nib.load(str(path))).dataobj).transpose(2, 1, 0)
    np.testing.assert_array_equal(volume.array, expected)
    assert volume.array.dtype == np.int16
    mapped = not volume.array.flags.writeable
    assert mapped == (abs(affine[0, 0]) > 0)  # the swapped axes are read slice by slice into a new array
    # the same file compressed is read slice by slice: same voxels
    gz = write_scaled_nifti(tmp_path / "ct.nii.gz", stored, affine=affine)
    copied = read_study(gz)
    assert copied.array.flags.writeable
    np.testing.assert_array_equal(copied.array, volume.array)
    assert copied.spacing == volume.spacing
