"""The architecture diagram, and layers grouping their ops in drawn computation graphs."""

import re

import graphviz
import numpy as np
import pytest

import nn
from autograd_core import Tensor, draw_graph, no_grad
from nn import Dense, ReLU, Sequential
from nn.viz import draw_model, layer_summary


def _circles_net():
    nn.set_seed(0)
    return Sequential(
        [
            Dense(4, input_dim=2, activation="relu"),
            Dense(6, activation="relu"),
            Dense(6, activation="relu"),
            Dense(4, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )


def _nodes(src):
    return re.findall(r"^\s*(\w+) \[", src, re.M)


def test_small_net_is_drawn_neuron_by_neuron_fully_connected():
    model = _circles_net()
    g = model.draw()
    assert isinstance(g, graphviz.Digraph)
    src = g.source
    sizes = [2, 4, 6, 6, 4, 1]
    neurons = [n for n in _nodes(src) if n not in ("graph", "node", "edge")]
    assert len(neurons) == sum(sizes)
    assert src.count(" -> ") == sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
    assert "hidden 1: Dense(4, relu)" in src and "output: Dense(1, sigmoid)" in src
    assert "117 parameters" in src  # 2*4+4 + 4*6+6 + 6*6+6 + 6*4+4 + 4*1+1


def test_weights_set_edge_width_and_colour():
    model = _circles_net()
    src = draw_model(model, show_weights=True).source
    k = model.layers[0].kernel.data
    widths = [float(w) for w in re.findall(r"x0 -> l0n\d \[.*?penwidth=([\d.]+)", src)]
    expected = 0.3 + 2.7 * np.abs(k[0]) / np.abs(k).max()
    np.testing.assert_allclose(widths, expected, atol=0.01)
    assert "#d62728" in src and "#1f77b4" in src  # negative and positive weights


def test_big_net_is_drawn_as_boxes_with_unit_counts():
    nn.set_seed(0)
    model = Sequential(
        [Dense(512, activation="relu", input_dim=784), Dense(10, activation="softmax")]
    )
    src = model.draw().source
    assert src.count("box3d") == 1 and "Dense(512, relu)" in src
    assert "784 → 512 units" in src and "401,920 parameters" in src
    assert "5,130 parameters" in src and "407,050 parameters" in src
    assert len(_nodes(src)) == 3 + 3  # input + two layers, plus graph/node/edge defaults


def test_activation_layers_name_the_previous_layer_activation():
    model = Sequential([Dense(3, input_dim=2), ReLU(), Dense(1)])
    infos = layer_summary(model)
    assert [(i.units, i.activation) for i in infos] == [(3, "relu"), (1, "linear")]
    with pytest.raises(ValueError, match="no layers with `units`"):
        layer_summary(Sequential([ReLU()]))


def test_layer_calls_group_their_ops_in_the_computation_graph():
    model = _circles_net()
    X = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    out = model(Tensor(X))
    scope = out._node.scope
    assert scope.label == "Dense(4→1, sigmoid)" and scope.owner is model.layers[-1]
    assert scope.parent.owner is model
    loss = nn.losses.binary_crossentropy(y, out)
    loss.backward()
    src = draw_graph(loss, show_grad=True).source
    assert src.count("subgraph cluster_") == 5
    for label in ("Dense(2→4, relu)", "Dense(6→6, relu)", "Dense(4→1, sigmoid)"):
        assert label in src
    assert "dense" in src and "/kernel" in src  # parameters named after their layer
    collapsed = draw_graph(loss, collapse_layers=True).source
    assert collapsed.count("box3d") == 5 and "<B>matmul</B>" not in collapsed
    with no_grad():
        assert model(Tensor(X))._node is None  # nothing recorded, nothing tagged
