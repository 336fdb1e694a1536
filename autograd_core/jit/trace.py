"""Recording a call: the ``Trace`` that ``Op.__call__`` and the engine's glue append to.

While ``ag.compile`` runs a function for the first time, the context variable
``grad_mode.active_trace`` holds a ``Trace``. Every op checks it (one bound read, as for
``recording()``) and, when it is set, comes here: the op runs eagerly as always, and a step
naming the op, the slots of its input arrays, its keyword arguments and the slot of its
output is appended. Arrays are known by identity while the trace runs (the trace keeps each
one alive, so no id is reused).

Steps, in the order they ran:

- ``op``: an op's forward on arrays (in the function's forward pass, and inside the derivative
  rules of backward, which are written with ops too);
- ``rule``: a whole derivative rule replayed as one call, for a rule that looked at values
  outside its ops (``x.data > 0``): rerunning it reads the new values;
- ``glue``: the engine's work between ops in backward (the root's ones, sums undoing
  broadcasting, dtype casts, sums of gradients);
- ``deliver``: a gradient stored in a leaf's ``.grad`` (or added to it);
- ``call``: a function replayed as such each call (``record_call``): the optimizer's update,
  a dropout mask drawn from the layer's generator, BatchNormalization's moving statistics.

A slot is filled by an input of the call, by a tensor living outside the call (a parameter,
read afresh on each replay, so in-place updates are seen), by a constant (a Python scalar),
or by a step.
"""

from __future__ import annotations

import os
import sys
import threading
import tracemalloc
from typing import Any, Callable

import numpy as np

from ..errors import CompileError
from ..grad_mode import active_trace, tracing
from ..tensor import Tensor, _make

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the library's own code (autograd_core and nn, installed side by side): its reads of a
#: tensor's values inside a trace are its own business (checks, rules), a user's are refused
_LIBRARY = (_PACKAGE + os.sep, os.path.join(os.path.dirname(_PACKAGE), "nn") + os.sep)
_NUMPY = os.sep + "numpy" + os.sep


class Slot:
    """One array of the program: where it comes from (``kind``) and a name for the code."""

    __slots__ = ("index", "kind", "hint", "value", "source", "shape", "dtype", "scalar")

    def __init__(self, index: int, kind: str, hint: str | None, value: Any, source: Any) -> None:
        self.index = index
        #: "input" (argument ``source``), "live" (the Tensor ``source``, read on each call),
        #: "array" (a numpy array ``source`` captured by the function, read as it is then),
        #: "const" (a scalar baked in), "step" (made by a step)
        self.kind = kind
        self.hint = hint
        self.value = value  # the array at trace time (kept alive: its id names the slot)
        self.source = source
        self.shape = value.shape
        self.dtype = value.dtype
        self.scalar = False  # an op step's output that numpy may give as a scalar

    def __repr__(self) -> str:
        return f"<slot {self.index} {self.kind} {self.hint}>"


class Step:
    """One recorded step: ``kind``, what it runs (``fn``), its input slots (``ins``), its
    constant arguments (``kwargs``), its output slots (``outs``) and extra data."""

    __slots__ = ("kind", "fn", "ins", "kwargs", "outs", "extra", "where")

    def __init__(
        self, kind: str, fn: Any, ins: list, kwargs: dict, outs: list, extra: Any = None
    ) -> None:
        self.kind, self.fn, self.ins, self.kwargs, self.outs = kind, fn, ins, kwargs, outs
        self.extra = extra
        self.where: str | None = None

    def __repr__(self) -> str:
        return f"<step {self.kind} {getattr(self.fn, 'name', self.fn)}>"


class Dyn:
    """An array inside an op's keyword arguments (an index array) that the program must
    read on each call, from ``slot``: an input, a tensor read live, or a step's output."""

    __slots__ = ("slot",)

    def __init__(self, slot: Slot) -> None:
        self.slot = slot

    def __repr__(self) -> str:
        return f"<dyn {self.slot}>"


def has_dyn(v: Any) -> bool:
    """Whether the keyword value ``v`` holds a ``Dyn`` (directly or in a tuple or list)."""
    if type(v) is Dyn:
        return True
    if type(v) in (tuple, list):
        return any([has_dyn(e) for e in v])
    return False


class Guard:
    """A condition the trace depends on, checked before each replay: ``check()`` is True
    while the program still applies; ``text`` says what it is, for ``source()``.

    ``expr``, when given, is the same check as a Python expression over ``objs`` (``{0}``,
    ``{1}``, ... stand for them), so that a program's guards are written into one generated
    check function instead of being called one by one.
    """

    __slots__ = ("check", "text", "expr", "objs")

    def __init__(
        self, check: Callable[[], bool], text: str, expr: str | None = None, objs: tuple = ()
    ) -> None:
        self.check, self.text = check, text
        self.expr, self.objs = expr, objs


class Trace:
    """What one traced call did, as slots and steps (see the module docstring)."""

    def __init__(self) -> None:
        self.slots: list[Slot] = []
        self.steps: list[Step] = []
        self.guards: list[Guard] = []
        self.by_id: dict[int, Slot] = {}
        self.inputs: list[Slot | None] = []
        self.input_tensors: dict[int, int] = {}  # id of an input Tensor -> its position
        self.live: dict[int, Slot] = {}  # id of a live Tensor -> its slot
        self.tensors: dict[int, Tensor] = {}  # leaves seen, by id (kept alive)
        self.keep: list = []
        self.in_rule = 0
        self.impure = False  # a rule being traced looked at values outside its ops
        self.grad_state: dict[int, Any] = {}  # leaf id -> known .grad array (None) in trace
        self.delivered: dict[int, Any] = {}  # leaf id -> the array the program leaves there
        self.effects = 0  # steps with effects outside the program (calls, deliveries)
        self.state: set[int] = set()  # ids of tensors made in the call that outlive it
        self.watching = False  # objects made during the call can be told apart (see watch)

    # --- slots --------------------------------------------------------------------------

    def new_slot(self, kind: str, value: Any, hint: str | None = None, source: Any = None) -> Slot:
        s = Slot(len(self.slots), kind, hint, value, source)
        self.slots.append(s)
        self.by_id[id(value)] = s
        self.keep.append(value)
        return s

    def add_input(self, k: int, leaf: Any, hint: str) -> None:
        """Argument ``k`` of the call (a Tensor or an ndarray) as an input slot."""
        arr = leaf._data if isinstance(leaf, Tensor) else leaf
        if isinstance(leaf, Tensor):
            self.input_tensors[id(leaf)] = k
            self.tensors[id(leaf)] = leaf
        self.inputs.append(self.new_slot("input", arr, hint, k))

    def ref(self, t: Tensor, was_tensor: bool = True, origin: Any = None, user: str = "") -> Slot:
        """The slot of the array ``t`` holds, making one for a tensor met for the first time.

        ``origin`` is the object the caller passed (``t`` itself, or the array or number it
        was made from) and ``user`` names the op or call reading it: an array, a numpy number
        or a tensor made during the traced call, outside the recorded operations, is refused
        (its first value would be frozen into the program)."""
        a = t._data
        s = self.by_id.get(id(a))
        if s is not None:
            return s
        if not was_tensor and a.ndim == 0:
            if user and isinstance(origin, (np.ndarray, np.generic)):
                self._check_fresh(origin, user)
            return self.new_slot("const", a, None, a)  # a Python scalar, baked in
        if self.in_rule:
            # a rule made an array outside its ops: replay it whole (see `trace_rule`)
            self.impure = True
            return self.new_slot("array", a, None, a)
        if not was_tensor:
            found = self._derived(a)
            if found is not None:
                return found
            if user and isinstance(origin, np.ndarray):
                self._check_fresh(origin, user)
            # a numpy array the function captured: the same object is read on every call
            return self.new_slot("array", a, None, a)
        if t._node is not None:
            raise CompileError(
                f"a compiled function read a tensor (shape {t.shape}, dtype {t.dtype}) that was "
                f"computed outside it, with a graph of its own{where_text()}; pass it as an "
                f"argument, or .detach() it"
            )
        found = self._derived(a)
        if found is not None:
            return found
        if user:
            self._check_fresh(t, user)
        self.tensors[id(t)] = t
        s = self.new_slot("live", a, t.name, t)
        self.live[id(t)] = s
        return s

    def _check_fresh(self, obj: Any, user: str) -> None:
        """Refuse ``obj`` (read by ``user``) when it was made during the traced call: the
        program would read its first value on every call, where the function makes a new one
        (a random draw, numpy arithmetic on an input's values, a tensor made afresh). Tensors
        that library code declared state (a layer's weights built on the first call) pass."""
        if not self.watching or id(obj) in self.state:
            return
        made = _made_at(obj)
        if made is None:
            return
        if isinstance(obj, Tensor):
            what = f"a tensor (shape {obj.shape}, dtype {obj.dtype}) made"
        elif isinstance(obj, np.ndarray):
            what = f"a numpy array (shape {obj.shape}, dtype {obj.dtype}) computed"
        else:
            what = f"a numpy number ({type(obj).__name__} {obj!r}) computed"
        raise CompileError(
            f"ag.compile: {what} inside the compiled function{made} is read by "
            f"{user}{where_text()}. The compiled program would keep its value from the first "
            f"call, where the function makes a new one on each call. Compute it with tensor "
            f"operations, pass it as an argument, or make it once outside the function"
        )

    def _derived(self, a: np.ndarray) -> Slot | None:
        """The slot of a known array whose memory ``a`` shows through another array object
        (as ``Tensor(x)`` makes): any slot's whole view, or an input's, directly or reshaped."""
        start = _address(a)
        b: Any = a.base
        s0 = None if b is None else self.by_id.get(id(b))
        if s0 is not None and b.dtype == a.dtype and _address(b) == start and b.size == a.size:
            if b.shape == a.shape and b.strides == a.strides:
                # a whole view of an array the trace knows (``Tensor(arr)`` holds such a view)
                self.by_id[id(a)] = s0
                self.keep.append(a)
                return s0
            if b.flags.c_contiguous and a.flags.c_contiguous:
                return self.glue(np.reshape, [s0], a, {"newshape": a.shape}, "reshape")
        for s in self.inputs:
            v = None if s is None else s.value
            if v is None or v.dtype != a.dtype or _address(v) != start or v.size != a.size:
                continue
            if v.shape == a.shape and v.strides == a.strides:
                self.by_id[id(a)] = s  # type: ignore[assignment]  # (s is not None here)
                self.keep.append(a)
                return s
            if v.flags.c_contiguous and a.flags.c_contiguous:
                return self.glue(np.reshape, [s], a, {"newshape": a.shape}, "reshape")
        return None

    def op_kwargs(self, kwargs: dict, user: str) -> dict:
        """``kwargs`` for a step, with each array the call made or was given (an index
        array) replaced by a ``Dyn`` of its slot, so that the program reads it on each call
        instead of keeping its first value; an array made during the call with plain numpy
        is refused, one from outside is kept as it is (read by reference)."""
        if not kwargs:
            return kwargs
        out = None
        for k, v in kwargs.items():
            w = self._kw_value(v, user)
            if w is not v:
                if out is None:
                    out = dict(kwargs)
                out[k] = w
        return kwargs if out is None else out

    def _kw_value(self, v: Any, user: str) -> Any:
        t = type(v)
        if t is tuple or t is list:
            items = [self._kw_value(e, user) for e in v]
            if any([a is not b for a, b in zip(items, v, strict=True)]):
                return t(items)
            return v
        if t is not np.ndarray:
            return v
        s = self.by_id.get(id(v))
        if s is None:
            s = self._derived(v)
        if s is not None:
            return v if s.kind in ("const", "array") else Dyn(s)
        if self.in_rule:
            self.impure = True  # the rule made an array of its own: replay it whole
            return v
        self._check_fresh(v, user)
        return v

    # --- steps --------------------------------------------------------------------------

    def glue(self, fn: Callable, ins: list, out: Any, kwargs: dict, what: str) -> Slot:
        """Record the engine's array work ``out = fn(*ins, **kwargs)`` as a step."""
        s = self.new_slot("step", out, None)
        self.steps.append(Step("glue", fn, ins, kwargs, [s], what))
        return s


def _address(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


def _as_dtype(x: np.ndarray, dtype: Any) -> np.ndarray:
    """``x`` converted to ``dtype`` (a copy, as ``np.asarray`` makes)."""
    return x.astype(dtype)


# --- telling apart what the traced call made -----------------------------------------------
# NOTE: tracemalloc records where each object allocated while it runs was made. Started for
# the traced call, it tells an array captured from outside the function (made before: no
# record) from one the function computed with plain numpy (recorded, with its line). It is
# started once for concurrent traces; when someone else runs it, objects they made before
# the call may be taken for new ones (a refusal, never a frozen value).

_WATCH_FRAMES = 1
_watch_lock = threading.Lock()
_watchers = 0
_watch_ours = False


def watch_start() -> bool:
    """Begin telling apart the objects made from now on; True when that is possible."""
    global _watchers, _watch_ours
    with _watch_lock:
        if _watchers == 0:
            _watch_ours = not tracemalloc.is_tracing()
            if _watch_ours:
                tracemalloc.start(_WATCH_FRAMES)
        _watchers += 1
        return tracemalloc.is_tracing()


def watch_stop() -> None:
    global _watchers, _watch_ours
    with _watch_lock:
        _watchers -= 1
        if _watchers == 0 and _watch_ours:
            tracemalloc.stop()
            _watch_ours = False


def _made_at(obj: Any) -> str | None:
    """None when ``obj`` was made before the watch began; else `` (at file:line)`` where
    it was made, when that line is the function's own (not numpy's or the library's), or ""."""
    tb = tracemalloc.get_object_traceback(obj)
    if tb is None:
        return None
    # NOTE: one frame is recorded per allocation: more made long traces several times slower
    f = tb[-1]
    if _NUMPY in f.filename or f.filename.startswith(_LIBRARY):
        return ""
    return f" (at {f.filename}:{f.lineno})"


def _user_frame() -> Any:
    """The frame that called into the library (skipping the tensor and trace modules)."""
    f: Any = sys._getframe(2)
    here = (os.path.join(_PACKAGE, "tensor.py"), os.path.join(_PACKAGE, "jit") + os.sep)
    while f is not None and f.f_code.co_filename.startswith(here):
        f = f.f_back
    return f


def where_text() -> str:
    """`` at file:line`` for the innermost frame outside autograd_core (the user's line)."""
    f: Any = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        f = f.f_back
    if f is None:
        return ""
    return f" at {f.f_code.co_filename}:{f.f_lineno}"


# --- the hooks: called by the engine only while a trace is active -------------------------


def trace_op(op: Any, args: tuple, kwargs: dict) -> Tensor:
    """``op(*args, **kwargs)`` run eagerly and recorded as a step of the active trace."""
    from ..op import Op, as_tensors

    tr: Trace = tracing()
    tensors = args
    if not all([type(a) is Tensor for a in args]):
        tensors = as_tensors(args)
    user = f"`{op.name}`"
    ins = [tr.ref(t, isinstance(a, Tensor), a, user) for t, a in zip(tensors, args, strict=True)]
    token = active_trace.set(None)
    try:
        out = Op.__call__(op, *tensors, **kwargs)
    finally:
        active_trace.reset(token)
    s = tr.new_slot("step", out._data, None)
    s.scalar = out._data.ndim == 0
    step = Step("op", op, ins, tr.op_kwargs(kwargs, user), [s])
    tr.steps.append(step)
    return out


def trace_rule(node: Any, g: Any) -> tuple:
    """``node``'s derivative rule applied to ``g``, recorded: as the ops it ran when it used
    only ops, else as one step that reruns the rule (it looked at values outside its ops)."""
    tr: Trace = tracing()
    if node.hooks is not None or node.retain is not None:
        raise CompileError(
            f"a compiled function ran backward through a tensor with gradient hooks or "
            f"retain_grad() ({node.name}); they are not supported in compiled steps"
        )
    if node.ctx is not None or node.out_index is not None:
        raise CompileError(
            f"a compiled function differentiated a custom Function ({node.name}); compiled "
            f"steps support the built-in ops only"
        )
    g_slot = tr.by_id.get(id(g))
    start = len(tr.steps)
    before = tr.impure
    tr.impure = False
    tr.in_rule += 1
    try:
        raw = node.op.backward(node, g)
    finally:
        tr.in_rule -= 1
    results: list[Any] = []
    for r in raw:
        if r is None:
            results.append(None)
            continue
        arr = r._data if isinstance(r, Tensor) else np.asarray(r)
        if id(arr) not in tr.by_id:
            tr.impure = True
        results.append(arr)
    impure, tr.impure = tr.impure, before
    if not impure:
        return raw
    # replay the whole rule: drop the ops it ran, keep one step calling it
    del tr.steps[start:]
    inputs = node.inputs
    ins = [g_slot, tr.by_id[id(node.out)] if node.op.uses_out else None]
    ins += [tr.ref(x) for x in inputs]
    outs = [None if r is None else tr.new_slot("step", r, None) for r in results]
    rg = tuple(bool(x._rg) for x in inputs)
    kwargs = tr.op_kwargs(dict(node.kwargs), f"the derivative of `{node.op.name}`")
    tr.steps.append(Step("rule", node.op, ins, kwargs, outs, rg))
    return tuple(results)


def trace_ones(g: np.ndarray) -> None:
    """The root's gradient (ones) of a traced backward."""
    tr: Trace = tracing()
    tr.glue(_ones, [], g, {"shape": g.shape, "dtype": g.dtype}, "ones")


def _ones(shape: tuple, dtype: Any) -> np.ndarray:
    """The gradient of the output with respect to itself."""
    return np.ones(shape, dtype)


def trace_initial(g: np.ndarray, given: Any) -> None:
    """A backward started from a gradient the function passed (copied, in the output's dtype)."""
    tr: Trace = tracing()
    user = "backward() as its starting gradient"
    if isinstance(given, Tensor):
        src = tr.ref(given, True, given, user)
    elif isinstance(given, np.ndarray):
        src = tr.ref(_make(given), False, given, user)
    else:
        src = tr.new_slot("const", np.asarray(given), None, given)
    tr.glue(_as_dtype, [src], g, {"dtype": g.dtype}, "initial")


def trace_glue(fn: Callable, what: str, out: Any, *arrays: Any, **kwargs: Any) -> None:
    """Record ``out = fn(*arrays, **kwargs)``, done by the engine between ops."""
    tr: Trace = tracing()
    if tr.in_rule:
        return
    ins = [tr.ref(_make(a), True) for a in arrays]
    tr.glue(fn, ins, out, kwargs, what)


def trace_deliver(leaf_grads: dict) -> None:
    """Store each leaf's gradient in ``.grad``, eagerly, and record the stores."""
    from ..engine import _add, _present_grad

    tr: Trace = tracing()
    given: set = set()
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            raise CompileError(
                f"a compiled function ran backward to a tensor with gradient hooks"
                f"{where_text()}; hooks are not supported in compiled steps"
            )
        s = tr.ref(leaf)
        gs = tr.by_id[id(g)]
        key = id(leaf)
        if key in tr.input_tensors:  # (an argument's `.grad is None` is in the signature)
            tr.grad_state.setdefault(key, leaf.grad)
        outs = []
        if leaf.grad is None:
            if g.base is not None or id(g) in given or not g.flags.writeable:
                # a view, or an array another leaf holds: this leaf gets its own copy
                g = g.copy()
                gs = tr.glue(np.copy, [gs], g, {}, "copy")
            given.add(id(g))
            leaf.grad = g
            mode = "assign"
            if key not in tr.grad_state:
                tr.guards.append(_grad_guard(leaf, True))
        else:
            if key not in tr.grad_state:
                tr.guards.append(_grad_guard(leaf, False))
            token = active_trace.set(None)
            try:
                leaf.grad = _add(_present_grad(leaf, g), g)
            finally:
                active_trace.reset(token)
            mode = "add"
            outs.append(tr.new_slot("step", leaf.grad, None))
        tr.grad_state[key] = leaf.grad
        tr.delivered[key] = leaf.grad
        tr.steps.append(Step("deliver", None, [s, gs], {}, outs, (leaf, mode)))
        tr.effects += 1


def _grad_guard(leaf: Tensor, none: bool) -> Guard:
    name = leaf.name or "a leaf"
    if none:
        return Guard(lambda: leaf.grad is None, f"{name}.grad is None", "{0}.grad is None", (leaf,))
    return Guard(
        lambda: leaf.grad is not None,
        f"{name}.grad is not None",
        "{0}.grad is not None",
        (leaf,),
    )


def note_cleared(tensors: Any) -> None:
    """``zero_grad`` inside the trace: the leaves' ``.grad`` is known to be None from here."""
    tr: Trace = tracing()
    for t in tensors:
        tr.grad_state[id(t)] = None
        tr.delivered[id(t)] = None


def record_call(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """``fn(*arrays)``, where each Tensor argument is replaced by its array; inside a trace of
    ``ag.compile`` the call is recorded and made again on each replay (a random draw, an
    update of state outside the graph), instead of its result being frozen into the program.

    ``fn`` returns None or one ndarray (which later ops may read).
    """
    tr: Trace | None = tracing()
    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
    if tr is None:
        return fn(*arrays, **kwargs)
    ins: list = []
    user = f"the recorded call {getattr(fn, '__qualname__', fn)}"
    for a in args:
        if isinstance(a, Tensor):
            ins.append(tr.ref(a, True, a, user))
        elif isinstance(a, np.ndarray):
            ins.append(tr.ref(_make(a), False, a, user))
        else:
            ins.append(_Const(a))
    token = active_trace.set(None)
    try:
        out = fn(*arrays, **kwargs)
    finally:
        active_trace.reset(token)
    outs = []
    if out is not None:
        if type(out) is not np.ndarray:
            raise CompileError(
                f"record_call: {getattr(fn, '__qualname__', fn)} returned "
                f"{type(out).__name__}; a recorded call returns None or an ndarray"
            )
        outs.append(tr.new_slot("step", out, None))
    step = Step("call", fn, ins, tr.op_kwargs(dict(kwargs), user), outs)
    step.where = where_text()
    tr.steps.append(step)
    tr.effects += 1
    return out


class _Const:
    """A constant argument of a recorded call (anything but an array)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def add_guard(
    check: Callable[[], bool], text: str, expr: str | None = None, objs: tuple = ()
) -> None:
    """Make the active trace depend on ``check()`` staying True (a retrace when it is not).
    ``expr`` and ``objs``, when given, are the same check as an expression (see ``Guard``)."""
    tr: Trace | None = tracing()
    if tr is not None and all([g.text != text for g in tr.guards]):
        tr.guards.append(Guard(check, text, expr, objs))


def refuse_value(t: Tensor, what: str) -> None:
    """A Python decision on a tensor's value inside a trace: refused, naming the line."""
    tr: Trace | None = tracing()
    if tr is None:
        return
    if tr.in_rule:
        tr.impure = True
        return
    s = tr.by_id.get(id(t._data))
    if s is None and t._node is None:
        return  # a constant made outside the call
    raise CompileError(
        f"{what} on a tensor (shape {t.shape}, dtype {t.dtype}) inside a compiled function"
        f"{where_text()}: its value would be frozen into the compiled program. Keep the "
        f"computation in tensor operations (ag.where, ag.maximum, ...), or read the value "
        f"outside the compiled function"
    )


def check_read(t: Tensor) -> None:
    """``t.data`` (``.numpy()``, ``np.asarray(t)``) read inside a trace. What is done with
    the array is not recorded, so its result would be frozen: refused when the function's
    own code reads it; the library's code may read inputs and parameters (its checks and
    rules are recorded as calls or replayed whole), not an array the call computed."""
    tr: Trace = tracing()
    if tr.in_rule:
        tr.impure = True
        return
    f = _user_frame()
    if f is not None and not f.f_code.co_filename.startswith(_LIBRARY):
        raise CompileError(
            f"a read of a tensor's values (.data, .numpy() or np.asarray; shape {t.shape}, "
            f"dtype {t.dtype}) inside a compiled function at {f.f_code.co_filename}:"
            f"{f.f_lineno}: what is done with the array is not recorded, so its result would "
            f"be frozen into the compiled program. Use tensor operations (.shape and .dtype "
            f"are fine), or read the values outside the compiled function"
        )
    s = tr.by_id.get(id(t._data))
    if s is not None and s.kind == "step":
        raise CompileError(
            f".data (or .numpy()) read of a tensor (shape {t.shape}, dtype {t.dtype}) computed "
            f"inside a compiled function{where_text()}: what is done with the array is not "
            f"recorded, so it would be frozen. Use tensor operations, or return the tensor and "
            f"read it outside"
        )


def note_state(tensors: Any) -> None:
    """Library code made ``tensors`` during a traced call as state that outlives it (a
    layer's weights, built on its first call): the program may read them on later calls."""
    tr: Trace | None = tracing()
    if tr is not None:
        tr.state.update(id(t) for t in tensors)


def refuse(what: str) -> None:
    """Something a trace cannot record faithfully: a CompileError naming the line."""
    if tracing() is not None:
        raise CompileError(f"{what}{where_text()} cannot be compiled (ag.compile)")
