"""What forward mode and the other transforms cost, as multiples of the function itself:
``python -m bench.transforms``.

For a few functions (a long elementwise chain on a million values, a small MLP, linear
algebra on 64 x 64 matrices) it times, interleaved: ``f`` on Tensors that record nothing,
``f`` recorded (the forward pass of a backward), ``jvp`` (forward mode), ``vjp`` with one
call of its ``vjp_fn``, and ``hvp`` of ``sum(f)``, and prints the medians as ratios to ``f``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any, Callable

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "bench"

import autograd_core as ag  # noqa: E402

from .timing import interleaved, threads  # noqa: E402


def _chain(x: Any) -> Any:
    for _ in range(10):
        x = ag.tanh(x) * 1.5 + ag.sin(x) * 0.5
    return x


def _mlp(weights: list) -> Callable:
    def f(x: Any) -> Any:
        for w in weights[:-1]:
            x = ag.relu(x @ w)
        return ag.sigmoid(x @ weights[-1])

    return f


def _linalg(x: Any) -> Any:
    a = x @ x.mT + 64.0 * ag.eye(64, dtype=np.float64)
    return ag.linalg.solve(a, x) + ag.linalg.slogdet(a)[1]


def cases() -> dict[str, tuple[Callable, np.ndarray]]:
    rng = np.random.default_rng(0)
    sizes = [2, 4, 6, 6, 4, 1]
    weights = [rng.standard_normal((m, n)) for m, n in zip(sizes[:-1], sizes[1:], strict=True)]
    return {
        "elementwise chain, 1e6 values, 40 ops": (_chain, rng.standard_normal(1_000_000)),
        "MLP 2-4-6-6-4-1, batch 32": (_mlp(weights), rng.standard_normal((32, 2))),
        "solve + slogdet, 64 x 64": (_linalg, rng.standard_normal((64, 64))),
    }


def _timings(f: Callable, a: np.ndarray, repeats: int) -> dict[str, float]:
    """The medians of each transform of ``f`` at ``a``, as multiples of ``f`` itself."""
    v = np.ones_like(a)
    plain = ag.Tensor(a)
    u = np.ones(f(plain).shape)

    def recorded() -> Any:
        return f(ag.Tensor(a, requires_grad=True))

    def one_vjp() -> Any:
        return ag.vjp(f, a)[1](u)

    fns = {
        "f": lambda: f(plain),
        "f recorded": recorded,
        "jvp": lambda: ag.jvp(f, (a,), (v,)),
        "vjp": one_vjp,
        "hvp": lambda: ag.hvp(lambda x: f(x).sum(), a, v),
    }
    samples = interleaved(fns, repeats)
    base = statistics.median(samples["f"])
    return {k: statistics.median(s) / base for k, s in samples.items()}


def measure(repeats: int) -> list[tuple[str, dict[str, float]]]:
    """One row of ratios per function of ``cases()``."""
    return [(name, _timings(f, a, repeats)) for name, (f, a) in cases().items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--repeats", type=int, default=15, help="samples per timing")
    args = parser.parse_args()
    with threads(1):
        rows = measure(args.repeats)
    print("| function | f recorded | jvp | vjp | hvp |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['f recorded']:.1f} | {r['jvp']:.1f} | {r['vjp']:.1f} | {r['hvp']:.1f} |"
        )
    print("\n(medians, as multiples of f on Tensors that record nothing; one BLAS thread)")


if __name__ == "__main__":
    main()
