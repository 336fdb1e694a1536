"""Checking a gradient derived by hand: ``check_manual_grad(f, manual_grad, inputs)``.

A student writes the loss ``f`` with Tensors and the gradient worked out on paper with numpy;
the check compares it with ``backward`` and with central differences (float64) and says, in
words, which input and element differ, the three values, by how much, and what kind of
mistake the pattern suggests (a missing 1/m, a factor 2, a sign, a transpose, a few
elements). The differences and the patterns are gradcheck's own (``numeric.py``).
"""

from __future__ import annotations

import html
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ManualGradError
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .gradcheck import Mismatch, _analytic, _call, _compare, _fname, _prepare
from .numeric import Pattern, differences, factor_meaning

__all__ = ["check_manual_grad", "ManualGradReport", "InputCheck"]


@dataclass
class InputCheck:
    """The verdict on one input: your gradient against backward and finite differences."""

    name: str
    index: int
    shape: tuple
    ok: bool
    yours: np.ndarray | None  # None: no gradient given for this input (not checked)
    backward: np.ndarray
    numeric: np.ndarray
    element: tuple | None = None  # the worst element where they differ
    n_bad: int = 0
    problem: str = ""  # what is wrong, in one line
    hint: str = ""  # what the pattern suggests
    max_rel: float = 0.0  # largest relative difference between yours and finite differences

    def where(self) -> str:
        """``W[0, 1]`` for the worst element (``b`` for a scalar input)."""
        if self.element is None or self.element == ():
            return self.name
        return f"{self.name}[{', '.join(str(i) for i in self.element)}]"

    def lines(self) -> list[str]:
        """The readable verdict, a few lines."""
        if self.yours is None:
            return [f"  {self.name}: no gradient given, not checked"]
        if self.ok:
            return [
                f"  {self.name}: agrees ({_elements(self.shape)}, largest relative difference "
                f"{self.max_rel:.1e})"
            ]
        out = [f"  {self.name}: {self.problem}"]
        if self.element is not None and self.yours.shape == self.shape:
            k = self.element
            y, b, n = self.yours[k], self.backward[k], self.numeric[k]
            out += [
                f"      yours               {y:.6g}",
                f"      backward            {b:.6g}",
                f"      finite differences  {n:.6g}",
                f"      difference          {abs(y - n):.6g} ({_relative(y, n)})",
            ]
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return out


@dataclass
class ManualGradReport:
    """The result of ``check_manual_grad``: truthy when every hand-derived gradient agrees
    with ``backward`` and with finite differences. Print it, or show it in a notebook."""

    name: str
    ok: bool
    value: float  # f(*inputs)
    checks: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[InputCheck]:
        """The inputs whose gradients disagree."""
        return [c for c in self.checks if not c.ok]

    @property
    def message(self) -> str:
        """The report as a few readable lines."""
        if self.ok:
            head = f"✓ {self.name}: your gradient agrees with backward and with finite differences"
        else:
            bad = ", ".join(c.name for c in self.failures)
            head = f"✗ {self.name}: your gradient is wrong for {bad}"
        lines = [head]
        for c in self.checks:
            lines += c.lines()
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#2ca02c" if self.ok else "#d62728"
        return (
            f'<pre style="border-left: 4px solid {colour}; padding: 0.3em 0.8em; '
            f'white-space: pre-wrap">{html.escape(self.message)}</pre>'
        )


def _elements(shape: tuple) -> str:
    n = int(np.prod(shape)) if shape else 1
    return "1 element" if n == 1 else f"{n} elements"


def _relative(y: float, n: float) -> str:
    if n == 0:
        return "the true value is 0"
    r = abs(y - n) / abs(n)
    return f"{r:.0%} of the true value" if r >= 0.01 else f"{r:.2e} of the true value"


# --- wording the pattern for a student -------------------------------------------------------


def _pattern_hint(p: Pattern | None, sizes: list) -> str:
    if p is None:
        return ""
    k, n = p.n_bad, p.n_total
    if p.kind == "undefined":
        return "finite differences are not finite there: f is undefined next to this point"
    if p.kind == "zero":
        return "yours is zero everywhere"
    if p.kind == "transposed":
        return "the values are right but transposed (rows and columns swapped)"
    if p.kind == "sign":
        return (
            "yours = −(the true gradient) at every element: the sign is flipped (a minus lost "
            "in the chain rule?)"
        )
    if p.kind == "factor":
        text = f"yours = {p.factor:.4g} × the true gradient at every element"
        meaning = factor_meaning(p.factor, sizes)
        return f"{text}. {meaning[0].upper()}{meaning[1:]}" if meaning else f"{text}."
    some = "only this element is wrong" if k == 1 else f"only {k} of {n} elements are wrong"
    if p.kind == "offset":
        where = "every element is" if k == n else f"{some}, each"
        return (
            f"{where} off by the same {p.offset:+.4g}: a constant term too many or left out there"
        )
    if p.kind == "where_true_zero":
        return (
            f"{some}, where the true gradient is 0 (f is flat there: a relu for z < 0, a "
            f"clipped value?)"
        )
    if p.kind == "where_yours_zero":
        return f"{some}, where yours is 0 and the true gradient is not"
    return f"{some}; the others agree"


def _sizes(names: list[str], shapes: list[tuple]) -> list[tuple[int, str]]:
    """Axis lengths of every input, for reading a constant factor as a missing 1/m."""
    out = []
    for name, shape in zip(names, shapes, strict=True):
        out += [(int(k), f"the length of axis {i} of {name}") for i, k in enumerate(shape)]
        if len(shape) > 1:
            out.append((int(np.prod(shape)), f"the number of elements of {name}"))
    return out


def _shape_problem(yours: np.ndarray, shape: tuple, true: np.ndarray, tol: np.ndarray) -> tuple:
    """(problem, hint) for a gradient of the wrong shape, with what would make it right."""
    problem = f"yours has shape {yours.shape}, but the input has shape {shape}"

    def close(a: np.ndarray) -> bool:
        return a.shape == true.shape and bool(np.all(np.abs(a - true) <= tol))

    if yours.size == true.size and close(yours.reshape(shape)):
        return problem, f"the values are right: only the shape is wrong (.reshape{shape})"
    if yours.ndim == 2 and yours.T.shape == shape and close(yours.T):
        return problem, (
            "the values are right but transposed: take .T, or swap the factors of the product "
            "(xᵀ δ, not δᵀ x?)"
        )
    for axis in range(yours.ndim):
        for keep in (False, True):
            s = yours.sum(axis=axis, keepdims=keep)
            if s.shape == shape and close(s):
                return problem, (
                    f"summed over axis {axis} it is right: a parameter shared by every "
                    f"example collects the gradients of all of them (.sum(axis={axis}"
                    f"{', keepdims=True' if keep else ''}))"
                )
    return problem, ""


# --- the check ---------------------------------------------------------------------------------


def _as_inputs(inputs: Any) -> list:
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            out.append(x)
            continue
        a = np.asarray(x)
        out.append(Tensor(a.astype(np.float64)) if a.dtype.kind == "f" else x)
    return out


def _names(f: Callable, inputs: list, names: Sequence[str] | None) -> list[str]:
    if names is not None:
        if len(names) != len(inputs):
            raise ValueError(
                f"check_manual_grad: {len(names)} names for {len(inputs)} inputs. "
                f"Received: names={list(names)!r}"
            )
        return [str(n) for n in names]
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    out = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.name:
            out.append(x.name)
        elif i < len(positional):
            out.append(positional[i])
        else:
            out.append(f"input {i}")
    return out


def _manual_list(result: Any, n_inputs: int, diff_idx: list[int], fname: str) -> list:
    """Your gradients, one entry per input (None where none is given)."""
    if isinstance(result, Tensor):
        result = result.data
    if len(diff_idx) == 1 and not isinstance(result, tuple):
        result = (result,)  # one input: one array (a list of numbers is that array)
    if not isinstance(result, (tuple, list)):
        raise TypeError(
            f"check_manual_grad: {fname} has {len(diff_idx)} inputs to differentiate, so "
            f"manual_grad must return one gradient per input (a tuple). Received "
            f"{type(result).__name__}"
        )
    if len(result) == n_inputs:
        per_input = list(result)
    elif len(result) == len(diff_idx):
        per_input = [None] * n_inputs
        for i, g in zip(diff_idx, result, strict=True):
            per_input[i] = g
    else:
        raise ValueError(
            f"check_manual_grad: manual_grad returned {len(result)} gradients, but {fname} "
            f"has {n_inputs} inputs ({len(diff_idx)} to differentiate)"
        )
    return [
        None if g is None else np.asarray(g.data if isinstance(g, Tensor) else g, np.float64)
        for g in per_input
    ]


def check_manual_grad(
    f: Callable[..., Tensor],
    manual_grad: Callable[..., Any],
    inputs: Any,
    names: Sequence[str] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = False,
) -> ManualGradReport:
    """Check a gradient derived by hand against ``backward`` and central differences.

    Args:
        f: ``f(*inputs)`` computes a scalar Tensor (a loss) with Tensor operations.
        manual_grad: ``manual_grad(*arrays)`` gets the inputs as float64 numpy arrays and
            returns the hand-derived gradient: one array for one input, else one per input
            (``None`` for an input not to check).
        inputs: the point to check at: arrays, numbers or Tensors (one, or a list).
        names: what to call the inputs in the report (default: the Tensors' names, else the
            parameter names of ``f``).
        eps: the central-difference step, as ``gradcheck``'s.
        atol: the absolute tolerance, as ``gradcheck``'s.
        rtol: the relative tolerance, as ``gradcheck``'s.
        raise_exception: raise ``ManualGradError`` (an ``AssertionError``) on a mismatch.

    Returns:
        A ``ManualGradReport``: truthy when all agree; printed (or shown in a notebook) it
        says which input and element differ, the three values, by how much, and a hint.
    """
    tensors = _as_inputs(inputs)
    args, diff, _ = _prepare(tensors)
    diff_idx = [i for i, d in enumerate(diff) if d]
    fname = _fname(f)
    all_names = _names(f, tensors, names)
    with enable_grad():
        out = _call(f, args, fname)
    if out.size != 1:
        raise ValueError(
            f"check_manual_grad: {fname} must return a scalar (a loss). Received a Tensor of "
            f"shape {tuple(out.shape)}; sum or average it"
        )
    ones = np.ones(out.shape, dtype=out.dtype)
    backward = _analytic(out, [args[i] for i in diff_idx], ones)
    with no_grad():
        arrays = [a.data.copy() if isinstance(a, Tensor) else a for a in args]
        manual = _manual_list(manual_grad(*arrays), len(args), diff_idx, fname)

    def outputs() -> np.ndarray:
        with np.errstate(all="ignore"), no_grad():
            return np.asarray(_call(f, args, fname).data, dtype=np.float64).reshape(-1)

    o0 = np.asarray(out.data, dtype=np.float64).reshape(-1)
    sizes = _sizes(all_names, [tuple(np.shape(a)) for a in arrays])
    report = ManualGradReport(f"check_manual_grad({fname})", True, float(o0[0]))
    for i, bw in zip(diff_idx, backward, strict=True):
        x = args[i].data
        d = differences(outputs, x, eps, np.ones(1), o0, None)
        bw = bw.reshape(x.shape)
        check = InputCheck(all_names[i], i, tuple(x.shape), True, manual[i], bw, d.central.copy())
        report.checks.append(check)
        if manual[i] is None:
            continue
        _judge(check, manual[i], bw, x, d, eps, atol, rtol, sizes)
        report.ok &= check.ok
    for i, g in enumerate(manual):
        if g is not None and i not in diff_idx:
            report.notes.append(f"{all_names[i]} is not a float input: its gradient is ignored")
    if not report.ok and raise_exception:
        raise ManualGradError(report.message, report)
    return report


def _judge(
    c: InputCheck,
    yours: np.ndarray,
    bw: np.ndarray,
    x: np.ndarray,
    d: Any,
    eps: float,
    atol: float,
    rtol: float,
    sizes: list,
) -> None:
    """Fill in ``c``'s verdict: yours against finite differences, and backward against them."""
    tol = atol + rtol * np.abs(d.central) + d.noise
    engine: Mismatch | None = _compare(c.index, x, bw, d, eps, atol, rtol, True)[0]
    if yours.shape != x.shape:
        c.ok = False
        c.problem, c.hint = _shape_problem(yours, x.shape, d.central, tol)
        return
    with np.errstate(all="ignore"):
        rel = np.abs(yours - d.central) / np.maximum(np.abs(d.central), atol)
    c.max_rel = float(np.nanmax(rel, initial=0.0)) if np.isfinite(yours).all() else float("inf")
    mine = _compare(c.index, x, yours, d, eps, atol, rtol, True)[0]
    if mine is None:
        if engine is None:
            return
        c.ok = False
        c.element, c.n_bad = engine.element, engine.n_bad
        c.problem = (
            "yours agrees with finite differences, but backward does not: f leaves the "
            "recorded graph (.data, numpy) or an op's backward is wrong; gradcheck(f, inputs) "
            "names it"
        )
        return
    c.ok = False
    c.element, c.n_bad = mine.element, mine.n_bad
    total = int(x.size)
    c.problem = (
        f"{mine.n_bad} of {total} elements {'differs' if mine.n_bad == 1 else 'differ'}; the "
        f"largest difference is at {c.where()}"
        if total > 1
        else "yours differs"
    )
    if engine is not None and np.allclose(yours, bw, rtol=rtol, atol=atol):
        c.hint = (
            "yours agrees with backward, but finite differences disagree with both: f may "
            "have a kink or a jump here, or be too steep for eps; try another point"
        )
    elif not np.isfinite(yours[mine.element]):
        c.hint = "yours is not a finite number there (a division by zero, a log of 0?)"
    else:
        c.hint = _pattern_hint(mine.pattern, sizes)
