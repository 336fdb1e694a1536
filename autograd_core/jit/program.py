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
    ) -> None:
        self.program = program
        self.fn = program.fn
        self.guard = guard
        #: the whole call for a call like the last (set by `_entry_function`): checks the
        #: signature and the guards, then runs the program; _MISS when they do not hold
        self.run: Callable[[tuple], Any] | None = None
        self.guards = guards
        self.out_spec = out_spec
        self.out_kinds = out_kinds
        self.single = out_spec is None and out_kinds == [Tensor]  # one Tensor returned


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
        # NOTE: a call like the last one (a training loop's) is made by that entry's
        # generated `run` function alone: it tests exactly what the key and the guards below
        # would (and that no trace is active), then runs the program's lines itself.
        e = self._last
        if e is not None and e.run is not None and not kwargs:
            r = e.run(args)
            if r is not _MISS:
                return r
        if tracing() is not None:  # inside another function's trace: be part of it
            return self.fn(*args, **kwargs)
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
                    return self._run(e, leaves)
        return self._trace(key, leaves, args, kwargs)

    def _run(self, e: _Entry, leaves: Any) -> Any:
        return _results(e, e.fn(*leaves))

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
        guards += _binding_guards(self.fn, [s.source for s in tr.slots if s.kind in _READ])
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
        entry = _Entry(program, _combine(guards), guards, out_spec, kinds)
        entry.run = _entry_function(key, guards, entry)
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


#: slots read from objects outside the call (a tensor, a captured array)
_READ = ("live", "array")


def _binding_guards(fn: Callable, objects: list) -> list[Guard]:
    """Guards that the function's global and closure variables naming one of ``objects``
    still name it: a notebook cell that rebinds ``mask = np.array(...)`` traces again, where
    the program would read the old array."""
    code = getattr(fn, "__code__", None)
    if code is None or not objects:
        return []
    wanted = {id(o) for o in objects}
    guards: list[Guard] = []
    space: dict = getattr(fn, "__globals__", {})
    for name in dict.fromkeys(code.co_names):
        obj = space.get(name)
        if obj is not None and id(obj) in wanted:
            guards.append(
                Guard(
                    functools.partial(_names, space, name, obj),
                    f"the global {name} is the same object",
                    "{0}.get({1}) is {2}",
                    (space, name, obj),
                )
            )
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or (), strict=False):
        try:
            obj = cell.cell_contents
        except ValueError:  # (an empty cell)
            continue
        if id(obj) in wanted:
            guards.append(
                Guard(
                    functools.partial(_holds, cell, obj),
                    f"the variable {name} is the same object",
                    "{0}.cell_contents is {1}",
                    (cell, obj),
                )
            )
    return guards


def _names(space: dict, name: str, obj: Any) -> bool:
    return space.get(name) is obj


def _holds(cell: Any, obj: Any) -> bool:
    try:
        return cell.cell_contents is obj
    except ValueError:  # (the variable was deleted)
        return False


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


def _guard_exprs(guards: list[Guard], ns: dict, prefix: str = "_g") -> list[str]:
    """Each guard as an expression over names bound in ``ns`` (a call of its check when it
    has no expression of its own)."""
    exprs = []
    for g in guards:
        if g.expr is None:
            name = f"{prefix}{len(ns)}"
            ns[name] = g.check
            exprs.append(f"{name}()")
            continue
        names = []
        for obj in g.objs:
            name = f"{prefix}{len(ns)}"
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


def _results(e: _Entry, outs: tuple) -> Any:
    """The program's arrays as what the function returned: Tensors, arrays, constants."""
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


#: what an entry's `run` returns when the call is not like the traced one
_MISS = object()

#: programs longer than this are called from the entry function, not copied into it
_INLINE_LINES = 2000


def _entry_function(key: Any, guards: list[Guard], e: _Entry) -> Callable[[tuple], Any] | None:
    """For a signature of positional arrays and tensors only: one generated function of the
    call's ``args`` that returns ``_MISS`` unless no trace is active, the call's key equals
    ``key`` and every guard holds, and otherwise runs the program (its lines copied in, so a
    replay is one Python call) and returns the results. None for other signatures."""
    spec, keys, rec, anomalies, dtype, context = key
    if spec != -1:
        return None
    program = e.program
    ns: dict[str, Any] = dict(program.namespace)
    ns.update(
        _jit_miss=_MISS,
        _jit_tracing=active_trace.get,
        _jit_tensor=Tensor,
        _jit_ndarray=np.ndarray,
        _jit_recording=recording,
        _jit_anomalies=checking_anomalies,
        _jit_dtypes=_dtypes,
        _jit_context=_CONTEXT,
        _jit_make=_make,
        _jit_results=functools.partial(_results, e),
        _jit_fn=program.fn,
    )

    def bind(obj: Any) -> str:
        name = f"_jit_k{len(ns)}"
        ns[name] = obj
        return name

    n = len(keys)
    miss = "        return _jit_miss"
    lines = [
        "def run(args):",
        f"    if len(args) != {n} or _jit_tracing() is not None:",
        miss,
    ]
    arg_names = [f"_jit_a{i}" for i in range(n)]
    if n:
        lines.append("    " + ", ".join(arg_names) + ", = args")
    for a, k in zip(arg_names, keys, strict=True):
        if len(k) == 2:  # an ndarray: (shape, dtype)
            lines.append(f"    if type({a}) is not _jit_ndarray:")
            lines.append(miss)
            test = f"{a}.shape != {bind(k[0])} or {a}.dtype != {bind(k[1])}"
        else:  # a Tensor: (shape, dtype, requires_grad, grad is None)
            lines.append(f"    if type({a}) is not _jit_tensor:")
            lines.append(miss)
            lines.append(f"    _jit_d = {a}._data")
            test = (
                f"_jit_d.shape != {bind(k[0])} or _jit_d.dtype != {bind(k[1])} or {a}._rg != "
                f"{bind(k[2])} or ({a}.grad is None) != {bind(k[3])}"
            )
        lines.append(f"    if {test}:")
        lines.append(miss)
    test = (
        f"_jit_recording() != {bind(rec)} or _jit_anomalies() != {bind(anomalies)} or "
        f"_jit_dtypes._default_dtype != {bind(dtype)} or len(_jit_context) != {len(context)}"
    )
    readers = [f"{bind(r)}() != {bind(v)}" for r, v in zip(_CONTEXT, context, strict=False)]
    lines.append(f"    if {' or '.join([test, *readers])}:")
    lines.append(miss)
    exprs = _guard_exprs(guards, ns, "_jit_g")
    if exprs:
        lines.append(f"    if not ({' and '.join(exprs)}):")
        lines.append(miss)
    outs = program.returns
    if len(program.body) <= _INLINE_LINES and len(program.params) == n:
        if n:
            lines.append("    " + ", ".join(program.params) + ", = args")
        lines.extend("    " + b for b in program.body)
        values = "(" + ", ".join(outs) + ("," if len(outs) == 1 else "") + ")"
        first = outs[0] if outs else ""
    else:
        values = "_jit_fn(*args)"
        first = values + "[0]"
    if e.single:
        lines.append(f"    return _jit_make({first})")
    else:
        lines.append(f"    return _jit_results({values})")
    source = "\n".join(lines) + "\n"
    exec(builtins.compile(source, f"<compiled {program.name}: entry>", "exec"), ns)  # noqa: S102
    return ns["run"]


def compile(fn: Callable | None = None) -> Any:  # noqa: A001 (the API's name, as torch.compile)
    """Compile ``fn``: its first call (per signature) runs eagerly and traces it; later calls
    replay the trace as plain numpy. ``step.source()`` shows the program. Usable as
    ``ag.compile(fn)`` or as a decorator (``@ag.compile``)."""
    if fn is None:
        return compile
    return CompiledFunction(fn)
