"""Gradient checking against central differences, and finding the operation that is wrong.

``gradcheck`` compares the analytic gradient of ``f`` with central differences in float64.
When they disagree, every node of the recorded graph is then checked on its own: its VJP
against finite differences of its own forward on the inputs it actually saw. A wrong backward
is blamed where it is, by name and by the line of user code that created it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..engine import gradients, node_vjp
from ..errors import GradcheckError
from ..grad_mode import enable_grad, no_grad
from ..graph import backward_order, is_plumbing, node_outputs
from ..tensor import Tensor, _make
from .anomaly import detect_anomaly, where_created
from .numeric import Diffs as _Diffs
from .numeric import Pattern, factor_meaning, find_pattern
from .numeric import differences as _differences

_F64 = np.dtype(np.float64)
# Tolerances at least this loose where a computation runs in a lower precision.
_DTYPE_TOLS = {np.dtype(np.float32): (1e-4, 1e-3), np.dtype(np.float16): (1e-2, 1e-2)}


# --- comparing two gradients ------------------------------------------------------------------


@dataclass
class Mismatch:
    """Where an analytic gradient and a numerical one disagree, for one input."""

    input_index: int
    shape: tuple
    dtype: np.dtype
    element: tuple
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    n_bad: int
    n_total: int
    atol: float
    rtol: float
    eps: float
    hint: str = ""
    pattern: Pattern | None = None  # the kind of mistake, when recognisable

    def value_line(self) -> str:
        """``analytic ...  numeric ...  abs err ... > atol ... + rtol ... * |numeric|``."""
        return (
            f"analytic {self.analytic:.6g}  numeric {self.numeric:.6g}  abs err "
            f"{self.abs_err:.2e} > atol {self.atol:g} + rtol {self.rtol:g} * |numeric|  "
            f"(rel err {_fmt_rel(self.rel_err)})"
        )


def _fmt_rel(r: float) -> str:
    return "inf" if not np.isfinite(r) else f"{r:.2e}"


def _axis_sizes(shape: tuple) -> list[tuple[int, str]]:
    """The input's axis lengths, for reading a constant factor as a missing 1/m."""
    out = [(int(k), f"the length of axis {i} of the input") for i, k in enumerate(shape)]
    if len(shape) > 1:
        out.append((int(np.prod(shape)), "the number of elements of the input"))
    return out


def _compare(
    index: int,
    x: np.ndarray,
    analytic: np.ndarray,
    d: _Diffs,
    eps: float,
    atol: float,
    rtol: float,
    allow_kinks: bool,
) -> tuple[Mismatch | None, np.ndarray]:
    """The worst disagreeing element (or None) and the mask of elements at a kink."""
    a = np.asarray(analytic, dtype=np.float64).reshape(x.shape)
    n = d.central
    tol = atol + rtol * np.abs(n) + d.noise
    err = np.abs(a - n)
    bad = ~(err <= tol)  # NaN counts as bad
    # A kink (relu at 0, a tie in max): the one-sided slopes differ; any value between them
    # is a valid subgradient, so a rule returning one of them is not wrong.
    lo, hi = np.minimum(d.left, d.right), np.maximum(d.left, d.right)
    kink = (hi - lo > 2 * tol) & (a >= lo - 2 * tol) & (a <= hi + 2 * tol)
    undefined = ~np.isfinite(n)
    if allow_kinks:
        bad &= ~kink & ~undefined
    if not bad.any():
        return None, kink & ~(err <= tol)
    score = np.where(bad, np.nan_to_num(err / tol, nan=np.inf, posinf=np.inf), -1.0)
    flat = int(np.argmax(score))
    element = tuple(int(i) for i in np.unravel_index(flat, x.shape))
    av, nv = float(a.flat[flat]), float(n.flat[flat])
    m = Mismatch(
        index,
        tuple(x.shape),
        x.dtype,
        element,
        av,
        nv,
        abs(av - nv),
        abs(av - nv) / abs(nv) if nv != 0 else float("inf"),
        int(bad.sum()),
        int(x.size),
        atol,
        rtol,
        eps,
    )
    m.pattern = find_pattern(a, n, bad, tol, flat, undefined)
    m.hint = _hint(m.pattern, _axis_sizes(x.shape))
    if kink.flat[flat]:
        m.hint = (
            f"the one-sided slopes differ there ({float(d.left.flat[flat]):.6g} from the left, "
            f"{float(d.right.flat[flat]):.6g} from the right): a kink (relu at 0, a tie in "
            f"max) or a curve too sharp for eps {eps:g}; move the input away from it"
        )
    return m, kink & ~(err <= tol)


def _hint(pattern: Pattern | None, sizes: list) -> str:
    """A short guess at the kind of mistake, in gradcheck's words."""
    kind = pattern.kind if pattern is not None else ""
    if kind == "undefined":
        return "the numerical derivative is not finite there (the function is undefined at x ± eps)"
    if kind == "zero":
        return "the analytic gradient is zero everywhere: the backward returned None or zeros"
    if kind == "transposed":
        return "the values are right but transposed (the last two axes are swapped)"
    if kind == "sign":
        return "analytic = -numeric at every element: the sign is flipped"
    if kind == "factor" and pattern is not None:
        r = pattern.factor
        meaning = factor_meaning(r, sizes)
        text = f"analytic = {r:.4g} x numeric at every element: a constant factor is wrong"
        return f"{text}; {meaning}" if meaning else text
    if pattern is not None and pattern.n_bad == 1 and pattern.n_total > 1:
        return "only this element is wrong; all the others agree"
    return ""


# --- the report -------------------------------------------------------------------------------


@dataclass
class NodeFault:
    """A recorded operation whose backward disagrees with finite differences of its forward."""

    node: Any
    position: int
    n_nodes: int
    created_at: str | None
    mismatches: list
    ok_inputs: list

    @property
    def name(self) -> str:
        """The op's name (a custom Function's class name)."""
        return self.node.name

    def lines(self) -> list[str]:
        """The readable description, a few lines."""
        kind = "custom Function " if self.node.ctx is not None else ""
        out = [
            f"wrong backward: {kind}{self.name}, node {self.position} of {self.n_nodes} in "
            f"backward order"
        ]
        if self.created_at:
            out.append(f"  created at {self.created_at}")
        for m in self.mismatches:
            out.append(
                f"  its input {m.input_index} (shape {m.shape}, {m.dtype}): {m.n_bad} of "
                f"{m.n_total} elements wrong; worst {m.element}: analytic {m.analytic:.6g}  "
                f"numeric {m.numeric:.6g}  rel err {_fmt_rel(m.rel_err)}"
            )
            if m.hint:
                out.append(f"    {m.hint}")
        if self.ok_inputs:
            ok = ", ".join(str(i) for i in self.ok_inputs)
            out.append(f"  its input{'s' if len(self.ok_inputs) > 1 else ''} {ok}: correct")
        return out


@dataclass
class GradcheckReport:
    """The result of ``gradcheck``: truthy when every gradient agrees.

    ``failures`` holds one ``Mismatch`` per disagreeing input, ``faults`` the recorded
    operations whose own backward is wrong, ``node`` the first of them (or None) and
    ``output`` the checked output Tensor (its graph kept, so it can be drawn).
    """

    name: str
    ok: bool
    output: Any
    inputs: tuple
    eps: float
    atol: float
    rtol: float
    failures: list = field(default_factory=list)
    faults: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    max_abs_err: float = 0.0
    n_elements: int = 0
    only_kinks: bool = False
    unchecked: list = field(default_factory=list)
    low_precision: str = ""  # the first node computing below float64, when there is one

    def __bool__(self) -> bool:
        return self.ok

    @property
    def node(self) -> Any:
        """The first recorded node (in backward order) whose backward is wrong, else None."""
        return self.faults[0].node if self.faults else None

    @property
    def message(self) -> str:
        """The report as a few readable lines."""
        if not self.failures and not self.ok:
            lines = [
                f"gradcheck failed for {self.name}: the gradients of the whole function agree "
                f"with central differences, but a recorded operation's backward does not, for "
                f"a random incoming gradient (f ends in a reduction such as .sum(), whose "
                f"incoming gradient, all ones, hides a backward that ignores or mis-scales it)"
            ]
            for fault in self.faults:
                lines += [f"  {s}" for s in fault.lines()]
            return "\n".join(lines + [f"  {n}" for n in self.notes])
        if self.ok:
            lines = [
                f"gradcheck passed for {self.name}: {len(self.inputs)} input(s), "
                f"{self.n_elements} elements, max abs err {self.max_abs_err:.2e} (checked in "
                f"float64, eps {self.eps:g}, atol {self.atol:g}, rtol {self.rtol:g})"
            ]
            return "\n".join(lines + [f"  {n}" for n in self.notes])
        first = self.failures[0]
        lines = [
            f"gradcheck failed for {self.name}: input {first.input_index}, element {first.element}",
            f"  {first.value_line()}",
        ]
        for m in self.failures:
            checked = "" if m.dtype == _F64 else " (checked in float64)"
            lines.append(
                f"  input {m.input_index}: shape {m.shape}, dtype {m.dtype}{checked}, eps "
                f"{m.eps:g}; {m.n_bad} of {m.n_total} elements disagree"
            )
            if m is not first:
                lines.append(f"    worst {m.element}: {m.value_line()}")
            if m.hint:
                lines.append(f"    {m.hint}")
        for fault in self.faults:
            lines += [f"  {s}" for s in fault.lines()]
        if not self.faults and self.low_precision:
            lines.append(
                f"  every recorded operation's backward agrees with finite differences of its "
                f"own forward; part of the graph computes in lower precision "
                f"({self.low_precision}), and its rounding is too coarse for eps {self.eps:g}: "
                f"compute it in float64 to check it"
            )
        elif not self.faults:
            lines.append(
                "  every recorded operation's backward agrees with finite differences of its "
                "own forward, so the mismatch comes from outside the recorded graph: f reads "
                ".data or .numpy(), calls numpy directly, uses detach() or no_grad(), or is "
                "not differentiable at this point"
            )
        lines += [f"  not checked on its own: {u}" for u in self.unchecked]
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def draw(self, **kwargs: Any) -> Any:
        """The checked graph drawn with the faulty node highlighted (``draw_graph``)."""
        from ..viz import draw_graph

        highlight = [f.node for f in self.faults]
        return draw_graph(self.output, highlight=highlight, **kwargs)


# --- checking each recorded node on its own ---------------------------------------------------


def _node_tolerances(dtypes: list, eps: float, atol: float, rtol: float) -> tuple:
    """(eps, atol, rtol) loosened to the lowest precision among ``dtypes``."""
    for dt in dtypes:
        if dt in _DTYPE_TOLS:
            a, r = _DTYPE_TOLS[dt]
            atol, rtol = max(atol, a), max(rtol, r)
            eps = max(eps, float(np.cbrt(np.finfo(dt).eps)))
    return eps, atol, rtol


def _check_node(
    node: Any,
    position: int,
    n_nodes: int,
    eps: float,
    atol: float,
    rtol: float,
    rng: np.random.Generator,
) -> NodeFault | str | None:
    """A NodeFault if ``node``'s backward disagrees with its forward; a string when the node
    cannot be checked; None when it is right."""
    checked = [
        i for i, x in enumerate(node.inputs) if x is not None and x._rg and x.dtype.kind == "f"
    ]
    if not checked or node.released:
        return None
    # C-ordered float64 copies: _differences perturbs them in place through a flat view
    arrays = [
        np.array(x.data, dtype=np.float64, order="C") if x.dtype.kind == "f" else x.data
        for x in node.inputs
    ]
    outs = node_outputs(node)
    vs = [
        np.asarray(rng.standard_normal(o.shape), dtype=o.dtype)
        if o.dtype.kind == "f"
        else np.zeros(o.shape, dtype=o.dtype)
        for o in outs
    ]
    v64 = [v.astype(np.float64) for v in vs]  # before the call: a backward may write to grad
    try:
        analytic = node_vjp(node, tuple(v.copy() for v in vs))
        with np.errstate(all="ignore"):
            base = node.op.rerun(node, arrays)
    except Exception as e:  # noqa: BLE001 - reported, never blamed
        return f"{node.name} (node {position}): {type(e).__name__}: {e}"
    lowp = [x.dtype for x in node.inputs if x is not None] + [o.dtype for o in outs]
    eps, atol, rtol = _node_tolerances(lowp + [b.dtype for b in base], eps, atol, rtol)

    v_flat = np.concatenate([v.reshape(-1) for v in v64])
    out_eps = max(float(np.finfo(b.dtype).eps) if b.dtype.kind == "f" else 0.0 for b in base)

    def flat(res: tuple) -> np.ndarray:
        return np.concatenate([np.asarray(r, dtype=np.float64).reshape(-1) for r in res])

    def outputs() -> np.ndarray:
        with np.errstate(all="ignore"):
            return flat(node.op.rerun(node, arrays))

    o0 = flat(base)
    if not np.array_equal(outputs(), o0, equal_nan=True):
        # dropout and the like: finite differences of a random forward mean nothing
        return f"{node.name} (node {position}): its forward is not deterministic"
    mismatches, ok_inputs = [], []
    for i in checked:
        if analytic[i] is None:
            analytic[i] = np.zeros(arrays[i].shape)
        m = None
        # The step grows with |x|, so that a large input still moves a float32 output.
        scale = np.maximum(1.0, np.abs(arrays[i]))
        # NOTE: blame only what also disagrees with a 10x smaller step, so that a sharp
        # curve (log near 0) is not mistaken for a wrong rule.
        for step in (eps, eps / 10):
            d = _differences(outputs, arrays[i], step * scale, v_flat, o0, out_eps)
            m, _ = _compare(i, arrays[i], analytic[i], d, step, atol, rtol, allow_kinks=True)
            if m is None:
                break
        if m is None:
            ok_inputs.append(i)
        else:
            m.dtype = node.inputs[i].dtype
            mismatches.append(m)
    if not mismatches:
        return None
    return NodeFault(node, position, n_nodes, _created(node), mismatches, ok_inputs)


def _low_precision_node(out: Tensor) -> str:
    """``'astype' (node 3 of 7) gives float32`` for the first node computing below float64."""
    if out._node is None:
        return ""
    order = [n for n in backward_order(out._node) if not is_plumbing(n)]
    for k, node in enumerate(order, start=1):
        if node.dtype in _DTYPE_TOLS:
            return f"'{node.name}' (node {k} of {len(order)}) gives {node.dtype}"
    return ""


def _created(node: Any) -> str | None:
    return where_created(node) if node.trace is not None else None


def _user_written(node: Any) -> bool:
    """True for a custom Function's node, or an op defined outside the library."""
    if node.ctx is not None:
        return True
    module = getattr(node.op.forward, "__module__", None) or ""
    return module != "autograd_core" and not module.startswith("autograd_core.")


def _find_faults(
    out: Tensor, eps: float, atol: float, rtol: float, only: Callable | None = None
) -> tuple[list, list]:
    """Check every node of ``out``'s graph (those ``only`` accepts, when given); returns
    (faults, nodes that could not be checked)."""
    if out._node is None:
        return [], []
    order = [n for n in backward_order(out._node) if not is_plumbing(n)]
    rng = np.random.default_rng(1234)
    faults, unchecked = [], []
    for k, node in enumerate(order, start=1):
        if not getattr(node.op, "differentiable", True):
            continue
        if only is not None and not only(node):
            continue
        res = _check_node(node, k, len(order), eps, atol, rtol, rng)
        if isinstance(res, NodeFault):
            faults.append(res)
        elif isinstance(res, str):
            unchecked.append(res)
    return faults, unchecked


# --- gradcheck --------------------------------------------------------------------------------


def _fname(f: Any) -> str:
    owner = getattr(f, "__self__", None)
    if isinstance(owner, type):
        return owner.__name__  # Function.apply: the class name
    if isinstance(f, functools.partial):
        return _fname(f.func)
    return getattr(f, "__name__", None) or getattr(f, "name", None) or type(f).__name__


def _prepare(inputs: Any) -> tuple[list, list, list]:
    """float64 copies of the float Tensor inputs; which of them are differentiated; and the
    original dtypes."""
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)):
        inputs = (inputs,)
    float_in = [isinstance(a, Tensor) and a.dtype.kind == "f" for a in inputs]
    # Inputs given without requires_grad: differentiate every float Tensor.
    any_rg = any(isinstance(a, Tensor) and a.requires_grad for a in inputs)
    args, diff, dtypes = [], [], []
    for a, is_float in zip(inputs, float_in, strict=True):
        if is_float:
            d = a.requires_grad or not any_rg
            data = np.array(a.data, dtype=np.float64, order="C")  # a copy, perturbed in place
            args.append(Tensor(data, requires_grad=d))
            diff.append(d)
            dtypes.append(a.dtype)
        else:
            args.append(a)
            diff.append(False)
            dtypes.append(None)
    if not any(diff):
        raise ValueError(
            "gradcheck: no floating-point Tensor among the inputs to differentiate. Received "
            f"types {[type(a).__name__ for a in inputs]}"
        )
    return args, diff, dtypes


def _call(f: Callable, args: list, name: str) -> Tensor:
    out = f(*args)
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, Tensor) for o in out):
        # several outputs: check them together, as one flat vector
        from ..ops.shape import concatenate

        parts = [o.reshape(-1) for o in out if o.dtype.kind == "f"]
        if parts:
            out = concatenate(parts) if len(parts) > 1 else parts[0]
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: {name} must return a Tensor. Received {type(out).__name__}")
    if out.dtype.kind != "f":
        raise TypeError(
            f"gradcheck: {name} returned a {out.dtype} Tensor (shape {out.shape}), which has no "
            f"gradient; return a floating-point Tensor"
        )
    return out


def _upstream(out: Tensor) -> np.ndarray:
    # A fixed random direction for a non-scalar output checks the whole vector-Jacobian
    # product at once; a fixed seed keeps reports reproducible.
    if out.size == 1:
        return np.ones(out.shape, dtype=out.dtype)
    return np.asarray(np.random.default_rng(0).standard_normal(out.shape), dtype=out.dtype)


def _analytic(out: Tensor, diff_args: list, u: np.ndarray) -> list:
    if not out.requires_grad:
        return [np.zeros(x.shape) for x in diff_args]
    gs = gradients(out, diff_args, grad_output=u, retain_graph=True, allow_unused=True)
    return [
        np.zeros(x.shape) if g is None else np.asarray(g.data if isinstance(g, Tensor) else g)
        for x, g in zip(diff_args, gs, strict=True)
    ]


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Compare the analytic gradients of ``f(*inputs)`` with central differences in float64.

    ``f`` returns a Tensor (or a tuple of Tensors, checked together). Every float input that
    requires grad is checked (every float input, when none does); a non-scalar output is
    checked through a fixed random vector-Jacobian product. Returns a report that is truthy
    when all agree; on disagreement raises ``GradcheckError`` (or returns the failing report
    with ``raise_exception=False``) naming the input, the element, both values and the
    recorded operation whose backward is wrong.
    """
    return _gradcheck(f, inputs, eps, atol, rtol, raise_exception, _fname(f), record=False)


def _gradcheck(
    f: Callable,
    inputs: Any,
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
    name: str,
    record: bool,
    allow_kinks: bool = False,
    find_faults: bool = True,
) -> GradcheckReport:
    args, diff, dtypes = _prepare(inputs)
    diff_idx = [i for i, d in enumerate(diff) if d]
    with enable_grad(), detect_anomaly(check_nan=False):  # records where each op was made
        out = _call(f, args, name)
    notes: list[str] = []
    if out.dtype != _F64:
        # f computes in a lower precision inside: differences at eps 1e-6 would be noise
        eps, atol, rtol = _node_tolerances([out.dtype], eps, atol, rtol)
        notes.append(
            f"precision: {name} returned {out.dtype} for float64 inputs (it computes in "
            f"{out.dtype} inside), so eps is {eps:.2g}, atol {atol:g} and rtol {rtol:g}"
        )
    u = _upstream(out)
    analytic = _analytic(out, [args[i] for i in diff_idx], u)
    u_flat = u.astype(np.float64).reshape(-1)

    def outputs() -> np.ndarray:
        with np.errstate(all="ignore"), enable_grad() if record else no_grad():
            # a copy: f may return an input itself, whose array is being perturbed in place
            return np.array(_call(f, args, name).data, dtype=np.float64).reshape(-1)

    o0 = np.asarray(out.data, dtype=np.float64).reshape(-1)
    report = GradcheckReport(name, True, out, tuple(args), eps, atol, rtol, notes=notes)
    kinks_only = True
    for i, a in zip(diff_idx, analytic, strict=True):
        x = args[i].data
        d = _differences(outputs, x, eps, u_flat, o0, None)
        m, kink = _compare(i, x, a, d, eps, atol, rtol, allow_kinks)
        report.n_elements += x.size
        err = np.abs(a.reshape(x.shape) - d.central)
        report.max_abs_err = max(report.max_abs_err, float(np.nanmax(err, initial=0.0)))
        if m is not None:
            m.dtype = dtypes[i]
            report.failures.append(m)
            bad = ~(err <= atol + rtol * np.abs(d.central))
            kinks_only &= bool(np.all(kink[bad]))
    report.notes += _precision_notes(f, args, diff_idx, dtypes, analytic, name, report)
    if not report.failures and find_faults and not record:
        # NOTE: with f ending in .sum() every node's incoming gradient is all ones, which a
        # backward that ignores or mis-scales it passes; each user-written node (custom
        # Functions, ops defined outside the library) is therefore also checked on its own,
        # with a random incoming gradient. The library's ops have their own tests.
        faults, _ = _find_faults(out, eps, atol, rtol, only=_user_written)
        if faults:
            report.ok = False
            report.faults = faults
            if raise_exception:
                raise GradcheckError(report.message, report)
    if report.failures:
        report.ok = False
        report.only_kinks = kinks_only
        report.low_precision = _low_precision_node(out)
        if find_faults:
            report.faults, report.unchecked = _find_faults(out, eps, atol, rtol)
        if raise_exception:
            raise GradcheckError(report.message, report)
    return report


def _precision_notes(
    f: Callable,
    args: list,
    diff_idx: list,
    dtypes: list,
    analytic64: list,
    name: str,
    report: GradcheckReport,
) -> list[str]:
    """For inputs given in a lower precision: is the gradient computed in that precision
    within its rounding of the float64 result, or does the computation lose precision?"""
    low = sorted({str(dtypes[i]) for i in diff_idx if dtypes[i] != _F64})
    if not low:
        return []
    orig = list(args)
    for i in diff_idx:
        orig[i] = Tensor(args[i].data.astype(dtypes[i]), requires_grad=True)
    with enable_grad():
        out = _call(f, orig, name)
    a_low = _analytic(out, [orig[i] for i in diff_idx], _upstream(out).astype(out.dtype))
    worst, where, tol_used = 0.0, None, None
    for i, al, a64 in zip(diff_idx, a_low, analytic64, strict=True):
        atol, rtol = _DTYPE_TOLS.get(dtypes[i], (1e-4, 1e-3))
        excess = np.abs(al.astype(np.float64) - a64) / (atol + rtol * np.abs(a64))
        k = int(np.argmax(excess)) if excess.size else 0
        if excess.size and excess.flat[k] > worst:
            worst, tol_used = float(excess.flat[k]), (atol, rtol)
            where = (i, tuple(int(j) for j in np.unravel_index(k, excess.shape)))
    head = f"precision: inputs given as {', '.join(low)} were checked in float64"
    if where is None or worst <= 1.0:
        tol = tol_used or _DTYPE_TOLS.get(np.dtype(low[0]), (1e-4, 1e-3))
        verdict = "the float64 check passes"
        if report.failures:
            verdict = "the float64 check fails too" + (
                "" if _low_precision_node(report.output) else ": a real error, not rounding noise"
            )
        return [
            f"{head}; {verdict}",
            f"  the gradient computed in {low[0]} matches the float64 one within {low[0]} "
            f"rounding (atol {tol[0]:g}, rtol {tol[1]:g})",
        ]
    atol, rtol = tol_used or (0.0, 0.0)  # set: the check above returned otherwise
    state = "fails too: a real error" if report.failures else "passes"
    return [
        f"{head}; the float64 check {state}",
        f"  the gradient computed in {low[0]} is off by {worst:.3g}x the {low[0]} tolerance "
        f"(atol {atol:g}, rtol {rtol:g}) at input {where[0]}, element {where[1]}: more than "
        f"rounding; the computation loses precision in {low[0]} (cancellation, or a huge "
        f"intermediate)",
    ]


def gradgradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Check second derivatives: gradcheck of the (create_graph) gradient of ``f``.

    The checked function maps the inputs to the gradients of ``f`` (a fixed random
    vector-Jacobian product for a non-scalar output), flattened and joined; its own
    gradients are compared with central differences of those first derivatives.
    """
    name = _fname(f)

    def first_derivative(*args: Any) -> Tensor:
        from ..ops.shape import concatenate

        diff = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        with enable_grad():
            out = _call(f, list(args), name)
            if not out.requires_grad:
                return _make(np.zeros(sum(a.size for a in diff)))
            gs = gradients(
                out, diff, grad_output=_upstream(out), create_graph=True, allow_unused=True
            )
            parts = [
                (_make(np.zeros(a.shape, a.dtype)) if g is None else g).reshape(-1)
                for a, g in zip(diff, gs, strict=True)
            ]
            return concatenate(parts) if len(parts) > 1 else parts[0]

    return _gradcheck(
        first_derivative,
        inputs,
        eps,
        atol,
        rtol,
        raise_exception,
        f"gradient of {name}",
        record=True,
    )
