"""The main job (examples/demo.py) end to end, with few epochs, in a temporary folder."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.py"


def _load_demo():
    # The demo is an application, not part of the package: import it from its file.
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look the module up while it runs
    spec.loader.exec_module(module)
    return module


demo = _load_demo()

EXPECTED = [
    "data.png",
    "history.png",
    "decision_boundary.png",
    "decision_boundary.gif",
    "neuron.png",
    "layer_matrices.png",
    "forward_backward.gif",
    "model.dot",
    "model.svg",
    "computation_graph.dot",
    "computation_graph.svg",
    "computation_graph_unfused.dot",
    "computation_graph_unfused.svg",
    "summary.json",
    "summary.md",
]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_demo_writes_every_file(tmp_path):
    summary = demo.run("circles", epochs=3, seed=1, out=tmp_path, verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(EXPECTED)
    assert summary["files"] == EXPECTED
    for name in EXPECTED:
        assert (tmp_path / name).stat().st_size > 200, name
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["epochs"] == 3 and len(saved["seconds_per_epoch"]) == 3
    assert len(saved["history"]["loss"]) == 3 and "val_accuracy" in saved["history"]
    assert 0.0 <= saved["test_accuracy"] <= 1.0 and saved["parameters"] == 117
    assert saved["architecture"] == "Dense 2-4-6-6-4-1"
    graph = (tmp_path / "computation_graph.dot").read_text()
    assert "Dense(2→4, relu)" in graph and "Dense(4→1, sigmoid)" in graph
    assert "<svg" in (tmp_path / "computation_graph.svg").read_text()
    assert "| test accuracy |" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "decision_boundary.gif").read_bytes()[:6] == b"GIF89a"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_demo_names_its_inputs_and_draws_the_chain_rule_and_the_teaching_figures(tmp_path):
    from PIL import Image

    demo.run("circles", epochs=2, seed=1, out=tmp_path, verbose=0)
    graph = (tmp_path / "computation_graph.dot").read_text()
    assert "<B>X</B>" in graph and "<B>y</B>" in graph  # the data by name, not "constant"
    assert re.search(r"dense(_\d+)?: Dense\(4→6, relu\)", graph)  # a layer's cluster, named
    unfused = (tmp_path / "computation_graph_unfused.dot").read_text()
    for op in ("matmul", "add", "relu", "sigmoid"):
        assert f"<B>{op}</B>" in unfused
    assert "linear_relu" in graph and "linear_relu" not in unfused
    with Image.open(tmp_path / "forward_backward.gif") as im:
        assert im.n_frames == 2 * 5 + 2  # input, 5 layers forward, the loss, 5 layers back
    for name in ("neuron.png", "layer_matrices.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_the_log_has_one_line_per_epoch(capsys, tmp_path):
    # captured output is not a terminal, as in CI and in a notebook: no bar, no fragments
    demo.main(["--dataset", "moons", "--epochs", "3", "--out", str(tmp_path)])
    out = capsys.readouterr()
    assert "\r" not in out.out + out.err
    epochs = [line for line in out.out.splitlines() if line.startswith("Epoch ")]
    assert [line.split(" - ")[0] for line in epochs] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all("val_accuracy: " in line for line in epochs)


def test_command_line_without_graphviz_writes_dot_and_says_how_to_install(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    out = tmp_path / "results"
    assert demo.main(["--dataset", "moons", "--epochs", "2", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "apt-get install graphviz" in printed and "test accuracy:" in printed
    names = {p.name for p in out.iterdir()}
    assert {"model.dot", "computation_graph.dot", "summary.json"} <= names
    assert not {"model.svg", "computation_graph.svg"} & names
    assert json.loads((out / "summary.json").read_text())["dataset"] == "moons"


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        demo.main(["--dataset", "mnist-ish"])
    with pytest.raises(SystemExit):
        demo.main(["--epochs", "0"])


def test_fashion_mnist_run_trains_the_784_512_10_network(tmp_path, monkeypatch):
    import numpy as np

    import nn

    rng = np.random.default_rng(0)

    def small_fashion(path=None):  # the real files hold 60,000 images: a few hundred will do
        def part(n):
            return (
                rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
                rng.integers(0, 10, n).astype(np.uint8),
            )

        return part(256), part(64)

    monkeypatch.setattr(nn.datasets, "load_fashion_mnist", small_fashion)
    summary = demo.run("fashion-mnist", epochs=1, out=tmp_path, verbose=0)
    assert summary["architecture"] == "Dense 784-512-10" and summary["parameters"] == 407_050
    assert summary["optimizer"] == "rmsprop" and summary["batch_size"] == 128
    names = {p.name for p in tmp_path.iterdir()}
    assert "decision_boundary.png" not in names and "history.png" in names
    assert "Dense(784→512, relu)" in (tmp_path / "computation_graph.dot").read_text()
    assert "401,920 parameters" in (tmp_path / "model.dot").read_text()
    # a validation split is held out of the training images, so over-fitting can be seen
    assert summary["n_train"] + summary["n_validation"] == 256 and summary["n_validation"] > 0
    assert "val_accuracy" in summary["history"]


def test_the_readme_command_runs_the_file_as_a_script(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(DEMO), "--epochs", "1", "--quiet", "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and json.loads((out / "summary.json").read_text())["epochs"] == 1
    help_text = subprocess.run(
        [sys.executable, str(DEMO), "--help"], env=env, capture_output=True, text=True
    ).stdout
    for option in ("--dataset", "--epochs", "--seed", "--out", "--quiet"):
        assert option in help_text
