"""Each plot writes a non-empty image; the numbers behind them are checked by hand."""

import sys

import matplotlib
import numpy as np
import pytest

import nn
from nn import Dense, Sequential, plots

matplotlib.use("Agg")

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def circles():
    X, y = nn.datasets.make_circles(200, noise=0.05, factor=0.5, seed=0)
    return X.astype(np.float32), y.reshape(-1, 1)


def _model(units=(4, 1), activation="sigmoid", input_dim=2):
    nn.set_seed(0)
    layers = [Dense(units[0], activation="relu", input_dim=input_dim)]
    layers += [Dense(u, activation="relu") for u in units[1:-1]]
    layers.append(Dense(units[-1], activation=activation))
    m = Sequential(layers)
    loss = "binary_crossentropy" if activation == "sigmoid" else "sparse_categorical_crossentropy"
    m.compile(loss=loss, optimizer="adam", metrics=["accuracy"])
    return m


def _is_png(path):
    data = path.read_bytes()
    return data[:8] == PNG and len(data) > 2000


def test_dataset_scatter(tmp_path, circles):
    fig = plots.plot_dataset(*circles, path=tmp_path / "data.png")
    assert _is_png(tmp_path / "data.png")
    ax = fig.axes[0]
    assert [c.get_label() for c in ax.collections] == ["class 0", "class 1"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 200
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plots.plot_dataset(np.zeros((5, 3)), np.zeros(5))


def test_history_has_training_and_validation_curves(tmp_path, circles):
    model = _model()
    X, y = circles
    history = model.fit(X[:150], y[:150], epochs=3, verbose=0, validation_data=(X[150:], y[150:]))
    fig = plots.plot_history(history, path=tmp_path / "history.png")
    assert _is_png(tmp_path / "history.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["training", "validation"]
    np.testing.assert_allclose(lines[0].get_ydata(), history.history["loss"])
    plots.plot_history({"loss": [1.0, 0.5]})  # a plain dict works too
    with pytest.raises(ValueError, match="History"):
        plots.plot_history({})


def test_decision_boundary_binary_and_multiclass(tmp_path, circles):
    model = _model()
    plots.plot_decision_boundary(model, *circles, path=tmp_path / "b.png", resolution=40)
    assert _is_png(tmp_path / "b.png")
    X3, y3 = nn.datasets.make_spirals(150, n_arms=3, noise=0.05, seed=1)
    m3 = _model(units=(8, 3), activation="softmax")
    m3.fit(X3, y3, epochs=1, verbose=0)
    plots.plot_decision_boundary(m3, X3, y3, path=tmp_path / "b3.png", resolution=40)
    assert _is_png(tmp_path / "b3.png")


def test_boundary_animation_from_fit_callback(tmp_path, circles):
    from PIL import Image

    model = _model()
    rec = plots.BoundaryRecorder(*circles, resolution=30)
    model.fit(*circles, epochs=3, verbose=0, callbacks=[rec])
    assert [f[0] for f in rec.frames] == [0, 1, 2, 3]  # before training, then each epoch
    assert rec.frames[-1][1].shape == (30 * 30,) and "loss" in rec.frames[-1][2]
    np.testing.assert_allclose(rec.frames[-1][1], model.predict(rec._points).reshape(-1), rtol=1e-6)
    path = plots.animate_decision_boundary(rec, tmp_path / "b.gif", fps=4)
    data = path.read_bytes()
    assert data[:6] == b"GIF89a"
    with Image.open(path) as im:
        assert im.n_frames >= 4
    assert plots.animate_decision_boundary(rec)[:6] == b"GIF89a"  # bytes without a path
    with pytest.raises(ValueError, match="no frames"):
        plots.animate_decision_boundary(plots.BoundaryRecorder(*circles), tmp_path / "x.gif")


def test_activation_derivatives_from_backward_match_the_formulas(tmp_path):
    x = np.linspace(-3, 3, 13)
    x = x[x != 0]  # relu' is a convention at 0
    curves = plots.activation_curves(x=x)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(curves["sigmoid"][2], s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(curves["tanh"][2], 1 - np.tanh(x) ** 2, rtol=1e-12)
    np.testing.assert_array_equal(curves["relu"][2], (x > 0).astype(float))
    np.testing.assert_allclose(curves["leaky_relu"][2], np.where(x > 0, 1.0, 0.1))
    plots.plot_activations(path=tmp_path / "act.png")
    assert _is_png(tmp_path / "act.png")
    with pytest.raises(ValueError, match="unknown activation"):
        plots.activation_curves(["swishy"])


def test_optimizer_paths_follow_the_update_rules(tmp_path):
    paths = plots.optimizer_paths(steps=5)
    assert set(paths) == {"SGD", "momentum", "RMSprop", "Adam"}
    # plain gradient descent on 0.1 x^2 + 2 y^2 with lr 0.4: theta <- theta - 0.4 (0.2 x, 4 y)
    theta = np.array([-4.5, 1.5])
    for k in range(1, 6):
        theta = theta - 0.4 * np.array([0.2 * theta[0], 4 * theta[1]])
        np.testing.assert_allclose(paths["SGD"][k], theta, rtol=1e-12)
    # momentum: v <- 0.9 v - 0.05 g, theta <- theta + v
    theta, v = np.array([-4.5, 1.5]), np.zeros(2)
    for k in range(1, 6):
        v = 0.9 * v - 0.05 * np.array([0.2 * theta[0], 4 * theta[1]])
        theta = theta + v
        np.testing.assert_allclose(paths["momentum"][k], theta, rtol=1e-12)
    fig = plots.plot_optimizer_paths(path=tmp_path / "opt.png", steps=30)
    assert _is_png(tmp_path / "opt.png")
    assert len([ln for ln in fig.axes[0].get_lines() if "steps" in ln.get_label()]) == 4


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'autograd-core\[plot\]'"):
        plots.plot_dataset(np.zeros((3, 2)), np.zeros(3))
