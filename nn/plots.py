"""The classic figures, drawn with matplotlib (the optional ``plot`` extra).

Each function returns a ``matplotlib.figure.Figure`` (shown inline by Jupyter) and, given
``path``, also writes it there (atomically). Figures are made without pyplot, so nothing
here picks a GUI backend: scripts and tests run headless.

- ``plot_dataset``: a 2-D training set, two classes as two colours.
- ``plot_history``: loss and metrics per epoch, training and validation.
- ``plot_decision_boundary``: a 2-D classifier's regions over the data.
- ``BoundaryRecorder`` + ``animate_decision_boundary``: the boundary forming during ``fit``.
- ``plot_activations``: sigmoid, tanh, ReLU, leaky ReLU and their derivatives, the
  derivatives computed by the engine's ``backward``.
- ``optimizer_paths`` + ``plot_optimizer_paths``: SGD, momentum, RMSprop and Adam (``nn.optim``)
  from one start on a 2-D loss surface, over its contour lines; ``animate_optimizer_paths``
  the same, step by step.
- ``animate_gradient_descent``: gradient descent on a 1-D cost J(w), the tangent at each step.
- ``plot_neuron``: a single neuron, its inputs, weights, bias, z and a = g(z).
- ``plot_layer_matrices``: a layer in matrix form, Z = W·A_prev + b, A = g(Z), with shapes.
- ``backprop_frames`` + ``animate_backprop``: values forward and gradients (δ) back through
  the layers, frame by frame on the neuron diagram (``plot_backprop_step``: one frame).

The animations are GIFs (pillow): each ``animate_...`` writes ``path`` and returns it, or
returns the GIF's bytes without a path (``IPython.display.Image(data=..., format="gif")``).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from .callbacks import Callback

__all__ = [
    "plot_dataset",
    "plot_history",
    "plot_decision_boundary",
    "BoundaryRecorder",
    "animate_decision_boundary",
    "plot_activations",
    "activation_curves",
    "optimizer_paths",
    "plot_optimizer_paths",
    "ravine",
    "animate_optimizer_paths",
    "bowl",
    "gradient_descent_1d",
    "animate_gradient_descent",
    "plot_neuron",
    "plot_layer_matrices",
    "BackpropFrames",
    "BackpropStep",
    "backprop_frames",
    "plot_backprop_step",
    "animate_backprop",
    "save_figure",
]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def _mpl() -> Any:
    """matplotlib, or an ImportError that says how to install it."""
    try:
        import matplotlib
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError as e:
        raise ImportError(
            "nn.plots needs matplotlib (and pillow for GIF animations). Install the plot "
            "extra: pip install 'autograd-core[plot]' (or: pip install matplotlib pillow)"
        ) from e
    return matplotlib


def _figure(
    nrows: int = 1, ncols: int = 1, size: tuple = (6.0, 4.5), layout: Any = "constrained"
) -> tuple[Any, Any]:
    _mpl()
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout=layout)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _atomic(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` (format from the suffix: .png, .svg, .pdf), atomically."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    return _atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))


def _finish(fig: Any, path: str | os.PathLike | None) -> Any:
    if path is not None:
        save_figure(fig, path)
    return fig


def _labels_1d(y: Any) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(-1).astype(int)


# --- data and history ------------------------------------------------------------------------


def _scatter(ax: Any, X: np.ndarray, y: np.ndarray) -> None:
    labels = _labels_1d(y)
    for k in np.unique(labels):
        pts = X[labels == k]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=12,
            color=_COLORS[int(k) % len(_COLORS)],
            edgecolors="white",
            linewidths=0.4,
            label=f"class {int(k)}",
        )


def plot_dataset(
    X: Any, y: Any, path: str | os.PathLike | None = None, title: str = "training set"
) -> Any:
    """Scatter a 2-D data set, one colour per class."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_dataset expects X of shape (n, 2). Received shape {X.shape}")
    fig, axes = _figure(size=(5.0, 5.0))
    ax = axes[0, 0]
    _scatter(ax, X, np.asarray(y))
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.legend(loc="upper right", fontsize=8)
    return _finish(fig, path)


def _test_values(test: Any, keys: list[str]) -> dict[str, float]:
    """``{key: value}`` from ``evaluate``'s result: a dict, ``[loss, metric, ...]`` in the
    history's order, or the loss alone."""
    if test is None:
        return {}
    if isinstance(test, dict):
        return {k: float(v) for k, v in test.items() if k in keys}
    values = np.atleast_1d(np.asarray(test, dtype=float)).tolist()
    if len(values) > len(keys):
        raise ValueError(
            f"plot_history: {len(values)} test values for the {len(keys)} curves {keys}. "
            f"Received: test={test!r}"
        )
    return dict(zip(keys, values, strict=False))


def plot_history(
    history: Any,
    path: str | os.PathLike | None = None,
    title: str | None = None,
    test: Any = None,
) -> Any:
    """Loss and each metric per epoch, training and validation (``val_...``) side by side.

    ``test``: the test result to mark, as ``model.evaluate`` returns it (the loss, or
    ``[loss, metric, ...]``, or a dict): a dotted line at its value and a star after the
    last epoch, so that the gap to training and validation shows.
    """
    h = getattr(history, "history", history)
    if not isinstance(h, dict) or not h:
        raise ValueError(
            "plot_history expects a History (from fit) or its .history dict. "
            f"Received {type(history).__name__}"
        )
    bases = [k for k in h if not k.startswith("val_")]
    bases += [k[4:] for k in h if k.startswith("val_") and k[4:] not in bases]
    marks = _test_values(test, bases)
    fig, axes = _figure(1, len(bases), size=(4.2 * len(bases), 3.4))
    for ax, key in zip(axes[0], bases, strict=True):
        n = 0
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            if name in h:
                vals = np.asarray(h[name], dtype=float)
                n = max(n, len(vals))
                ax.plot(
                    np.arange(1, len(vals) + 1),
                    vals,
                    style,
                    label="validation" if name.startswith("val_") else "training",
                )
        if key in marks:
            v = marks[key]
            ax.axhline(v, ls=":", lw=1.2, color="#444444", label=f"test: {v:.4f}")
            ax.plot([n + 0.5], [v], "*", ms=11, color="#444444")
        ax.set(xlabel="epoch", ylabel=key, title=key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


# --- decision boundaries ---------------------------------------------------------------------


def _grid(X: np.ndarray, resolution: int, pad: float = 0.15) -> tuple:
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = (hi - lo) * pad
    xs = np.linspace(lo[0] - margin[0], hi[0] + margin[0], resolution)
    ys = np.linspace(lo[1] - margin[1], hi[1] + margin[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def _predict(model: Any, points: np.ndarray) -> np.ndarray:
    """Probabilities on ``points``: ``(n,)`` for one sigmoid output, ``(n, k)`` otherwise."""
    if hasattr(model, "predict"):
        try:
            p = model.predict(points, verbose=0)
        except TypeError:  # a predict without Keras's verbose argument
            p = model.predict(points)
    else:
        with ag.no_grad():
            p = model(Tensor(points.astype(ag.get_default_dtype()))).data
    p = np.asarray(p, dtype=np.float64)
    return p.reshape(-1) if p.ndim == 1 or p.shape[1] == 1 else p


def _draw_regions(ax: Any, xx: np.ndarray, yy: np.ndarray, p: np.ndarray) -> None:
    from matplotlib.colors import ListedColormap

    if p.ndim == 1:  # binary: probability of class 1, the 0.5 line as the boundary
        ax.contourf(
            xx,
            yy,
            p.reshape(xx.shape),
            levels=np.linspace(0, 1, 11),
            cmap="RdBu_r",
            alpha=0.45,
            vmin=0,
            vmax=1,
        )
        if p.min() < 0.5 < p.max():
            ax.contour(xx, yy, p.reshape(xx.shape), levels=[0.5], colors="k", linewidths=1.2)
    else:
        k = p.shape[1]
        cmap = ListedColormap([_COLORS[i % len(_COLORS)] for i in range(k)])
        ax.contourf(
            xx,
            yy,
            p.argmax(axis=1).reshape(xx.shape),
            levels=np.arange(k + 1) - 0.5,
            cmap=cmap,
            alpha=0.3,
        )


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    path: str | os.PathLike | None = None,
    resolution: int = 200,
    title: str = "decision boundary",
) -> Any:
    """The classifier's regions over the plane, with the data on top."""
    X = np.asarray(X, dtype=np.float64)
    xx, yy, pts = _grid(X, resolution)
    fig, axes = _figure(size=(5.0, 5.0))
    ax = axes[0, 0]
    _draw_regions(ax, xx, yy, _predict(model, pts))
    _scatter(ax, X, np.asarray(y))
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    return _finish(fig, path)


class BoundaryRecorder(Callback):
    """A ``fit`` callback that keeps the classifier's output over a grid after each epoch
    (``every`` epochs), for ``animate_decision_boundary``.

    ``recorder = BoundaryRecorder(X, y, model=model)``;
    ``model.fit(X, y, epochs=50, callbacks=[recorder])``.
    """

    def __init__(
        self, X: Any, y: Any, model: Any = None, every: int = 1, resolution: int = 100
    ) -> None:
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y)
        if self.X.ndim != 2 or self.X.shape[1] != 2:
            raise ValueError(
                f"BoundaryRecorder needs 2-D inputs of shape (n, 2). Received shape {self.X.shape}"
            )
        super().__init__()
        self.model = model
        self.every = max(1, int(every))
        self.xx, self.yy, self._points = _grid(self.X, resolution)
        self.frames: list[tuple[int, np.ndarray, dict]] = []  # (epoch, outputs, logs)

    def capture(self, epoch: int, logs: dict | None = None) -> None:
        """Record the model's output over the grid now (epoch 0: before training)."""
        if self.model is None:
            raise ValueError("BoundaryRecorder has no model: pass model= or use it in fit()")
        self.frames.append((epoch, _predict(self.model, self._points), dict(logs or {})))

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Capture the untrained boundary as the first frame."""
        if not self.frames:
            self.capture(0, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Capture a frame every ``every`` epochs (``epoch`` counts from 0, as Keras)."""
        if (epoch + 1) % self.every == 0:
            self.capture(epoch + 1, logs)


def _gif(
    fig: Any,
    frames: Sequence[Any],
    draw: Callable[[Any], None],
    path: str | os.PathLike | None,
    fps: int,
    dpi: int,
    name: str,
) -> Path | bytes:
    """Draw each frame on ``fig`` and write the GIF (matplotlib's PillowWriter) to ``path``,
    holding the last frame for a second; without ``path``, return the GIF's bytes."""
    mpl = _mpl()
    from matplotlib.animation import PillowWriter

    try:
        import PIL  # noqa: F401
    except ImportError as e:
        raise ImportError("GIF animations need pillow: pip install 'autograd-core[plot]'") from e

    def write(tmp: str) -> None:
        writer = PillowWriter(fps=fps)
        with mpl.rc_context({"savefig.facecolor": "white"}), writer.saving(fig, tmp, dpi):
            for frame in frames:
                draw(frame)
                writer.grab_frame()
            for _ in range(fps):  # hold the last frame for a second
                writer.grab_frame()

    if path is not None:
        return _atomic(path, write)
    with tempfile.TemporaryDirectory() as tmp:
        return _atomic(Path(tmp) / f"{name}.gif", write).read_bytes()


def animate_decision_boundary(
    recorder: BoundaryRecorder, path: str | os.PathLike | None = None, fps: int = 6, dpi: int = 64
) -> Path | bytes:
    """Write the recorded frames as a GIF (matplotlib's PillowWriter) and return its path;
    without ``path``, return the GIF's bytes (for ``IPython.display.Image(data=...)``)."""
    _mpl()
    if not recorder.frames:
        raise ValueError(
            "animate_decision_boundary: the recorder has no frames; use it as a "
            "callback in fit() or call recorder.capture(epoch)"
        )
    fig, axes = _figure(size=(4.6, 4.6))
    ax = axes[0, 0]

    def draw(frame: tuple) -> None:
        epoch, p, logs = frame
        ax.clear()
        _draw_regions(ax, recorder.xx, recorder.yy, p)
        _scatter(ax, recorder.X, recorder.y)
        extra = "  ".join(
            f"{k.replace('accuracy', 'acc')} {v:.3f}"
            for k, v in logs.items()
            if isinstance(v, (int, float)) and not k.startswith("val_")
        )
        ax.set(
            title=f"epoch {epoch}" + (f"   {extra}" if extra else ""),
            aspect="equal",
            xticks=[],
            yticks=[],
        )

    return _gif(fig, recorder.frames, draw, path, fps, dpi, "boundary")


# --- activations and optimizers --------------------------------------------------------------

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": lambda t: t.sigmoid(),
    "tanh": lambda t: t.tanh(),
    "relu": lambda t: t.relu(),
    "leaky_relu": lambda t: ag.leaky_relu(t, 0.1),
}


def activation_curves(
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"), x: Any = None
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{name: (x, f(x), f'(x))}``, f' from ``backward`` (leaky ReLU with slope 0.1)."""
    xs = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=np.float64)
    out = {}
    for name in names:
        if name not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}. Choose from {list(_ACTIVATIONS)}")
        t = Tensor(xs.copy(), requires_grad=True)
        y = _ACTIVATIONS[name](t)
        y.sum().backward()  # elementwise f, so d(sum f)/dx_i = f'(x_i)
        out[name] = (xs, y.data.copy(), t.grad.copy())
    return out


def plot_activations(
    path: str | os.PathLike | None = None,
    names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
) -> Any:
    """Each activation (top row) and its derivative computed by backward (bottom row)."""
    curves = activation_curves(names)
    fig, axes = _figure(2, len(curves), size=(3.2 * len(curves), 5.2))
    for k, (name, (xs, f, df)) in enumerate(curves.items()):
        axes[0, k].plot(xs, f, color=_COLORS[0])
        axes[0, k].set_title(name)
        axes[1, k].plot(xs, df, color=_COLORS[1])
        axes[1, k].set_title(f"{name}' (from backward)")
        for ax in axes[:, k]:
            ax.axhline(0, color="#999999", lw=0.6)
            ax.axvline(0, color="#999999", lw=0.6)
            ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("f(x)")
    axes[1, 0].set_ylabel("f'(x)")
    return _finish(fig, path)


def ravine(p: Tensor) -> Tensor:
    """A long narrow valley, f(x, y) = 0.1 x² + 2 y²: where momentum and Adam pay off."""
    return 0.1 * p[0] ** 2 + 2.0 * p[1] ** 2


_DEFAULT_OPTIMIZERS = {
    "SGD": ("SGD", {"lr": 0.4}),
    "momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "RMSprop": ("RMSprop", {"lr": 0.1}),
    "Adam": ("Adam", {"lr": 0.3}),
}


def optimizer_paths(
    f: Callable[[Tensor], Tensor] = ravine,
    start: Sequence[float] = (-4.5, 1.5),
    steps: int = 60,
    optimizers: dict | None = None,
) -> dict[str, np.ndarray]:
    """``{name: (steps + 1, 2) array}``: where each ``nn.optim`` optimizer goes from
    ``start`` on ``f`` (a function of a 2-element Tensor)."""
    from nn import optim

    out = {}
    for name, (cls, kwargs) in (optimizers or _DEFAULT_OPTIMIZERS).items():
        p = Tensor(np.array(start, dtype=np.float64), requires_grad=True, name="theta")
        opt = getattr(optim, cls)([p], **kwargs)
        path = [p.data.copy()]
        for _ in range(steps):
            opt.zero_grad()
            f(p).backward()
            opt.step()
            path.append(np.array(p.data, dtype=np.float64))
        out[name] = np.array(path)
    return out


def _surface(f: Callable[[Tensor], Tensor], xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """f over a grid: in one call when f works elementwise on p[0], p[1], else point by point."""
    with ag.no_grad():
        try:
            zz = np.asarray(f(Tensor(np.stack([xx, yy]))).data)
            if zz.shape == xx.shape:
                return zz
        except (ValueError, TypeError, IndexError):
            pass
        return np.array(
            [
                f(Tensor(np.array([a, b]))).item()
                for a, b in zip(xx.ravel(), yy.ravel(), strict=True)
            ]
        ).reshape(xx.shape)


def _paths_view(
    f: Callable[[Tensor], Tensor], start: Sequence[float], paths: dict[str, np.ndarray]
) -> tuple[Any, Any]:
    """A figure with the contour lines of ``f`` around ``paths`` and the start, ready for
    the paths."""
    pts = np.concatenate(list(paths.values()))
    finite = pts[np.isfinite(pts).all(axis=1)]
    lo = np.minimum(finite.min(axis=0), -0.5)
    hi = np.maximum(finite.max(axis=0), 0.5)
    span = hi - lo
    xs = np.linspace(lo[0] - 0.1 * span[0], hi[0] + 0.1 * span[0], 200)
    ys = np.linspace(lo[1] - 0.1 * span[1], hi[1] + 0.1 * span[1], 200)
    xx, yy = np.meshgrid(xs, ys)
    zz = _surface(f, xx, yy)
    fig, axes = _figure(size=(7.0, 4.6))
    ax = axes[0, 0]

    ax.contour(
        xx,
        yy,
        zz,
        levels=np.geomspace(max(zz.min(), 1e-3), zz.max(), 15),
        colors="#9a9a9a",
        linewidths=0.8,
    )
    ax.plot(*np.asarray(start), "k*", ms=10, label="start")
    ax.set(xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    return fig, ax


def plot_optimizer_paths(
    path: str | os.PathLike | None = None,
    f: Callable[[Tensor], Tensor] = ravine,
    start: Sequence[float] = (-4.5, 1.5),
    steps: int = 60,
    optimizers: dict | None = None,
) -> Any:
    """Contour lines of ``f`` and the path of each optimizer from the same start."""
    paths = optimizer_paths(f, start, steps, optimizers)
    fig, ax = _paths_view(f, start, paths)
    for k, (name, pth) in enumerate(paths.items()):
        ax.plot(
            pth[:, 0],
            pth[:, 1],
            "-o",
            ms=2.5,
            lw=1.2,
            color=_COLORS[k % len(_COLORS)],
            label=f"{name} ({len(pth) - 1} steps)",
        )
    ax.set(title="gradient descent on a 2-D loss surface")
    ax.legend(fontsize=8, loc="best")
    return _finish(fig, path)


# --- gradient descent, animated ----------------------------------------------------------------


def bowl(w: Tensor) -> Tensor:
    """A 1-D cost, J(w) = (w - 3)² / 2 + 1: its minimum is 1, at w = 3."""
    return 0.5 * (w - 3.0) ** 2 + 1.0


def gradient_descent_1d(
    J: Callable[[Tensor], Tensor] = bowl, w0: float = -2.0, lr: float = 0.3, steps: int = 12
) -> dict[str, np.ndarray]:
    """Plain gradient descent w ← w − lr·J′(w) from ``w0``, J′ from ``backward``.

    Returns ``{"w", "J", "grad"}``: arrays of ``steps + 1`` values, the point, the cost and
    the slope at each step (the last point's slope too, for its tangent).
    """
    ws, js, gs = [], [], []
    w = float(w0)
    for _ in range(steps + 1):
        t = Tensor(np.array(w), requires_grad=True, name="w")
        cost = J(t)
        cost.backward()
        ws.append(w)
        js.append(float(cost.data))
        gs.append(float(t.grad))
        w = w - lr * gs[-1]
    return {"w": np.array(ws), "J": np.array(js), "grad": np.array(gs)}


def animate_gradient_descent(
    path: str | os.PathLike | None = None,
    J: Callable[[Tensor], Tensor] = bowl,
    w0: float = -2.0,
    lr: float = 0.3,
    steps: int = 12,
    fps: int = 2,
    dpi: int = 72,
) -> Path | bytes:
    """Gradient descent on a 1-D cost J(w), one frame per step: the curve, the points so
    far, and the tangent at the current point, whose slope J′(w) sets the next step.

    Writes a GIF to ``path`` and returns the path (the GIF's bytes without ``path``).
    """
    run = gradient_descent_1d(J, w0, lr, steps)
    ws, js, gs = run["w"], run["J"], run["grad"]
    lo, hi = float(ws.min()), float(ws.max())
    pad = 0.25 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, 300)
    with ag.no_grad():
        curve = np.array([float(J(Tensor(np.array(v))).data) for v in grid])
    fig, axes = _figure(size=(6.0, 4.0))
    ax = axes[0, 0]
    span = float(curve.max() - curve.min()) or 1.0

    def draw(k: int) -> None:
        ax.clear()
        ax.plot(grid, curve, color="#555555", lw=1.5, label="J(w)")
        ax.plot(ws[: k + 1], js[: k + 1], "o-", color=_COLORS[0], ms=4, lw=0.8, label="steps")
        half = 0.18 * (grid[-1] - grid[0])
        t = np.array([ws[k] - half, ws[k] + half])
        ax.plot(t, js[k] + gs[k] * (t - ws[k]), color=_COLORS[1], lw=2, label="tangent")
        ax.plot([ws[k]], [js[k]], "o", color=_COLORS[1], ms=8)
        ax.set(
            xlim=(grid[0], grid[-1]),
            ylim=(curve.min() - 0.08 * span, curve.max() + 0.08 * span),
            xlabel="w",
            ylabel="J(w)",
            title=f"step {k}: w = {ws[k]:.3f}, J(w) = {js[k]:.3f}, J′(w) = {gs[k]:.3f}",
        )
        ax.text(
            0.02,
            0.04,
            f"w ← w − α J′(w),  α = {lr:g}",
            transform=ax.transAxes,
            fontsize=9,
        )
        ax.legend(fontsize=8, loc="upper center")
        ax.grid(alpha=0.3)

    return _gif(fig, range(len(ws)), draw, path, fps, dpi, "gradient_descent")


def animate_optimizer_paths(
    path: str | os.PathLike | None = None,
    f: Callable[[Tensor], Tensor] = ravine,
    start: Sequence[float] = (-4.5, 1.5),
    steps: int = 40,
    optimizers: dict | None = None,
    fps: int = 8,
    dpi: int = 64,
) -> Path | bytes:
    """Gradient descent on a 2-D loss surface as an animation: the contour lines and the
    path of each optimizer (``optimizer_paths``), one step per frame.

    Writes a GIF to ``path`` and returns the path (the GIF's bytes without ``path``).
    """
    paths = optimizer_paths(f, start, steps, optimizers)
    fig, ax = _paths_view(f, start, paths)
    trails, heads = [], []  # drawn once, moved on each frame: the contours stay as they are
    for i, name in enumerate(paths):
        c = _COLORS[i % len(_COLORS)]
        trails.append(ax.plot([], [], "-", lw=1.2, color=c, label=name)[0])
        heads.append(ax.plot([], [], "o", ms=5, color=c)[0])
    ax.legend(fontsize=8, loc="upper right")

    def draw(k: int) -> None:
        for pth, trail, head in zip(paths.values(), trails, heads, strict=True):
            trail.set_data(pth[: k + 1, 0], pth[: k + 1, 1])
            head.set_data([pth[k, 0]], [pth[k, 1]])
        ax.set_title(f"gradient descent on a 2-D loss surface: step {k}")

    return _gif(fig, range(steps + 1), draw, path, fps, dpi, "optimizer_paths")


# --- a neuron, a layer, and the network forward and backward --------------------------------------

_HOT, _BACK, _IDLE = "#ff7f0e", "#d62728", "#bbbbbb"


def _sub(n: int) -> str:
    from .viz import _sub as sub

    return sub(n)


def _as_batch(x: Any) -> np.ndarray:
    """``x`` as a (batch, features) array in the default dtype (one example: a batch of 1)."""
    a = np.asarray(getattr(x, "data", x), dtype=ag.get_default_dtype())
    return a.reshape(1, -1) if a.ndim <= 1 else a


def _shown(n: int, most: int) -> list[int | None]:
    """Which of ``n`` neurons are drawn: all, or the first ones, a gap (None) and the last."""
    if n <= most:
        return list(range(n))
    return list(range(most - 2)) + [None, n - 1]


def plot_neuron(
    layer: Any = None,
    x: Any = None,
    unit: int = 0,
    path: str | os.PathLike | None = None,
    n_inputs: int = 3,
    max_inputs: int = 6,
) -> Any:
    """A single neuron: inputs x₁…xₙ, weights w₁…wₙ, bias b, the weighted sum z and the
    activation a = g(z).

    Without arguments, the symbols (``n_inputs`` inputs). Given a built Dense ``layer`` and
    one input ``x``, the numbers of neuron ``unit``: its weights and bias, and z and a as
    the layer computes them.
    """
    if x is not None and layer is None:
        raise ValueError("plot_neuron: an input x needs its Dense layer (plot_neuron(layer, x))")
    numbers = layer is not None and x is not None
    act = "g"
    if layer is not None:
        if getattr(layer, "kernel", None) is None:
            raise ValueError("plot_neuron needs a built Dense layer (with a kernel)")
        n_inputs = int(layer.kernel.shape[0])
        act = getattr(layer, "activation_name", "g")
        if not 0 <= unit < layer.units:
            raise ValueError(
                f"plot_neuron: unit must be in [0, {layer.units}). Received: unit={unit}"
            )
    xs = ws = None
    b = z = a = 0.0
    if numbers:
        xb = _as_batch(x)[:1]
        with ag.no_grad():
            z = float(layer.logits(Tensor(xb)).data[0, unit])
            a = float(layer(Tensor(xb)).data[0, unit])
        xs, ws = xb[0], layer.kernel.data[:, unit]
        b = float(layer.bias.data[unit]) if layer.bias is not None else 0.0
    from matplotlib.patches import Circle, FancyArrowPatch, Wedge

    fig, axes = _figure(size=(7.6, 4.4))
    ax = axes[0, 0]
    ax.set(xlim=(0, 10), ylim=(0, 6), aspect="equal")
    ax.axis("off")
    rows = _shown(n_inputs, max_inputs)
    ys = np.linspace(5.2, 0.8, len(rows)) if len(rows) > 1 else np.array([3.0])
    centre, r = (5.6, 3.0), 0.95

    def arrow(p: tuple, q: tuple, **kw: Any) -> None:
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=11, **kw))

    for j, yj in zip(rows, ys, strict=True):
        if j is None:
            ax.text(1.0, yj, "⋮", ha="center", va="center", fontsize=16)
            continue
        ax.add_patch(Circle((1.0, yj), 0.38, facecolor="#fff2cc", edgecolor="#555555"))
        ax.text(1.0, yj, f"x{_sub(j + 1)}", ha="center", va="center", fontsize=10)
        if xs is not None:
            ax.text(0.45, yj, f"{xs[j]:.3g}", ha="right", va="center", fontsize=8)
        end = (centre[0] - r, centre[1] + 0.55 * (yj - 3.0) / 3.0)
        arrow((1.4, yj), end, color="#777777")
        label = f"w{_sub(j + 1)}" + (f" = {ws[j]:.3g}" if ws is not None else "")
        t = 0.42  # the weight sits on its arrow, a little way along
        ax.text(
            1.4 + t * (end[0] - 1.4),
            yj + t * (end[1] - yj),
            label,
            fontsize=8,
            color="#1f4e79",
            ha="center",
            va="center",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6},
        )
    ax.add_patch(Wedge(centre, r, 90, 270, facecolor="#dbe8f6", edgecolor="#555555"))
    ax.add_patch(Wedge(centre, r, -90, 90, facecolor="#e4dcf2", edgecolor="#555555"))
    ax.plot([centre[0], centre[0]], [centre[1] - r, centre[1] + r], color="#555555", lw=1)
    ax.text(centre[0] - 0.45, centre[1] + 0.1, "Σ", ha="center", va="center", fontsize=16)
    ax.text(centre[0] + 0.45, centre[1] + 0.1, act, ha="center", va="center", fontsize=9)
    z_text = "z = Σ wᵢxᵢ + b" + (f"\n= {z:.4g}" if numbers else "")
    ax.text(centre[0] - 0.45, centre[1] - r - 0.2, z_text, ha="center", va="top", fontsize=8)
    b_text = "b" + (f" = {b:.3g}" if numbers else "")
    ax.text(centre[0], 5.5, b_text, ha="center", va="center", fontsize=9, color="#1f4e79")
    arrow((centre[0], 5.3), (centre[0], centre[1] + r), color="#777777")
    arrow((centre[0] + r, centre[1]), (9.3, centre[1]), color="#555555")
    a_text = f"a = {act}(z)" + (f"\n= {a:.4g}" if numbers else "")
    ax.text(8.35, centre[1] + 0.2, a_text, ha="center", va="bottom", fontsize=9)
    title = "a single neuron: z = Σᵢ wᵢ xᵢ + b,  a = g(z)"
    if layer is not None:
        title = f"{layer.name}, neuron {unit + 1} of {layer.units}: z = Σᵢ wᵢ xᵢ + b,  a = {act}(z)"
    ax.set_title(title, fontsize=10)
    return _finish(fig, path)


def plot_layer_matrices(
    layer: Any = None,
    batch_size: int = 32,
    path: str | os.PathLike | None = None,
    n_in: int = 3,
    units: int = 4,
) -> Any:
    """A layer in matrix form, each matrix labelled with its shape: Z = W·A_prev + b and
    A = g(Z) for a batch of ``batch_size`` examples, one per column (the textbooks' layout),
    and the same in nn's row layout, Z = X @ kernel + bias with kernel = Wᵀ.

    Given a Dense ``layer``, its sizes and activation; otherwise ``n_in`` and ``units``.
    """
    act = "g"
    name = "a layer"
    if layer is not None:
        if getattr(layer, "input_dim", None) is None:
            raise ValueError("plot_layer_matrices needs a built Dense layer (its input_dim)")
        n_in, units = int(layer.input_dim), int(layer.units)
        act, name = getattr(layer, "activation_name", "g"), layer.name
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(
            f"plot_layer_matrices expects a positive integer batch_size. "
            f"Received: batch_size={batch_size!r}"
        )
    m = int(batch_size)
    from matplotlib.patches import Rectangle

    fig, axes = _figure(size=(10.0, 4.6))
    ax = axes[0, 0]
    ax.axis("off")
    most = 10  # cells drawn per side of a matrix, at most (the shape label gives the truth)

    def matrix(x0: float, y_mid: float, rows: int, cols: int, label: str, fill: str) -> float:
        h, w = min(rows, most), min(cols, most)
        y0 = y_mid - h / 2
        ax.add_patch(Rectangle((x0, y0), w, h, facecolor=fill, edgecolor="#333333", lw=1.2))
        for i in range(1, h):
            ax.plot([x0, x0 + w], [y0 + i] * 2, color="#ffffff", lw=0.7)
        for j in range(1, w):
            ax.plot([x0 + j] * 2, [y0, y0 + h], color="#ffffff", lw=0.7)
        cut = " …" if rows > most or cols > most else ""  # drawn in part only
        ax.text(x0 + w / 2, y_mid + h / 2 + 0.4, label, ha="center", va="bottom", fontsize=12)
        ax.text(
            x0 + w / 2,
            y_mid - h / 2 - 0.4,
            f"({rows} × {cols}){cut}",
            ha="center",
            va="top",
            fontsize=9,
        )
        return x0 + w

    def op(x: float, y: float, text: str) -> float:
        width = 0.8 * len(text) + 0.8  # about a character's width at this size
        ax.text(x + width / 2, y, text, ha="center", va="center", fontsize=15)
        return x + width

    y1, y2 = 9.5, -3.0
    x = matrix(0.0, y1, units, m, "Z", "#e4dcf2")
    x = op(x, y1, "=")
    x = matrix(x, y1, units, n_in, "W", "#fff2cc")
    x = op(x, y1, "·")
    x = matrix(x, y1, n_in, m, "A_prev", "#dbe8f6")
    x = op(x, y1, "+")
    right = matrix(x, y1, units, 1, "b", "#fff2cc")
    ax.text(right + 0.5, y1, f"added to each of\nthe {m} columns", va="center", fontsize=8)
    x = matrix(0.0, y2, units, m, "A", "#c7e9c0")
    x = op(x, y2, "=")
    x = op(x, y2, f"{act}(")
    x = matrix(x, y2, units, m, "Z", "#e4dcf2")
    x = op(x, y2, ")")
    ax.text(
        x + 0.8,
        y2,
        f"one column per example (m = {m}).\nIn nn each example is a row:\n"
        f"Z = X @ kernel + bias, with\nX ({m} × {n_in}) and kernel = Wᵀ ({n_in} × {units})",
        va="center",
        fontsize=8,
        color="#444444",
    )
    ax.set(xlim=(-0.5, max(right + 6.0, x + 12.0)), ylim=(-9.5, 16.0), aspect="equal")
    ax.set_title(
        f"{name} in matrix form: {n_in} inputs → {units} units, a batch of {m}:  "
        f"Z = W·A_prev + b,  A = {act}(Z)",
        fontsize=10,
    )
    return _finish(fig, path)


@dataclass
class BackpropStep:
    """One frame of ``animate_backprop``: what is computed, and what each neuron shows."""

    phase: str  # "input", "forward", "loss" or "backward"
    column: int  # the highlighted column: 0 the input, k the k-th layer
    text: str  # the caption: the step and its formula
    values: list  # per column: the activations shown (None where not computed yet)
    deltas: list  # per column: δ = dL/dz of the layer (None where not computed yet)
    loss: float | None = None


@dataclass
class BackpropFrames:
    """The forward and backward pass of a model on one batch, layer by layer
    (``backprop_frames``): each layer's activations ``a``, pre-activations' gradients
    ``delta`` (δ = dL/dz), and the gradients of its kernel and bias, for drawing."""

    sizes: list  # neurons per column, the input first
    names: list  # the layers' names
    activations: list  # the layers' activation names
    a: list  # per column, the values (n, units): x, then each layer's output
    delta: list  # per layer, dL/dz (n, units)
    grad_kernel: list  # per layer, dL/dkernel
    grad_bias: list  # per layer, dL/dbias (None without a bias)
    loss: float
    loss_name: str
    steps: list = field(default_factory=list)


def _column_layers(model: Any) -> list[Any]:
    layers = list(getattr(model, "layers", [model]))
    if not layers or not all(hasattr(layer, "units") for layer in layers):
        raise ValueError(
            f"backprop_frames draws models made of Dense layers. Received layers: "
            f"{[type(layer).__name__ for layer in layers]}"
        )
    return layers


def backprop_frames(model: Any, x: Any, y: Any, loss: Any = None) -> BackpropFrames:
    """Run ``model`` forward on ``x`` and the loss backward, keeping each layer's values and
    gradients as the textbooks name them: aˡ, δˡ = ∂L/∂zˡ, ∂L/∂Wˡ, ∂L/∂bˡ.

    ``loss`` is a name or a loss function; by default the model's compiled loss, else mse.
    Nothing is stored in the parameters' ``.grad``.
    """
    from . import losses

    layers = _column_layers(model)
    loss_obj = losses.get(loss if loss is not None else (getattr(model, "loss", None) or "mse"))
    xb = _as_batch(x)
    h = Tensor(xb, name="X")
    zs, outs = [], []
    for layer in layers:
        z = layer.logits(h)  # the pre-activation, kept so that δ = dL/dz can be asked for
        h = layer.activation(z)
        zs.append(z)
        outs.append(h)
    value = loss_obj(y, h)
    params = [layer.kernel for layer in layers] + [
        layer.bias for layer in layers if layer.bias is not None
    ]
    grads = ag.gradients(value, zs + params, allow_unused=True)
    n = len(layers)
    deltas = [
        np.zeros(z.shape) if g is None else np.asarray(g)
        for g, z in zip(grads[:n], zs, strict=True)
    ]
    gk = [np.asarray(g) for g in grads[n : 2 * n]]
    gb_iter = iter(grads[2 * n :])
    gb = [np.asarray(next(gb_iter)) if layer.bias is not None else None for layer in layers]
    frames = BackpropFrames(
        sizes=[xb.shape[1]] + [int(layer.units) for layer in layers],
        names=[layer.name for layer in layers],
        activations=[getattr(layer, "activation_name", "g") for layer in layers],
        a=[xb] + [o.data for o in outs],
        delta=deltas,
        grad_kernel=gk,
        grad_bias=gb,
        loss=float(value.data),
        loss_name=loss_obj.name,
    )
    frames.steps = _steps(frames, len(xb))
    return frames


def _steps(fr: BackpropFrames, m: int) -> list[BackpropStep]:
    n = len(fr.names)
    none: list = [None] * (n + 1)
    sample = "" if m == 1 else f" (sample 1 of the batch of {m})"
    steps = [
        BackpropStep(
            "input", 0, f"forward: the input x = a⁰{sample}", [fr.a[0][0]] + none[1:], none[:]
        )
    ]
    for k in range(1, n + 1):
        values = [a[0] for a in fr.a[: k + 1]] + none[k + 1 :]
        text = (
            f"forward, layer {k} ({fr.names[k - 1]}): z{_sup(k)} = W{_sup(k)} a{_sup(k - 1)} "
            f"+ b{_sup(k)},  a{_sup(k)} = {fr.activations[k - 1]}(z{_sup(k)})"
        )
        steps.append(BackpropStep("forward", k, text, values, none[:]))
    all_values = [a[0] for a in fr.a]
    text = f"loss: L = {fr.loss_name}(y, a{_sup(n)}) = {fr.loss:.4g}"
    steps.append(BackpropStep("loss", n, text, all_values, none[:], fr.loss))
    for k in range(n, 0, -1):
        deltas = none[:k] + [d[0] for d in fr.delta[k - 1 :]]
        if k == n:
            rule = f"δ{_sup(k)} = ∂L/∂a{_sup(k)} ⊙ {fr.activations[k - 1]}′(z{_sup(k)})"
        else:
            rule = (
                f"δ{_sup(k)} = (W{_sup(k + 1)})ᵀ δ{_sup(k + 1)} ⊙ "
                f"{fr.activations[k - 1]}′(z{_sup(k)})"
            )
        text = (
            f"backward, layer {k} ({fr.names[k - 1]}): {rule};  "
            f"‖∂L/∂W{_sup(k)}‖ = {np.linalg.norm(fr.grad_kernel[k - 1]):.3g}"
        )
        steps.append(BackpropStep("backward", k, text, all_values, deltas, fr.loss))
    return steps


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sup(n: int) -> str:
    return str(n).translate(_SUPERSCRIPTS)


class _BackpropDiagram:
    """The neuron diagram of ``frames``, drawn once; ``show(k)`` sets the colours and numbers
    of step k (so that an animation changes artists rather than drawing them anew)."""

    def __init__(self, frames: BackpropFrames, max_neurons: int) -> None:
        from matplotlib.patches import Circle, FancyBboxPatch

        self.frames = frames
        # a fixed diagram: no layout engine, which would work again on every frame
        self.fig, axes = _figure(size=(8.0, 4.8), layout=None)
        self.fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9)
        ax = self.ax = axes[0, 0]
        ax.axis("off")
        xs = np.arange(len(frames.sizes)) * 2.0
        centres: list[dict] = []
        for c, size in enumerate(frames.sizes):
            rows = _shown(size, max_neurons)
            ys = np.linspace(1, -1, len(rows)) * min(1.0, 0.22 * (len(rows) - 1)) * 2.2
            centres.append({j: (xs[c], yj) for j, yj in zip(rows, ys, strict=True)})
        self.edges = []  # (column the connection enters, line)
        for c in range(1, len(centres)):
            for j0, p in centres[c - 1].items():
                for j1, q in centres[c].items():
                    if j0 is not None and j1 is not None:
                        (line,) = ax.plot([p[0], q[0]], [p[1], q[1]], zorder=1)
                        self.edges.append((c, line))
        self.neurons = []  # (column, neuron, circle, its number)
        for c, column in enumerate(centres):
            for j, (px, py) in column.items():
                if j is None:
                    ax.text(px, py, "⋮", ha="center", va="center", fontsize=14)
                    continue
                fill = "#fff2cc" if c == 0 else "#dbe8f6"
                circle = Circle((px, py), 0.32, facecolor=fill, zorder=2)
                ax.add_patch(circle)
                text = ax.text(px, py, "", ha="center", va="center", fontsize=7, zorder=3)
                self.neurons.append((c, j, circle, text))
            label = "x" if c == 0 else f"{frames.names[c - 1]}\n{frames.activations[c - 1]}"
            top = max(py for _, py in column.values())
            ax.text(xs[c], top + 0.55, label, ha="center", va="bottom", fontsize=8)
        self.loss_box = FancyBboxPatch(
            (xs[-1] + 0.9, -0.3), 1.3, 0.6, boxstyle="round,pad=0.05", facecolor="#f4cccc"
        )
        ax.add_patch(self.loss_box)
        self.loss_text = ax.text(
            xs[-1] + 1.55, 0, f"L = {frames.loss:.3g}", ha="center", va="center", fontsize=8
        )
        ax.text(xs[0] - 0.5, -2.9, "black: activations aˡ", fontsize=8)
        self.back_legend = ax.text(
            xs[0] + 2.5, -2.9, "red: δˡ = ∂L/∂zˡ (back from the loss)", fontsize=8, color=_BACK
        )
        ax.set(xlim=(xs[0] - 0.8, xs[-1] + 2.5), ylim=(-3.1, 3.3), aspect="equal")

    def show(self, k: int) -> None:
        s = self.frames.steps[k]
        colour = _BACK if s.phase == "backward" else _HOT
        for c, line in self.edges:
            live = c == s.column and s.phase in ("forward", "backward")
            line.set(color=colour if live else _IDLE, lw=1.4 if live else 0.5)
            line.set_alpha(0.9 if live else 0.6)
        for c, j, circle, text in self.neurons:
            live = c == s.column
            circle.set_edgecolor(colour if live else "#555555")
            circle.set_linewidth(2.5 if live else 1.0)
            delta = s.deltas[c] if s.phase == "backward" else None
            if delta is not None:
                text.set(text=f"{delta[j] + 0.0:.2g}", color=_BACK)  # + 0.0: no "-0"
            elif s.values[c] is not None:
                text.set(text=f"{s.values[c][j] + 0.0:.2f}", color="black")
            else:
                text.set_text("")
        self.loss_box.set_visible(s.loss is not None)
        self.loss_text.set_visible(s.loss is not None)
        self.loss_box.set_edgecolor(colour if s.phase == "loss" else "#555555")
        self.loss_box.set_linewidth(2.5 if s.phase == "loss" else 1.0)
        self.back_legend.set_visible(s.phase == "backward")
        self.ax.set_title(s.text, fontsize=9)


def plot_backprop_step(
    frames: BackpropFrames,
    step: int,
    path: str | os.PathLike | None = None,
    max_neurons: int = 8,
) -> Any:
    """One frame of the forward and backward pass on the neuron diagram: the highlighted
    layer, each neuron's activation (forward) or δ (backward), the loss."""
    if not 0 <= step < len(frames.steps):
        raise ValueError(
            f"plot_backprop_step: step must be in [0, {len(frames.steps)}). Received: step={step}"
        )
    diagram = _BackpropDiagram(frames, max_neurons)
    diagram.show(step)
    return _finish(diagram.fig, path)


def animate_backprop(
    model: Any,
    x: Any,
    y: Any,
    path: str | os.PathLike | None = None,
    loss: Any = None,
    fps: int = 1,
    dpi: int = 90,
    max_neurons: int = 8,
) -> Path | bytes:
    """Values flowing forward and gradients flowing back through the layers, step by step,
    on the neuron diagram: each frame highlights the layer being computed and shows each
    neuron's activation aˡ (forward) or δˡ = ∂L/∂zˡ (backward), with ‖∂L/∂Wˡ‖.

    ``x``: one example (or a batch: the first example is shown, the loss is the batch's).
    Writes a GIF to ``path`` and returns the path (the GIF's bytes without ``path``).
    """
    frames = backprop_frames(model, x, y, loss)
    diagram = _BackpropDiagram(frames, max_neurons)
    steps = range(len(frames.steps))
    return _gif(diagram.fig, steps, diagram.show, path, fps, dpi, "forward_backward")
