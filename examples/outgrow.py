"""When you outgrow nn: train here, save, export to ONNX and carry on in PyTorch.

    python examples/outgrow.py                  # two circles, a few seconds
    python examples/outgrow.py --epochs 100 --out results/

1. trains the two-circles model (Dense 2-8-8-1) with nn;
2. saves it whole (``model.save``), loads it back (``nn.models.load_model``) and checks that
   training continues with the very same numbers;
3. exports it to ONNX (``nn.export.to_onnx``) and runs the file under onnxruntime;
4. turns it into a PyTorch module (``nn.export.to_torch``), trains on there, and brings the
   result back (``nn.export.from_torch``).

Steps 3 and 4 need the ``onnx`` extra (plus onnxruntime) and the ``torch`` extra; without
them they are skipped with a message saying what to install.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

import nn


def _accuracy(probs: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((probs.reshape(-1) > 0.5) == (y.reshape(-1) > 0.5)))


def train(epochs: int, seed: int) -> tuple[nn.Model, tuple]:
    """The two-circles model, trained; and the data split ``(x, y, x_test, y_test)``."""
    x, y = nn.datasets.make_circles(600, noise=0.05, factor=0.5, seed=seed)
    x_test, y_test = x[500:], y[500:]
    x, y = x[:500], y[:500]
    nn.set_seed(seed)
    model = nn.Sequential(
        [
            nn.Dense(8, input_dim=2, activation="relu"),
            nn.Dense(8, activation="relu"),
            nn.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"[nn] trained {epochs} epochs: test accuracy {acc:.3f}")
    return model, (x, y, x_test, y_test)


def save_and_resume(model: nn.Model, data: tuple, out: Path) -> nn.Model:
    """Save the model whole, load it, and check that one more epoch gives the same weights."""
    x, y, _, _ = data
    path = out / "two_circles.safetensors"
    model.save(path)
    loaded = nn.models.load_model(path)
    for m in (model, loaded):
        nn.set_seed(123)  # the same shuffling for both
        m.fit(x, y, epochs=1, batch_size=32, verbose=0)
    same = all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True)
    )
    print(f"[save] {path.name}: {path.stat().st_size} bytes; resumed training identical: {same}")
    return loaded


def to_onnx(model: nn.Model, data: tuple, out: Path) -> None:
    """Export to ONNX and compare onnxruntime's outputs with ``predict``'s."""
    try:
        import onnxruntime as ort

        path = out / "two_circles.onnx"
        nn.export.to_onnx(model, path)
    except ImportError as e:
        print(f"[onnx] skipped: {e}. Install: pip install 'autograd-core[onnx]' onnxruntime")
        return
    _, _, x_test, _ = data
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (probs,) = session.run(None, {"input": x_test})
    diff = float(np.max(np.abs(probs - model.predict(x_test, verbose=0))))
    print(f"[onnx] {path.name} under onnxruntime: max |difference| from predict {diff:.2e}")


def to_torch(model: nn.Model, data: tuple, epochs: int) -> None:
    """Continue training in PyTorch, then bring the network back to nn."""
    try:
        import torch
    except ImportError:
        print(
            "[torch] skipped: PyTorch is not installed. Install: pip install 'autograd-core[torch]'"
        )
        return
    x, y, x_test, y_test = data
    module = nn.export.to_torch(model)
    with torch.no_grad():
        start = module(torch.from_numpy(x_test)).numpy()
    diff = float(np.max(np.abs(start - model.predict(x_test, verbose=0))))
    print(f"[torch] {type(module).__name__} of {len(module)} modules: max |difference| {diff:.2e}")
    module.train()
    opt = torch.optim.Adam(module.parameters(), lr=0.01)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)
    for _ in range(epochs):
        for i in range(0, len(xt), 32):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy(module(xt[i : i + 32]), yt[i : i + 32])
            loss.backward()
            opt.step()
    module.eval()
    with torch.no_grad():
        probs = module(torch.from_numpy(x_test)).numpy()
    print(f"[torch] {epochs} more epochs in PyTorch: test accuracy {_accuracy(probs, y_test):.3f}")
    back = nn.export.from_torch(module)
    diff = float(np.max(np.abs(back.predict(x_test, verbose=0) - probs)))
    print(f"[torch] back in nn with from_torch: max |difference| {diff:.2e}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    model, data = train(args.epochs, args.seed)
    model = save_and_resume(model, data, args.out)
    to_onnx(model, data, args.out)
    to_torch(model, data, args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
