"""Drawing graphs: DOT content, clusters, highlights, gradients, text/dict forms, the backward
walkthrough, and rendering with and without Graphviz's `dot`."""

import json
import re
import shutil
import sys

import graphviz
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Function, Tensor, draw_graph, graph_scope
from autograd_core.errors import BackwardError
from autograd_core.viz import GraphvizNotFound, record_gradients, save_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def _node_lines(source: str) -> dict:
    """DOT node id -> its statement line."""
    out = {}
    for line in source.splitlines():
        m = re.match(r"\s*(\w+) \[", line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            out[m.group(1)] = line
    return out


def _ids_with(source: str, text: str) -> list:
    return [k for k, v in _node_lines(source).items() if text in v]


def _dense_loss(rng, scoped=True, n=5):
    X = Tensor(rng.standard_normal((n, 3)), name="X")
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True, name="W1")
    b = Tensor(np.zeros(2), requires_grad=True, name="b1")
    if scoped:
        with graph_scope("Dense(3→2, sigmoid)"):
            h = (X @ W + b).sigmoid()
    else:
        h = (X @ W + b).sigmoid()
    loss = ((h - 1.0) ** 2).mean()
    loss.name = "loss"
    return loss, X, W, b, h


def test_dot_has_one_node_per_op_and_tensor_with_names_shapes_dtypes():
    loss, *_ = _dense_loss(np.random.default_rng(0), scoped=False)
    src = draw_graph(loss).source
    nodes = _node_lines(src)
    ops = [k for k in nodes if k.startswith("op")]
    tensors = [k for k in nodes if k.startswith("t")]
    # matmul, add, sigmoid, subtract, power, mean; scalars 1.0 and 2 are folded into their ops
    assert len(ops) == 6
    for name in ("matmul", "add", "sigmoid", "subtract", "power", "mean"):
        assert len(_ids_with(src, f"<B>{name}</B>")) == 1
    # 6 results + X + W1 + b1
    assert len(tensors) == 9
    assert "(5, 3) float64" in nodes[_ids_with(src, "<B>X</B>")[0]]
    assert "(3, 2) float64" in nodes[_ids_with(src, "<B>W1</B>")[0]]
    assert "scalar float64" in nodes[_ids_with(src, "<B>loss</B>")[0]]
    assert "arg1=2" in src  # the folded exponent of ** 2
    # parameters drawn solid and bold, data dashed, the output doubled
    assert "penwidth=1.6" in nodes[_ids_with(src, "<B>W1</B>")[0]]
    assert "dashed" in nodes[_ids_with(src, "<B>X</B>")[0]]
    assert "peripheries=2" in nodes[_ids_with(src, "<B>loss</B>")[0]]


def test_edges_follow_the_data_flow():
    a = Tensor(np.ones((2, 2)), requires_grad=True, name="a")
    b = Tensor(np.ones((2, 2)), requires_grad=True, name="b")
    y = a @ b
    src = draw_graph(y).source
    ta, tb = _ids_with(src, "<B>a</B>")[0], _ids_with(src, "<B>b</B>")[0]
    op = _ids_with(src, "<B>matmul</B>")[0]
    assert re.search(rf"{ta} -> {op} \[label=0", src)
    assert re.search(rf"{tb} -> {op} \[label=1", src)
    assert re.search(rf"{op} -> t0\b", src)


def test_layer_scope_becomes_a_labelled_cluster_and_collapses_to_one_box():
    loss, *_ = _dense_loss(np.random.default_rng(1))
    src = draw_graph(loss).source
    m = re.search(r"subgraph cluster_0 \{(.*?)\n\t\}", src, re.S)
    assert m, src
    body = m.group(1)
    assert 'label="Dense(3→2, sigmoid)"' in body
    for name in ("matmul", "add", "sigmoid", "W1", "b1"):
        assert f"<B>{name}</B>" in body
    for name in ("subtract", "mean", "<B>X</B>"):
        assert name not in body  # the loss ops and the data are outside the layer

    collapsed = draw_graph(loss, collapse_layers=True).source
    assert "box3d" in collapsed and "Dense(3→2, sigmoid)" in collapsed
    assert "<B>matmul</B>" not in collapsed and "<B>W1</B>" not in collapsed
    assert "W1 (3, 2)" in collapsed  # the parameters are listed in the box
    box = _ids_with(collapsed, "box3d")[0]
    x = _ids_with(collapsed, "<B>X</B>")[0]
    assert f"{x} -> {box}" in collapsed


def test_nested_scopes_nest_clusters_and_tagging_is_off_outside():
    x = Tensor(np.ones(3), requires_grad=True)
    with graph_scope("block") as outer:
        with graph_scope("inner"):
            y = x.exp()
        z = y.sum()
    w = z * 2.0
    assert y._node.scope.path() == [outer, y._node.scope]
    assert w._node.scope is None
    src = draw_graph(w).source
    outer_at, inner_at = src.index("label=block"), src.index("label=inner")
    assert src.index("subgraph cluster_") < outer_at < src.index("subgraph cluster_", outer_at)
    assert inner_at > outer_at


def test_highlight_marks_a_node_and_a_tensor_red():
    loss, X, W, b, h = _dense_loss(np.random.default_rng(2))
    src = draw_graph(loss, highlight=[h._node, W]).source
    red = set(_ids_with(src, "penwidth=3"))
    sig_op = _ids_with(src, "<B>sigmoid</B>")[0]
    w_id = _ids_with(src, "<B>W1</B>")[0]
    assert sig_op in red and w_id in red
    assert _ids_with(src, "<B>matmul</B>")[0] not in red
    with pytest.raises(ValueError, match="not part of this graph"):
        draw_graph(loss, highlight=[Tensor(np.ones(2), requires_grad=True)])


def test_nan_and_inf_values_get_a_badge():
    x = Tensor(np.array([1.0, -1.0, 0.0]), requires_grad=True, name="x")
    with np.errstate(all="ignore"):
        loss = x.log().sum()  # log(-1) = nan, log(0) = -inf
    src = draw_graph(loss, show_data=True).source
    out = _node_lines(src)[_ids_with(src, "peripheries=2")[0]]
    assert "NaN" in out and "#ff9b9b" in out
    assert "NaN+inf" in src


def test_draw_after_plain_backward_keeps_structure_and_shows_leaf_grads():
    loss, X, W, b, h = _dense_loss(np.random.default_rng(3))
    loss.backward()
    src = draw_graph(loss, show_data=True, show_grad=True).source
    assert "data freed by backward" in src
    assert "record_gradients(output) before backward()" in src  # says how to keep them
    assert "record_gradients(output) before backward()" in ag.graph_text(loss)
    w_line = _node_lines(src)[_ids_with(src, "<B>W1</B>")[0]]
    expected = np.array2string(W.grad, precision=3, separator=", ", suppress_small=True)
    assert "grad " + expected.replace("\n", "") in w_line
    assert len(_ids_with(src, "<B>matmul</B>")) == 1


def test_show_grad_before_backward_computes_without_touching_grad():
    loss, X, W, b, h = _dense_loss(np.random.default_rng(4))
    h.retain_grad()
    src = draw_graph(loss, show_grad=True).source
    assert W.grad is None and b.grad is None
    loss.backward()
    norm_h = np.linalg.norm(h.grad)
    sig_out = [
        k for k, v in _node_lines(src).items() if k.startswith("t") and f"norm {norm_h:.3g}" in v
    ]
    assert sig_out, "the sigmoid output's gradient norm should be printed"


def test_record_gradients_keeps_intermediate_norms_through_backward():
    x = Tensor(np.arange(4.0), requires_grad=True, name="x")
    y = x * 3.0
    z = (y * y).sum()  # dz/dy = 2y = 6x, dz/dx = 18x
    with record_gradients(z):
        z.backward()
    assert y._node.hooks is None  # hooks removed again
    assert "before backward()" not in ag.graph_text(z)  # nothing is missing
    d = ag.graph_to_dict(z)
    by_op = {n["id"]: n for n in d["nodes"]}
    grads = {}
    for e in d["edges"]:
        src, dst = by_op[e["from"]], by_op[e["to"]]
        if src["kind"] == "op" and "grad" in dst:
            grads[src["op"]] = dst["grad"]["norm"]
    assert grads["multiply"] == pytest.approx(np.linalg.norm(6 * np.arange(4.0)))
    assert grads["sum"] == pytest.approx(1.0)
    xnode = [n for n in d["nodes"] if n.get("name") == "x"][0]
    assert xnode["grad"]["values"] == pytest.approx(list(18 * np.arange(4.0)))


def test_gradient_colours_show_vanishing_and_exploding():
    x = Tensor(np.ones(3), requires_grad=True, name="small")
    w = Tensor(np.ones(3), requires_grad=True, name="big")
    loss = (x * 1e-9).sum() + (w * 1e5).sum()
    src = draw_graph(loss, show_grad=True).source
    assert "#c6dbef" in _node_lines(src)[_ids_with(src, "<B>small</B>")[0]]
    assert "#fdd0a2" in _node_lines(src)[_ids_with(src, "<B>big</B>")[0]]
    assert "legend" in src


def test_multi_output_function_is_drawn_before_and_after_backward():
    class SplitHalves(Function):
        @staticmethod
        def forward(ctx, x):
            n = x.shape[0] // 2
            return x[:n].copy(), x[n:].copy()

        @staticmethod
        def backward(ctx, ga, gb):
            return np.concatenate([ga, gb])

    x = Tensor(np.arange(4.0), requires_grad=True, name="x")
    a, b = SplitHalves.apply(x)
    loss = (a * 2.0).sum() + b.sum()
    for backward_done in (False, True):
        src = draw_graph(loss, show_grad=True).source
        assert len(_ids_with(src, "<B>SplitHalves</B>")) == 1
        assert "out 0" in src and "out 1" in src
        assert "grad [2., 2., 1., 1.]" in src
        if not backward_done:
            assert x.grad is None
            loss.backward()
    assert x.grad.tolist() == [2.0, 2.0, 1.0, 1.0]


def test_large_graph_is_summarised_and_walk_is_not_recursive():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    loss = y.sum()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        src = draw_graph(loss, max_nodes=40).source
        text = ag.graph_text(loss, max_lines=50)
    finally:
        sys.setrecursionlimit(limit)
    assert len([k for k in _node_lines(src) if k.startswith("op")]) == 40
    assert "2961 more operations not drawn" in src and "multiply x2961" in src
    assert "more lines" in text


def test_mlp_loss_graph_fits_a_screen():
    rng = np.random.default_rng(5)
    X = Tensor(rng.random((32, 784)).astype(np.float32), name="x")
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    params = []
    h = X
    for i, (n_in, n_out, act) in enumerate([(784, 512, "relu"), (512, 10, None)]):
        W = Tensor(
            np.zeros((n_in, n_out), np.float32), requires_grad=True, name=f"dense_{i}/kernel"
        )
        b = Tensor(np.zeros(n_out, np.float32), requires_grad=True, name=f"dense_{i}/bias")
        params += [W, b]
        with graph_scope(f"Dense({n_in}→{n_out}, {act or 'linear'})"):
            h = h @ W + b
            if act:
                h = h.relu()
    loss = -(h.log_softmax(axis=-1) * labels).sum(axis=-1).mean()
    loss.backward()
    src = draw_graph(loss, show_grad=True).source
    assert len(_node_lines(src)) < 40
    assert src.count("subgraph cluster_") == 2 and "Dense(784→512, relu)" in src
    collapsed = draw_graph(loss, collapse_layers=True).source
    assert len(_node_lines(collapsed)) < 20


def test_graph_text_is_an_indented_tree_with_shared_nodes_referenced():
    x = Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    y = x.exp()
    z = (y * y).sum()
    text = ag.graph_text(z)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["node", "shape", "dtype"]
    assert lines[1].startswith("#0 sum")
    assert lines[2].startswith("  #1 multiply") and "(2, 3)" in lines[2]
    assert lines[3].startswith("    #2 exp")
    assert lines[4].startswith("      #3 x [parameter]")
    assert lines[5].strip() == "(see #2)"
    # the printed gradient norm of x is the hand-computed one: d/dx sum(e^2x) = 2 e^2x
    assert f"{np.linalg.norm(2 * np.exp(2 * np.ones((2, 3)))):.3g}" in lines[4]


def test_print_graph_prints(capsys):
    x = Tensor(np.ones(2), requires_grad=True, name="x")
    ag.print_graph(x.tanh().sum())
    out = capsys.readouterr().out
    assert "tanh" in out and "x [parameter]" in out


def test_graph_to_dict_is_plain_json_ready_data():
    loss, *_ = _dense_loss(np.random.default_rng(6))
    d = ag.graph_to_dict(loss, show_data=True)
    json.dumps(d)  # plain data only
    ops = [n for n in d["nodes"] if n["kind"] == "op"]
    tensors = [n for n in d["nodes"] if n["kind"] == "tensor"]
    assert sorted(n["op"] for n in ops) == sorted(
        ["matmul", "add", "sigmoid", "subtract", "power", "mean"]
    )
    assert len(tensors) == 9 and len(d["edges"]) == 6 + 8
    w = [n for n in tensors if n["name"] == "W1"][0]
    assert w["role"] == "parameter" and w["shape"] == [3, 2] and w["dtype"] == "float64"
    assert w["scope"] == ["Dense(3→2, sigmoid)"]
    assert [n for n in tensors if n["name"] == "X"][0]["role"] == "constant"
    assert d["output"] == [n for n in tensors if n["role"] == "output"][0]["id"]


def test_walkthrough_matches_the_chain_rule_by_hand():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(4)
    yv = np.array([0.0, 1.0, 1.0, 0.0])
    w = Tensor(np.array(0.7), requires_grad=True, name="w")
    b = Tensor(np.array(-0.2), requires_grad=True, name="b")
    z = w * x + b
    yhat = z.sigmoid()
    loss = -(yv * yhat.log() + (1 - yv) * (1 - yhat).log()).mean()
    steps = ag.backward_steps(loss)
    assert w.grad is None  # nothing stored
    ops = [s.op.split("#")[0] for s in steps]
    assert ops[:2] == ["negative", "mean"]
    assert ops[-2:] in (["add", "multiply"], ["multiply", "add"])
    sig = [s for s in steps if s.op.startswith("sigmoid")][0]
    s_ = 1 / (1 + np.exp(-(0.7 * x - 0.2)))
    m = len(x)
    # arriving: dL/dŷ = (ŷ - y) / (ŷ (1 - ŷ) m); local: σ(1 - σ); passed on: (ŷ - y) / m
    np.testing.assert_allclose(sig.upstream, (s_ - yv) / (s_ * (1 - s_) * m), rtol=1e-10)
    np.testing.assert_allclose(sig.local[0], s_ * (1 - s_), rtol=1e-12)
    np.testing.assert_allclose(sig.passes[0][1], (s_ - yv) / m, rtol=1e-10)
    assert "s * (1 - s)" in sig.rule
    mul = [s for s in steps if s.op.startswith("multiply") and "w" in dict(s.passes)][0]
    np.testing.assert_allclose(dict(mul.passes)["w"], np.sum((s_ - yv) / m * x), rtol=1e-10)
    table = str(ag.explain_backward(loss))
    assert table.splitlines()[0].startswith("step | op")
    assert len(table.splitlines()) == len(steps) + 2
    assert "<table>" in ag.explain_backward(loss)._repr_html_()
    loss.backward()
    np.testing.assert_allclose(w.grad, np.sum((s_ - yv) / m * x), rtol=1e-10)
    with pytest.raises(BackwardError, match="retain_graph=True"):
        ag.backward_steps(loss)


def test_walkthrough_of_a_two_layer_net_gives_the_delta_equations():
    rng = np.random.default_rng(8)
    a0 = rng.standard_normal((3, 1))
    W1 = Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="W1")
    W2 = Tensor(rng.standard_normal((1, 2)), requires_grad=True, name="W2")
    y = 0.3
    a1 = (W1 @ a0).sigmoid()
    a2 = (W2 @ a1).sigmoid()
    C = 0.5 * ((a2 - y) ** 2).sum()
    steps = {s.op: s for s in ag.backward_steps(C)}
    z1 = W1.data @ a0
    s1 = 1 / (1 + np.exp(-z1))
    s2 = 1 / (1 + np.exp(-(W2.data @ s1)))
    delta2 = (s2 - y) * s2 * (1 - s2)  # δᴸ = ∇ₐC ⊙ σ'(zᴸ)
    delta1 = (W2.data.T @ delta2) * s1 * (1 - s1)  # δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ'(zˡ)
    np.testing.assert_allclose(steps["sigmoid#1"].passes[0][1], delta2)
    np.testing.assert_allclose(steps["sigmoid#2"].passes[0][1], delta1)
    np.testing.assert_allclose(dict(steps["matmul#1"].passes)["W2"], delta2 @ s1.T)
    np.testing.assert_allclose(dict(steps["matmul#2"].passes)["W1"], delta1 @ a0.T)


@needs_dot
def test_svg_and_png_render_with_dot(tmp_path):
    loss, *_ = _dense_loss(np.random.default_rng(9))
    g = draw_graph(loss, show_grad=True)
    assert isinstance(g, graphviz.Digraph)
    svg = g.pipe(format="svg").decode()
    assert "<svg" in svg and "matmul" in svg
    written = save_graph(g, tmp_path / "loss", formats=("svg", "png"))
    assert [p.name for p in written] == ["loss.dot", "loss.svg", "loss.png"]
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_without_dot_the_source_is_kept_and_the_message_says_how_to_install(tmp_path, monkeypatch):
    loss, *_ = _dense_loss(np.random.default_rng(10))
    g = draw_graph(loss)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(graphviz.ExecutableNotFound, match="apt-get install graphviz") as e:
        g.pipe(format="svg")
    assert isinstance(e.value, GraphvizNotFound)
    with pytest.raises(GraphvizNotFound):
        g.render(tmp_path / "g", format="png")
    bundle = g._repr_mimebundle_()
    assert "brew install graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]
    with pytest.warns(RuntimeWarning, match="not found on PATH"):
        written = save_graph(g, tmp_path / "loss.svg")
    assert [p.name for p in written] == ["loss.dot"]
    assert (tmp_path / "loss.dot").read_text().startswith("digraph")
    with pytest.raises(GraphvizNotFound):
        save_graph(loss, tmp_path / "again", on_missing="raise")
    assert save_graph(loss, tmp_path / "quiet", on_missing="ignore")[0].exists()


def test_gradcheck_report_draws_the_faulty_node_in_red():
    class HalfSoftplus(Function):  # backward deliberately off by a factor 0.5
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0.0, x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_arrays
            return 0.5 * g / (1.0 + np.exp(-x))

    x = Tensor(np.random.default_rng(11).standard_normal((2, 3)), requires_grad=True)
    report = ag.gradcheck(lambda t: HalfSoftplus.apply(t).exp().sum(), [x], raise_exception=False)
    assert not report
    src = report.draw().source
    red = set(_ids_with(src, "penwidth=3"))
    assert _ids_with(src, "<B>HalfSoftplus</B>")[0] in red
    assert _ids_with(src, "<B>exp</B>")[0] not in red


def test_big_layered_graph_collapses_its_layers_on_its_own():
    rng = np.random.default_rng(12)
    h = Tensor(rng.standard_normal((4, 3)), name="x")
    for i in range(40):
        W = Tensor(rng.standard_normal((3, 3)), requires_grad=True, name=f"W{i}")
        with graph_scope(f"block {i}"):
            h = (h @ W).tanh()
    loss = h.sum()
    src = draw_graph(loss, max_nodes=60).source  # 81 ops, but only 41 boxes and ops
    assert src.count("box3d") == 40 and "more operations" not in src
    assert "<B>matmul</B>" not in src and "block 39" in src
    expanded = draw_graph(loss, max_nodes=60, collapse_layers=False).source
    assert "box3d" not in expanded and "21 more operations not drawn" in expanded
