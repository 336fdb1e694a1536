"""The main job: train a classic example end to end and write every figure.

    python examples/demo.py                          # two circles, Dense 2-4-6-6-4-1, adam
    python examples/demo.py --dataset fashion-mnist  # Dense 784-512-10, rmsprop, batch 128
    python examples/demo.py --dataset moons --epochs 30 --seed 1 --out results/

Writes into the output folder (default ``out/``): the data set, the training curves with the
test result, the decision boundary and its animation (2-D data sets), a single neuron and a
layer in matrix form with the trained numbers, forward and backward propagation as an
animation, the model diagram, the computation graph of the loss, fused and op by op (DOT, and
SVG when Graphviz's ``dot`` is installed) and a summary (JSON and Markdown).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import autograd_core as ag
import nn
from autograd_core import Tensor
from autograd_core.viz import (
    INSTALL_HINT,
    atomic_write,
    draw_graph,
    graphviz_available,
    record_gradients,
    save_graph,
)


@dataclass
class Setup:
    """One example: its data, network, loss and training settings."""

    layers: list  # (units, activation) after the input
    loss: str
    optimizer: str
    epochs: int
    batch_size: int
    two_d: bool = True
    notes: list = field(default_factory=list)


SETUPS = {
    # The Keras two-circles tutorial network, line by line.
    "circles": Setup(
        [(4, "relu"), (6, "relu"), (6, "relu"), (4, "relu"), (1, "sigmoid")],
        "binary_crossentropy",
        "adam",
        50,
        32,
    ),
    "moons": Setup(
        [(4, "relu"), (6, "relu"), (6, "relu"), (4, "relu"), (1, "sigmoid")],
        "binary_crossentropy",
        "adam",
        50,
        32,
    ),
    "spirals": Setup(
        [(16, "relu"), (16, "relu"), (16, "relu"), (1, "sigmoid")],
        "binary_crossentropy",
        "adam",
        100,
        32,
    ),
    # Deep Learning with Python, chapter 2, on Fashion-MNIST.
    "fashion-mnist": Setup(
        [(512, "relu"), (10, "softmax")], "categorical_crossentropy", "rmsprop", 5, 128, two_d=False
    ),
}


def load_data(name: str, seed: int) -> tuple:
    """``(x_train, y_train), (x_val, y_val), (x_test, y_test)`` for a data set name."""
    if name == "fashion-mnist":
        (x_train, y_train), (x_test, y_test) = nn.datasets.load_fashion_mnist()
        x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255.0
        x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0
        y_train = np.eye(10, dtype=np.float32)[y_train]
        y_test = np.eye(10, dtype=np.float32)[y_test]
        # a tenth of the training images, drawn at random, held out: over-fitting shows
        order = np.random.default_rng(seed).permutation(len(x_train))
        val, train = order[: len(order) // 10], order[len(order) // 10 :]
        return (x_train[train], y_train[train]), (x_train[val], y_train[val]), (x_test, y_test)
    if name == "circles":
        X, y = nn.datasets.make_circles(1000, noise=0.05, factor=0.5, seed=seed)
    elif name == "moons":
        X, y = nn.datasets.make_moons(1000, noise=0.1, seed=seed)
    elif name == "spirals":
        X, y = nn.datasets.make_spirals(1000, noise=0.1, seed=seed)
    else:
        raise ValueError(f"unknown data set {name!r}. Choose from {sorted(SETUPS)}")
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = np.asarray(X, np.float32)[order], np.asarray(y).reshape(-1, 1)[order]
    a, b = int(0.6 * len(X)), int(0.8 * len(X))
    return (X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:])


def build_model(setup: Setup, n_features: int) -> Any:
    """A compiled Sequential of Dense layers."""
    layers = []
    for i, (units, activation) in enumerate(setup.layers):
        extra = {"input_dim": n_features} if i == 0 else {}
        layers.append(nn.Dense(units, activation=activation, **extra))
    model = nn.Sequential(layers)
    model.compile(loss=setup.loss, optimizer=setup.optimizer, metrics=["accuracy"])
    return model


def loss_graph(model: Any, x: np.ndarray, y: np.ndarray, loss_name: str) -> Any:
    """The computation graph of the loss on a small batch, coloured by gradient norm; inside
    ``nn.unfused()`` each Dense layer shows its matmul, add and activation."""
    loss_fn = getattr(nn.losses, loss_name)
    dtype = ag.get_default_dtype()
    loss = loss_fn(Tensor(y.astype(dtype), name="y"), model(Tensor(x.astype(dtype), name="X")))
    loss.name = f"loss ({loss_name})"
    with record_gradients(loss):
        loss.backward()
    graph = draw_graph(loss, show_grad=True)
    model.zero_grad()  # this backward was for the picture only
    return graph


def _markdown(summary: dict) -> str:
    lines = [f"# {summary['dataset']}: {summary['architecture']}", ""]
    lines.append("| | |")
    lines.append("|---|---|")
    for key in (
        "parameters",
        "optimizer",
        "loss",
        "epochs",
        "batch_size",
        "seed",
        "test_accuracy",
        "test_loss",
        "train_seconds",
        "seconds_per_epoch",
    ):
        value = summary.get(key)
        if isinstance(value, float):
            value = f"{value:.4f}"
        elif isinstance(value, list):  # seconds per epoch: first, mean and last
            value = (
                f"{value[0]:.2f} first, {np.mean(value):.2f} mean, {value[-1]:.2f} last"
                if value
                else ""
            )
        lines.append(f"| {key.replace('_', ' ')} | {value} |")
    lines += ["", "Files:", ""] + [f"- `{f}`" for f in summary["files"]]
    return "\n".join(lines) + "\n"


def run(
    dataset: str = "circles",
    epochs: int | None = None,
    seed: int = 0,
    out: str | os.PathLike = "out",
    verbose: int = 1,
) -> dict:
    """Train, evaluate and write every figure; returns the summary."""
    setup = SETUPS[dataset]
    epochs = setup.epochs if epochs is None else epochs
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = print if verbose else (lambda *a, **k: None)
    nn.set_seed(seed)
    train, val, test = load_data(dataset, seed)
    model = build_model(setup, train[0].shape[1])
    files: list[Path] = []

    try:
        from nn import plots

        plots._mpl()
    except ImportError as e:
        plots = None
        say(f"note: {e}; figures are skipped")

    recorder = None
    if setup.two_d and plots is not None:
        plots.plot_dataset(*train, path=out / "data.png", title=f"{dataset}: training set")
        files.append(out / "data.png")
        recorder = plots.BoundaryRecorder(train[0], train[1], model=model, resolution=80)
        recorder.capture(0)
    timer = nn.callbacks.EpochTimer()
    callbacks = [timer] + ([recorder] if recorder is not None else [])
    say(
        f"training {dataset}: {_architecture(setup, train[0].shape[1])}, {setup.optimizer}, "
        f"{epochs} epochs, batch {setup.batch_size}"
    )
    start = time.perf_counter()
    history = model.fit(
        train[0],
        train[1],
        epochs=epochs,
        batch_size=setup.batch_size,
        validation_data=val,
        verbose=verbose,
        callbacks=callbacks,
    )
    train_seconds = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(test[0], test[1], verbose=0)
    say(f"test accuracy: {test_acc:.4f}  (test loss {test_loss:.4f})")

    if plots is not None:
        plots.plot_history(
            history,
            path=out / "history.png",
            title=f"{dataset}: training",
            test=[test_loss, test_acc],
        )
        files.append(out / "history.png")
        if setup.two_d:
            plots.plot_decision_boundary(
                model,
                *test,
                path=out / "decision_boundary.png",
                title=f"{dataset}: test set, accuracy {test_acc:.3f}",
            )
            files.append(out / "decision_boundary.png")
            files.append(plots.animate_decision_boundary(recorder, out / "decision_boundary.gif"))
        # the textbook figures, with the trained numbers: one neuron, a layer in matrix form,
        # and one test example forward through the layers and its gradients back
        plots.plot_neuron(model.layers[0], test[0][0], path=out / "neuron.png")
        plots.plot_layer_matrices(
            model.layers[1], batch_size=setup.batch_size, path=out / "layer_matrices.png"
        )
        files += [out / "neuron.png", out / "layer_matrices.png"]
        files.append(
            plots.animate_backprop(model, test[0][:1], test[1][:1], out / "forward_backward.gif")
        )

    if not graphviz_available():
        say(INSTALL_HINT)
    files += save_graph(model.draw(), out / "model", on_missing="ignore")
    graph = loss_graph(model, test[0][:8], test[1][:8], setup.loss)
    files += save_graph(graph, out / "computation_graph", on_missing="ignore")
    with nn.unfused():
        graph = loss_graph(model, test[0][:8], test[1][:8], setup.loss)
    files += save_graph(graph, out / "computation_graph_unfused", on_missing="ignore")

    h = getattr(history, "history", {})
    summary = {
        "dataset": dataset,
        "architecture": _architecture(setup, train[0].shape[1]),
        "parameters": int(sum(p.size for p in model.parameters())),
        "optimizer": setup.optimizer,
        "loss": setup.loss,
        "epochs": epochs,
        "batch_size": setup.batch_size,
        "seed": seed,
        "n_train": len(train[0]),
        "n_validation": 0 if val is None else len(val[0]),
        "n_test": len(test[0]),
        "test_loss": float(test_loss),
        "test_accuracy": float(test_acc),
        "train_seconds": round(train_seconds, 3),
        "seconds_per_epoch": [round(s, 3) for s in timer.seconds],
        "history": {k: [float(v) for v in vals] for k, vals in h.items()},
    }
    names = [p.name for p in files] + ["summary.json", "summary.md"]
    summary["files"] = names
    atomic_write(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    atomic_write(out / "summary.md", _markdown(summary))
    say(f"wrote {len(names)} files to {out}/: {', '.join(names)}")
    return summary


def _architecture(setup: Setup, n_features: int) -> str:
    return "Dense " + "-".join(str(u) for u in [n_features] + [u for u, _ in setup.layers])


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=sorted(SETUPS), default="circles")
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs (default: 50 for circles/moons, 100 spirals, 5 fashion)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="output folder (default: out/)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs must be at least 1. Received: epochs={args.epochs}")
    run(args.dataset, args.epochs, args.seed, args.out, verbose=0 if args.quiet else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
