"""The walkthrough and the drawings name ops after their layers and results, and print each
value apart from the formulas, one entry at a time."""

from __future__ import annotations

import re

import numpy as np

import autograd_core as ag
from autograd_core import Tensor, draw_graph, graph_scope
from autograd_core.viz.walkthrough import compact


class _Layer:  # what a layer gives its scope: a name and a label
    def __init__(self, name: str) -> None:
        self.name = name

    def graph_label(self) -> str:
        return "Dense(2→3, sigmoid)"


def _net():
    x = Tensor(np.array([[0.5, -1.0]]), name="X")
    W = Tensor(np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]), requires_grad=True, name="W")
    b = Tensor(np.array([0.0, 0.1, -0.1]), requires_grad=True, name="b")
    with graph_scope(owner=_Layer("hidden")):
        a = (x @ W + b).sigmoid()
    C = 0.5 * ((a - 1.0) ** 2).sum()
    C.name = "C"
    return C


def test_ops_are_named_after_their_layer_and_their_result():
    steps = ag.backward_steps(_net())
    labels = [s.op for s in steps]
    assert labels[0] == "multiply → C"  # the output, by its name
    assert labels[-3:] == ["hidden/sigmoid", "hidden/add", "hidden/matmul"]
    assert [s.op_name for s in steps[-3:]] == ["sigmoid", "add", "matmul"]
    assert all("#" not in lab for lab in labels)  # nothing repeats, so nothing is numbered
    assert steps[-1].to_dict()["op_name"] == "matmul"


def test_repeated_labels_are_numbered_in_visiting_order():
    x = Tensor(np.array([0.3, -0.7]), requires_grad=True, name="x")
    y = (x.sigmoid().sigmoid() * 2.0).sum()
    labels = [s.op for s in ag.backward_steps(y)]
    assert labels == ["sum", "multiply", "sigmoid#1", "sigmoid#2"]


def test_values_are_printed_apart_from_the_formulas():
    table = ag.explain_backward(_net())
    text = str(table)
    lines = text.splitlines()
    assert len(lines) == len(table.steps) + 2  # one line per step
    row = {r[1]: r for r in table.rows()}
    add = row["hidden/add"]
    # the rule, then each input's local derivative named, then what each input receives
    assert add[4].startswith("d(x + y)/dx = 1, d(x + y)/dy = 1; for hidden/matmul: [[")
    assert "; for b: [[1, 1, 1]]" in add[4]
    assert add[5].startswith("to hidden/matmul: [[") and "; to b: [" in add[5]
    assert " = -1 = " not in text and ",  " not in text  # no run-together or padded values
    assert not re.search(r"-0(?![.\d])|-0\.(?!\d)", text)  # no negative zero
    assert not re.search(r"\d\.(?=[,\]])", text)  # no "1." with a dangling point
    html = table._repr_html_()
    (tr,) = [r for r in html.split("<tr>") if "<code>hidden/add</code></td>" in r]
    cell = re.findall(r"<td[^>]*>(.*?)</td>", tr)[4]  # hidden/add's local derivative
    assert cell.count("<br>") == 2  # the rule, the matmul's entry, the bias's entry


def test_compact_numbers():
    assert compact(np.array([-0.0, 0.25, 1.0])) == "[0, 0.25, 1]"
    assert compact(np.array([[1.0, 2.5], [3.0, -4.0]])) == "[[1, 2.5], [3, -4]]"
    assert compact(np.array(0.123456)) == "0.1235"
    assert compact(np.arange(10.0), max_values=6).startswith("mean 4.5, norm 16.88, min 0")
    assert compact(np.array([True, False])) == "[True, False]"


def test_drawn_clusters_and_the_text_form_carry_the_layer_name():
    C = _net()
    src = draw_graph(C).source
    assert "hidden: Dense(2→3, sigmoid)" in src
    assert "<B>hidden: Dense(2→3, sigmoid)</B>" in draw_graph(C, collapse_layers=True).source
    assert "hidden: Dense(2→3, sigmoid)" in ag.graph_text(C)
    with graph_scope("block 1"):  # a plain label stays as it is
        y = (Tensor(np.ones(2), requires_grad=True) * 3.0).sum()
    assert 'label="block 1"' in draw_graph(y).source
