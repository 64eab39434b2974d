"""Property tests of the readers (item 6): whatever the header or the bytes, ``read_study`` returns
a Volume with finite, positive spacing and finite values (which measures into strict JSON), or
raises ImagingError; never another exception. Bounded: 60 examples a property, no deadline."""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from calcinosis.cli.image import _json
from calcinosis.errors import ImagingError
from calcinosis.imaging.ct import measure_ct
from calcinosis.imaging.io import read_study
from calcinosis.imaging.radiograph import measure_radiograph
from calcinosis.imaging.volume import Volume

from .builders import dicom_dataset, save_dicom, write_nifti_raw

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, -1.0, 0.5, 1.0, 2.5, 1e-300, 1e300, math.nan, math.inf, -math.inf, 1e-4, 5000.0]),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
)
DS_VALUE = st.one_of(NUMBERS, st.sampled_from(["", "abc", "1\\2", " 0.7 "]))
MAYBE_LIST = st.one_of(st.none(), st.lists(DS_VALUE, min_size=0, max_size=3))
SPACING = st.floats(0.05, 5.0)


def sometimes(valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a valid value, about one time in eight a hostile one: so that examples are readable
    studies with one or two things wrong, and the success path is exercised too."""
    return st.sampled_from(range(8)).flatmap(lambda k: hostile if k == 3 else valid)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def assert_contract(read: Any) -> None:
    """A Volume with finite positive spacing and finite values, or an ImagingError; nothing else."""
    try:
        volume = read()
    except ImagingError as exc:
        assert str(exc).strip()
        event("ImagingError")
        return
    event(f"Volume ({volume.modality})")
    assert isinstance(volume, Volume)
    assert volume.array.ndim == 3 and volume.array.size > 0
    assert np.isfinite(volume.array).all()
    dz, dy, dx = volume.spacing
    assert all(math.isfinite(v) for v in volume.spacing)
    assert dy > 0 and dx > 0
    assert dz > 0 if volume.modality == "ct" else volume.array.shape[0] == 1
    assert all(isinstance(a, str) and a for a in volume.assumptions)
    # and what is read can be measured, into strict JSON (never NaN or Infinity)
    result = measure_radiograph(volume)[0] if volume.modality == "radiograph" else measure_ct(volume)[0]
    json.loads(_json(result.model_dump(mode="json")))


@st.composite
def dicom_headers(draw: st.DrawFn) -> dict[str, Any]:
    size = sometimes(st.integers(1, 12), st.sampled_from([0, 65535, 4096]))
    rows, columns = draw(size), draw(size)
    bits = draw(sometimes(st.sampled_from([16, 8]), st.sampled_from([1, 12, 32, 64])))
    tags: dict[str, Any] = {
        "Rows": rows,
        "Columns": columns,
        "BitsAllocated": bits,
        "BitsStored": draw(sometimes(st.sampled_from([None, bits, min(bits, 12)]), st.integers(0, 40))),
        "HighBit": None,
        "PixelRepresentation": draw(sometimes(st.sampled_from([0, 1]), st.sampled_from([2, None]))),
        "SamplesPerPixel": draw(sometimes(st.just(1), st.sampled_from([3, None]))),
        "PhotometricInterpretation": draw(
            sometimes(st.sampled_from(["MONOCHROME2", "MONOCHROME1"]), st.sampled_from(["RGB", "PALETTE COLOR", None]))
        ),
        "NumberOfFrames": draw(sometimes(st.none(), st.sampled_from([1, 2, 0]))),
        "PixelSpacing": draw(sometimes(st.lists(SPACING, min_size=2, max_size=2), MAYBE_LIST)),
        "SliceThickness": draw(sometimes(SPACING, st.one_of(st.none(), DS_VALUE))),
        "SpacingBetweenSlices": draw(sometimes(st.none(), DS_VALUE)),
        "RescaleSlope": draw(sometimes(st.sampled_from([1, 0.5, 2]), st.one_of(st.none(), DS_VALUE))),
        "RescaleIntercept": draw(sometimes(st.sampled_from([0, -1024]), st.one_of(st.none(), DS_VALUE))),
    }
    if draw(st.booleans()):
        if draw(st.booleans()):
            tags["PixelSpacing"] = None
        tags["ImagerPixelSpacing"] = draw(sometimes(st.lists(SPACING, min_size=2, max_size=2), MAYBE_LIST))
        tags["EstimatedRadiographicMagnificationFactor"] = draw(sometimes(st.sampled_from([None, 1.1]), DS_VALUE))
    frames = 2 if tags["NumberOfFrames"] == 2 else 1
    expected = rows * columns * frames * max(bits, 8) // 8
    kinds = sometimes(st.just("exact"), st.sampled_from(["short", "long", "tiny"]))
    size_kind = draw(kinds if expected <= 20_000 else st.just("tiny"))
    length = {"exact": expected, "short": expected // 2, "long": expected + 6, "tiny": 10}[size_kind]
    length += length % 2  # DICOM values have an even length
    tags["PixelData"] = draw(st.binary(min_size=length, max_size=length)) if length <= 2048 else bytes(length)
    return tags


@SETTINGS
@given(
    header=dicom_headers(), modality=sometimes(st.sampled_from(["CT", "DX", "CR"]), st.sampled_from(["OT", "MR", ""]))
)
def test_dicom_file_reads_or_is_an_imaging_error(workdir: Path, header: dict[str, Any], modality: str) -> None:
    ds = dicom_dataset(modality=modality or "DX", **{**header, "Modality": modality or None})
    path = save_dicom(ds, workdir / "x.dcm")
    assert_contract(lambda: read_study(path))


@st.composite
def series_slices(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    size = draw(st.sampled_from([(4, 4), (6, 5)]))
    base_step = draw(sometimes(st.sampled_from([2.5, 1.0, -1.0]), st.sampled_from([0.0, math.nan, 1e-6])))
    slices = []
    for k in range(count):
        rows, columns = draw(sometimes(st.just(size), st.just((3, 3))))
        pixels = np.asarray(
            draw(st.lists(st.integers(-2000, 3000), min_size=rows * columns, max_size=rows * columns)), dtype=np.int16
        ).reshape(rows, columns)
        tags: dict[str, Any] = {"rows": rows, "columns": columns, "pixels": pixels, "InstanceNumber": k + 1}
        if draw(st.integers(0, 19)) > 0:
            tags["ImagePositionPatient"] = [0.0, 0.0, k * base_step]
        if draw(st.integers(0, 19)) == 0:
            tags["ImagePositionPatient"] = draw(st.lists(NUMBERS, min_size=1, max_size=4))
        if draw(st.integers(0, 19)) == 0:
            tags["ImageOrientationPatient"] = draw(st.lists(NUMBERS, min_size=6, max_size=6))
        if draw(st.integers(0, 19)) == 0:
            tags["PixelSpacing"] = draw(MAYBE_LIST)
        if draw(st.integers(0, 19)) == 0:
            tags["RescaleSlope"] = draw(DS_VALUE)
        if draw(st.integers(0, 19)) == 0:
            tags["InstanceNumber"] = draw(st.sampled_from([None, 1, -5]))
        if draw(st.integers(0, 19)) == 0:
            tags["SliceThickness"] = draw(st.one_of(st.none(), DS_VALUE))
        damage = draw(sometimes(st.just("none"), st.sampled_from(["cut", "garbage"])))
        slices.append({"tags": tags, "damage": damage})
    return slices


@SETTINGS
@given(slices=series_slices())
def test_dicom_series_reads_or_is_an_imaging_error(workdir: Path, slices: list[dict[str, Any]]) -> None:
    from pydicom.uid import generate_uid

    folder = workdir / "series"
    if folder.exists():
        for f in folder.iterdir():
            f.unlink()
    series = generate_uid()
    for k, item in enumerate(slices):
        ds = dicom_dataset(SeriesInstanceUID=series, **item["tags"])
        path = save_dicom(ds, folder / f"{k:03d}.dcm")
        if item["damage"] == "cut":
            path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])
        elif item["damage"] == "garbage":
            path.write_bytes(b"\x00garbage" * 40)
    assert_contract(lambda: read_study(folder))


PNG_MODES = ["1", "L", "LA", "P", "P+transparency", "RGB", "RGBA", "I;16"]  # what Pillow can write as PNG


@SETTINGS
@given(
    mode=st.sampled_from(PNG_MODES),
    width=st.integers(1, 12),
    height=st.integers(1, 12),
    seed=st.integers(0, 2**16),
    spacing=sometimes(SPACING, st.one_of(st.none(), NUMBERS)),
    cut=sometimes(st.none(), st.sampled_from([20, 60])),
)
def test_png_reads_or_is_an_imaging_error(
    workdir: Path, mode: str, width: int, height: int, seed: int, spacing: float | None, cut: int | None
) -> None:
    from PIL import Image

    rng = np.random.default_rng(seed)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, size=(height, width)).astype(np.uint16))
    else:
        rgba = rng.integers(0, 256, size=(height, width, 4)).astype(np.uint8)
        image = Image.fromarray(rgba, "RGBA").convert(mode.split("+")[0])
    path = workdir / "x.png"
    image.save(path, **({"transparency": 0} if mode == "P+transparency" else {}))
    if cut is not None:
        path.write_bytes(path.read_bytes()[:cut])
    assert_contract(lambda: read_study(path, pixel_spacing_mm=spacing))


@SETTINGS
@given(
    shape=sometimes(
        st.lists(st.integers(1, 5), min_size=3, max_size=3).map(tuple)
        | st.tuples(st.just(3), st.just(4), st.just(5), st.just(1)),
        st.lists(st.integers(0, 5), min_size=2, max_size=5).map(tuple),
    ),
    dtype=sometimes(st.sampled_from([np.int16, np.uint8, np.float32, np.float64, np.int32]), st.just(np.complex64)),
    zooms=sometimes(st.lists(SPACING, min_size=3, max_size=3), st.lists(NUMBERS, min_size=3, max_size=3)).map(tuple),
    values=sometimes(
        st.lists(st.floats(-2000, 3000), min_size=1, max_size=8), st.lists(NUMBERS, min_size=1, max_size=8)
    ),
    data=sometimes(st.just("full"), st.sampled_from(["short", "none"])),
    gz=st.booleans(),
)
def test_nifti_reads_or_is_an_imaging_error(
    workdir: Path,
    shape: tuple[int, ...],
    dtype: Any,
    zooms: tuple[float, ...],
    values: list[float],
    data: str,
    gz: bool,
) -> None:
    count = int(np.prod(shape))
    with np.errstate(all="ignore"):
        array = np.resize(np.asarray(values, dtype=np.float64), count).astype(dtype)
    raw = array.tobytes()
    raw = {"full": raw, "short": raw[: len(raw) // 2], "none": b""}[data]
    path = write_nifti_raw(workdir / ("x.nii.gz" if gz else "x.nii"), shape, dtype=dtype, zooms=zooms, data=raw)
    assert_contract(lambda: read_study(path))
