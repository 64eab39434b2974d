"""``calcinosis image quantify | compare | batch``.

Every parameter is checked before a study is read (``--threshold``, ``--pixel-spacing`` must be
finite numbers in range), the output folder before anything is measured, and every file is
written through :mod:`calcinosis.outputs` (existing results are replaced only with ``--force``).
Results are serialised in one place, :func:`_json`, as strict JSON: never NaN or Infinity.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from calcinosis.cli._common import handles_errors

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from calcinosis.imaging.ct import DepositMask
    from calcinosis.imaging.results import ImagingResult
    from calcinosis.imaging.volume import Volume

__all__ = ["app"]

app = typer.Typer(
    help="Measure calcified deposits on CT and radiographs (research and follow-up; check every deposit).",
    no_args_is_help=True,
)

FORCE_HELP = "Replace result files that already exist in --out."
STUDY_SUFFIXES = (".nii", ".nii.gz", ".dcm")


def _json(payload: Any) -> str:
    """The one serialisation of imaging results: strict JSON, never NaN or Infinity."""
    from calcinosis.errors import ImagingError

    try:
        return json.dumps(payload, ensure_ascii=False, indent=2, allow_nan=False)
    except ValueError as exc:
        raise ImagingError(
            f"the result holds a number that is not finite (NaN or infinity), so it was not written ({exc}); "
            "this is a bug: please report it with the study"
        ) from None


def _result_payload(result: ImagingResult) -> dict[str, Any]:
    payload = result.model_dump(mode="json")
    payload["case_imaging"] = result.case_imaging()
    return payload


def _refuse_existing(paths: Iterable[Path], *, force: bool) -> None:
    """Before any work: an existing result file is refused without --force (outputs checks it again when writing)."""
    from calcinosis.errors import OutputError

    if force:
        return
    existing = [p for p in paths if os.path.lexists(p)]
    if existing:
        more = f" (and {len(existing) - 1} more result files)" if len(existing) > 1 else ""
        raise OutputError(f"{existing[0]}: already exists{more}; pass --force to replace it", path=existing[0])


def _read(
    study: Path, *, pixel_spacing: float | None = None, bone_mask: Path | None = None
) -> tuple[Volume, npt.NDArray[np.bool_] | None]:
    """Read a study, and the bone mask when one is given (same grid)."""
    from calcinosis.errors import ImagingError
    from calcinosis.imaging.io import read_study

    volume = read_study(study, pixel_spacing_mm=pixel_spacing)
    if bone_mask is None or volume.modality == "radiograph":
        return volume, None
    mask = read_study(bone_mask).array > 0
    if mask.shape != volume.array.shape:
        raise ImagingError(
            f"{bone_mask}: bone mask shape {mask.shape} differs from the study's {volume.array.shape}",
            path=bone_mask,
        )
    return volume, mask


def _measure_volume(
    volume: Volume, *, threshold: float, mask: npt.NDArray[np.bool_] | None = None
) -> tuple[ImagingResult, list[DepositMask]]:
    """Measure a study with the method of its modality."""
    from calcinosis.imaging.measure import measure_volume

    return measure_volume(volume, threshold=threshold, mask=mask)


def _measure(
    study: Path, *, threshold: float, pixel_spacing: float | None = None, bone_mask: Path | None = None
) -> tuple[Volume, ImagingResult, list[DepositMask]]:
    """Read a study and measure it with the method of its modality."""
    volume, mask = _read(study, pixel_spacing=pixel_spacing, bone_mask=bone_mask)
    return (volume, *_measure_volume(volume, threshold=threshold, mask=mask))


@app.command("quantify")
@handles_errors
def quantify(
    study: Path = typer.Argument(
        ...,
        help="DICOM series folder, NIfTI file, DICOM CT file, or a radiograph (DICOM, or PNG with --pixel-spacing).",
    ),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    pixel_spacing: float | None = typer.Option(
        None, "--pixel-spacing", help="Pixel spacing at the patient in mm (PNG)."
    ),
    bone_mask: Path | None = typer.Option(
        None, "--bone-mask", help="Optional skeleton mask (NIfTI or DICOM, same grid): components inside it are bone."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for result.json and the overlay PNGs."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Find and measure every calcified deposit; print the JSON result; write overlays with --out."""
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.imaging.overlay import overlay_paths, write_overlays
    from calcinosis.outputs import prepare_output_dir, write_output

    check_threshold(threshold)
    inputs = [study] if bone_mask is None else [study, bone_mask]
    if out is not None:
        prepare_output_dir(out, inputs=inputs)
    volume, mask = _read(study, pixel_spacing=pixel_spacing, bone_mask=bone_mask)
    if out is not None:
        _refuse_existing([out / "result.json", *overlay_paths(volume, out)], force=force)
    result, masks = _measure_volume(volume, threshold=threshold, mask=mask)
    text = _json(_result_payload(result))
    if out is not None:
        write_output(out / "result.json", text, inputs=inputs, force=force)
        for path in write_overlays(volume, result, masks, out, force=force, inputs=inputs):
            typer.echo(f"overlay: {path}", err=True)
    typer.echo(text)


@app.command("compare")
@handles_errors
def compare(
    before: Path = typer.Argument(..., help="Earlier study (DICOM folder, NIfTI, or radiograph)."),
    after: Path = typer.Argument(..., help="Later study of the same patient, same kind and view."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    pixel_spacing: float | None = typer.Option(
        None, "--pixel-spacing", help="Pixel spacing at the patient in mm (PNG)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder for comparison.json."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Match deposits between two studies; per-deposit and total change, new and vanished deposits.

    Studies that cannot be compared are refused with the reason: different modalities, a
    degenerate study, or fields of view of very different physical extent.
    """
    from calcinosis.imaging.compare import body_centroid_mm, check_comparable, compare_results
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.outputs import prepare_output_dir, write_output

    check_threshold(threshold)
    if out is not None:
        prepare_output_dir(out, inputs=[before, after])
        _refuse_existing([out / "comparison.json"], force=force)
    v1, _ = _read(before, pixel_spacing=pixel_spacing)
    v2, _ = _read(after, pixel_spacing=pixel_spacing)
    check_comparable(v1, v2)  # before the (long) measurement
    c1, c2 = body_centroid_mm(v1), body_centroid_mm(v2)
    r1, _ = _measure_volume(v1, threshold=threshold)
    r2, _ = _measure_volume(v2, threshold=threshold)
    shift = (c2[0] - c1[0], c2[1] - c1[1], c2[2] - c1[2])
    result = compare_results(r1, r2, shift_mm=shift)
    text = _json(result.model_dump(mode="json"))
    if out is not None:
        write_output(out / "comparison.json", text, inputs=[before, after], force=force)
    typer.echo(text)


def _output_names(studies: list[Path]) -> dict[Path, str]:
    """One result file name per study that no other study (nor summary.csv) can take: the study's
    whole name plus .json (``scan/`` -> scan.json, ``scan.nii.gz`` -> scan.nii.gz.json), with a
    number added if two names still meet (case-insensitive file systems)."""
    used = {"summary.csv"}
    names: dict[Path, str] = {}
    for study in studies:
        name = f"{study.name}.json"
        k = 2
        while name.lower() in used:
            name = f"{study.name}-{k}.json"
            k += 1
        used.add(name.lower())
        names[study] = name
    return names


def _is_same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@app.command("batch")
@handles_errors
def batch(
    folder: Path = typer.Argument(
        ..., help="Folder of studies: DICOM series sub-folders, NIfTI files, DICOM radiographs."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for one JSON per study and summary.csv."),
    threshold: float = typer.Option(130.0, "--threshold", help="Calcium threshold in HU (CT)."),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Quantify every study of a folder, with a progress bar; a study that fails is reported and skipped.

    Each study's result goes to its own file named after the study's whole name (``p1/`` ->
    p1.json, ``p1.nii.gz`` -> p1.nii.gz.json); summary.csv lists every study with its status, its
    output file and the error, and is written even when every study fails.
    """
    import csv
    import io

    from rich.progress import Progress

    from calcinosis.errors import CalcinosisError, ImagingError
    from calcinosis.imaging.ct import check_threshold
    from calcinosis.outputs import prepare_output_dir, write_output

    check_threshold(threshold)
    if not folder.is_dir():
        raise ImagingError(f"{folder}: not a folder of studies", path=folder)
    prepare_output_dir(out, inputs=[folder])
    studies = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".")
        and (p.is_dir() or (p.is_file() and p.name.lower().endswith(STUDY_SUFFIXES)))
        and not _is_same(p, out)
    )
    names = _output_names(studies)
    _refuse_existing([out / "summary.csv", *(out / n for n in names.values())], force=force)
    rows: list[dict[str, object]] = []
    with Progress(transient=True) as progress:
        task = progress.add_task("quantifying", total=len(studies))
        for study in studies:
            target = out / names[study]
            try:
                _, result, _ = _measure(study, threshold=threshold)
                write_output(target, _json(_result_payload(result)), inputs=[study], force=force)
                row: dict[str, object] = {
                    "study": study.name,
                    "status": "ok",
                    "output": target.name,
                    "deposits": len(result.deposits),
                    "total_volume_mm3": result.total_volume_mm3,
                    "error": "",
                }
            except Exception as exc:  # one bad study never stops the batch; KeyboardInterrupt still does
                text = str(exc).strip()
                if not isinstance(exc, CalcinosisError):
                    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
                row = {
                    "study": study.name,
                    "status": "error",
                    "output": "",
                    "deposits": "",
                    "total_volume_mm3": "",
                    "error": text or type(exc).__name__,
                }
            rows.append(row)
            progress.advance(task)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=["study", "status", "output", "deposits", "total_volume_mm3", "error"])
    writer.writeheader()
    writer.writerows(rows)
    summary = write_output(out / "summary.csv", buffer.getvalue(), inputs=[folder], force=force)
    failed = sum(r["status"] == "error" for r in rows)
    typer.echo(f"{len(rows) - failed} studies measured, {failed} failed: {summary}")
