"""The classes a saved file may name: nn's own, and those registered with
``register_serializable``.

A whole-model file describes each object (a layer, a model, the loss, the optimizer, a
regularizer, an initializer, a learning-rate schedule) as ``{"class_name": ...,
"registered_name": ..., "config": {...}}``. Loading looks ``registered_name`` up in this
registry, and nowhere else: nothing named in a file is ever imported, so a file cannot make
``load_model`` run code the program did not already hold. A name the registry lacks is an
error that says how to register the class.

nn's classes are registered under their public module, ``nn.layers>Dense``,
``nn.optimizers>Adam``, ``nn.losses>MeanSquaredError``; a user's under ``package>name``.
"""

from __future__ import annotations

import inspect
import json
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

__all__ = [
    "register_serializable",
    "get_registered_name",
    "get_registered_object",
    "custom_object_scope",
    "serialize_object",
    "deserialize_object",
    "object_config",
    "SerializationError",
]


class SerializationError(ValueError):
    """A file (or an object) that cannot be turned into the other: an unknown class name,
    a config that does not fit its class, a value JSON cannot hold."""


_CUSTOM: dict[str, Any] = {}  # registered name -> class or function
_NAME_OF: dict[int, str] = {}  # id(object) -> registered name (the object lives in _CUSTOM)
_BUILTIN: dict[str, Any] = {}
_BUILTIN_NAME_OF: dict[int, str] = {}
_SCOPE: ContextVar[dict[str, Any] | None] = ContextVar("nn_custom_objects", default=None)

# nn's public modules whose classes are registered, and the base class each one's must have.
_BUILTIN_MODULES = (
    ("nn.layers", "Module"),
    ("nn.models", "Module"),
    ("nn.losses", "Loss"),
    ("nn.metrics", "Metric"),
    ("nn.optimizers", "Optimizer"),
    ("nn.optimizers", "LearningRateSchedule"),
    ("nn.regularizers", "Regularizer"),
    ("nn.initializers", "Initializer"),
)


def _builtins() -> dict[str, Any]:
    """nn's own classes by registered name, collected once (every public class of the
    modules above, so a class added there later is found without being listed)."""
    if _BUILTIN:
        return _BUILTIN
    import importlib

    from ..layers import base

    found: dict[str, Any] = {}
    for module_name, base_name in _BUILTIN_MODULES:
        module = importlib.import_module(module_name)
        root = getattr(module, base_name, None) or getattr(base, base_name)
        for attr, value in vars(module).items():
            if (
                not attr.startswith("_")
                and inspect.isclass(value)
                and issubclass(value, root)
                and value.__module__.startswith(module_name)
            ):
                found.setdefault(f"{module_name}>{value.__name__}", value)
    for key, value in found.items():
        _BUILTIN_NAME_OF[id(value)] = key
    _BUILTIN.update(found)
    return _BUILTIN


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Decorator: make a class (or function) loadable by ``load_model`` under
    ``"package>name"`` (``name`` defaults to the object's ``__name__``).

    ``@nn.saving.register_serializable(package="my_project")`` above a layer, a subclassed
    model, a loss, a metric, a regularizer or an initializer. The class's ``get_config()``
    must give the arguments its constructor takes (a layer whose ``__init__`` stores them
    under the same attribute names needs none of its own).

    Raises:
        ValueError: the name is taken by another object, or ``package`` is nn's own.
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(
            f"register_serializable expects a package name without '>'. Received: {package!r}"
        )
    if package == "nn" or package.startswith("nn."):
        raise ValueError(
            f"register_serializable: the package {package!r} is nn's own; choose another "
            f"(your project's name)"
        )

    def decorator(obj: Any) -> Any:
        short = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(short, str) or not short or ">" in short:
            raise ValueError(
                f"register_serializable needs a name without '>' for {obj!r}. Received: {short!r}"
            )
        key = f"{package}>{short}"
        old = _CUSTOM.get(key)
        if old is not None and old is not obj and not _same_definition(old, obj):
            raise ValueError(
                f"register_serializable: {key!r} is already registered to {old!r}; give "
                f"another name=... or package=..."
            )
        if old is not None:
            _NAME_OF.pop(id(old), None)
        _CUSTOM[key] = obj
        _NAME_OF[id(obj)] = key
        return obj

    return decorator


def _same_definition(a: Any, b: Any) -> bool:
    # the same class defined again (a re-run notebook cell, a reloaded module)
    return getattr(a, "__module__", None) == getattr(b, "__module__", None) and getattr(
        a, "__qualname__", None
    ) == getattr(b, "__qualname__", None)


def get_registered_name(obj: Any) -> str | None:
    """The name ``obj`` (a class or function, or an instance's class) is registered under,
    or None."""
    target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    key = _NAME_OF.get(id(target))
    if key is not None:
        return key
    _builtins()
    return _BUILTIN_NAME_OF.get(id(target))


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any | None:
    """The class or function registered as ``name`` (``"package>name"``), looked for in
    ``custom_objects``, then in the objects of an active ``custom_object_scope``, the
    registered ones and nn's own; None when none has it. Never imports anything."""
    for table in (custom_objects, _SCOPE.get()):
        if table and name in table:
            return table[name]
    if name in _CUSTOM:
        return _CUSTOM[name]
    return _builtins().get(name)


@contextmanager
def custom_object_scope(custom_objects: dict[str, Any] | None) -> Iterator[None]:
    """Within it, ``load_model`` also finds the objects of ``custom_objects`` (keyed by
    registered name or by class name): classes the program hands over itself."""
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(
            f"custom_objects must be a dict of name -> class or function. "
            f"Received: {type(custom_objects).__name__}"
        )
    merged = {**(_SCOPE.get() or {}), **(custom_objects or {})}
    token = _SCOPE.set(merged)
    try:
        yield
    finally:
        _SCOPE.reset(token)


# --- objects to JSON and back ----------------------------------------------------------------


def _json_default(where: str) -> Callable[[Any], Any]:
    def default(value: Any) -> Any:
        item = getattr(value, "item", None)  # numpy scalars
        if callable(item) and getattr(value, "shape", None) == ():
            return item()
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        raise SerializationError(
            f"{where}: a value of type {type(value).__name__} ({value!r}) cannot be saved in "
            f"a config (JSON numbers, strings, lists, dicts, None only)"
        )

    return default


def to_json(value: Any, where: str) -> str:
    """``value`` as JSON text; a value JSON cannot hold raises, naming ``where``."""
    try:
        return json.dumps(value, default=_json_default(where), sort_keys=False)
    except ValueError as e:
        if isinstance(e, SerializationError):
            raise
        raise SerializationError(f"{where}: {e}") from None


def _init_parameters(cls: type) -> list[inspect.Parameter]:
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _defined_in_nn(cls: type, method: str) -> bool:
    """True when ``cls`` takes ``method`` from one of nn's classes (not from user code)."""
    for klass in cls.__mro__:
        if method in vars(klass):
            return klass.__module__.split(".")[0] == "nn"
    return True


def _from_attributes(obj: Any, config: dict[str, Any], who: str) -> dict[str, Any]:
    """``config`` completed with the constructor's arguments read from attributes of the
    same names; a required one without such an attribute raises."""
    out = dict(config)
    for p in _init_parameters(type(obj)):
        if p.name in out:
            continue
        if p.name in vars(obj) or hasattr(type(obj), p.name):
            try:
                value = getattr(obj, p.name)
            except AttributeError:
                value = p.empty
            # an optional argument whose attribute is no config value (a random generator,
            # nn's ``rng``) keeps its default
            if value is not p.empty and (p.default is p.empty or _config_value(value)):
                out[p.name] = value
        if p.name not in out and p.default is p.empty:
            raise SerializationError(
                f"{who}: its constructor takes `{p.name}`, which neither get_config() nor an "
                f"attribute of that name gives; define get_config() returning the "
                f"constructor's arguments"
            )
    return out


def _config_value(value: Any) -> bool:
    """True for what a config can hold: JSON values and objects with a config of their own."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_config_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _config_value(v) for k, v in value.items())
    return inspect.isroutine(value) or hasattr(value, "get_config")


def object_config(obj: Any, who: str | None = None) -> dict[str, Any]:
    """The constructor's arguments of ``obj``: its ``get_config()`` when its own class (or
    nn) defines one, completed from same-named attributes for a user's class that relies
    on nn's."""
    who = who or type(obj).__name__
    getter = getattr(obj, "get_config", None)
    config: dict[str, Any] = {}
    if callable(getter):
        config = getter()
        if not isinstance(config, dict):
            raise SerializationError(
                f"{who}.get_config() must return a dict. Received: {type(config).__name__}"
            )
    if getter is None or (
        type(obj).__module__.split(".")[0] != "nn" and _defined_in_nn(type(obj), "get_config")
    ):
        config = _from_attributes(obj, config, who)
    return config


def _describe(obj: Any) -> dict[str, Any]:
    target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    entry: dict[str, Any] = {
        "class_name": getattr(target, "__name__", type(target).__name__),
        "registered_name": get_registered_name(target),
    }
    if entry["registered_name"] is None:
        # only said in the message when loading fails; never used to find the class
        entry["module"] = getattr(target, "__module__", None)
    return entry


def serialize_object(obj: Any, who: str | None = None) -> dict[str, Any]:
    """``{"class_name", "registered_name", "config"}`` for an instance, or
    ``{"class_name", "registered_name", "function": true}`` for a function."""
    if inspect.isroutine(obj):
        return {**_describe(obj), "function": True}
    entry = _describe(obj)
    entry["config"] = _serialize_values(object_config(obj, who), who or entry["class_name"])
    return entry


def _serialize_values(config: dict[str, Any], who: str) -> dict[str, Any]:
    # nested objects a config may hold (a learning-rate schedule, a registered function)
    out = {}
    for key, value in config.items():
        if _is_object(value):
            value = serialize_object(value, f"{who}.{key}")
        out[key] = value
    return out


def _is_object(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float, list, tuple, dict)):
        return False
    return inspect.isroutine(value) or hasattr(value, "get_config") or callable(value)


def _check_entry(entry: Any, what: str) -> tuple[str, str | None]:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise SerializationError(
            f"{what}: expected an object description {{'class_name': ..., 'config': ...}}. "
            f"Received: {str(entry)[:200]}"
        )
    registered = entry.get("registered_name")
    if registered is not None and not isinstance(registered, str):
        raise SerializationError(
            f"{what}: registered_name must be a string. Received: {registered!r}"
        )
    return entry["class_name"], registered


def resolve(entry: Any, what: str, base: type | tuple | None = None) -> Any:
    """The class or function an entry names, from the registry only; checked to be a
    subclass of ``base`` (for a class)."""
    class_name, registered = _check_entry(entry, what)
    found = None
    if registered is not None:
        found = get_registered_object(registered)
    if found is None:
        scope = _SCOPE.get() or {}
        found = scope.get(class_name)
    if found is None:
        where = registered or (
            f"{entry.get('module')}.{class_name}" if entry.get("module") else class_name
        )
        raise SerializationError(
            f"{what}: the file names {where!r}, which is not a registered class or function. "
            f"Loading never imports code named in a file; if this is your own class, "
            f"decorate it with @nn.saving.register_serializable() before loading, or pass "
            f"custom_objects={{{class_name!r}: {class_name}}}"
        )
    if entry.get("function"):
        if not inspect.isroutine(found) and not callable(found):
            raise SerializationError(f"{what}: {registered or class_name!r} is not a function")
        return found
    if base is not None and not (inspect.isclass(found) and issubclass(found, base)):
        kinds = base if isinstance(base, tuple) else (base,)
        raise SerializationError(
            f"{what}: {registered or class_name!r} is {found!r}, not a "
            f"{' or '.join(k.__name__ for k in kinds)}"
        )
    return found


def construct(cls: type, config: dict[str, Any], what: str) -> Any:
    """``cls.from_config(config)``; for a user's class that inherits nn's ``from_config``,
    only the arguments its constructor takes are passed and ``name`` / ``trainable`` are
    set afterwards."""
    if not isinstance(config, dict):
        raise SerializationError(f"{what}: the config must be a dict. Received: {config!r}")
    try:
        if cls.__module__.split(".")[0] == "nn" or not _defined_in_nn(cls, "from_config"):
            return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
        params = inspect.signature(cls).parameters
        takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
        kwargs = {k: v for k, v in config.items() if takes_all or k in params}
        obj = cls(**kwargs)
        if "name" in config and "name" not in kwargs and isinstance(config["name"], str):
            obj.name = config["name"]
        if config.get("trainable") is False and "trainable" not in kwargs:
            obj.trainable = False
        return obj
    except SerializationError:
        raise
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise SerializationError(
            f"{what}: {cls.__name__} could not be rebuilt from its config: {e}"
        ) from None


def deserialize_object(entry: Any, what: str, base: type | tuple | None = None) -> Any:
    """The object an entry describes: a registered function, or an instance of a
    registered class built from its config (nested objects first)."""
    found = resolve(entry, what, base)
    if entry.get("function"):
        return found
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise SerializationError(f"{what}: the config must be a dict. Received: {config!r}")
    config = {
        key: deserialize_object(value, f"{what}.{key}") if _is_entry(value) else value
        for key, value in config.items()
    }
    return construct(found, config, what)


def _is_entry(value: Any) -> bool:
    # an object serialize_object wrote (initializers and regularizers keep their own
    # {"class_name", "config"} form, read by their get())
    return isinstance(value, dict) and "registered_name" in value and "class_name" in value
