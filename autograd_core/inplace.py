"""In-place updates with PyTorch's semantics: ``x += y`` (``-= *= /= **= @=``), ``x[idx] = v``
and ``x.copy_(v)`` change ``x`` itself, the same object, and every tensor sharing its memory.

- Inside ``no_grad()`` (or when nothing involved requires grad) they are plain writes: a
  leaf that requires grad stays that leaf (``with no_grad(): w -= lr * w.grad``).
- With gradients recorded, a leaf that requires grad (or a view of one) refuses, as in
  PyTorch; any other tensor gets the in-place op as its history (``x.grad_fn``), so that
  gradients flow to its previous value and to the operand. The previous value is kept (a
  copy) only when the op's rule reads it (``x *= y`` does, ``x += y`` does not).
- A view (the result of reshape, transpose or basic indexing) shares memory with its base:
  changing one changes the other, and with gradients recorded both histories follow (the
  base gets a ``setitem``, ``reshape`` or ``transpose`` node putting the changed values in,
  its views are re-derived from it), as PyTorch's ``CopySlices`` does.
- The result keeps ``x``'s dtype and shape (numpy's ``same_kind`` casting: a float32 tensor
  += a float64 array stays float32, an integer one += a float raises).
- Every write advances the version of the memory written (``versions``): a node that saved
  the old values raises at backward.
"""

from __future__ import annotations

import weakref
from functools import partial
from typing import Any

import numpy as np

from . import versions
from .errors import AutogradError, DTypeError, IndexingError, InplaceError, ShapeError
from .grad_mode import recording, tracing
from .graph import Node
from .op import Op, as_tensors, forward_error
from .ops.elementwise import astype
from .ops.shape import _getitem, _is_basic, _normalize_index, _reshape, _setitem, _transpose
from .tensor import Tensor, _make


def _label(x: Tensor) -> str:
    name = x.name
    return f"{name!r}, " if name else ""


def _operand(x: Tensor, other: Any, what: str) -> Tensor:
    """``other`` as a Tensor; a Python scalar takes ``x``'s dtype, as in ``x + 2.0``."""
    if isinstance(other, Tensor):
        return other
    try:
        return as_tensors((x, other))[1]
    except DTypeError as e:  # not a number (x += "text"): name the update
        raise DTypeError(f"{what}: {e}") from None


def _root(x: Tensor) -> tuple[Tensor, bool]:
    """The tensor at the end of ``x``'s chain of bases, and whether every view along it was
    taken with grad mode on."""
    all_recorded = True
    while True:
        link = getattr(x, "_base", None)
        if link is None:
            return x, all_recorded
        all_recorded = all_recorded and link[3]
        x = link[0]


def _check_allowed(x: Tensor, what: str) -> None:
    """Refuse, as PyTorch does, an in-place change that cannot be recorded."""
    root, all_recorded = _root(x)
    if x._node is None and x._rg:
        raise InplaceError(
            f"{what}: a leaf Tensor that requires grad ({_label(x)}shape {x.shape}) is being "
            f"used in an in-place operation while gradients are recorded. Update it inside "
            f"`with no_grad():` (as optimizers do), or change a copy (y = x.copy())"
        )
    if root is not x and root._rg:
        if not all_recorded:
            raise InplaceError(
                f"{what}: a view (shape {x.shape}) taken inside no_grad() of a tensor that "
                f"requires grad (shape {root.shape}) is being modified in place with "
                f"gradients recorded: take the view and change it both inside no_grad(), or "
                f"both outside"
            )
        if root._node is None:
            raise InplaceError(
                f"{what}: a view (shape {x.shape}) of a leaf Tensor that requires grad "
                f"({_label(root)}shape {root.shape}) is being used in an in-place operation "
                f"while gradients are recorded. Update the leaf inside `with no_grad():`, or "
                f"change a copy"
            )


def _write(x: Tensor, values: np.ndarray, what: str) -> None:
    """Copy ``values`` (already of ``x``'s shape and a castable dtype) into ``x``'s memory."""
    try:
        np.copyto(x._data, values, casting="unsafe")
    except ValueError as e:
        if not x._data.flags.writeable:
            raise InplaceError(
                f"{what}: the tensor's array (shape {x.shape}, dtype {x.dtype}) is read-only "
                f"(made from a read-only array, or a broadcast view): change a copy instead"
            ) from None
        raise ShapeError(f"{what}: {e}") from None
    versions.wrote((x._data,))


def _check_result(x: Tensor, res: np.ndarray, what: str) -> None:
    if res.shape != x._data.shape:
        raise ShapeError(
            f"{what}: the result has shape {res.shape}, but the tensor changed in place has "
            f"shape {x.shape}: an in-place update cannot change the shape (it broadcasts the "
            f"operand to the tensor, not the tensor to the operand)"
        )
    if res.dtype != x._data.dtype and not np.can_cast(res.dtype, x._data.dtype, "same_kind"):
        raise DTypeError(
            f"{what}: the result has dtype {res.dtype}, which cannot be stored in the "
            f"{x.dtype} tensor changed in place (shape {x.shape}); numpy's same_kind rule, as "
            f"in PyTorch. Convert the tensor first (x = x.astype(...))"
        )


def update(x: Tensor, op: Op, other: Any, symbol: str) -> Tensor:
    """``x <symbol>= other``: ``x`` becomes ``op(x, other)``, in place. Returns ``x``."""
    what = f"{op.name}_ (x {symbol}= ...)"
    if tracing() is not None:
        _refuse_in_trace(what)
    y = _operand(x, other, what)
    if not (recording() and (x._rg or y._rg)):
        if recording() and getattr(x, "_base", None) is not None:
            _check_allowed(x, what)  # a no_grad view of a tensor that requires grad
        try:
            res = op.forward(x._data, y._data)
        except AutogradError:
            raise
        except (ValueError, TypeError, IndexError) as e:
            raise forward_error(op.name, (x, y), e) from None
        res = np.asarray(res)
        _check_result(x, res, what)
        _write(x, res, what)
        return x
    _check_allowed(x, what)
    # The previous value, as an input of the recorded op: a copy if the rule reads it, since
    # x's memory is about to change (else a tensor of the right shape is all it needs)
    reads = op.read_positions((x, y))
    old = _make(x._data.copy() if 0 in reads else x._data, x._rg, x._node)
    y = old if y is x else _husk(y)
    res_t = op(old, y)
    _check_result(x, res_t._data, what)
    if res_t._data.dtype != x._data.dtype:
        res_t = astype(res_t, x._data.dtype)  # recorded: the gradient goes back through it
    _write(x, res_t._data, what)
    _unlink(x, old, res_t._node)
    _take(x, res_t)
    return x


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` (``value`` broadcast to the indexed part, as numpy does)."""
    what = f"setitem (x[...] = value, x of shape {x.shape})"
    if tracing() is not None:
        _refuse_in_trace(what)
    v = _operand(x, value, what)
    index = _normalize_index(index)
    basic = _is_basic(index)
    if not (recording() and (x._rg or v._rg)):
        if recording() and getattr(x, "_base", None) is not None:
            _check_allowed(x, what)
        try:
            x._data[index] = v._data
        except IndexError as e:
            raise IndexingError(f"{what}: {e}") from None
        except (ValueError, TypeError) as e:
            if not x._data.flags.writeable:
                raise InplaceError(
                    f"{what}: the tensor's array is read-only (made from a read-only array, "
                    f"or a broadcast view): change a copy instead"
                ) from None
            raise ShapeError(f"{what}: cannot assign a value of shape {v.shape}: {e}") from None
        versions.wrote((x._data,))
        return
    _check_allowed(x, what)
    if x.dtype.kind != "f":
        raise DTypeError(
            f"{what}: a value that requires grad cannot be written into a {x.dtype} tensor "
            f"(gradients need floating point); convert it first (x = x.astype(np.float32))"
        )
    try:
        region = x._data[index]
        if np.broadcast_shapes(v.shape, np.shape(region)) != np.shape(region):
            raise ValueError(f"shape {v.shape} does not broadcast to {np.shape(region)}")
    except IndexError as e:
        raise IndexingError(f"{what}: {e}") from None
    except ValueError as e:
        raise ShapeError(f"{what}: cannot assign a value of shape {v.shape}: {e}") from None
    old = _make(x._data, x._rg, x._node)  # its values are not read: setitem reads none
    v = old if v is x else _husk(v)
    if v._data.dtype != x._data.dtype:
        v = astype(v, x._data.dtype)
    kwargs = {"index": index, "basic": basic}
    x._data[index] = v._data
    versions.wrote((x._data,))
    node = Node(_setitem, (old, v), (old._node, v._node), x._data, kwargs)
    _unlink(x, old, node)
    _take(x, _make(x._data, True, node))


def _refuse_in_trace(what: str) -> None:
    from .jit.trace import refuse  # (jit imports the engine)

    refuse(f"an in-place update, {what},")


def copy_(x: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast to ``x``'s shape) into ``x``, in place; returns ``x``."""
    setitem(x, Ellipsis, src)
    return x


# --- histories after an in-place change -----------------------------------------------------


def _husk(t: Tensor) -> Tensor:
    """``t`` as an input of the node recorded for an in-place change: a fresh Tensor with its
    array, history and guard, so that the node does not reference a tensor whose history the
    change may replace (a view of ``x``: the node would then reach itself, a cycle). A leaf
    that requires grad stays itself (its gradient is delivered to it); it is never a view."""
    if t._node is None and t._rg:
        return t
    h = _make(t._data, t._rg, t._node)
    h._guard = t._guard
    return h


_checked: dict[int, tuple] = {}  # id(root) -> (weak ref to it, nodes known not to hold it)


def _unchecked(key: int, _ref: Any = None) -> None:
    _checked.pop(key, None)


def _unlink(x: Tensor, old: Tensor, start: Node) -> None:
    """Before ``x`` (and its bases and views) take a new history: the nodes recorded from its
    previous state, in the graph the new history reads, get that previous state instead.

    NOTE: a node keeps the Tensors it read; one that read ``x`` (``x += x * 2``) would
    otherwise reach ``x``'s new history, which reaches it back: a reference cycle, freed only
    by the cyclic collector, and a leaf's new history would be taken for its old one. The
    walk stops at the old histories (beyond their last nodes nothing can hold ``x``) and at
    the nodes seen by an earlier walk for the same tensor, so a loop of updates walks each
    node once.
    """
    root, _ = _root(x)
    changed = {id(x): old}
    stops = {old._node}
    t = x
    while True:  # the bases along the chain
        link = getattr(t, "_base", None)
        if link is None:
            break
        t = link[0]
        changed.setdefault(id(t), _make(t._data, t._rg, t._node))
        stops.add(t._node)
    _collect_views(root, changed)
    entry = _checked.get(id(root))
    if entry is None or entry[0]() is not root:
        seen: Any = weakref.WeakSet()
        key = id(root)
        _checked[key] = (weakref.ref(root, partial(_unchecked, key)), seen)
    else:
        seen = entry[1]
    stack = list(start.parents)
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        ins = n.inputs
        if any([u is not None and id(u) in changed for u in ins]):
            n.inputs = tuple([changed.get(id(u), u) if u is not None else u for u in ins])
        if n not in stops:  # (a view's old history holds its base: rewritten, not walked)
            stack.extend(n.parents)


def _collect_views(t: Tensor, changed: dict) -> None:
    """Add to ``changed`` a stand-in for the present state of each live view of ``t``."""
    for r in getattr(t, "_views", ()):
        v = r()
        if v is not None and id(v) not in changed:
            changed[id(v)] = _make(v._data, v._rg, v._node)
            _collect_views(v, changed)


def _take(x: Tensor, new: Tensor) -> None:
    """Give ``x`` (whose memory now holds ``new``'s values) ``new``'s history, and pass the
    change on to its base, if it is a view, and to its views."""
    link = getattr(x, "_base", None)
    if link is not None:
        base, vop, kwargs, _ = link
        base_new = _into_base(base, new, vop, kwargs)
        _take(base, base_new)  # re-derives x too, as one of the base's views
        return
    old = x._node
    x._node = new._node
    x._rg = True
    if old is not None and old.retain is not None:  # retain_grad() follows the tensor
        new._node.retain, old.retain = old.retain, None
    _rederive_views(x)


def _into_base(base: Tensor, new: Tensor, vop: Op, kwargs: dict) -> Tensor:
    """``base`` after its view ``vop(base, **kwargs)`` took the values (and history) of
    ``new``: the node that puts them in."""
    old = _make(base._data, base._rg, base._node)
    if vop is _getitem:
        node = Node(_setitem, (old, new), (old._node, new._node), base._data, dict(kwargs))
    elif vop is _reshape:
        node = Node(_reshape, (new,), (new._node,), base._data, {"shape": base.shape})
    elif vop is _transpose:
        inverse = tuple(np.argsort(kwargs["axes"]).tolist())
        node = Node(_transpose, (new,), (new._node,), base._data, {"axes": inverse})
    else:
        raise InplaceError(
            f"in-place change of a view made by '{vop.name}' (shape {new.shape}) of a tensor "
            f"of shape {base.shape} cannot be recorded; change the base, or a copy"
        )
    return _make(base._data, True, node)


def _rederive_views(x: Tensor) -> None:
    """Give each live view of ``x`` taken with grad mode on a fresh history: the same view
    of ``x`` as it is now (PyTorch regenerates a view's grad_fn after its base changed)."""
    refs = getattr(x, "_views", None)
    if not refs:
        return
    alive = []
    for r in refs:
        v = r()
        if v is None:
            continue
        alive.append(r)
        _, vop, kwargs, recorded = v._base
        if recorded and v._base[0] is x:
            old = v._node
            v._node = Node(vop, (x,), (x._node,), v._data, kwargs)
            v._rg = True
            if old is not None and old.retain is not None:
                v._node.retain, old.retain = old.retain, None
            _rederive_views(v)
    x._views = alive
