"""``ag.compile``: trace a function once, then replay the recorded numpy program.

A compiled function keeps a small cache of programs per signature (the arguments' shapes,
dtypes and kinds, the grad mode, the default dtype and the registered context readers, such
as nn's training scope). Each program carries the guards its trace depends on: the
parameters it read keep their shape, dtype and ``requires_grad``; the leaves it stored
gradients in had (or had not) a ``.grad`` before the call; a layer decided training mode
from its own flag. A call whose signature or guards match no program traces again.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import threading
from typing import Any, Callable

import numpy as np

from .. import dtypes as _dtypes
from ..dtypes import get_default_dtype
from ..errors import CompileError
from ..grad_mode import active_trace, checking_anomalies, recording, tracing
from ..tensor import Tensor, _make
from .codegen import Program, _identifier, generate
from .trace import Guard, Slot, Trace, _Const, watch_start, watch_stop

#: functions whose results a trace may depend on (nn's training scope, fused mode): their
#: values at call time are part of every compiled function's signature
_CONTEXT: list[Callable[[], Any]] = []

#: programs kept per signature (and per compiled function, signatures kept in all)
_PER_KEY = 4
_KEYS = 16


def register_context(reader: Callable[[], Any]) -> None:
    """Make ``reader()`` (a cheap, hashable state, such as a context variable's value) part
    of the signature every compiled function is looked up by."""
    if reader not in _CONTEXT:
        _CONTEXT.append(reader)


def _flatten(obj: Any, leaves: list) -> Any:
    """The structure of a pytree of tuples, lists and dicts; its leaves appended to
    ``leaves``."""
    t = type(obj)
    if t is tuple or t is list:
        return (t, tuple([_flatten(o, leaves) for o in obj]))
    if t is dict:
        keys = tuple(obj)
        return (dict, keys, tuple([_flatten(obj[k], leaves) for k in keys]))
    leaves.append(obj)
    return None


def _unflatten(spec: Any, leaves: Any) -> Any:
    if spec is None:
        return next(leaves)
    if spec[0] is dict:
        return {k: _unflatten(s, leaves) for k, s in zip(spec[1], spec[2], strict=True)}
    items = [_unflatten(s, leaves) for s in spec[1]]
    return tuple(items) if spec[0] is tuple else items


def _leaf_key(a: Any) -> Any:
    t = type(a)
    if t is np.ndarray:
        return (a.shape, a.dtype)
    if t is Tensor:
        return (a._data.shape, a._data.dtype, a._rg, a.grad is None)
    if isinstance(a, (bool, int, float, str, bytes, type(None), np.generic)):
        return (t, a)
    if isinstance(a, np.ndarray):
        return (a.shape, a.dtype)
    return (t, id(a))


class _Entry:
    """One traced program: its code, its guards and how to rebuild the result."""

    def __init__(
        self,
        program: Program,
        guard: Callable[[], bool],
        guards: list[Guard],
        out_spec: Any,
        out_kinds: list,
        fast: Callable[[tuple], bool] | None = None,
    ) -> None:
        self.program = program
        self.fn = program.fn
        self.guard = guard
        self.fast = fast  # the whole lookup for this entry, for a call like the last
        self.guards = guards
        self.out_spec = out_spec
        self.out_kinds = out_kinds
        self.single = out_spec is None and out_kinds == [Tensor]  # one Tensor returned
        self.calls = 0


class CompiledFunction:
    """``fn`` compiled: the first call (per signature) runs it eagerly and traces it, later
    calls replay the trace as plain numpy. See ``autograd_core.jit``."""

    def __init__(self, fn: Callable) -> None:
        if not callable(fn):
            raise TypeError(f"ag.compile expects a function. Received: {fn!r}")
        self.fn = fn
        functools.update_wrapper(self, fn)
        self._cache: dict[Any, list[_Entry]] = {}
        self._lock = threading.Lock()
        self._last: _Entry | None = None
        self.traces = 0  # how many times a call was traced
        try:
            self._params = [
                p.name
                for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        except (TypeError, ValueError):
            self._params = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if tracing() is not None:  # inside another function's trace: be part of it
            return self.fn(*args, **kwargs)
        # NOTE: a call like the last one (a training loop's) is checked by that entry's
        # generated `fast` function alone, which tests exactly what the key and the guards
        # below would; it took W5's compiled step from 1.25x to about 1.05x the numpy step.
        e = self._last
        if e is not None and e.fast is not None and not kwargs and e.fast(args):
            e.calls += 1
            if e.single:
                return _make(e.fn(*args)[0])
            return self._run(e, args)
        leaves: Any = args
        spec: Any = len(args)
        keys: list[Any] = []
        if not kwargs:  # the common case, arrays and tensors, without the general walk
            for a in args:
                t = type(a)
                if t is np.ndarray:
                    keys.append((a.shape, a.dtype))
                elif t is Tensor:
                    d = a._data
                    keys.append((d.shape, d.dtype, a._rg, a.grad is None))
                else:
                    break
            else:
                spec = -1
        if spec != -1:
            leaves = []
            spec = _flatten((args, kwargs), leaves) if kwargs else _flatten(args, leaves)
            keys = [_leaf_key(a) for a in leaves]
        key = (
            spec,
            tuple(keys),
            recording(),
            checking_anomalies(),
            get_default_dtype(),
            tuple([r() for r in _CONTEXT]),
        )
        entries = self._cache.get(key)
        if entries:
            for e in entries:
                if e.guard():
                    self._last = e
                    e.calls += 1
                    return self._run(e, leaves)
        return self._trace(key, leaves, args, kwargs)

    def _run(self, e: _Entry, leaves: Any) -> Any:
        outs = e.fn(*leaves)
        if e.single:
            return _make(outs[0])
        it = iter(outs)
        results = []
        for kind in e.out_kinds:
            if kind is Tensor:
                results.append(_make(next(it)))
            elif kind is np.ndarray:
                results.append(next(it))
            else:
                results.append(kind.value)
        return _unflatten(e.out_spec, iter(results))

    # --- tracing ----------------------------------------------------------------------------

    def _names(self, n: int, kwargs: dict) -> list[str]:
        names = list(self._params[:n])
        names += [f"arg{i}" for i in range(len(names), n)]
        return names

    def _trace(self, key: Any, leaves: Any, args: tuple, kwargs: dict) -> Any:
        tr = Trace()
        hints = self._leaf_names(args, kwargs, len(leaves))
        for k, leaf in enumerate(leaves):
            if isinstance(leaf, Tensor):
                if leaf._node is not None:
                    raise CompileError(
                        f"ag.compile: argument {hints[k]!r} is a tensor with a graph (computed "
                        f"by recorded operations); pass a leaf tensor (.detach()) or an array"
                    )
                tr.add_input(k, leaf, hints[k])
            elif isinstance(leaf, np.ndarray):
                tr.add_input(k, leaf, hints[k])
            else:
                tr.inputs.append(None)
        tr.watching = watch_start()
        token = active_trace.set(tr)
        try:
            result = self.fn(*args, **kwargs)
        finally:
            active_trace.reset(token)
            watch_stop()
        out_leaves: list = []
        out_spec = _flatten(result, out_leaves)
        outputs: list[Slot] = []
        kinds: list = []
        for leaf in out_leaves:
            if isinstance(leaf, Tensor):
                outputs.append(tr.ref(leaf))
                kinds.append(Tensor)
            elif isinstance(leaf, np.ndarray):
                s = tr.by_id.get(id(leaf))
                if s is None:
                    raise CompileError(
                        f"ag.compile: the function returned an array (shape {leaf.shape}, "
                        f"dtype {leaf.dtype}) computed outside the library's operations (plain "
                        f"numpy); its value would be frozen. Compute it with tensors"
                    )
                outputs.append(s)
                kinds.append(np.ndarray)
            else:
                kinds.append(_Const(leaf))
        for leaf_id, arr in tr.delivered.items():
            t = tr.tensors[leaf_id]
            if t.grad is not arr:
                raise CompileError(
                    f"ag.compile: the .grad of a tensor{f' ({t.name!r})' if t.name else ''} "
                    f"was changed by a plain assignment inside the function; the compiled "
                    f"program would not repeat it. Use the optimizer's or the model's "
                    f"zero_grad(), or clear gradients outside the function"
                )
        guards = list(tr.guards)
        for s in tr.slots:
            if s.kind == "live":
                guards.append(_live_guard(s))
        name = _identifier(getattr(self.fn, "__name__", None), "step")
        if name == "lambda":
            name = "step"
        header = [
            f"{name}: compiled by ag.compile, traced for inputs "
            + (
                ", ".join(f"{h} {_describe(a)}" for h, a in zip(hints, leaves, strict=True)) or "()"
            ),
        ]
        if guards:
            header.append("replayed while:")
            header.extend(f"  {g.text}" for g in guards)
        program = generate(tr, name, hints, outputs, header)
        fast = _fast_check(key, guards)
        entry = _Entry(program, _combine(guards), guards, out_spec, kinds, fast)
        with self._lock:
            self.traces += 1
            entries = self._cache.setdefault(key, [])
            entries.insert(0, entry)
            del entries[_PER_KEY:]
            while len(self._cache) > _KEYS:
                self._cache.pop(next(iter(self._cache)))
            self._last = entry
        return result

    def _leaf_names(self, args: tuple, kwargs: dict, n: int) -> list[str]:
        names: list[str] = []

        def walk(obj: Any, base: str) -> None:
            t = type(obj)
            if t is tuple or t is list:
                for i, o in enumerate(obj):
                    walk(o, f"{base}_{i}")
            elif t is dict:
                for k, o in obj.items():
                    walk(o, f"{base}_{k}")
            else:
                names.append(base)

        params = self._params
        for i, a in enumerate(args):
            walk(a, params[i] if i < len(params) else f"arg{i}")
        for k, a in kwargs.items():
            walk(a, k)
        return names

    # --- reading the program ----------------------------------------------------------------

    def _entry(self) -> _Entry:
        e = self._last
        if e is None:
            raise CompileError(
                "ag.compile: nothing traced yet; call the compiled function once first"
            )
        return e

    def source(self) -> str:
        """The last traced (or replayed) program as Python source: plain numpy code, forward,
        backward and update. ``exec(source, dict(namespace()))`` defines it again."""
        return self._entry().program.source

    def namespace(self) -> dict:
        """The names the source refers to (numpy, the tensors it reads, the optimizer, the
        helpers it calls), as a new dict."""
        return dict(self._entry().program.namespace)

    def clear(self) -> None:
        """Forget every traced program (the next call traces again)."""
        with self._lock:
            self._cache.clear()
            self._last = None

    def __repr__(self) -> str:
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)!s}, {self.traces} traces>"


def _describe(a: Any) -> str:
    if isinstance(a, (Tensor, np.ndarray)):
        return f"{a.dtype}{list(a.shape)}"
    return repr(a)[:30]


def _live_guard(s: Slot) -> Guard:
    t = s.source
    shape, dtype, rg = s.shape, s.dtype, bool(t._rg)
    label = t.name or f"a tensor {dtype}{list(shape)}"

    def check() -> bool:
        d = t._data
        return d.shape == shape and d.dtype == dtype and t._rg is rg

    return Guard(
        check,
        f"{label} keeps shape {shape}, {dtype}, requires_grad={rg}",
        "{0}._data.shape == {1} and {0}._data.dtype == {2} and {0}._rg is {3}",
        (t, shape, dtype, rg),
    )


def _guard_exprs(guards: list[Guard], ns: dict) -> list[str]:
    """Each guard as an expression over names bound in ``ns`` (a call of its check when it
    has no expression of its own)."""
    exprs = []
    for g in guards:
        if g.expr is None:
            name = f"_g{len(ns)}"
            ns[name] = g.check
            exprs.append(f"{name}()")
            continue
        names = []
        for obj in g.objs:
            name = f"_g{len(ns)}"
            ns[name] = obj
            names.append(name)
        exprs.append("(" + g.expr.format(*names) + ")")
    return exprs


def _combine(guards: list[Guard]) -> Callable[[], bool]:
    """The guards folded into one generated function: True while all of them hold."""
    ns: dict[str, Any] = {}
    exprs = _guard_exprs(guards, ns)
    source = "def guard():\n    return " + (" and ".join(exprs) or "True") + "\n"
    exec(builtins.compile(source, "<guards>", "exec"), ns)  # noqa: S102
    return ns["guard"]


def _fast_check(key: Any, guards: list[Guard]) -> Callable[[tuple], bool] | None:
    """For a signature of positional arrays and tensors only: one generated function of the
    call's ``args`` that is True exactly when the call's key equals ``key`` and every guard
    holds (the compiled function's path for a call like the last one). None otherwise."""
    spec, keys, rec, anomalies, dtype, context = key
    if spec != -1:
        return None
    ns: dict[str, Any] = {
        "Tensor": Tensor,
        "ndarray": np.ndarray,
        "recording": recording,
        "checking_anomalies": checking_anomalies,
        "_dtypes": _dtypes,
        "_CONTEXT": _CONTEXT,
    }

    def bind(obj: Any) -> str:
        name = f"_k{len(ns)}"
        ns[name] = obj
        return name

    n = len(keys)
    lines = ["def fast(args):", f"    if len(args) != {n}:", "        return False"]
    if n:
        lines.append("    " + ", ".join(f"a{i}" for i in range(n)) + ", = args")
    for i, k in enumerate(keys):
        a = f"a{i}"
        if len(k) == 2:  # an ndarray: (shape, dtype)
            lines.append(f"    if type({a}) is not ndarray:")
            lines.append("        return False")
            test = f"{a}.shape != {bind(k[0])} or {a}.dtype != {bind(k[1])}"
        else:  # a Tensor: (shape, dtype, requires_grad, grad is None)
            lines.append(f"    if type({a}) is not Tensor:")
            lines.append("        return False")
            lines.append(f"    d = {a}._data")
            test = (
                f"d.shape != {bind(k[0])} or d.dtype != {bind(k[1])} or {a}._rg != "
                f"{bind(k[2])} or ({a}.grad is None) != {bind(k[3])}"
            )
        lines.append(f"    if {test}:")
        lines.append("        return False")
    test = (
        f"recording() != {bind(rec)} or checking_anomalies() != {bind(anomalies)} or "
        f"_dtypes._default_dtype != {bind(dtype)} or len(_CONTEXT) != {len(context)}"
    )
    readers = [f"{bind(r)}() != {bind(v)}" for r, v in zip(_CONTEXT, context, strict=False)]
    lines.append(f"    if {' or '.join([test, *readers])}:")
    lines.append("        return False")
    lines.append("    return " + (" and ".join(_guard_exprs(guards, ns)) or "True"))
    exec(builtins.compile("\n".join(lines) + "\n", "<signature check>", "exec"), ns)  # noqa: S102
    return ns["fast"]


def compile(fn: Callable | None = None) -> Any:  # noqa: A001 (the API's name, as torch.compile)
    """Compile ``fn``: its first call (per signature) runs eagerly and traces it; later calls
    replay the trace as plain numpy. ``step.source()`` shows the program. Usable as
    ``ag.compile(fn)`` or as a decorator (``@ag.compile``)."""
    if fn is None:
        return compile
    return CompiledFunction(fn)
