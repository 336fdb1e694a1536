"""Property tests for your own differentiable code: gradcheck over many random inputs.

>>> from autograd_core.testing import check_gradients
>>> check_gradients(Softplus, shapes=[(3, 4)])            # doctest: +SKIP

or, as a pytest test of its own:

>>> @gradient_test(shapes=[(2, 3), (3,)])                   # doctest: +SKIP
... def test_scaled_add(x, b):
...     return ScaledAdd.apply(x, b, 2.0)

hypothesis draws the values (and the shapes, when a shape is given as a strategy) and, on a
failure, shrinks to a small failing input and shows it alongside the gradcheck report.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

try:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - hypothesis is a test-time dependency
    raise ImportError(
        "autograd_core.testing needs hypothesis: pip install hypothesis "
        "(or the package's `testing` extra)"
    ) from e

from ..errors import GradcheckError
from ..function import Function
from ..tensor import Tensor
from .gradcheck import _fname, _gradcheck


def _elements(elements: Any, dtype: Any) -> st.SearchStrategy:
    width = np.dtype(dtype).itemsize * 8
    if elements is None:
        # NOTE: values away from 0 and (with unique=True) distinct, so that relu, abs, max
        # and the like are not probed exactly at their kinks, where no derivative exists.
        return st.one_of(
            st.floats(-2.0, -0.05, width=width, allow_subnormal=False),
            st.floats(0.05, 2.0, width=width, allow_subnormal=False),
        )
    if isinstance(elements, st.SearchStrategy):
        return elements
    lo, hi = elements
    return st.floats(float(lo), float(hi), width=width, allow_nan=False, allow_subnormal=False)


def inputs_strategy(
    shapes: Sequence[Any], elements: Any = None, dtype: Any = np.float64
) -> st.SearchStrategy:
    """A strategy for a tuple of Tensors: one per entry of ``shapes`` (a shape tuple, or a
    hypothesis strategy of shapes), with values from ``elements`` (a strategy or ``(lo, hi)``).
    ``shapes`` may also be one strategy drawing every shape at once, such as
    ``mutually_broadcastable_shapes(num_shapes=2)``.
    """
    values = _elements(elements, dtype)

    def arrays(shape: tuple) -> st.SearchStrategy:
        return hnp.arrays(dtype, shape, elements=values, unique=True).map(Tensor)

    if isinstance(shapes, st.SearchStrategy):
        # a strategy for all the shapes at once, like mutually_broadcastable_shapes()
        def each(drawn: Any) -> st.SearchStrategy:
            listed = getattr(drawn, "input_shapes", drawn)
            return st.tuples(*[arrays(tuple(s)) for s in listed])

        return shapes.flatmap(each)

    def one(shape: Any) -> st.SearchStrategy:
        shape_st = shape if isinstance(shape, st.SearchStrategy) else st.just(tuple(shape))
        return shape_st.flatmap(arrays)

    return st.tuples(*[one(s) for s in shapes])


def _show(a: Any) -> str:
    if isinstance(a, Tensor):
        return f"Tensor({np.array2string(a.data, precision=4, separator=', ')})"
    return repr(a)


def _target(f: Any) -> Callable:
    if isinstance(f, type) and issubclass(f, Function):
        return f.apply
    return f


def check_gradients(
    f: Any,
    shapes: Sequence[Any] | None = None,
    *,
    inputs: st.SearchStrategy | None = None,
    elements: Any = None,
    dtype: Any = np.float64,
    max_examples: int = 25,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    allow_kinks: bool = False,
) -> None:
    """Run gradcheck on ``f`` (a function of Tensors or a ``Function`` subclass) for many
    random inputs; raise ``GradcheckError`` with the report for the smallest failing one.

    Args:
        shapes: one entry per input: a shape tuple or a hypothesis strategy of shapes
            (``hypothesis.extra.numpy.array_shapes()``); or one strategy for all the shapes
            (``mutually_broadcastable_shapes(num_shapes=2)``).
        inputs: instead of ``shapes``, a strategy drawing the whole tuple of inputs.
        elements: the values: a hypothesis strategy or ``(lo, hi)`` bounds (say ``(0.1, 5)``
            for a log). The default avoids 0 and repeated values.
        allow_kinks: accept a disagreement at a point where ``f`` has no derivative (the
            one-sided slopes differ and the analytic value lies between them).
    """
    if shapes is not None and inputs is None:
        strategy = inputs_strategy(shapes, elements, dtype)
    elif inputs is not None and shapes is None:
        strategy = inputs
    else:
        raise ValueError("check_gradients expects exactly one of `shapes` and `inputs`")
    fn = _target(f)
    name = _fname(fn)

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],  # no slow "explain" phase
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def run(args: Any) -> None:
        args = args if isinstance(args, tuple) else (args,)
        # NOTE: while hypothesis searches and shrinks, only pass/fail matters; the full
        # report (each node checked on its own) is made once, for the smallest failure.
        report = _gradcheck(
            fn,
            args,
            eps,
            atol,
            rtol,
            False,
            name,
            record=False,
            allow_kinks=allow_kinks,
            find_faults=False,
        )
        if not report:
            failing.append(args)
            raise GradcheckError(report.message, report)

    failing: list = []
    try:
        run()
    except GradcheckError as e:
        report = _gradcheck(
            fn, failing[-1], eps, atol, rtol, False, name, record=False, allow_kinks=allow_kinks
        )
        shown = ", ".join(f"{_show(a)}" for a in failing[-1])
        raise GradcheckError(
            f"{report.message}\n  smallest failing input found: ({shown})", report
        ) from e


def gradient_test(
    shapes: Sequence[Any] | None = None, **options: Any
) -> Callable[[Callable], Callable[[], None]]:
    """Decorator turning a function of Tensors into a test that gradchecks it over random
    inputs (the options are those of ``check_gradients``)."""

    def wrap(f: Callable) -> Callable[[], None]:
        def test() -> None:
            check_gradients(f, shapes, **options)

        # Not functools.wraps: pytest would read f's parameters as fixtures.
        test.__name__, test.__qualname__ = f.__name__, f.__qualname__
        test.__doc__, test.__module__ = f.__doc__, f.__module__
        return test

    return wrap
