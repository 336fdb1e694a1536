"""Interleaved timing, summary statistics and thread limits shared by every workload."""

from __future__ import annotations

import contextlib
import random
import statistics
import time
from typing import Callable, Iterator

# A sample is this long at least, so that timer resolution never matters for µs workloads.
_SAMPLE_S = 0.002


def calibrate(fn: Callable[[], object], budget_s: float = 0.05) -> int:
    """Calls per sample so that one sample lasts about ``_SAMPLE_S`` (also a warm-up)."""
    start = time.perf_counter()
    fn()
    if time.perf_counter() - start > _SAMPLE_S:  # a long call is one sample on its own
        return 1
    n, t = 0, 0.0
    start = time.perf_counter()
    while t < budget_s:
        fn()
        n += 1
        t = time.perf_counter() - start
    per_call = t / n
    return max(1, int(_SAMPLE_S / per_call))


def interleaved(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Seconds per call of each function, sampled ``repeats`` times in a shuffled order.

    Interleaving spreads the load of a shared machine evenly over the implementations, so the
    ratios between them stay meaningful even when the absolute times drift. The order is
    drawn afresh each round (seeded) so that no implementation always runs right after the
    same one: PyTorch's worker threads keep spinning for a while after its step, and would
    otherwise slow down whichever implementation always follows it.
    """
    inner = {name: calibrate(fn) for name, fn in fns.items()}
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    names = list(fns)
    samples: dict[str, list[float]] = {name: [] for name in names}
    perf = time.perf_counter
    order = random.Random(0)
    for _ in range(repeats):
        order.shuffle(names)
        for name in names:
            fn, n = fns[name], inner[name]
            t0 = perf()
            for _ in range(n):
                fn()
            samples[name].append((perf() - t0) / n)
    return samples


def summary(xs: list[float]) -> tuple[float, float, float]:
    """(median, first quartile, third quartile)."""
    if len(xs) < 2:
        return xs[0], xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return statistics.median(xs), q[0], q[2]


def fmt_time(s: float) -> str:
    """Seconds in the unit that reads best."""
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Limit BLAS (through threadpoolctl) and PyTorch to ``n`` threads inside the block."""
    torch = _torch()
    prev = torch.get_num_threads() if torch is not None else None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is in the bench extra
        limiter: contextlib.AbstractContextManager = contextlib.nullcontext()
    else:
        limiter = threadpool_limits(limits=n)
    with limiter:
        if torch is not None:
            torch.set_num_threads(n)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(prev)


def blas_info() -> str:
    """The BLAS library, its kernel (core type) and thread count, as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        return "threadpoolctl not installed"
    parts = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            parts.append(
                f"{info.get('internal_api')} {info.get('version')} "
                f"kernel={info.get('architecture')} threads={info.get('num_threads')}"
            )
    return "; ".join(parts) or "no BLAS found"


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch
