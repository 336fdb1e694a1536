"""Agreement checks: every implementation of a workload gives the same loss and gradients."""

from __future__ import annotations

import numpy as np


class Disagreement(AssertionError):
    """Two implementations of one workload computed different results."""


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference, relative to the largest magnitude of the reference."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-12)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale


def compare(results: dict[str, tuple[float, list]], reference: str, tol: float) -> dict[str, float]:
    """Worst relative error of each implementation against ``reference``; raises above ``tol``."""
    ref_loss, ref_grads = results[reference]
    worst = {}
    for name, (loss, grads) in results.items():
        if name == reference:
            continue
        errs = [rel_err(np.float64(loss), np.float64(ref_loss))]
        if len(grads) != len(ref_grads):
            raise Disagreement(f"{name}: {len(grads)} gradients, {reference}: {len(ref_grads)}")
        errs += [rel_err(g, r) for g, r in zip(grads, ref_grads, strict=True)]
        worst[name] = max(errs)
        if not worst[name] <= tol:
            k = int(np.argmax(errs))
            what = "loss" if k == 0 else f"gradient {k - 1}"
            raise Disagreement(
                f"{name} disagrees with {reference} on the {what}: relative error "
                f"{errs[k]:.2e} > {tol:.0e}"
            )
    return worst
