"""examples/outgrow.py runs: train, save and resume, ONNX, PyTorch; and without the extras it
skips those parts with a message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "outgrow.py"

# Runs the script with onnx, onnxruntime and torch made unimportable.
_WITHOUT_EXTRAS = """
import builtins, runpy, sys
real = builtins.__import__
def blocked(name, *args, **kwargs):
    if name.split(".")[0] in ("onnx", "onnxruntime", "torch"):
        raise ImportError(f"No module named {name!r}")
    return real(name, *args, **kwargs)
builtins.__import__ = blocked
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _run(tmp_path, *prefix):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, *prefix, str(SCRIPT), "--epochs", "2", "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_outgrow_example_runs_end_to_end(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("torch")
    out = _run(tmp_path)
    assert "[nn] trained 2 epochs" in out
    assert "resumed training identical: True" in out
    assert "[onnx] two_circles.onnx under onnxruntime" in out
    assert "back in nn with from_torch" in out
    assert (tmp_path / "two_circles.safetensors").is_file()
    assert (tmp_path / "two_circles.onnx").is_file()
    for line in out.splitlines():
        if "max |difference|" in line:
            assert float(line.rsplit(" ", 1)[1]) <= 1e-5, line


def test_the_outgrow_example_skips_what_is_not_installed(tmp_path):
    out = _run(tmp_path, "-c", _WITHOUT_EXTRAS)
    assert "resumed training identical: True" in out
    assert "[onnx] skipped" in out and "autograd-core[onnx]" in out
    assert "[torch] skipped" in out and "autograd-core[torch]" in out
    assert not (tmp_path / "two_circles.onnx").exists()
