"""The Python examples of docs/saving.md run, one after the other, and print what the page
says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "saving.md"


def test_the_examples_of_the_saving_page_run(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("torch")
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for block in blocks:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, str(PAGE), "exec"), scope)  # noqa: S102 - our own page
        expected = re.findall(r"# (True|Scale)$", block, flags=re.M)
        lines = printed.getvalue().split()
        for word in expected:
            assert word in lines, (block, printed.getvalue())
