"""The teaching figures: the test result on the history, a single neuron, a layer in matrix
form, gradient descent animated in 1-D and 2-D, and forward and backward propagation frame by
frame. Each renders, writes its file, and shows the numbers it should."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

import nn
from nn import Dense, Sequential, plots

matplotlib.use("Agg")

PNG = b"\x89PNG\r\n\x1a\n"


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _circles(fig) -> list:
    from matplotlib.patches import Circle

    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Circle)]


def _net():
    nn.set_seed(0)
    model = Sequential(
        [
            Dense(3, input_dim=2, activation="relu"),
            Dense(4, activation="tanh"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def _gif_frames(path_or_bytes):
    import io

    from PIL import Image

    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    assert data[:6] == b"GIF89a"
    frames = []
    with Image.open(io.BytesIO(data)) as im:
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
    return frames


def test_history_marks_the_test_result(tmp_path):
    h = {"loss": [0.9, 0.5, 0.3], "accuracy": [0.5, 0.8, 0.9], "val_loss": [1.0, 0.6, 0.45]}
    h["val_accuracy"] = [0.5, 0.7, 0.8]
    fig = plots.plot_history(h, path=tmp_path / "h.png", test=[0.41, 0.83])
    assert (tmp_path / "h.png").read_bytes()[:8] == PNG
    for ax, value in zip(fig.axes, (0.41, 0.83), strict=True):
        labels = [ln.get_label() for ln in ax.get_lines()]
        assert labels[:3] == ["training", "validation", f"test: {value:.4f}"]
        assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == f"test: {value:.4f}"
        star = ax.get_lines()[3]
        assert star.get_marker() == "*" and star.get_ydata()[0] == value
    fig = plots.plot_history(h, test={"accuracy": 0.83})  # a dict marks what it names
    assert len(fig.axes[0].get_lines()) == 2 and len(fig.axes[1].get_lines()) == 4
    with pytest.raises(ValueError, match="3 test values for the 2 curves"):
        plots.plot_history(h, test=[1, 2, 3])


def test_a_single_neuron_symbols_and_numbers(tmp_path):
    fig = plots.plot_neuron(path=tmp_path / "n.png")
    assert (tmp_path / "n.png").read_bytes()[:8] == PNG
    texts = _texts(fig)
    for label in ("x₁", "x₂", "x₃", "w₁", "w₂", "w₃", "b", "Σ", "g", "a = g(z)"):
        assert label in texts, label
    assert len(_circles(fig)) == 3  # the inputs (the neuron is two half discs)

    model = _net()
    layer, x = model.layers[0], np.array([0.4, -1.3], dtype=np.float32)
    fig = plots.plot_neuron(layer, x, unit=2)
    texts = _texts(fig)
    w, b = layer.kernel.data[:, 2], float(layer.bias.data[2])
    z = float(x @ w + b)
    assert f"w₁ = {w[0]:.3g}" in texts and f"w₂ = {w[1]:.3g}" in texts
    assert f"z = Σ wᵢxᵢ + b\n= {z:.4g}" in texts
    assert f"a = relu(z)\n= {max(z, 0.0):.4g}" in texts
    assert fig.axes[0].get_title().startswith(f"{layer.name}, neuron 3 of 3")

    wide = Dense(5, input_dim=784, activation="relu")
    fig = plots.plot_neuron(wide, np.ones(784, dtype=np.float32), max_inputs=6)
    assert len(_circles(fig)) == 5 and "⋮" in _texts(fig) and "x₇₈₄" in _texts(fig)
    with pytest.raises(ValueError, match="unit must be in"):
        plots.plot_neuron(layer, x, unit=3)
    with pytest.raises(ValueError, match="needs its Dense layer"):
        plots.plot_neuron(x=x)


def test_a_layer_in_matrix_form_with_every_shape(tmp_path):
    from matplotlib.patches import Rectangle

    layer = _net().layers[1]  # 3 inputs -> 4 units, tanh
    fig = plots.plot_layer_matrices(layer, batch_size=32, path=tmp_path / "l.png")
    assert (tmp_path / "l.png").read_bytes()[:8] == PNG
    texts = _texts(fig)
    for shape in ("(4 × 32) …", "(4 × 3)", "(3 × 32) …", "(4 × 1)"):
        assert shape in texts, shape
    for name in ("Z", "W", "A_prev", "b", "A", "tanh("):
        assert name in texts, name
    boxes = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(boxes) == 6  # Z, W, A_prev, b, then A and Z again
    assert "A = tanh(Z)" in fig.axes[0].get_title()
    assert any("kernel = Wᵀ (3 × 4)" in t for t in texts)
    with pytest.raises(ValueError, match="built Dense layer"):
        plots.plot_layer_matrices(Dense(3))
    with pytest.raises(ValueError, match="batch_size"):
        plots.plot_layer_matrices(layer, batch_size=0)


def test_gradient_descent_in_1d_follows_the_update_rule_and_animates(tmp_path):
    run = plots.gradient_descent_1d(w0=-2.0, lr=0.3, steps=6)
    w = -2.0
    for k in range(7):
        assert run["w"][k] == pytest.approx(w, abs=1e-12)
        assert run["grad"][k] == pytest.approx(w - 3.0, abs=1e-12)  # J'(w) of the bowl
        w = w - 0.3 * (w - 3.0)
    assert np.all(np.diff(run["J"]) < 0)
    frames = _gif_frames(plots.animate_gradient_descent(tmp_path / "gd.gif", steps=6))
    assert len(frames) == 7 and not np.array_equal(frames[0], frames[-1])


def test_optimizer_paths_animate_step_by_step(tmp_path):
    frames = _gif_frames(plots.animate_optimizer_paths(tmp_path / "p.gif", steps=4))
    assert len(frames) == 5 and not np.array_equal(frames[1], frames[-1])
    assert plots.animate_optimizer_paths(steps=1, fps=1)[:6] == b"GIF89a"  # bytes, no path


def test_backprop_frames_hold_the_textbook_quantities(float64):
    model = _net()
    X = np.array([[0.3, -0.8], [1.1, 0.4]])
    y = np.array([[1.0], [0.0]])
    fr = plots.backprop_frames(model, X, y)
    assert [model.layers[0].kernel.grad] == [None]  # nothing stored in .grad
    assert fr.sizes == [2, 3, 4, 1] and fr.activations == ["relu", "tanh", "sigmoid"]
    # forward: a⁰ = x, aˡ = g(aˡ⁻¹ kernel + bias)
    a = [X]
    for layer in model.layers:
        z = a[-1] @ layer.kernel.data + layer.bias.data
        a.append({"relu": np.maximum(z, 0), "tanh": np.tanh(z)}.get(layer.activation_name, None))
        if a[-1] is None:
            a[-1] = 1 / (1 + np.exp(-z))
    for got, ref in zip(fr.a, a, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-10)
    # backward: δᴸ = (ŷ - y)/m for a sigmoid with cross-entropy, δˡ = δˡ⁺¹ Wᵀ ⊙ g'(zˡ)
    np.testing.assert_allclose(fr.delta[2], (a[3] - y) / 2, rtol=1e-6)
    d1 = (fr.delta[2] @ model.layers[2].kernel.data.T) * (1 - a[2] ** 2)
    np.testing.assert_allclose(fr.delta[1], d1, rtol=1e-6, atol=1e-12)
    d0 = (d1 @ model.layers[1].kernel.data.T) * (a[1] > 0)
    np.testing.assert_allclose(fr.delta[0], d0, rtol=1e-6, atol=1e-12)
    # ∂L/∂W = aˡ⁻¹ᵀ δˡ and ∂L/∂b = Σ δˡ, as backward gives them
    loss = nn.losses.binary_crossentropy(y, model(X))
    loss.backward()
    for k, layer in enumerate(model.layers):
        np.testing.assert_allclose(fr.grad_kernel[k], layer.kernel.grad, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(fr.grad_kernel[k], a[k].T @ fr.delta[k], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(fr.grad_bias[k], fr.delta[k].sum(axis=0), rtol=1e-6, atol=1e-12)
    assert fr.loss == pytest.approx(float(loss.data))
    phases = [s.phase for s in fr.steps]
    assert phases == ["input"] + ["forward"] * 3 + ["loss"] + ["backward"] * 3
    assert [s.column for s in fr.steps] == [0, 1, 2, 3, 3, 3, 2, 1]
    assert "(sample 1 of the batch of 2)" in fr.steps[0].text
    assert "δ² = (W³)ᵀ δ³ ⊙ tanh′(z²)" in fr.steps[6].text


def test_each_frame_highlights_its_layer_and_shows_its_numbers(tmp_path):
    model = _net()
    fr = plots.backprop_frames(model, np.array([0.3, -0.8]), np.array([1.0]))
    fig = plots.plot_backprop_step(fr, 6, path=tmp_path / "step.png")  # backward, layer 2
    assert (tmp_path / "step.png").read_bytes()[:8] == PNG
    circles = _circles(fig)
    assert len(circles) == 2 + 3 + 4 + 1
    hot = [c for c in circles if c.get_linewidth() > 2]
    assert len(hot) == 4  # the 4 neurons of layer 2
    assert all(matplotlib.colors.to_hex(c.get_edgecolor()) == "#d62728" for c in hot)
    texts = _texts(fig)
    for d in fr.delta[1][0]:
        assert f"{d + 0.0:.2g}" in texts  # each neuron's δ
    assert f"L = {fr.loss:.3g}" in texts
    forward = plots.plot_backprop_step(fr, 1)
    assert f"{fr.a[1][0][0] + 0.0:.2f}" in _texts(forward)
    assert all(c.get_linewidth() < 2 for c in _circles(forward)[:2] + _circles(forward)[5:])
    with pytest.raises(ValueError, match="step must be in"):
        plots.plot_backprop_step(fr, 8)


def test_animate_backprop_writes_one_frame_per_step(tmp_path):
    model = _net()
    path = plots.animate_backprop(
        model, np.array([0.3, -0.8]), np.array([1.0]), tmp_path / "fb.gif"
    )
    frames = _gif_frames(path)
    assert len(frames) == 8  # input, 3 layers forward, the loss, 3 layers backward
    assert len({f.tobytes() for f in frames}) == 8
    with pytest.raises(ValueError, match="Dense layers"):
        plots.backprop_frames(Sequential([Dense(2, input_dim=2), nn.ReLU()]), [[1, 2]], [[0, 1]])
