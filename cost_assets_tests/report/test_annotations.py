"""The optional annotations file: loaded and validated with the reference data, or absent."""

import shutil
from pathlib import Path

import pytest

from cost_assets.errors import InputError
from cost_assets.sources.reference import load_reference
from cost_assets.sources.storage import open_store

SAMPLE = Path(__file__).resolve().parents[2] / "sample_exports"


@pytest.fixture
def reference_root(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE / "reference", tmp_path / "reference")
    return tmp_path


def write_notes(root: Path, text: str) -> None:
    (root / "reference" / "annotations.csv").write_text(text)


def test_the_sample_annotations_load():
    notes = load_reference(open_store(str(SAMPLE))).annotations
    assert notes.height >= 2
    assert notes.columns == ["date", "worker", "model", "note"]
    assert "asr-fast-v4" in notes["model"].to_list()


def test_without_the_file_there_are_no_annotations(reference_root):
    (reference_root / "reference" / "annotations.csv").unlink(missing_ok=True)
    reference = load_reference(open_store(str(reference_root)))
    assert reference.annotations.height == 0
    assert "annotations.csv" not in reference.versions


def test_a_note_on_everything_has_neither_worker_nor_model(reference_root):
    write_notes(reference_root, "date,worker,model,note\n2026-11-03,,,Savings Plan bought\n")
    notes = load_reference(open_store(str(reference_root))).annotations
    assert notes.row(0, named=True)["worker"] is None
    assert notes.row(0, named=True)["note"] == "Savings Plan bought"


@pytest.mark.parametrize(
    ("text", "column", "rows"),
    [
        ("date,worker,model,note\n2026-11-01,nobody,,x\n", "worker", [1]),
        ("date,worker,model,note\n2026-11-01,,,ok\n2026-11-02,,no-such-model,x\n", "model", [2]),
        ("date,worker,model,note\n2026-13-01,,,x\n", "date", [1]),
        ("date,worker,model,note\n2026-11-01,asr-batch,,\n", "note", [1]),
        ("date,worker,note\n2026-11-01,asr-batch,x\n", "model", None),
    ],
)
def test_bad_annotations_name_the_file_column_and_row(reference_root, text, column, rows):
    write_notes(reference_root, text)
    with pytest.raises(InputError) as error:
        load_reference(open_store(str(reference_root)))
    assert error.value.file.endswith("annotations.csv")
    assert error.value.column == column
    if rows is not None:
        assert error.value.rows == rows
