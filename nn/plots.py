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
  from one start on a 2-D loss surface, over its contour lines.
"""

from __future__ import annotations

import os
import tempfile
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


def _figure(nrows: int = 1, ncols: int = 1, size: tuple = (6.0, 4.5)) -> tuple[Any, Any]:
    _mpl()
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
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


def plot_history(
    history: Any, path: str | os.PathLike | None = None, title: str | None = None
) -> Any:
    """Loss and each metric per epoch, training and validation (``val_...``) side by side."""
    h = getattr(history, "history", history)
    if not isinstance(h, dict) or not h:
        raise ValueError(
            "plot_history expects a History (from fit) or its .history dict. "
            f"Received {type(history).__name__}"
        )
    bases = [k for k in h if not k.startswith("val_")]
    bases += [k[4:] for k in h if k.startswith("val_") and k[4:] not in bases]
    fig, axes = _figure(1, len(bases), size=(4.2 * len(bases), 3.4))
    for ax, key in zip(axes[0], bases, strict=True):
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            if name in h:
                vals = np.asarray(h[name], dtype=float)
                ax.plot(
                    np.arange(1, len(vals) + 1),
                    vals,
                    style,
                    label="validation" if name.startswith("val_") else "training",
                )
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


def animate_decision_boundary(
    recorder: BoundaryRecorder, path: str | os.PathLike | None = None, fps: int = 6, dpi: int = 64
) -> Path | bytes:
    """Write the recorded frames as a GIF (matplotlib's PillowWriter) and return its path;
    without ``path``, return the GIF's bytes (for ``IPython.display.Image(data=...)``)."""
    mpl = _mpl()
    from matplotlib.animation import PillowWriter

    if not recorder.frames:
        raise ValueError(
            "animate_decision_boundary: the recorder has no frames; use it as a "
            "callback in fit() or call recorder.capture(epoch)"
        )
    try:
        import PIL  # noqa: F401
    except ImportError as e:
        raise ImportError("GIF animations need pillow: pip install 'autograd-core[plot]'") from e
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

    def write(tmp: str) -> None:
        writer = PillowWriter(fps=fps)
        with mpl.rc_context({"savefig.facecolor": "white"}), writer.saving(fig, tmp, dpi):
            for frame in recorder.frames:
                draw(frame)
                writer.grab_frame()
            for _ in range(fps):  # hold the last frame for a second
                writer.grab_frame()

    if path is not None:
        return _atomic(path, write)
    with tempfile.TemporaryDirectory() as tmp:
        return _atomic(Path(tmp) / "boundary.gif", write).read_bytes()


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


def plot_optimizer_paths(
    path: str | os.PathLike | None = None,
    f: Callable[[Tensor], Tensor] = ravine,
    start: Sequence[float] = (-4.5, 1.5),
    steps: int = 60,
    optimizers: dict | None = None,
) -> Any:
    """Contour lines of ``f`` and the path of each optimizer from the same start."""
    paths = optimizer_paths(f, start, steps, optimizers)
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
    ax.plot(*np.asarray(start), "k*", ms=10, label="start")
    ax.set(
        title="gradient descent on a 2-D loss surface", xlabel=r"$\theta_1$", ylabel=r"$\theta_2$"
    )
    ax.legend(fontsize=8, loc="best")
    return _finish(fig, path)
