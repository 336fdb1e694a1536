"""backward(): walk the recorded graph from an output to the leaves and deliver gradients.

The walk is iterative (no recursion, so a chain of a million ops works at any recursion
limit). Each node is visited once, after every node that consumes its output, so the gradient
it hands on is complete: Kahn's algorithm on the dependency counts found by one first pass.
"""

from __future__ import annotations

import gc
from typing import Any, Sequence

import numpy as np

from .broadcast import unbroadcast
from .errors import BackwardError, DTypeError, ShapeError
from .grad_mode import mode
from .op import Op
from .tensor import Tensor, _make

_new = object.__new__


def backward(
    tensor: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
) -> None:
    """Accumulate d tensor / d leaf into ``leaf.grad`` for every leaf that requires grad."""
    if grad is None and type(tensor) is Tensor and tensor._rg and tensor.data.size == 1:
        data = tensor.data  # the common case (a scalar loss), without the general checks
        root_grad = np.empty(data.shape, dtype=data.dtype)
        root_grad.fill(1)
        if create_graph:
            root_grad = _make(root_grad)
    else:
        root_grad = _initial_grad(tensor, grad, create_graph, "backward")
    run_backward(tensor, root_grad, retain_graph or create_graph, create_graph)


def gradients(
    output: Tensor,
    inputs: Sequence[Tensor],
    grad_output: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """d output / d input for each of ``inputs``, returned rather than stored in ``.grad``
    (``torch.autograd.grad``). An input the output does not depend on gets zeros, or None
    with ``allow_unused=True``."""
    inputs = tuple(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t._rg:
            raise BackwardError("gradients: every input must be a Tensor that requires grad")
    root_grad = _initial_grad(output, grad_output, create_graph, "gradients")
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(output, root_grad, retain, create_graph, capture=inputs)
    result = []
    for t in inputs:
        g = found.get(t._node if t._node is not None else t)
        if g is None and not allow_unused:
            g = np.zeros(t.shape, dtype=t.dtype)
            g = _make(g) if create_graph else g
        result.append(g)
    return tuple(result)


def _initial_grad(t: Tensor, grad: Any, create_graph: bool, where: str) -> Any:
    """The gradient backward starts from: ones for a one-element output, else ``grad``."""
    if not isinstance(t, Tensor):
        raise BackwardError(f"{where}: expected a Tensor output. Received {type(t).__name__}")
    if not t._rg:
        raise BackwardError(
            f"{where}: the output (shape {t.shape}, dtype {t.dtype}) does not require grad, so "
            f"there is no graph to differentiate. Create the inputs with requires_grad=True, "
            f"and do not compute the output inside no_grad()"
        )
    if grad is None:
        if t.data.size != 1:
            raise BackwardError(
                f"{where}: grad can be implied only for a one-element output, but this one "
                f"has shape {t.shape}. Pass grad= an array of shape {t.shape} (np.ones for a "
                f"plain sum), or reduce the output with .sum() or .mean() first"
            )
        g = np.empty(t.shape, dtype=t.dtype)
        g.fill(1)  # np.ones is a Python wrapper around these two calls
    elif isinstance(grad, Tensor) and create_graph and grad._rg:
        g = grad  # the user wants to differentiate through the upstream gradient too
    else:
        try:
            g = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=t.dtype, copy=True)
        except (TypeError, ValueError):
            raise DTypeError(
                f"{where}: grad must be numbers of the output's shape {t.shape} (an array, a "
                f"Tensor or a scalar). Received: {type(grad).__name__} {grad!r:.60}"
            ) from None
    if g.shape != t.shape:
        raise ShapeError(
            f"{where}: grad has shape {tuple(g.shape)} but the output has shape {t.shape}; "
            f"they must be equal"
        )
    if create_graph and not isinstance(g, Tensor):
        g = _make(g)
    return g


def _count_dependencies(root: Any) -> tuple[dict, dict]:
    """For each node reachable from ``root``: how many consumers will hand it a gradient, and
    its parents (read once here, since ``Node.parents`` is computed on access)."""
    deps = {root: 0}
    links = {}
    stack = [root]
    while stack:
        node = stack.pop()
        # Node.parents, inlined for the common case (a recorded op not yet released)
        parents = node._parents
        if parents is None:
            if node.released:
                parents = node.parents
            else:
                inputs = node._inputs
                if len(inputs) == 2:
                    parents = (inputs[0]._node, inputs[1]._node)
                elif len(inputs) == 1:
                    parents = (inputs[0]._node,)
                else:
                    parents = tuple([t._node for t in inputs])
        links[node] = parents
        for p in parents:
            if p is not None:
                if p in deps:
                    deps[p] += 1
                else:
                    deps[p] = 1
                    stack.append(p)
    return deps, links


def run_backward(
    root: Tensor,
    root_grad: Any,
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None = None,
) -> dict:
    """Propagate ``root_grad`` from ``root`` to the leaves.

    Without ``capture``, leaf gradients are added to ``.grad``. With it, nothing is stored:
    the gradients of the captured tensors are returned, keyed by node (non-leaf) or tensor.
    """
    wanted = None
    if capture is not None:
        wanted = {t._node if t._node is not None else t for t in capture}
    found: dict = {}
    leaf_grads: dict = {}
    start = root._node
    if start is None:  # the output is itself a leaf
        leaf_grads[root] = root_grad
    else:
        _walk(start, root_grad, retain_graph, create_graph, wanted, found, leaf_grads)
    if wanted is not None:
        for leaf, g in leaf_grads.items():
            if leaf in wanted:
                found[leaf] = _run_hooks(leaf._hooks, g) if leaf._hooks else g
        return found
    _deliver(leaf_grads, create_graph)
    return found


def _walk(
    start: Any,
    root_grad: Any,
    retain_graph: bool,
    create_graph: bool,
    wanted: set | None,
    found: dict,
    leaf_grads: dict,
) -> None:
    # NOTE: the cyclic collector is paused during the walk (and resumed after, if it was
    # on). The walk makes no reference cycles, so it has nothing to collect, but its scratch
    # (the parents read below, one tuple per node) would make it scan the whole graph several
    # times over on a long chain. Pausing is process-wide: another thread's collections wait
    # for the end of this backward.
    collecting = gc.isenabled()
    gc.disable()
    anomaly = mode.anomaly
    previous_mode = mode.enabled
    mode.enabled = create_graph  # record the backward pass only when asked to
    # NOTE: one loop with the per-node work inlined: at a few µs per node, a function call or
    # an enumerate() per node is a measurable share of a long chain's backward.
    try:
        deps, links = _count_dependencies(start)
        grads: dict = {start: root_grad}
        ready = [start]
        while ready:
            node = ready.pop()
            g = grads.pop(node, None)
            parents = links.pop(node)
            if g is not None:
                if node.hooks is not None:
                    g = _run_hooks(node.hooks, g)
                if node.retain is not None:
                    _retain(node, g, create_graph)
                if wanted is not None and node in wanted:
                    found[node] = g
                if node.out_index is not None:
                    # output k of a multi-output node: its gradient fills slot k there
                    owner = parents[0]
                    slots = grads.get(owner)
                    if slots is None:
                        slots = grads[owner] = [None] * owner.n_out
                    k = node.out_index
                    slots[k] = g if slots[k] is None else _add(slots[k], g)
                else:
                    if node.released:
                        raise _released_error(node)
                    op = node.op
                    inputs = node._inputs  # not released: checked just above
                    if create_graph or type(op) is not Op:
                        in_grads = op.backward(node, g)
                    else:
                        # Op.backward, inlined for a plain backward: the rule reads Tensors
                        gt = _new(Tensor)
                        gt.data = g
                        gt.grad = gt._node = gt.name = gt._hooks = None
                        gt._rg = False
                        out = _make(node.out) if op.uses_out else None
                        kwargs = node.kwargs
                        if kwargs:
                            in_grads = op.rule(gt, out, *inputs, **kwargs)
                        else:
                            in_grads = op.rule(gt, out, *inputs)
                    if anomaly:
                        from .debug.anomaly import check_backward

                        check_backward(node, in_grads)
                    if len(in_grads) != len(inputs):
                        raise BackwardError(
                            f"vjp of '{node.name}' returned {len(in_grads)} gradients for "
                            f"{len(inputs)} inputs"
                        )
                    # NOTE: not strict: the lengths were checked just above, and a strict
                    # zip costs a measurable share of a small graph's backward
                    for gi, x, p in zip(in_grads, inputs, parents, strict=False):
                        if gi is None or not x._rg:
                            continue
                        if create_graph:
                            if type(gi) is not Tensor:
                                gi = _make(np.asarray(gi))
                        elif type(gi) is Tensor:
                            gi = gi.data
                        xdata = x.data
                        if gi.shape != xdata.shape:
                            gi = unbroadcast(
                                gi, xdata.shape, f"vjp of '{node.name}' returned a gradient"
                            )
                        if gi.dtype is not xdata.dtype and gi.dtype != xdata.dtype:
                            gi = _cast(gi, xdata.dtype, node)
                        # sum the shares of every consumer (fan-out): a new array, never in
                        # place, since a rule may hand the same array to several inputs
                        if p is None:
                            prev = leaf_grads.get(x)
                            leaf_grads[x] = gi if prev is None else _add(prev, gi)
                        else:
                            prev = grads.get(p)
                            grads[p] = gi if prev is None else _add(prev, gi)
            if not retain_graph and not node.released:
                node.release()
            for p in parents:
                if p is not None:
                    left = deps[p] - 1
                    deps[p] = left
                    if left == 0:
                        ready.append(p)
    finally:
        mode.enabled = previous_mode
        if collecting:
            gc.enable()


def _released_error(node: Any) -> BackwardError:
    return BackwardError(
        f"backward through '{node.name}' (output shape {tuple(node.shape)}, dtype "
        f"{node.dtype}) a second time: the arrays it saved were freed by "
        f"the first backward. Pass retain_graph=True to the first backward() (or to "
        f"every one but the last) to keep them"
    )


def _cast(gi: Any, dtype: np.dtype, node: Any) -> Any:
    """A rule's gradient converted to its input's float dtype (an integer one is a bug)."""
    if gi.dtype.kind != "f":
        raise DTypeError(
            f"vjp of '{node.name}' returned a {gi.dtype} gradient for an input of dtype "
            f"{dtype}; a gradient must be floating point"
        )
    return gi.astype(dtype)


def _add(a: Any, b: Any) -> Any:
    """a + b for two gradients (arrays or Tensors), always an array or a Tensor."""
    s = a + b
    # NOTE: numpy returns a scalar, not a 0-d array, for the sum of two 0-d arrays
    return np.asarray(s) if isinstance(s, np.generic) else s


def _run_hooks(hooks: list, g: Any) -> Any:
    for hook in list(hooks):
        replaced = hook(g)
        if replaced is not None:
            # keep the gradient's kind: an array in a plain backward, a Tensor when recording
            if isinstance(g, Tensor):
                if not isinstance(replaced, Tensor):
                    replaced = _make(np.asarray(replaced, dtype=g.dtype))
            else:
                replaced = np.asarray(
                    replaced.data if isinstance(replaced, Tensor) else replaced, dtype=g.dtype
                )
            if replaced.shape != g.shape:
                raise ShapeError(
                    f"a gradient hook ({getattr(hook, '__name__', 'hook')}) returned shape "
                    f"{replaced.shape} for a gradient of shape {g.shape}; return the same shape"
                )
            g = replaced
    return g


def _retain(node: Any, g: Any, create_graph: bool) -> None:
    t = node.retain()
    if t is not None:
        g = g if create_graph else np.array(g, copy=True)
        t.grad = g if t.grad is None else _add(t.grad, g)


def _deliver(leaf_grads: dict, create_graph: bool) -> None:
    """Add each leaf's gradient to its ``.grad``, never sharing an array between two leaves."""
    given: set = set()
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if leaf.grad is None:
            if not create_graph and (g.base is not None or id(g) in given or not g.flags.writeable):
                g = g.copy()  # a view or an array another leaf holds: give this one its own
            given.add(id(g))
            leaf.grad = g
        else:
            leaf.grad = _add(leaf.grad, g)
