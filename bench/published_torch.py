"""PyTorch references for the Fashion-MNIST MLPs of ``tests/nn/test_published.py``.

``python -m bench.published_torch [--recipe keras|best] [--seeds 0,1,2,3] [--threads 1]``
trains the recipe once per seed on the CPU and prints the test accuracy and the seconds per
epoch of each run (wall clock, and the process's CPU time, which a loaded machine does not
inflate), then their mean, min and max. Not collected by pytest; needs the
``torch`` extra and the Fashion-MNIST IDX files (``nn.datasets.load_fashion_mnist``).

The layers are set up as Keras makes them, so the runs compare algorithms, not defaults:
glorot-uniform kernels and zero biases, ``BatchNorm1d(momentum=0.01, eps=1e-3)`` (Keras's
momentum 0.99 written the other way round, and its epsilon), Adam with Keras's epsilon 1e-7.

Recipes:

- ``keras``: Flatten, Dense 512 relu, BatchNormalization, Dropout 0.2, Dense 256 relu,
  Dropout 0.2, Dense 10 softmax; Adam (Keras defaults); batch 128; 10 epochs.
- ``best``: the recipe of ``test_fashion_mnist_best_mlp_reaches_89_percent`` (see ``BEST``
  below): Dense 512 and 256, each followed by BatchNormalization, ReLU and Dropout 0.3; AdamW
  (weight decay 0.02) under a cosine decay to zero after one epoch of linear warmup to 2e-3
  (stepped per batch, as Keras's schedules are); batch 256; 20 epochs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

# The ``best`` recipe; tests/nn/test_published.py holds the same numbers.
BEST = {
    "units": (512, 256),
    "dropout": 0.3,
    "epochs": 20,
    "batch_size": 256,
    "peak_lr": 2e-3,
    "warmup_epochs": 1,
    "weight_decay": 0.02,
}


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST as flat float32 pixels in [0, 1] and integer labels."""
    from nn.datasets import load_fashion_mnist

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255
    x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def _keras_init(torch, module) -> None:  # noqa: ANN001
    # Keras's Dense defaults: glorot-uniform kernel, zero bias.
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)


def build(torch, recipe: str):  # noqa: ANN001, ANN201
    """The network of ``recipe`` (logits out: the softmax is in the loss)."""
    nn_ = torch.nn
    if recipe == "keras":
        net = nn_.Sequential(
            nn_.Flatten(),
            nn_.Linear(784, 512),
            nn_.ReLU(),
            nn_.BatchNorm1d(512, momentum=0.01, eps=1e-3),
            nn_.Dropout(0.2),
            nn_.Linear(512, 256),
            nn_.ReLU(),
            nn_.Dropout(0.2),
            nn_.Linear(256, 10),
        )
    else:
        a, b = BEST["units"]
        rate = BEST["dropout"]
        net = nn_.Sequential(
            nn_.Linear(784, a),
            nn_.BatchNorm1d(a, momentum=0.01, eps=1e-3),
            nn_.ReLU(),
            nn_.Dropout(rate),
            nn_.Linear(a, b),
            nn_.BatchNorm1d(b, momentum=0.01, eps=1e-3),
            nn_.ReLU(),
            nn_.Dropout(rate),
            nn_.Linear(b, 10),
        )
    _keras_init(torch, net)
    return net


def _cosine_with_warmup(step: int, warmup: int, decay: int, peak: float) -> float:
    # Keras's CosineDecay(0.0, decay, warmup_target=peak, warmup_steps=warmup)
    if step < warmup:
        return peak * step / warmup
    done = min(step - warmup, decay) / decay
    return peak * 0.5 * (1.0 + math.cos(math.pi * done))


def run(
    recipe: str, seed: int, data: tuple, threads: int
) -> tuple[float, list[float], list[float]]:
    """Train ``recipe`` with ``seed``; returns the test accuracy, epoch seconds and CPU seconds."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    net = build(torch, recipe)
    if recipe == "keras":
        epochs, batch = 10, 128
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    else:
        epochs, batch = BEST["epochs"], BEST["batch_size"]
        # Keras's decoupled decay p -= lr * wd * p is AdamW's, with the same lr and wd.
        opt = torch.optim.AdamW(
            net.parameters(), lr=0.0, eps=1e-7, weight_decay=BEST["weight_decay"]
        )
    steps = math.ceil(len(x_train) / batch)
    loss_fn = torch.nn.CrossEntropyLoss()
    times, cpu_times, step = [], [], 0
    for _ in range(epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        net.train()
        order = torch.randperm(len(x_train))
        for i in range(steps):
            idx = order[i * batch : (i + 1) * batch]
            if recipe != "keras":
                lr = _cosine_with_warmup(
                    step,
                    BEST["warmup_epochs"] * steps,
                    (epochs - BEST["warmup_epochs"]) * steps,
                    BEST["peak_lr"],
                )
                for group in opt.param_groups:
                    group["lr"] = lr
            opt.zero_grad()
            loss = loss_fn(net(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            step += 1
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    net.eval()
    with torch.no_grad():
        acc = float((net(x_test).argmax(dim=1) == y_test).float().mean())
    return acc, times, cpu_times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", choices=("keras", "best"), default="keras")
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    data = load()
    accs, epoch_times, epoch_cpu = [], [], []
    for seed in (int(s) for s in args.seeds.split(",")):
        acc, times, cpu_times = run(args.recipe, seed, data, args.threads)
        accs.append(acc)
        epoch_times.extend(times)
        epoch_cpu.extend(cpu_times)
        print(
            f"{args.recipe} seed {seed}: test accuracy {acc:.4f}, {np.mean(times):.2f} s per epoch "
            f"({np.mean(cpu_times):.2f} s CPU)",
            flush=True,
        )
    print(
        f"{args.recipe}: mean {np.mean(accs):.4f}, min {min(accs):.4f}, max {max(accs):.4f} "
        f"over {len(accs)} seeds; {np.mean(epoch_times):.2f} s per epoch, "
        f"{np.mean(epoch_cpu):.2f} s CPU ({args.threads} thread{'s' if args.threads > 1 else ''})"
    )


if __name__ == "__main__":
    main()
