"""Parameters made after an optimizer was built: taken in, or refused; never silently left out.

A layer without its input size makes its parameters on its first call, so a list taken from
``model.parameters()`` before that call lacks them. PyTorch answers with placeholder
parameters; here the optimizer follows the module instead, as Keras builds its slots on the
first step:

- ``Module.parameters()`` returns a ``ParameterList``, a list that remembers its module. An
  optimizer built from one while the module still has unbuilt layers keeps the module, and
  at each step after new parameters appeared it adds the module's new ones (their state
  allocated then). Once every layer is built it lets the module go.
- A module whose ``parameters()`` were asked for while some layer of it was unbuilt is
  remembered. When such a layer then makes parameters that receive gradients, an optimizer
  built from a copy of that list (or a filtered one, or lists joined with ``+``) cannot know
  whether they were meant to train, so its next step raises, naming them, unless another
  optimizer updates them.

Every parameter a layer makes is counted (``created``), so an optimizer sees with one
comparison whether anything appeared since its last step.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

_count = 0  # parameters made by layers so far, in this session
_recent: dict[int, tuple[weakref.ref, weakref.ref]] = {}  # serial -> (parameter, its layer)
# modules whose parameters() were listed while some layer inside was unbuilt, with the ids of
# the parameters listed then
_listed: dict[int, tuple[weakref.ref, set[int]]] = {}
_optimizers: weakref.WeakSet = weakref.WeakSet()


class ParameterList(list):
    """A list of parameters that remembers the module it came from (``module``)."""

    def __init__(self, items: Any = (), module: Any = None) -> None:
        super().__init__(items)
        self.module = module


def _forget(table: dict, key: int) -> Callable[[Any], None]:
    # a weakref callback that drops the table's entry once its object is gone
    def drop(_: Any) -> None:
        table.pop(key, None)

    return drop


def count() -> int:
    """How many parameters layers have made so far."""
    return _count


def created(p: Any, layer: Any) -> None:
    """Record a parameter ``layer`` just made."""
    global _count
    serial = _count
    _recent[serial] = (weakref.ref(p, _forget(_recent, serial)), weakref.ref(layer))
    _count += 1


def register(optimizer: Any) -> None:
    """Record a live optimizer (to see which parameters some optimizer updates)."""
    _optimizers.add(optimizer)


def incomplete(module: Any) -> bool:
    """True while some layer inside ``module`` is not built yet (so it may make parameters)."""
    return any(getattr(m, "built", True) is False for m in module.modules())


def listed(module: Any, params: list) -> None:
    """Remember that ``module``, while incomplete, listed ``params``."""
    if not incomplete(module):
        return
    key = id(module)
    entry = _listed.get(key)
    if entry is None or entry[0]() is not module:
        entry = (weakref.ref(module, _forget(_listed, key)), set())
        _listed[key] = entry
    entry[1].update(id(p) for p in params)


def _claimed(p: Any, by: Any) -> bool:
    """True when an optimizer other than ``by`` updates ``p``, or follows a module that has it."""
    for opt in list(_optimizers):
        if opt is by:
            continue
        if any(q is p for q in opt.params):
            return True
        owner = opt._owner
        if owner is not None and any(q is p for _, q in owner.named_parameters()):
            return True
    return False


def new_parameters(opt: Any, since: int) -> list:
    """The parameters ``opt`` should take in now; raises for those it would silently miss.

    ``opt.params`` are what it updates, ``opt._owner`` the module it follows (or None);
    ``since`` the count at its last look.
    """
    if since == _count:
        return []
    mine = {id(p) for p in opt.params}
    adopt = []
    if opt._owner is not None:
        adopt = [p for p in opt._owner.parameters() if id(p) not in mine]
        mine.update(id(p) for p in adopt)
    fresh = []
    for serial in range(since, _count):
        entry = _recent.get(serial)
        p, layer = (None, None) if entry is None else (entry[0](), entry[1]())
        if p is not None and layer is not None and p.grad is not None and id(p) not in mine:
            fresh.append((p, layer))
    missed = []
    modules = [(m, ids) for m, ids in ((r(), ids) for r, ids in list(_listed.values())) if m]
    for p, layer in fresh:
        around = [(m, ids) for m, ids in modules if any(x is layer for x in m.modules())]
        # the list given came from one of these modules, or nothing else trains p
        if around and (any(ids & mine for _, ids in around) or not _claimed(p, opt)):
            outer = max(around, key=lambda e: sum(1 for _ in e[0].modules()))[0]
            names = {id(q): n for n, q in outer.named_parameters()}
            missed.append(p.name if outer is layer else names.get(id(p), p.name))
    if missed:
        raise ValueError(
            f"{type(opt).__name__}: the model made parameters after this optimizer was built "
            f"(a layer built on its first call) and they received gradients, but the "
            f"optimizer does not update them: {', '.join(missed)}. Build the optimizer from "
            f"model.parameters() itself (it then takes in parameters made later), or build "
            f"the model first (input_dim= or input_shape= on its first layer), or freeze "
            f"those layers with trainable=False"
        )
    return adopt
