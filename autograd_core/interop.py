"""numpy's functions and ufuncs on Tensors, recorded like the engine's own ops.

numpy hands every call that involves a Tensor to the Tensor: ufuncs (``np.sin(t)``, and an
ndarray's operators, ``a @ t``, ``a + t``) to ``Tensor.__array_ufunc__``, its other functions
(``np.sum(t, axis=0)``, ``np.concatenate([t, u])``, ``np.linalg.norm(t)``) to
``Tensor.__array_function__``. Both come here, and each numpy function runs as the engine's
function of the same name, so numpy code becomes differentiable by being handed Tensors:

>>> import numpy as np
>>> import autograd_core as ag
>>> x = ag.Tensor(np.array([0.5, 2.0]), requires_grad=True)
>>> energy = np.sum(np.sin(x) ** 2) + np.linalg.norm(x)
>>> energy.backward()
>>> x.grad.round(6)
array([1.084147, 0.213248])

The table is one dict per kind (ufuncs, functions), built from the names the engine exports:
a numpy function whose name is also an ``autograd_core`` (or ``autograd_core.linalg``) name
runs as that function, so an op exported under numpy's name has interop with nothing else to
write. A few entries are written out where numpy's signature or semantics differ (``clip``'s
``a_min``, ``np.linalg.diagonal``'s last two axes, aliases such as ``np.amax``).

Anything else (``np.fft.fft``, ``np.add.at``, an ``out=`` argument) raises a TypeError that
names it: a Tensor never silently becomes a plain array through a numpy function.
``np.asarray(t)`` and ``np.array(t)`` are the explicit way out: they give the values, and
nothing computed from them is recorded. (numpy converts a Tensor nested in a list given as
one array, ``np.sum([t, u])``, that way without asking: it looks for Tensors only among the
arguments and in the sequences of ``np.concatenate``, ``np.stack`` and the like.)
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Any, Callable, NamedTuple

import numpy as np

from .tensor import Tensor

_NO_VALUE = inspect.Parameter.empty
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# Engine names that numpy has too but that are not computations on their arguments: numpy's
# creation functions (``np.linspace(t0, t1)`` is not differentiable in its end points).
_NOT_OPS = {"arange", "linspace", "zeros", "ones", "full", "eye"}

# ufuncs of other libraries that are engine ops, by module: their name there -> the engine's.
# They are looked up only when such a module has been imported (never imported from here).
_FOREIGN_UFUNCS = {"scipy.special": {"erf": "erf", "expit": "sigmoid", "log_expit": "log_sigmoid"}}


def qualified_name(func: Any) -> str:
    """``np.fft.fft`` for numpy's functions and ufuncs, else ``module.name``."""
    name = getattr(func, "__name__", repr(func))
    if isinstance(func, np.ufunc):
        if getattr(np, name, None) is func:
            return f"np.{name}"
        for module in _FOREIGN_UFUNCS:
            if getattr(sys.modules.get(module), name, None) is func:
                return f"{module}.{name}"
        return f"the ufunc {name}"
    module = getattr(func, "__module__", None) or ""
    if module == "numpy" or module.startswith("numpy._"):
        return f"np.{name}"
    if module.startswith("numpy."):
        return "np." + module[len("numpy.") :] + "." + name
    return f"{module}.{name}" if module else name


def _unsupported(what: str) -> TypeError:
    return TypeError(
        f"{what} is not supported on autograd_core Tensors: the engine has no differentiable "
        f"op for it. Compute it on the values with np.asarray(t) (nothing flows back through "
        f"that), or write it with the functions autograd_core.interop.supported() lists"
    )


def _no_out(what: str) -> TypeError:
    return TypeError(
        f"{what}(..., out=...) is not supported with autograd_core Tensors: an array written "
        f"in place cannot record how it was computed. Use the result instead (a = a + t is a "
        f"new Tensor), or write values without gradients through np.asarray(t)"
    )


def _refused(what: str, name: str, value: Any) -> TypeError:
    if name == "out":
        return _no_out(what)
    return TypeError(
        f"{what}: the argument {name}={value!r:.60} is not supported on autograd_core Tensors "
        f"(the engine's {what.split('.')[-1]} does not take it)"
    )


# --- numpy's functions -------------------------------------------------------------------------


class _Binding:
    """Calls the engine's function with the arguments a numpy call was given.

    The call is bound to numpy's signature first, so positional and keyword forms mean what
    numpy means. Each numpy parameter then goes to the engine's parameter of the same name,
    or to the one at the same position when that one has a name numpy does not use (numpy's
    ``a``, ``m``, ``arrays`` are the engine's ``x``, ``tensors``). A parameter with nowhere to
    go is dropped when it has numpy's default value, and refused otherwise.
    """

    def __init__(self, np_func: Callable, fn: Callable) -> None:
        self.what = qualified_name(np_func)
        self.fn = fn
        self.signature = inspect.signature(np_func)
        ours = inspect.signature(fn).parameters
        theirs = self.signature.parameters
        positional = [p for p in ours.values() if p.kind in _POSITIONAL]
        self.ours = ours
        self.target: dict[str, str | None] = {}
        self.star = self.star_star = None
        for i, p in enumerate(theirs.values()):
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                self.star = p.name
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                self.star_star = p.name
            elif p.name in ours:
                self.target[p.name] = p.name
            elif p.kind in _POSITIONAL and i < len(positional) and positional[i].name not in theirs:
                self.target[p.name] = positional[i].name
            else:
                self.target[p.name] = None

    def __call__(self, args: tuple, kwargs: dict) -> Any:
        bound = self.signature.bind(*args, **kwargs)
        star: tuple = ()
        given: dict = {}
        for name, value in bound.arguments.items():
            if name == self.star:
                star = value
            elif name == self.star_star:
                for key, v in value.items():
                    if key in self.ours:
                        given[key] = v
                    elif v is not None:
                        raise _refused(self.what, key, v)
            elif (target := self.target[name]) is not None:
                given[target] = value
            elif not _is_default(value, self.signature.parameters[name].default):
                raise _refused(self.what, name, value)
        return self.fn(*star, **given)


def _is_default(value: Any, default: Any) -> bool:
    if value is default or value is None:
        return True
    simple = (bool, int, str)
    return isinstance(value, simple) and isinstance(default, simple) and value == default


def _where(condition: Any, x: Any = None, y: Any = None) -> Tensor:
    from .ops.elementwise import where

    if x is None or y is None:
        raise TypeError(
            "np.where(condition) with one argument (np.nonzero) is not supported on "
            "autograd_core Tensors; np.where(condition, x, y) is"
        )
    return where(condition, x, y)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None, max: Any = None) -> Any:
    from .ops.elementwise import clip

    lo = a_min if min is None else min
    hi = a_max if max is None else max
    return clip(a, lo, hi)


def _astype(x: Any, dtype: Any, copy: bool = True) -> Tensor:
    from .ops.elementwise import astype

    return astype(x, dtype, copy=copy)


def _matrix_diagonal(x: Any, offset: int = 0) -> Tensor:
    # np.linalg's array-API form: the diagonals of the matrices on the last two axes
    from .ops.indexing import diagonal

    return diagonal(x, offset, -2, -1)


def _matrix_trace(x: Any, offset: int = 0) -> Tensor:
    from .ops.indexing import trace

    return trace(x, offset, -2, -1)


def _matrix_transpose(x: Any) -> Tensor:
    from .ops.shape import swapaxes

    return swapaxes(x, -1, -2)


def _eigvalsh(a: Any, UPLO: str = "L") -> Tensor:
    from .ops.decompositions import eigh

    return eigh(a, UPLO).eigenvalues


def _positive(x: Any) -> Any:
    return +x


def _same_names(namespace: Any, module: Any) -> dict:
    """numpy's callable ``module.<name>`` -> the engine's ``namespace.<name>``, for every name
    the engine exports that numpy has too."""
    out = {}
    for name in namespace.__all__:
        theirs = getattr(module, name, None)
        ours = getattr(namespace, name)
        if name in _NOT_OPS or not callable(theirs) or isinstance(theirs, type):
            continue
        if not callable(ours) or isinstance(ours, type):
            continue
        out[theirs] = ours
    return out


class _Tables(NamedTuple):
    ufuncs: dict  # np.ufunc -> the engine's function
    functions: dict  # numpy function -> handler(args, kwargs)
    reductions: dict  # np.ufunc -> the reduction that ufunc.reduce is
    accumulations: dict  # np.ufunc -> the cumulative op that ufunc.accumulate is


@functools.cache
def _tables() -> _Tables:
    # built on first use: the package is imported completely by then
    import autograd_core as ag

    from .ops import composed

    by_name = {**_same_names(ag, np), **_same_names(ag.linalg, np.linalg)}
    # numpy functions written with the engine's ops (ops/composed.py), also by name
    by_name.update({**_same_names(composed, np), **_same_names(composed, np.linalg)})
    ufuncs = {f: fn for f, fn in by_name.items() if isinstance(f, np.ufunc)}
    plain = {f: fn for f, fn in by_name.items() if not isinstance(f, np.ufunc)}
    # numpy's other names for the same functions
    aliases = {
        "amax": ag.max,
        "amin": ag.min,
        "around": ag.round,
        "ravel": ag.flatten,
        "permute_dims": ag.transpose,
        "fabs": ag.absolute,
        "rint": ag.round,
        "fix": composed.trunc,
        "radians": composed.deg2rad,
        "degrees": composed.rad2deg,
        "empty_like": ag.zeros_like,
    }
    for name, fn in aliases.items():
        if hasattr(np, name):
            theirs = getattr(np, name)
            (ufuncs if isinstance(theirs, np.ufunc) else plain)[theirs] = fn
    # where numpy's signature or meaning differs from the function of the same name (the
    # array-API names are numpy 2's)
    written_out = [
        (np, "where", _where),
        (np, "clip", _clip),
        (np, "astype", _astype),
        (np, "matrix_transpose", _matrix_transpose),
        (np.linalg, "matrix_transpose", _matrix_transpose),
        (np.linalg, "diagonal", _matrix_diagonal),
        (np.linalg, "trace", _matrix_trace),
        (np.linalg, "eigvalsh", _eigvalsh),
    ]
    for module, name, fn in written_out:
        if hasattr(module, name):
            plain[getattr(module, name)] = fn
    ufuncs[np.positive] = _positive
    functions: dict = {f: _Binding(f, fn) for f, fn in plain.items()}
    # questions about a Tensor that numpy code asks: answered, not recorded
    functions.update(
        {
            np.shape: lambda args, kwargs: _bind_meta(np.shape, args, kwargs).shape,
            np.ndim: lambda args, kwargs: _bind_meta(np.ndim, args, kwargs).ndim,
            np.size: _size,
            np.result_type: _result_type,
        }
    )
    reductions = {
        np.add: ag.sum,
        np.multiply: ag.prod,
        np.maximum: ag.max,
        np.minimum: ag.min,
        np.logaddexp: ag.logsumexp,
    }
    accumulations = {np.add: ag.cumsum, np.multiply: ag.cumprod}
    return _Tables(ufuncs, functions, reductions, accumulations)


def _bind_meta(func: Callable, args: tuple, kwargs: dict) -> Any:
    a = inspect.signature(func).bind(*args, **kwargs).arguments["a"]
    return a if isinstance(a, Tensor) else np.asarray(a)


def _size(args: tuple, kwargs: dict) -> int:
    bound = inspect.signature(np.size).bind(*args, **kwargs).arguments
    a = bound["a"]
    axis = bound.get("axis")
    shape = a.shape if isinstance(a, Tensor) else np.shape(a)
    return int(np.prod(shape)) if axis is None else shape[axis]


def _result_type(args: tuple, kwargs: dict) -> np.dtype:
    return np.result_type(*[a.dtype if isinstance(a, Tensor) else a for a in args], **kwargs)


def supported() -> list[str]:
    """The numpy functions and ufuncs that Tensors can be handed, by name (``np.sin``,
    ``np.add.reduce``, ``np.linalg.norm``, ...)."""
    tables = _tables()
    names = {qualified_name(f) for f in tables.ufuncs}
    names |= {qualified_name(f) for f in tables.functions}
    names |= {f"{qualified_name(f)}.reduce" for f in tables.reductions}
    names |= {f"{qualified_name(f)}.accumulate" for f in tables.accumulations}
    names |= {f"{qualified_name(f)}.outer" for f in tables.ufuncs if f.nin == 2}
    names |= {f"{module}.{name}" for module, ufuncs in _FOREIGN_UFUNCS.items() for name in ufuncs}
    return sorted(names)


def array_function(func: Callable, types: Any, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: a numpy function called with Tensors among its arguments."""
    for t in types:
        if not issubclass(t, (Tensor, np.ndarray, np.generic)):
            return NotImplemented  # another array library's type: let it answer
    handler = _tables().functions.get(func)
    if handler is None:
        raise _unsupported(qualified_name(func))
    return handler(args, kwargs)


# --- ufuncs ------------------------------------------------------------------------------------


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: a ufunc (or one of its methods) called with a Tensor."""
    what = qualified_name(ufunc)
    if kwargs.get("out") is not None:
        raise _no_out(what if method == "__call__" else f"{what}.{method}")
    tables = _tables()
    fn = tables.ufuncs.get(ufunc) or _foreign(ufunc)
    if fn is None:
        raise _unsupported(what)
    if method == "__call__":
        _check_keywords(what, kwargs, ())
        return fn(*inputs)
    if method == "reduce" and ufunc in tables.reductions:
        _check_keywords(f"{what}.reduce", kwargs, ("axis", "keepdims"))
        (x,) = inputs
        return tables.reductions[ufunc](x, kwargs.get("axis", 0), bool(kwargs.get("keepdims")))
    if method == "accumulate" and ufunc in tables.accumulations:
        _check_keywords(f"{what}.accumulate", kwargs, ("axis",))
        (x,) = inputs
        return tables.accumulations[ufunc](x, kwargs.get("axis", 0))
    if method == "outer" and ufunc.nin == 2:
        _check_keywords(f"{what}.outer", kwargs, ())
        from .ops.shape import reshape

        a, b = (x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in inputs)
        return fn(reshape(a, a.shape + (1,) * b.ndim), b)
    raise _unsupported(f"{what}.{method}")


def _foreign(ufunc: np.ufunc) -> Callable | None:
    """The engine's op for a ufunc of another library (scipy.special.erf), added to the table."""
    import autograd_core as ag

    for module, names in _FOREIGN_UFUNCS.items():
        ours = names.get(ufunc.__name__)
        if ours is not None and getattr(sys.modules.get(module), ufunc.__name__, None) is ufunc:
            fn = getattr(ag, ours)
            _tables().ufuncs[ufunc] = fn
            return fn
    return None


def _check_keywords(what: str, kwargs: dict, allowed: tuple) -> None:
    for name, value in kwargs.items():
        if name not in allowed and value is not None:
            raise _refused(what, name, value)


__all__ = ["supported", "array_function", "array_ufunc", "qualified_name"]
