"""W4 (a long chain of recorded elementwise ops) and W5 (the overhead of a tiny graph).

W4 pushes a vector of 100 float64 values through ``x = x * a`` then ``x = x + b``, repeated,
and back: its time per recorded op shows the engine's per-op cost and whether it grows with
the graph (it must not). W5 is ``(a * b + a).sum().backward()`` on 8x8 float32 tensors.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .mlp import COMPILED, Impl

CHAIN_WIDTH = 100
#: the longest chain the compiled rows trace (the program is one generated function)
COMPILED_MAX_OPS = 20_000


def chain_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start vector, multipliers close to 1 and small offsets, so a million ops stay finite."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(CHAIN_WIDTH)
    a = 1.0 + rng.uniform(-1e-4, 1e-4, CHAIN_WIDTH)
    b = rng.uniform(-1e-5, 1e-5, CHAIN_WIDTH)
    return v, a, b


def chain_impls(n_ops: int) -> list[Impl]:
    """Each implementation runs the whole chain, forward and backward, and frees it."""
    v, a, b = chain_problem()
    half = n_ops // 2
    impls = []

    import autograd_core as ag

    at, bt = ag.Tensor(a), ag.Tensor(b)

    def ours() -> tuple[float, list]:
        x0 = ag.Tensor(v.copy(), requires_grad=True)
        x = x0
        for _ in range(half):
            x = x * at
            x = x + bt
        value = float(x.data.sum())
        x.backward(np.ones(CHAIN_WIDTH))
        return value, [x0.grad]

    impls.append(Impl("ours (autograd_core)", ours, ours))

    def chain(x0: ag.Tensor) -> ag.Tensor:
        x = x0
        for _ in range(half):
            x = x * at
            x = x + bt
        x.backward(ones)
        return x.sum()

    ones = np.ones(CHAIN_WIDTH)
    step = ag.compile(chain) if hasattr(ag, "compile") else None  # (older trees: no compiler)

    def compiled() -> tuple[float, list]:
        x0 = ag.Tensor(v.copy(), requires_grad=True)
        value = float(step(x0).data)
        return value, [x0.grad]

    if step is None:
        impls.append(Impl(COMPILED, skip="this tree has no ag.compile"))
    elif n_ops <= COMPILED_MAX_OPS:
        impls.append(Impl(COMPILED, compiled, compiled))
    else:
        impls.append(Impl(COMPILED, skip=f"chains over {COMPILED_MAX_OPS:,} ops are not compiled"))

    def by_hand() -> tuple[float, list]:
        x = v.copy()
        tape = []  # what each multiply's backward needs
        for _ in range(half):
            tape.append(a)
            x = x * a
            x = x + b
        value = float(x.sum())
        g = np.ones(CHAIN_WIDTH)
        for saved in reversed(tape):
            g = g * saved
        return value, [g]

    impls.append(Impl("numpy by hand", by_hand, by_hand))
    impls.append(_torch_chain(v, a, b, half))
    return impls


def _torch_chain(v: np.ndarray, a: np.ndarray, b: np.ndarray, half: int) -> Impl:
    try:
        import torch
    except ImportError:
        return Impl("PyTorch", skip="torch not installed")
    at, bt = torch.from_numpy(a), torch.from_numpy(b)

    def run() -> tuple[float, list]:
        x0 = torch.tensor(v, requires_grad=True)
        x = x0
        for _ in range(half):
            x = x * at
            x = x + bt
        value = float(x.detach().sum())
        x.backward(torch.ones(CHAIN_WIDTH, dtype=torch.float64))
        return value, [x0.grad.numpy()]

    return Impl(f"PyTorch {torch.__version__}", run, run)


def tiny_impls() -> list[Impl]:
    """W5: ``(a * b + a).sum().backward()`` on 8x8 float32 in each implementation."""
    rng = np.random.default_rng(0)
    a0 = rng.standard_normal((8, 8)).astype(np.float32)
    b0 = rng.standard_normal((8, 8)).astype(np.float32)
    import autograd_core as ag

    a, b = ag.Tensor(a0.copy(), requires_grad=True), ag.Tensor(b0.copy(), requires_grad=True)

    def ours() -> tuple[float, list]:
        a.grad = b.grad = None
        out = (a * b + a).sum()
        out.backward()
        return float(out.data), [a.grad, b.grad]

    def tiny(x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        out = (x * y + x).sum()
        out.backward()
        return out

    step = ag.compile(tiny) if hasattr(ag, "compile") else None  # (older trees: no compiler)
    ca, cb = ag.Tensor(a0.copy(), requires_grad=True), ag.Tensor(b0.copy(), requires_grad=True)

    def compiled() -> tuple[float, list]:
        ca.grad = cb.grad = None
        out = step(ca, cb)
        return float(out.data), [ca.grad, cb.grad]

    def by_hand() -> tuple[float, list]:
        s = (a0 * b0 + a0).sum()
        g = np.ones((8, 8), np.float32)  # d sum / d (a*b + a)
        ga = g * b0 + g
        gb = g * a0
        return float(s), [ga, gb]

    impls = [
        Impl("ours (autograd_core)", ours, ours),
        Impl(COMPILED, compiled, compiled)
        if step is not None
        else Impl(COMPILED, skip="this tree has no ag.compile"),
        Impl("numpy by hand", by_hand, by_hand),
    ]
    try:
        import torch
    except ImportError:
        impls.append(Impl("PyTorch", skip="torch not installed"))
        return impls
    ta = torch.tensor(a0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)

    def with_torch() -> tuple[float, list]:
        ta.grad = tb.grad = None
        out = (ta * tb + ta).sum()
        out.backward()
        return float(out.detach()), [ta.grad.numpy(), tb.grad.numpy()]

    impls.append(Impl(f"PyTorch {torch.__version__}", with_torch, with_torch))
    return impls


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak of the memory traced by tracemalloc while ``fn`` runs, above what was live before."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
