"""Every notebook runs from top to bottom without error, and the committed copies carry their
outputs (figures inline, no paths of the machine that ran them).

Notebook 04 (custom Function + gradcheck) has its own test and is left out here. Notebook 03
trains on Fashion-MNIST for 5 epochs: it takes a few minutes.
"""

import os
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith("04_"))


def _fashion_available() -> bool:
    from nn import datasets

    folders = [os.environ.get(datasets.FASHION_MNIST_ENV), datasets.DEBIAN_FASHION_MNIST]
    return any(f and Path(f).is_dir() and len(list(Path(f).glob("*-ubyte*"))) >= 4 for f in folders)


def _has_kernel() -> bool:
    try:
        from jupyter_client.kernelspec import find_kernel_specs
    except ImportError:
        return False
    return "python3" in find_kernel_specs()


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_outputs_and_no_machine_paths(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run it before committing"
    images = [
        o
        for o in _outputs(nb)
        if set(o.get("data", {})) & {"image/png", "image/svg+xml", "image/gif"}
    ]
    assert images, "figures should be inline"
    assert not [o for o in _outputs(nb) if o.output_type == "error"]
    text = path.read_text(encoding="utf-8")
    for place in (str(ROOT), tempfile.gettempdir(), str(Path.home())):
        assert place not in text, "an output shows a path of the machine that ran it"


@pytest.mark.skipif(not _has_kernel(), reason="no Jupyter python3 kernel installed")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    if "fashion" in path.name and not _fashion_available():
        pytest.skip("Fashion-MNIST files not installed (Debian package dataset-fashion-mnist)")
    # the kernel imports the installed packages: no path is added for it
    monkeypatch.delenv("PYTHONPATH", raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert not [o for o in _outputs(nb) if o.output_type == "error"]


def _text(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(
        o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in _outputs(nb)
    )


def test_the_exercises_are_explained_and_the_solutions_agree():
    exercises = _text(ROOT / "notebooks" / "05_exercises.ipynb")
    solutions = _text(ROOT / "notebooks" / "06_solutions.ipynb")
    assert exercises.count("✗ check_manual_grad(") == 5 and "✓" not in exercises
    assert solutions.count("✓ check_manual_grad(") == 5 and "✗" not in solutions
    for hint in (
        "the sign is flipped",  # (a) the chain rule's minus lost
        "Is a 1/6 missing?",  # (b) the mean over m
        "each off by the same -1",  # (c) ŷ − 1 instead of ŷ − y
        "transposed",  # (d) δᵀ x instead of xᵀ δ
        "summed over axis 1 it is right",  # (e) a bias's gradient not summed over the points
    ):
        assert hint in exercises, hint


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_saved_outputs_are_whole_lines(path):
    # a progress bar redrawn with carriage returns would be saved as fragments
    assert "\r" not in _text(path)
    if "fashion" in path.name:
        epochs = [line for line in _text(path).splitlines() if line.startswith("Epoch ")]
        assert [line.split(" - ")[0] for line in epochs] == [f"Epoch {k}/5" for k in range(1, 6)]
        assert all(" - val_loss: " in line for line in epochs)
