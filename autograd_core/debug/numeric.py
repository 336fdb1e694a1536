"""What ``gradcheck`` and ``check_manual_grad`` share: central differences, and reading the
pattern of a disagreement between a gradient and the true one (a constant factor, a sign,
a transpose, a few elements).

Each tool words the pattern for its own reader: ``gradcheck`` speaks of the analytic and the
numeric gradient, ``check_manual_grad`` of "your" gradient and the true one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

# --- central differences ----------------------------------------------------------------------


@dataclass
class Diffs:
    """Central and one-sided differences of one scalar projection, per element."""

    central: np.ndarray
    left: np.ndarray
    right: np.ndarray
    noise: np.ndarray  # rounding noise of the differences, from the size of the terms


def differences(
    outputs: Callable[[], np.ndarray],
    x: np.ndarray,
    step: Any,
    v: np.ndarray,
    o0: np.ndarray,
    out_eps: float | None,
) -> Diffs:
    """Perturb each element of ``x`` (in place, then restored) by ±step and difference the
    flat float64 vector ``outputs()``, projected on ``v``.

    Outputs are differenced before they are weighted and summed, so outputs that do not move
    cancel exactly. ``out_eps`` (the outputs' machine epsilon) sets a noise floor from the
    rounding of the outputs; None means no floor (the strict top-level check).
    """
    central = np.empty(x.shape)
    left = np.empty(x.shape)
    right = np.empty(x.shape)
    noise = np.zeros(x.shape)
    flat = x.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("differences needs a C-contiguous array to perturb in place")
    steps = np.broadcast_to(np.asarray(step, dtype=np.float64), x.shape).reshape(-1)
    size = float(np.abs(v) @ np.abs(o0)) if out_eps is not None else 0.0
    for j in range(flat.size):
        orig, h = flat[j], steps[j]
        flat[j] = orig + h
        plus = outputs()
        flat[j] = orig - h
        minus = outputs()
        flat[j] = orig
        central.flat[j] = v @ (plus - minus) / (2 * h)
        right.flat[j] = v @ (plus - o0) / h
        left.flat[j] = v @ (o0 - minus) / h
        if out_eps is not None:
            # NOTE: any output may have absorbed a change below its own rounding, not only
            # those that visibly moved, so the floor counts every output.
            noise.flat[j] = 4 * out_eps * size / h
    return Diffs(central, left, right, noise)


# --- the pattern of a disagreement ------------------------------------------------------------


@dataclass
class Pattern:
    """A recognisable kind of mistake in a gradient ``a`` compared with the true ``n``.

    ``kind`` is one of: ``"undefined"`` (the true value is not finite there), ``"zero"``
    (``a`` is zero everywhere), ``"transposed"`` (right values, last two axes swapped),
    ``"sign"`` (``a = -n``), ``"factor"`` (``a = factor * n`` everywhere), ``"one"`` (a single
    element wrong), ``"offset"`` (every wrong element off by the same ``offset``),
    ``"where_true_zero"`` / ``"where_yours_zero"`` (wrong exactly where the true gradient, or
    ``a``, is zero), ``"some"`` (some elements wrong, the rest right).
    """

    kind: str
    factor: float = 1.0
    offset: float = 0.0
    n_bad: int = 0
    n_total: int = 0


def find_pattern(
    a: np.ndarray,
    n: np.ndarray,
    bad: np.ndarray,
    tol: np.ndarray,
    flat: int,
    undefined: np.ndarray | None = None,
) -> Pattern | None:
    """The pattern of the disagreement between ``a`` and the true ``n`` (same shape), given
    the mask of ``bad`` elements, the tolerance per element and the worst element ``flat``;
    None when nothing is recognisable."""
    n_bad, total = int(bad.sum()), int(a.size)
    if undefined is not None and undefined.flat[flat]:
        return Pattern("undefined", n_bad=n_bad, n_total=total)
    if not np.any(a):
        return Pattern("zero", n_bad=n_bad, n_total=total)
    if a.ndim >= 2:
        t = np.swapaxes(a, -1, -2)
        if t.shape == n.shape and np.all(np.abs(t - n) <= tol):
            return Pattern("transposed", n_bad=n_bad, n_total=total)
    big = np.abs(n) > 10 * tol
    if big.sum() >= 2:
        ratio = a[big] / n[big]
        r = float(np.median(ratio))
        # a ratio of 1 means the large elements agree: the mistake is elsewhere
        if abs(r - 1.0) > 1e-3 and np.all(np.abs(ratio - r) <= 1e-3 * max(abs(r), 1e-3)):
            if abs(r + 1.0) < 1e-3:
                return Pattern("sign", -1.0, n_bad, total)
            return Pattern("factor", r, n_bad, total)
    diff = (a - n)[bad]
    if n_bad >= 2 and np.all(np.abs(diff - diff[0]) <= tol[bad]):
        return Pattern("offset", offset=float(diff[0]), n_bad=n_bad, n_total=total)
    if n_bad < total:
        if np.all((np.abs(n) <= tol)[bad]):
            return Pattern("where_true_zero", n_bad=n_bad, n_total=total)
        if np.all((a == 0)[bad]):
            return Pattern("where_yours_zero", n_bad=n_bad, n_total=total)
        return Pattern("one" if n_bad == 1 else "some", n_bad=n_bad, n_total=total)
    return None


def factor_meaning(r: float, sizes: Iterable[tuple[int, str]] = ()) -> str:
    """What a constant factor ``r`` between a gradient and the true one usually means:
    a factor 2 (a square, or the ½ of ½‖·‖²), or ``1/m`` (a mean over ``m`` examples).

    ``sizes`` are ``(m, "what m is")`` pairs, e.g. ``(6, "the length of axis 0 of z")``.
    """
    for m, what in sizes:
        if m >= 3 and abs(r - m) <= 1e-3 * m:
            return f"is a 1/{m} missing? ({m} is {what}: a mean over {m} elements)"
        if m >= 3 and abs(r * m - 1.0) <= 1e-3:
            return f"an extra 1/{m}, or a mean where the cost has a sum? ({m} is {what})"
    if abs(r - 2.0) <= 2e-3:
        return "a factor 2 too many (the ½ of a ½‖·‖² cost left out?)"
    if abs(r - 0.5) <= 1e-3:
        return "a factor 2 missing (d(x²)/dx = 2x?)"
    return ""
