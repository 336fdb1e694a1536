"""Version counters: how ``backward()`` knows that an array it saved has changed since.

Three pieces, none of which costs the recording of an op more than a couple of loads:

- **The write clock** (``graph.write_clock``). Every write that goes through the library (an
  in-place operator, ``x[idx] = v``, ``t.data = a``, ``t.data *= 2``, ``copy_``,
  ``increment_version``) advances it. A Node copies the clock when it is recorded; at
  backward, a node whose copy still equals the clock has seen no write at all since it was
  recorded, and nothing more is checked. Only after some write does a node look at the
  tensors its rule reads.
- **Writes to memory**, keyed by the block of memory an array lives in (the array that owns
  its data, or the buffer under it: numpy points every view at it). Views, ``detach()``,
  ``Tensor(t)`` and two Tensors made from views of one numpy array all share it, so they share
  one version, as a base and its views do in PyTorch.
- **Writes to a Tensor**: ``t.data = other_array`` changes what the tensor holds without
  touching memory; the tensor keeps its own record of that.

Raw numpy writes into an array a Tensor was made from (``a = np.ones(3); t = Tensor(a)``, or
an array used as an operand, ``t * a``) cannot advance anything. Those arrays are instead made
read-only while a recorded graph whose rules read them is alive ("pinned"), and writable again
when the graph is released by backward or dropped, so such a write raises numpy's
``ValueError: assignment destination is read-only`` instead of corrupting a gradient. See
``Guard``.
"""

from __future__ import annotations

import sys
import weakref
from functools import partial
from typing import Any

import numpy as np

from .graph import tick

_RECENT = 64  # write clocks remembered per record, for the versions in error messages


class _Writes:
    """The write history of one block of memory, or of one Tensor's ``.data`` assignments."""

    __slots__ = ("count", "last", "recent", "offset", "reshaped", "ref")

    def __init__(self) -> None:
        self.count = 0  # writes so far
        self.last = 0  # clock of the latest write
        self.recent: list[int] = []  # clocks of the latest writes, oldest first
        self.offset = 0  # (a Tensor's record) keeps its version rising across assignments
        self.reshaped = 0  # (a Tensor's record) clock of the last one changing shape or dtype
        self.ref: Any = None  # a weak reference to the memory's owner (or the owner itself)

    def add(self, c: int) -> None:
        self.count += 1
        self.last = c
        self.recent.append(c)
        if len(self.recent) > _RECENT:
            del self.recent[0]

    def since(self, stamp: int) -> tuple[int, bool]:
        """How many writes came after ``stamp``, and whether that number is exact."""
        k = 0
        for c in reversed(self.recent):
            if c <= stamp:
                return k, True
            k += 1
        return k, k == self.count


_memory: dict[int, _Writes] = {}  # by id of the memory's owner


def owner(arr: np.ndarray) -> Any:
    """The object that owns ``arr``'s memory: itself, or the base numpy collapsed views to."""
    b = arr.base
    return arr if b is None else b


def _memory_record(o: Any) -> _Writes:
    key = id(o)
    rec = _memory.get(key)
    if rec is None:
        rec = _Writes()
        _memory[key] = rec
        try:
            rec.ref = weakref.ref(o, partial(_forget, key, rec))
        except TypeError:  # a bytearray or another buffer without weak references
            rec.ref = o  # kept alive, so that its id is not reused
    return rec


def _forget(key: int, rec: _Writes, _ref: Any = None) -> None:
    if _memory.get(key) is rec:
        del _memory[key]


def wrote(arrays: Any, c: int | None = None) -> int:
    """Record a write into the memory of each array; returns the clock it was stamped with."""
    if c is None:
        c = tick()
    seen = set()
    for a in arrays:
        o = owner(a)
        if id(o) not in seen:
            seen.add(id(o))
            _memory_record(o).add(c)
    return c


def memory_version(arr: np.ndarray) -> int:
    """How many recorded writes the memory under ``arr`` has had."""
    rec = _memory.get(id(owner(arr)))
    return 0 if rec is None else rec.count


def tensor_record(t: Any) -> _Writes | None:
    """The record of ``t.data = ...`` assignments on ``t``, or None if there were none."""
    return getattr(t, "_vt", None)


def version(t: Any) -> int:
    """``t``'s version: the recorded writes to its memory plus its ``.data`` assignments."""
    v = memory_version(t._data)
    rec = tensor_record(t)
    return v if rec is None else v + rec.count + rec.offset


def replaced(t: Any, new: np.ndarray) -> None:
    """Record ``t.data = new`` (before it is made): the version goes up by one, unless
    ``new`` holds exactly the values ``t`` holds now (an optimizer moving its parameters into
    one flat buffer): then nothing a graph reads has changed, and the version stays."""
    before = version(t)
    rec = tensor_record(t)
    if rec is None:
        rec = _Writes()
        t._vt = rec
    old = t._data
    if _same_values(old, new):
        rec.offset = before - memory_version(new) - rec.count
        return
    c = tick()
    rec.add(c)
    rec.offset = before + 1 - memory_version(new) - rec.count
    if old.shape != new.shape or old.dtype != new.dtype:
        rec.reshaped = c


_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _same_values(old: np.ndarray, new: np.ndarray) -> bool:
    """Whether ``new`` holds exactly ``old``'s values: same shape, dtype and bits (-0.0 is not
    0.0; a NaN is itself)."""
    if old.shape != new.shape or old.dtype != new.dtype:
        return False
    if old.dtype.kind == "f":
        u = _UINT.get(old.dtype.itemsize)
        if u is None:
            return False  # (long double: counted as a change)
        old, new = old.view(u), new.view(u)
    # NOTE: the first element alone first: an update changes it, and the common assignment
    # `w.data = w.data - lr * g` then costs no comparison of the whole array
    return old.size == 0 or bool(old.flat[0] == new.flat[0] and (old == new).all())


def changed(t: Any, stamp: int) -> bool:
    """True when ``t``'s memory or its ``.data`` changed after the clock read ``stamp``."""
    rec = tensor_record(t)
    if rec is not None and rec.last > stamp:
        return True
    m = _memory.get(id(owner(t._data)))
    return m is not None and m.last > stamp


def memory_changed(arr: np.ndarray, stamp: int) -> bool:
    """True when the memory under ``arr`` was written after ``stamp``."""
    m = _memory.get(id(owner(arr)))
    return m is not None and m.last > stamp


def versions_since(t: Any, stamp: int) -> tuple[int, int, bool]:
    """(version now, version when the clock read ``stamp``, whether the second is exact)."""
    now = version(t)
    k, exact = 0, True
    for rec in (tensor_record(t), _memory.get(id(owner(t._data)))):
        if rec is not None:
            n, e = rec.since(stamp)
            k += n
            exact = exact and e
    return now, now - k, exact


def memory_versions_since(arr: np.ndarray, stamp: int) -> tuple[int, int, bool]:
    """As ``versions_since``, for the memory under an array (a node's output)."""
    rec = _memory.get(id(owner(arr)))
    if rec is None:
        return 0, 0, True
    k, exact = rec.since(stamp)
    return rec.count, rec.count - k, exact


# --- raw writes: the arrays users handed in, pinned read-only while a graph reads them -------


class Guard:
    """The numpy arrays a user handed to the library that share one block of memory.

    ``Tensor(a)`` keeps a view of ``a`` (so that ``t.data *= 2`` still works, and is seen
    through the version counter) and registers ``a`` here; so does an array used as an
    operand (``t * a``), when a rule reads it. While a recorded node whose rule reads that
    memory is alive, a ``_Pin`` keeps those arrays (and the array owning the memory)
    read-only, so that a write through them fails at once. When every such node is released
    (by backward) or freed (the graph was dropped), the pin goes and the arrays are writable
    again.
    """

    __slots__ = ("arrays", "pin", "inert", "ref")

    def __init__(self) -> None:
        self.arrays: list = []  # weak references to the arrays handed in
        self.pin: Any = _no_pin  # the live _Pin, when called (a weak reference to it)
        self.inert = False  # True once nobody but the library can reach those arrays
        self.ref: Any = None  # weak reference to the memory's owner

    def held(self) -> bool:
        """Whether someone besides the library still holds one of the arrays."""
        self.arrays = [r for r in self.arrays if _held(r)]
        if not self.arrays:
            self.inert = True
        return not self.inert

    def pinned(self) -> _Pin | None:
        """The live pin, making one (which locks the arrays) if there is none."""
        p = self.pin()
        if p is None and not self.inert:
            p = _Pin(self)
            if not self.arrays:
                self.inert = True  # every array is gone or unreachable: nothing to lock
                return None
            self.pin = weakref.ref(p)
        return p


_guards: dict[int, Guard] = {}  # by id of the memory's owner


def _no_pin() -> None:
    return None


def guard(arr: np.ndarray) -> Guard | None:
    """Register ``arr``, an array a user handed in; returns the Guard of its memory."""
    o = owner(arr)
    if not arr.flags.writeable and o is arr:
        return None  # read-only memory of its own: nothing writes into it
    key = id(o)
    g = _guards.get(key)
    if g is None:
        g = Guard()
        _guards[key] = g
        try:
            g.ref = weakref.ref(o, partial(_drop_guard, key, g))
        except TypeError:  # a buffer without weak references: kept, so its id stays unique
            g.ref = o
    for r in g.arrays:
        if r() is arr:
            return g
    g.inert = False
    g.arrays.append(weakref.ref(arr))
    if o is not arr and isinstance(o, np.ndarray) and not any(r() is o for r in g.arrays):
        g.arrays.append(weakref.ref(o))  # a view: a write through its base reaches it too
    return g


def guard_of(arr: np.ndarray) -> Guard | None:
    """The Guard of the memory under ``arr``, if some array over it was handed in."""
    return _guards.get(id(owner(arr)))


def _drop_guard(key: int, g: Guard, _ref: Any = None) -> None:
    if _guards.get(key) is g:
        del _guards[key]


#: ``Tensor._guard`` of an operand array not yet registered (registered when a rule reads it)
OPERAND = True


def _references(ref: Any) -> int:
    a = ref()
    return -1 if a is None else sys.getrefcount(a)


def _calibrate() -> int:
    # The count _references sees for an array referenced only by one view's base (how a
    # Tensor holds the array it was given) or one Tensor slot: measured, since what
    # getrefcount counts differs between Python versions.
    a = np.empty(1)
    v = a.view()
    r = weakref.ref(a)
    del a
    n = _references(r)
    del v
    return n


_ONLY_OURS = _calibrate()


def _held(ref: Any) -> bool:
    """Whether something besides the library references the array (a user's variable)."""
    a = ref()
    if a is None:
        return False
    # NOTE: the library references an array owning its memory once, through the base of
    # the view a Tensor keeps; a view it does not reference at all (numpy points the
    # Tensor's view at the owner). More references than that mean someone else holds it.
    internal = 1 if a.base is None else 0
    return sys.getrefcount(a) > _ONLY_OURS - 1 + internal


class _Pin:
    """Keeps a Guard's arrays read-only for as long as it lives (the nodes reading them hold
    it; ``Node.release`` lets go)."""

    __slots__ = ("locked", "__weakref__")

    def __init__(self, g: Guard) -> None:
        self.locked: list = []
        alive = []
        for r in g.arrays:
            # NOTE: an array only the library still references (Tensor(np.ones(3)) keeps a
            # view of a temporary) cannot be written by anyone: it is not locked, and as
            # nothing can reach it again it leaves the guard. This keeps the common case,
            # parameters made from fresh arrays, free of any locking.
            if not _held(r):
                continue
            alive.append(r)
            a = r()
            if a.flags.writeable:
                a.setflags(write=False)
                self.locked.append(a)
        g.arrays = alive

    def __del__(self) -> None:
        # the arrays owning their memory first: numpy makes a view writable only if its
        # base is
        for a in sorted(self.locked, key=lambda a: a.base is not None):
            try:
                a.setflags(write=True)
            except ValueError:  # pragma: no cover - its base was made read-only meanwhile
                pass


def each_other(x: Any, y: Any) -> tuple:
    """``reads=`` of a product: its rule reads ``y`` to differentiate ``x`` and ``x`` to
    differentiate ``y`` (so ``x * 2`` does not read ``x``)."""
    return ((1,) if x._rg else ()) + ((0,) if y._rg else ())


def pins(inputs: tuple, op: Any) -> tuple | None:
    """The pins that keep read-only, while the node recorded for ``op`` on ``inputs`` lives,
    the arrays the user handed in under the inputs its rule reads (None if there are none).

    A guard on an input the rule does not read is dropped if it protects nothing any more,
    so that later ops skip it."""
    reads = op.reads
    if reads is each_other:
        x, y = inputs
        # NOTE: the case of a long chain reading one constant (x * a, the array a still
        # held by the user) comes here at every op: its live pin is found directly.
        if x._guard is None and x._rg and not y._rg:
            g = y._guard
            p = g.pin() if g is not OPERAND else None
            if p is not None:
                return (p,)
        reads = ((1,) if x._rg else ()) + ((0,) if y._rg else ())
    elif reads is None:
        reads = range(len(inputs))
    elif callable(reads):
        reads = reads(*inputs)
    out: tuple | None = None
    for i, t in enumerate(inputs):
        g = t._guard
        if g is None:
            continue
        if i not in reads:
            if g is OPERAND or not g.held():
                t._guard = None
            continue
        if g is OPERAND:
            # an operand array (t * a), held by the Tensor's slot: registered only if
            # something else holds it too (the caller's frames count: a temporary passed
            # through an operator stays locked until the graph goes, harmlessly)
            a = t._data
            g = guard(a) if sys.getrefcount(a) > _ONLY_OURS else None
            t._guard = g
            if g is None:
                continue
        p = g.pin()
        if p is None:
            p = g.pinned()
            if p is None:
                t._guard = None  # nothing to protect there any more
                continue
        if out is None:
            out = (p,)
        elif p not in out:
            out += (p,)
    return out


def increment_version(*tensors: Any) -> None:
    """Record that these tensors' arrays were (or are about to be) written directly.

    For code that updates ``t.data`` with numpy (``np.subtract(w, g, out=w)``,
    ``t.data[...] = a``): a graph that saved one of them then raises at backward instead of
    using the new values. The optimizers and weight loading call it; the in-place operators
    and ``.data`` assignment do it themselves. Tensors sharing memory (views) share a version.
    """
    if tensors:
        wrote([t._data for t in tensors])
