"""Run the benchmark suite and print a Markdown report: ``python -m bench.run --help``.

Every workload runs all its implementations in this one process, interleaved, after a
warm-up and an agreement check (same start, same loss and gradients), and reports the median
time, the interquartile range and the ratios between implementations.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
from typing import Callable

import numpy as np

if __package__ in (None, ""):  # run as a script: make `bench` and the packages importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "bench"

from . import mlp, small  # noqa: E402
from .agree import compare  # noqa: E402
from .timing import blas_info, fmt_time, interleaved, summary, threads  # noqa: E402

OURS = "ours (autograd_core)"
HAND = "numpy by hand"
FLOOR = "matmuls alone (BLAS floor)"
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "MEM")
TOL = {np.float32: 2e-4, np.float64: 1e-9}


class Report:
    """Collects the table rows and the targets, then prints them as Markdown."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.targets: list[tuple[str, str, bool | None]] = []
        self.notes: list[str] = []

    def row(self, *cells: str) -> None:
        self.rows.append("| " + " | ".join(cells) + " |")

    def target(self, what: str, measured: str, met: bool | None) -> None:
        self.targets.append((what, measured, met))


def _torch_name(names: list[str]) -> str | None:
    return next((n for n in names if n.startswith("PyTorch")), None)


def _ratio(a: float | None, b: float | None) -> str:
    return "" if a is None or b is None else f"{a / b:.2f}x"


def time_impls(
    report: Report,
    workload: str,
    impls: list[mlp.Impl],
    repeats: int,
    tol: float,
    per: float = 1.0,
    unit: str = "",
    warmup: int = 3,
) -> dict[str, float]:
    """Check agreement, time interleaved, add rows; returns the median per implementation."""
    for i in impls:
        if i.skip:
            report.notes.append(f"{workload}: {i.name} skipped ({i.skip})")
    live = [i for i in impls if not i.skip]
    checked = {i.name: i.check() for i in live if i.check is not None}
    worst = compare(checked, HAND, tol)
    samples = interleaved({i.name: i.step for i in live}, repeats, warmup)
    medians = {name: summary(xs)[0] / per for name, xs in samples.items()}
    torch = _torch_name(list(medians))
    for name, xs in samples.items():
        med, q1, q3 = (v / per for v in summary(xs))
        agree = "reference" if name == HAND else (f"{worst[name]:.0e}" if name in worst else "-")
        report.row(
            workload,
            name,
            fmt_time(med) + unit,
            f"{fmt_time(q1)} - {fmt_time(q3)}",
            _ratio(med, medians.get(HAND)),
            _ratio(med, medians.get(torch)),
            _ratio(med, medians.get(FLOOR)),
            agree,
            str(len(xs)),
        )
    return medians


def run_mlp(report: Report, spec: mlp.MLPSpec, repeats: int, n_threads: int) -> None:
    with threads(n_threads):
        m = time_impls(
            report,
            f"{spec.name} (b={spec.batch}, {n_threads}t)",
            mlp.build(spec),
            repeats,
            TOL[np.float32],
        )
    torch = _torch_name(list(m))
    key = spec.name.split()[0]
    for name in (OURS, "ours (nn)"):
        if name not in m:
            continue
        if key == "W1" and torch:
            r = m[name] / m[torch]
            report.target(f"W1 {name} <= 0.5x PyTorch", f"{r:.2f}x", r <= 0.5)
        elif key == "W2":
            r = m[name] / m[HAND]
            report.target(f"W2 {name} <= 1.05x numpy by hand", f"{r:.2f}x", r <= 1.05)
        elif key == "W3":
            r = m[name] / m[FLOOR]
            report.target(f"W3 {name} <= 1.10x matmul floor", f"{r:.2f}x", r <= 1.10)
    if mlp.COMPILED in m:
        limit = 1.10 if key == "W1" else 1.05
        r = m[mlp.COMPILED] / m[HAND]
        report.target(
            f"{key} {mlp.COMPILED} <= {limit:.2f}x numpy by hand", f"{r:.2f}x", r <= limit
        )


def run_chain(report: Report, sizes: list[int], repeats: int, n_threads: int, memory: bool) -> None:
    per_op = {}
    compiled = {}
    with threads(n_threads):
        for n in sizes:
            impls = small.chain_impls(n)
            # long chains take seconds per call: fewer samples, one warm-up
            reps = repeats if n <= 20_000 else max(3, repeats // 10)
            m = time_impls(
                report,
                f"W4 chain {n:,} ops, per op ({n_threads}t)",
                impls,
                reps,
                TOL[np.float64],
                per=n,
                warmup=3 if n <= 20_000 else 1,
            )
            per_op[n] = m[OURS]
            if mlp.COMPILED in m:
                compiled[n] = m[mlp.COMPILED] / m[HAND]
            if memory:
                for i in impls:
                    if i.name in (OURS, HAND):
                        peak = small.peak_bytes(i.step)
                        report.notes.append(
                            f"W4 {n:,} ops: {i.name} peak traced memory {peak / 2**20:.1f} MiB "
                            f"({peak / n:.0f} B per op)"
                        )
    for n, t in per_op.items():
        report.target(f"W4 {n:,} ops: <= 3 µs per recorded op", fmt_time(t), t <= 3e-6)
    for n, r in compiled.items():
        report.target(
            f"W4 {n:,} ops: {mlp.COMPILED} <= 1.5x numpy by hand per op", f"{r:.2f}x", r <= 1.5
        )
    if len(per_op) > 1:
        lo, hi = min(per_op), max(per_op)
        r = per_op[hi] / per_op[lo]
        report.target(f"W4 flat: per-op time {hi:,} vs {lo:,} ops (<= 1.3x)", f"{r:.2f}x", r <= 1.3)


def run_tiny(report: Report, repeats: int, n_threads: int) -> None:
    with threads(n_threads):
        m = time_impls(
            report,
            f"W5 (a*b + a).sum().backward() 8x8 ({n_threads}t)",
            small.tiny_impls(),
            repeats,
            TOL[np.float32],
        )
    report.target("W5 <= 12 µs", fmt_time(m[OURS]), m[OURS] <= 12e-6)
    if mlp.COMPILED in m:
        r = m[mlp.COMPILED] / m[HAND]
        report.target(f"W5 {mlp.COMPILED} <= 1.0x numpy by hand", f"{r:.2f}x", r <= 1.0)


def run_memory(report: Report, n_threads: int, steps: int) -> None:
    """Peak traced memory of one W2 step, and whether memory grows over many steps."""
    import tracemalloc

    spec = mlp.W2
    weights, x, y = mlp.problem(spec)
    peaks = {}
    with threads(n_threads):
        for make in (mlp.ours_raw_impl, mlp.ours_nn_impl, mlp.numpy_impl):
            impl = make(spec, weights, x, y)
            if impl.skip:
                continue
            for _ in range(3):
                impl.step()
            peaks[impl.name] = small.peak_bytes(impl.step)
        for name, peak in peaks.items():
            report.notes.append(
                f"MEM W2 step peak: {name} {peak / 2**20:.2f} MiB"
                f" ({peak / peaks[HAND]:.2f}x numpy by hand)"
            )
            if name != HAND:
                r = peak / peaks[HAND]
                report.target(f"MEM W2 step peak, {name} <= 1.2x by hand", f"{r:.2f}x", r <= 1.2)
        for make in (mlp.ours_raw_impl, mlp.ours_nn_impl):
            impl = make(spec, weights, x, y)
            if impl.skip:
                continue
            # Traced memory after every step; the growth is read over the second half, once
            # CPython's free lists (which tracemalloc counts as live) have filled up.
            gc.collect()
            tracemalloc.start()
            try:
                traced, objects = [], []
                for _ in range(steps):
                    impl.step()
                    traced.append(tracemalloc.get_traced_memory()[0])
                    if len(traced) in (steps // 2, steps):
                        objects.append(len(gc.get_objects()))
            finally:
                tracemalloc.stop()
            half = steps // 2
            grown = traced[-1] - traced[half - 1]
            more = objects[-1] - objects[0]
            report.notes.append(
                f"MEM {steps} W2 steps, {impl.name}: traced memory {traced[0] / 2**20:.2f} MiB "
                f"after step 1, {traced[half - 1] / 2**20:.2f} MiB after step {half}, "
                f"{traced[-1] / 2**20:.2f} MiB after step {steps}; gc-tracked objects from "
                f"step {half} to {steps}: {more:+d}"
            )
            report.target(
                f"MEM {impl.name}: flat over {steps} W2 steps (step {half} to {steps}: "
                f"< 64 KiB, no new objects)",
                f"{grown / 1024:+.1f} KiB, {more:+d} objects",
                grown < 64 * 1024 and more <= 0,
            )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the chosen workloads and print the report."""
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    ap.add_argument(
        "-w",
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated subset of " + ",".join(WORKLOADS),
    )
    ap.add_argument(
        "-r",
        "--repeats",
        type=int,
        default=41,
        help="interleaved samples per implementation (default 41)",
    )
    ap.add_argument("--threads-small", type=int, default=1, help="threads for W1, W4, W5")
    ap.add_argument("--threads-big", type=int, default=2, help="threads for W2, W3, MEM")
    ap.add_argument(
        "--chain-sizes", default="2000,20000,1000000", help="W4 chain lengths (comma-separated)"
    )
    ap.add_argument(
        "--no-chain-memory",
        action="store_true",
        help="skip the traced peak memory of the W4 chains (slow for 1M ops)",
    )
    ap.add_argument("--mem-steps", type=int, default=1000, help="W2 steps for the growth check")
    args = ap.parse_args(argv)
    chosen = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(chosen) - set(WORKLOADS))
    if unknown:
        ap.error(f"unknown workloads {unknown}; choose from {','.join(WORKLOADS)}")

    report = Report()
    steps: dict[str, Callable[[], None]] = {
        "W1": lambda: run_mlp(report, mlp.W1, args.repeats, args.threads_small),
        "W2": lambda: run_mlp(report, mlp.W2, args.repeats, args.threads_big),
        "W3": lambda: run_mlp(report, mlp.W3, max(5, args.repeats // 2), args.threads_big),
        "W4": lambda: run_chain(
            report,
            [int(s) for s in args.chain_sizes.split(",")],
            args.repeats,
            args.threads_small,
            not args.no_chain_memory,
        ),
        "W5": lambda: run_tiny(report, args.repeats, args.threads_small),
        "MEM": lambda: run_memory(report, args.threads_big, args.mem_steps),
    }
    for w in chosen:
        print(f"running {w} ...", file=sys.stderr, flush=True)
        steps[w]()

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs; BLAS: {blas_info()}\n"
    )
    print(
        "| Workload | Implementation | Median | IQR (p25 - p75) | x numpy by hand | x PyTorch "
        "| x matmul floor | agreement (rel. err) | samples |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(report.rows))
    if report.notes:
        print()
        print("\n".join(f"- {n}" for n in report.notes))
    if report.targets:
        print("\n| Target | Measured | Met |\n|---|---|---|")
        for what, measured, met in report.targets:
            print(f"| {what} | {measured} | {'yes' if met else 'NO'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
