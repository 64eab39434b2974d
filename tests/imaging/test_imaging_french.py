"""Imaging in French: every error of the reader and the measurement, every assumption and the
disclaimer of a result have an English and a French text (imaging/messages.yaml), and the French
path (``--lang fr``, the web page and the API with ``lang=fr`` or ``Accept-Language: fr``) shows
the French one; ``str()`` of an error stays the English text."""

from __future__ import annotations

import ast
import io
import json
import pickle
import string
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from calcinosis import KnowledgeBase
from calcinosis.cli.main import app
from calcinosis.errors import ImagingError
from calcinosis.imaging.io import read_study
from calcinosis.imaging.measure import measure_volume
from calcinosis.imaging.results import DISCLAIMER
from calcinosis.imaging.texts import Numbers, Text, imaging_messages, say

from ..test_french import NO_SPACE_BEFORE, SPACE_BEFORE, problems
from ..web.test_web_french import visible_text
from .builders import write_nifti_raw
from .test_reading import write_ct_series

runner = CliRunner()
SRC = Path(__file__).parents[2] / "src" / "calcinosis"
NBSP = "\u00a0"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# --- the table ------------------------------------------------------------------------------------------


def test_every_imaging_message_has_english_and_french_with_the_same_placeholders() -> None:
    table = imaging_messages()
    errors = [key for key in table if key.startswith("err_")]
    assert len(errors) > 100  # every error of the reader, the measurement, the commands and the upload
    bad = {
        key: texts
        for key, texts in table.items()
        if set(texts) != {"en", "fr"}
        or not texts["en"].strip()
        or not texts["fr"].strip()
        or _fields(texts["en"]) != _fields(texts["fr"])
    }
    assert bad == {}


def test_french_imaging_messages_have_french_spacing() -> None:
    """A no-break space before ':' and a narrow one before ';', '?', '!' in every French text as read."""
    bad = {
        key: texts["fr"]
        for key, texts in imaging_messages().items()
        if SPACE_BEFORE.search(texts["fr"]) or NO_SPACE_BEFORE.search(texts["fr"])
    }
    assert bad == {}


def test_the_english_texts_are_those_of_the_results_model() -> None:
    from calcinosis.imaging.hand import LAYOUT

    assert say("disclaimer", "en") == DISCLAIMER
    assert Text("hand_layout") == LAYOUT


# --- the source: no error left in English only ------------------------------------------------------------


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
                found.append((path, node))
    return found


def test_every_imaging_error_in_the_source_is_raised_with_a_message_key() -> None:
    """No ``ImagingError(f"...")``: the first argument names an err_* message, and the call gives
    every value its English and French texts use (``path`` gives ``{path}``)."""
    table = imaging_messages()
    calls = _calls("ImagingError")
    assert len(calls) > 100
    bad = []
    for path, call in calls:
        where = f"{path.relative_to(SRC)}:{call.lineno}"
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("err_")):
            bad.append(f"{where}: no message key ({ast.unparse(first) if first else 'no argument'})")
            continue
        if first.value not in table:
            bad.append(f"{where}: {first.value} is not in imaging/messages.yaml")
            continue
        given = {k.arg for k in call.keywords}
        assert None not in given, f"{where}: **values hide which values are given"
        needed = _fields(table[first.value]["en"]) | _fields(table[first.value]["fr"])
        if needed - given:
            bad.append(f"{where}: {first.value} needs {sorted(needed - given)}")
        if any(isinstance(node, ast.JoinedStr) for arg in call.args for node in ast.walk(arg)):
            bad.append(f"{where}: an f-string")
    assert bad == []


def test_every_text_key_named_in_the_source_is_in_the_table() -> None:
    table = imaging_messages()
    bad = []
    for name in ("Text", "say"):
        for path, call in _calls(name):
            if not (path.parent.name == "imaging" or path.name in ("image.py", "uploads.py")):
                continue  # other modules' say() is calcinosis.i18n.message
            where = f"{path.relative_to(SRC)}:{call.lineno}"
            first = call.args[0] if call.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value not in table:
                bad.append(f"{where}: {first.value}")
            elif isinstance(first, ast.JoinedStr):  # Text(f"modality_{...}"): a prefix of keys
                prefix = first.values[0]
                if not (isinstance(prefix, ast.Constant) and any(k.startswith(str(prefix.value)) for k in table)):
                    bad.append(f"{where}: {ast.unparse(first)}")
    assert bad == []


def test_an_error_keeps_its_english_str_and_says_itself_in_french() -> None:
    exc = ImagingError("err_truncated_pixels", path=Path("scan/0001.dcm"), expected=524288, found=1000)
    assert str(exc) == "scan/0001.dcm: truncated pixel data: expected 524,288 bytes, found 1,000"
    assert exc.text("en") == str(exc)
    assert exc.text("fr") == (
        f"scan/0001.dcm{NBSP}: données de pixels tronquées{NBSP}: 524\u202f288 octets attendus, 1\u202f000 trouvés"
    )
    assert exc.path == Path("scan/0001.dcm")
    written = ImagingError("a message written out")  # not a key: shown as it is
    assert str(written) == written.text("fr") == "a message written out"


def test_a_text_survives_a_copy_and_a_pickle() -> None:
    note = Text("note_negative_voxel_sizes", sizes=Numbers((0.5, -0.5, 2.5)))
    assert note == "negative voxel sizes in the header (0.5, -0.5, 2.5) read as their magnitude"
    again = pickle.loads(pickle.dumps(note))
    assert again == note and again.text("fr") == note.text("fr")
    assert "(0,5\u202f; -0,5\u202f; 2,5)" in note.text("fr")


# --- real studies through the command line -----------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


def test_a_nifti_without_spacing_is_refused_in_the_language_of_the_command(tmp_path: Path, kb: KnowledgeBase) -> None:
    study = write_nifti_raw(tmp_path / "v.nii.gz", (4, 4, 4), zooms=(0.8, 0.8, 0.0))
    code, _, err = _cli("image", "quantify", str(study))
    assert code == 2
    assert "voxel size along axis k (pixdim) must be a positive number of mm, not 0.0" in err
    code, _, err = _cli("image", "quantify", str(study), "--lang", "fr")
    assert code == 2
    expected = f"{study}{NBSP}: la taille du voxel selon l'axe k (pixdim) doit être un nombre de mm positif, pas 0,0"
    assert f"erreur{NBSP}: {expected}" in err
    assert problems(err.replace(str(study), "FICHIER"), kb) == []


def test_a_series_with_a_missing_slice_is_refused_in_french_with_the_decimal_comma(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    hu = np.random.default_rng(1).integers(-1000, 1500, size=(8, 32, 32)).astype(np.int16)
    write_ct_series(hu, tmp_path / "s", skip=4)
    code, _, err = _cli("image", "quantify", str(tmp_path / "s"))
    assert code == 2 and "missing slices between positions 7.5 and 12.5 mm (step 2.50 mm elsewhere)" in err
    for command in (["quantify", str(tmp_path / "s")], ["compare", str(tmp_path / "s"), str(tmp_path / "s")]):
        code, _, err = _cli("image", *command, "--lang", "fr")
        assert code == 2
        assert "coupes manquantes entre les positions 7,5 et 12,5 mm (espacement de 2,50 mm ailleurs)" in err
        assert problems(err.replace(str(tmp_path / "s"), "DOSSIER"), kb) == []


def test_batch_says_each_failure_in_the_language_of_the_command(tmp_path: Path) -> None:
    import csv

    (tmp_path / "studies" / "broken").mkdir(parents=True)
    code, out, _ = _cli("image", "batch", str(tmp_path / "studies"), "--out", str(tmp_path / "out"), "--lang", "fr")
    assert code == 0 and "0 examens mesurés, 1 en échec" in out
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[0]["error"].endswith(f"broken{NBSP}: aucune image DICOM dans ce dossier")


def _png(path: Path) -> Path:
    from PIL import Image

    image = np.full((64, 64), 40, dtype=np.uint8)
    image[20:30, 20:30] = 250
    Image.fromarray(image).save(path, format="PNG")
    return path


def test_quantify_and_compare_give_french_assumptions_and_disclaimer(tmp_path: Path, kb: KnowledgeBase) -> None:
    png = _png(tmp_path / "radio.png")
    code, out, err = _cli("image", "quantify", str(png), "--pixel-spacing", "0.2")
    assert code == 0, err
    english = json.loads(out)
    assert english["disclaimer"] == DISCLAIMER
    assert "pixel spacing 0.2 mm given by the user, taken as spacing at the patient" in english["assumptions"]
    code, out, err = _cli("image", "quantify", str(png), "--pixel-spacing", "0.2", "--lang", "fr")
    assert code == 0, err
    french = json.loads(out)
    assert french["disclaimer"] == say("disclaimer", "fr") and french["disclaimer"].startswith("Mesures pour la")
    assert len(french["assumptions"]) == len(english["assumptions"])
    assert (
        "espacement des pixels de 0,2 mm donné par l'utilisateur, pris comme espacement au niveau du patient"
        in (french["assumptions"])
    )
    assert problems("\n".join([*french["assumptions"], french["disclaimer"]]), kb) == []
    code, out, err = _cli("image", "compare", str(png), str(png), "--pixel-spacing", "0.2", "--lang", "fr")
    assert code == 0, err
    compared = json.loads(out)
    assert compared["assumptions"][0].startswith("examens recalés par une translation rigide")
    assert problems("\n".join(compared["assumptions"]), kb) == []


def test_a_ct_measurement_says_its_assumptions_in_french(tmp_path: Path, kb: KnowledgeBase) -> None:
    """NaN voxels, values held as float32, the NIfTI scaling: each assumption in French with the decimal comma."""
    import nibabel as nib

    hu = np.full((40, 40, 10), 40.0, dtype=np.float32)
    hu[10:14, 10:14, 3:6] = 400.5
    hu[0, 0, :3] = np.nan
    nib.save(nib.Nifti1Image(hu, np.diag([0.8, 0.8, 2.5, 1.0])), tmp_path / "ct.nii.gz")
    volume = read_study(tmp_path / "ct.nii.gz")
    english, _ = measure_volume(volume, threshold=130.0)
    french, _ = measure_volume(volume, threshold=130.0, lang="fr")
    assert english.assumptions == [str(note) for note in volume.assumptions] and english.disclaimer == DISCLAIMER
    assert "3 voxels (0.0187 %) hold no number" in " ".join(english.assumptions)
    assert len(french.assumptions) == len(english.assumptions) and french.deposits == english.deposits
    text = "\n".join([*french.assumptions, french.disclaimer])
    assert f"3 voxels (0,0187{NBSP}%) ne contiennent pas de nombre" in text
    assert "valeurs NIfTI prises comme unités Hounsfield" in text
    assert problems(text, kb) == []


# --- real uploads through the web app ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app as tests/web/conftest.py builds it (bundled knowledge, default settings), in process."""
    from calcinosis.web.app import create_app
    from calcinosis.web.settings import Settings

    database = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'registry.sqlite3'}"
    with TestClient(create_app(Settings(database_url=database), kb=kb), raise_server_exceptions=False) as c:
        yield c


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    return buffer.getvalue()


def _series_zip(tmp_path: Path) -> bytes:
    hu = np.random.default_rng(1).integers(-1000, 1500, size=(8, 32, 32)).astype(np.int16)
    write_ct_series(hu, tmp_path / "s", skip=4)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for f in sorted((tmp_path / "s").iterdir()):
            archive.write(f, f.name)
    return buffer.getvalue()


def test_the_api_says_an_empty_zip_in_the_request_language(client: TestClient) -> None:
    files = {"study": ("series.zip", _empty_zip())}
    english = client.post("/api/v1/image/quantify", files=files)
    assert english.status_code == 422 and english.json()["detail"] == "the uploaded zip holds no file"
    for response in (
        client.post("/api/v1/image/quantify?lang=fr", files=files),
        client.post("/api/v1/image/quantify", files=files, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}),
    ):
        assert response.status_code == 422
        assert response.json()["detail"] == "l'archive zip envoyée ne contient aucun fichier"


def test_the_api_says_a_missing_slice_in_french_without_its_private_folders(
    client: TestClient, tmp_path: Path, kb: KnowledgeBase
) -> None:
    files = {"study": ("series.zip", _series_zip(tmp_path))}
    english = client.post("/api/v1/image/quantify", files=files).json()["detail"]
    assert english.startswith("series.zip") and "missing slices between positions 7.5 and 12.5 mm" in english
    french = client.post("/api/v1/image/quantify?lang=fr", files=files).json()["detail"]
    assert french.startswith("series.zip") and "/tmp" not in french and "calcinosis-" not in french
    assert f"{NBSP}: coupes manquantes entre les positions 7,5 et 12,5 mm (espacement de 2,50 mm ailleurs)" in french
    assert problems(french.replace("series.zip/series", "DOSSIER"), kb) == []


def test_the_api_gives_french_assumptions_and_disclaimer(client: TestClient, tmp_path: Path, kb: KnowledgeBase) -> None:
    png = _png(tmp_path / "radio.png").read_bytes()
    data = {"pixel_spacing": "0.2"}
    english = client.post("/api/v1/image/quantify", files={"study": ("radio.png", png)}, data=data).json()["result"]
    assert english["disclaimer"] == DISCLAIMER
    french = client.post("/api/v1/image/quantify?lang=fr", files={"study": ("radio.png", png)}, data=data)
    assert french.status_code == 200
    result = french.json()["result"]
    assert result["disclaimer"] == say("disclaimer", "fr")
    assert result["deposits"] == english["deposits"] and len(result["assumptions"]) == len(english["assumptions"])
    assert problems("\n".join([*result["assumptions"], result["disclaimer"]]), kb) == []


def test_the_french_imaging_page_says_the_measurement_and_an_error_in_french(
    client: TestClient, tmp_path: Path, kb: KnowledgeBase
) -> None:
    png = ("radio.png", _png(tmp_path / "radio.png").read_bytes(), "image/png")
    page = client.post("/imaging?lang=fr", files={"study": png}, data={"threshold": "130", "pixel_spacing": "0,2"})
    assert page.status_code == 200 and 'lang="en"' not in page.text.split("<main", 1)[1]  # but the language link
    text = visible_text(page.text)
    assert say("disclaimer", "fr") in text and "espacement des pixels de 0,2 mm donné par l'utilisateur" in text
    assert say("note_projection", "fr") in text
    assert problems(text, kb) == []
    english = client.post("/imaging?lang=en", files={"study": png}, data={"threshold": "130", "pixel_spacing": "0.2"})
    assert DISCLAIMER in english.text
    failed = client.post("/imaging?lang=fr", files={"study": ("series.zip", _empty_zip(), "application/zip")})
    assert failed.status_code == 422
    shown = visible_text(failed.text)
    assert "l'archive zip envoyée ne contient aucun fichier" in shown
    assert problems(shown, kb) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_hand_layout_reason_is_said_in_the_language(lang: str) -> None:
    from calcinosis.imaging.hand import find_hand

    layout, why = find_hand([])
    assert layout is None and isinstance(why, Text)
    shown = why.text(lang)
    assert shown.startswith("0 bone shafts found" if lang == "en" else "0 diaphyses trouvées")
