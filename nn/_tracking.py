"""Parameters made after an optimizer was built: taken in, or refused; never silently left out.

A layer without its input size makes its parameters on its first call, so a list taken from
``model.parameters()`` before that call lacks them. PyTorch answers with placeholder
parameters; here the optimizer follows the module instead, as Keras builds its slots on the
first step:

- ``Module.parameters()`` returns a ``ParameterList``, a list that remembers its module. An
  optimizer built from one while the module still has unbuilt layers keeps the module, and
  at each step after new parameters appeared it adds the module's new ones (their state
  allocated then). Once every layer is built it lets the module go.
- An optimizer built from any other list of the parameters of such a module (a copy, a
  filtered list) cannot know what the user meant, so its next step raises, naming the
  parameters it would leave out, if they received a gradient.

Every parameter a layer makes is counted (``created``), so an optimizer sees with one
comparison whether anything appeared since its last step.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

_count = 0  # parameters made by layers so far, in this session
_recent: dict[int, weakref.ref] = {}  # serial number -> the parameter, while it lives
# id(parameter) -> (parameter, module): the module listed it while some layer of it was unbuilt
_listed_by: dict[int, tuple[weakref.ref, weakref.ref]] = {}


class ParameterList(list):
    """A list of parameters that remembers the module it came from (``module``)."""

    def __init__(self, items: Any = (), module: Any = None) -> None:
        super().__init__(items)
        self.module = module


def count() -> int:
    """How many parameters layers have made so far."""
    return _count


def created(p: Any) -> None:
    """Record a parameter a layer just made."""
    global _count
    serial = _count
    _recent[serial] = weakref.ref(p, _forget(_recent, serial))
    _count += 1


def _forget(table: dict, key: int) -> Callable[[Any], None]:
    # a weakref callback that drops the table's entry once its object is gone
    def drop(_: Any) -> None:
        table.pop(key, None)

    return drop


def incomplete(module: Any) -> bool:
    """True while some layer inside ``module`` is not built yet (so it may make parameters)."""
    return any(getattr(m, "built", True) is False for m in module.modules())


def listed(module: Any, params: list) -> None:
    """Remember that ``module``, while incomplete, listed ``params``."""
    if not incomplete(module):
        return
    mref = weakref.ref(module)
    for p in params:
        _listed_by[id(p)] = (weakref.ref(p, _forget(_listed_by, id(p))), mref)


def _source(p: Any) -> Any:
    entry = _listed_by.get(id(p))
    if entry is None or entry[0]() is not p:
        return None
    return entry[1]()


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
    fresh = set()
    for serial in range(since, _count):
        r = _recent.get(serial)
        if r is not None and r() is not None:
            fresh.add(id(r()))
    sources = {id(m): m for m in map(_source, opt.params) if m is not None}
    missed = [
        (name, p)
        for m in sources.values()
        for name, p in m.named_parameters()
        if id(p) in fresh and id(p) not in mine and p.grad is not None
    ]
    if missed:
        names = ", ".join(name for name, _ in missed)
        raise ValueError(
            f"{type(opt).__name__}: the model made parameters after this optimizer was built "
            f"(a layer built on its first call) and they received gradients, but the "
            f"optimizer does not update them: {names}. Build the optimizer from "
            f"model.parameters() itself (it then takes in parameters made later), or build "
            f"the model first (input_dim= or input_shape= on its first layer), or freeze "
            f"those layers with trainable=False"
        )
    return adopt
