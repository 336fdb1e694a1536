"""Old module paths kept importable after a module moved to a new home.

``alias_modules("autograd_core", {"gradcheck": "debug.gradcheck"})`` makes
``import autograd_core.gradcheck`` give the module ``autograd_core.debug.gradcheck`` (the same
object, imported on first use), so code written against the old layout keeps working while
the tree shows only the new one.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The target module ran when it was imported; the import machinery has just set its
        # __spec__ to the alias's, which would rename it: give it back its own.
        module.__spec__ = self.own_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        new = self.aliases.get(name)
        if new is None:
            return None
        return importlib.util.spec_from_loader(name, _AliasLoader(new))


def alias_modules(package: str, moved: dict[str, str]) -> None:
    """Make ``package.<old>`` import as ``package.<new>`` for each pair in ``moved``."""
    aliases = {f"{package}.{old}": f"{package}.{new}" for old, new in moved.items()}
    for old, new in aliases.items():
        # NOTE: a module imported already is aliased at once, so that importing the old path
        # never runs the import machinery, which would set the package attribute of that
        # name (``autograd_core.gradcheck``, the function) to the module.
        if new in sys.modules:
            sys.modules.setdefault(old, sys.modules[new])
    sys.meta_path.append(_AliasFinder(aliases))
