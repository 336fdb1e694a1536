"""A trace as Python source: one function of plain numpy calls, compiled for replay.

Each op's forward that is a single ``return <expression>`` is written out as that expression
with the slots' names in place of its parameters (``t3 = t1 @ dense_kernel``); any other
forward is called by name (``t4 = linear(t3, ...)``). The engine's glue is written as the
numpy it does, the stores into ``.grad`` as assignments, the recorded calls as calls. The
names the code uses (numpy, the tensors it reads, the optimizer, helper functions) are the
``namespace`` the code runs in: ``exec(source, dict(namespace))`` defines the function.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import re
import textwrap
from typing import Any, Callable

import numpy as np

from ..tensor import Tensor, _make
from .trace import Dyn, Slot, Step, Trace, _as_dtype, _Const, _ones, has_dyn


def _identifier(text: str | None, fallback: str) -> str:
    name = re.sub(r"\W+", "_", text or "").strip("_").lower()
    if not name or name[0].isdigit():
        name = fallback if not name else f"{fallback}_{name}"
    if keyword.iskeyword(name):
        name += "_"
    return name


class _Namer:
    """Unique Python names, first come first served."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def __call__(self, base: str) -> str:
        name, k = base, 2
        while name in self.taken:
            name = f"{base}_{k}"
            k += 1
        self.taken.add(name)
        return name


# --- op forwards as expressions -------------------------------------------------------------

_TEMPLATES: dict[Any, Any] = {}


class _Template:
    """A one-expression forward as text with markers: ``__jitP0__ + __jitP1__`` for
    ``return x + y``, its global names as ``__jitG0__`` ... (filled in per program)."""

    def __init__(self, params: list[str], defaults: dict, text: str, names: list) -> None:
        self.params, self.defaults, self.text, self.names = params, defaults, text, names


def _template(forward: Callable) -> _Template | None:
    """The template of a forward that is one ``return <expression>``, else None."""
    if forward in _TEMPLATES:
        return _TEMPLATES[forward]
    found = None
    try:
        found = _make_template(forward)
    except (OSError, TypeError, SyntaxError, IndexError):
        found = None
    _TEMPLATES[forward] = found
    return found


def _make_template(forward: Callable) -> _Template | None:
    tree = ast.parse(textwrap.dedent(inspect.getsource(forward)))
    fn = tree.body[0]
    if not isinstance(fn, ast.FunctionDef):
        return None
    body = [
        s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    a = fn.args
    if (
        len(body) != 1
        or not isinstance(body[0], ast.Return)
        or body[0].value is None
        or a.vararg
        or a.kwarg
        or a.posonlyargs
        or any(
            isinstance(n, (ast.Lambda, ast.comprehension, ast.NamedExpr, ast.Await))
            for n in ast.walk(fn)
        )
    ):
        return None
    sig = inspect.signature(forward)
    params = list(sig.parameters)
    defaults = {
        k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty
    }
    glob = forward.__globals__
    names: list = []
    ok = True

    class Mark(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> Any:
            nonlocal ok
            if node.id in params:
                return ast.Name(id=f"__jitP{params.index(node.id)}__", ctx=ast.Load())
            if node.id == "np" and glob.get("np") is np:
                return node
            if node.id in glob:
                names.append((node.id, glob[node.id]))
                return ast.Name(id=f"__jitG{len(names) - 1}__", ctx=ast.Load())
            if not hasattr(builtins, node.id):
                ok = False
            return node

    text = ast.unparse(Mark().visit(body[0].value))
    return _Template(params, defaults, text, names) if ok else None


def _literal(value: Any) -> str | None:
    """Source for a constant argument, when it can be written out exactly."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        r = repr(value)
        return r if r not in ("inf", "-inf", "nan") else None
    if isinstance(value, tuple):
        parts = [_literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join([str(p) for p in parts]) + ("," if len(parts) == 1 else "") + ")"
    if isinstance(value, np.dtype):
        return f"np.{value.name}" if hasattr(np, value.name) else None
    if isinstance(value, type) and issubclass(value, np.generic):
        return f"np.{value.__name__}"
    return None


def _scalar_source(a: np.ndarray) -> str:
    """A 0-d constant written as the numpy scalar of its dtype (same promotion rules)."""
    value = a.item()
    name = a.dtype.name
    if a.dtype.kind == "b":
        return f"np.bool_({value!r})"
    if a.dtype.kind == "f":
        r = repr(float(value))
        if r in ("inf", "-inf", "nan"):
            r = f"float({r!r})"
        return f"np.{name}({r})"
    return f"np.{name}({int(value)!r})"


#: programs longer than this many steps delete each array after its last use
_DEL_AFTER = 256


class Program:
    """The generated source, its namespace and the compiled function."""

    def __init__(
        self,
        source: str,
        namespace: dict,
        fn: Callable,
        name: str,
        params: list[str] | None = None,
        body: list[str] | None = None,
        returns: list[str] | None = None,
    ) -> None:
        self.source = source
        self.namespace = namespace
        self.fn = fn
        self.name = name
        self.params = params or []  # the function's parameters, and its body's lines: for
        self.body = body or []  # the entry check that runs the same lines after its tests
        self.returns = returns or []  # the returned expressions


def generate(
    tr: Trace, name: str, arg_names: list[str], outputs: list, header: list[str]
) -> Program:
    """The trace ``tr`` as the source of ``def <name>(<inputs>)`` returning ``outputs``
    (slots), compiled."""
    ns: dict[str, Any] = {"np": np}
    namer = _Namer({"np", name} | set(dir(builtins)) | set(keyword.kwlist))
    names: dict[int, str] = {}
    live_objects: dict[int, str] = {}
    global_of: dict[int, str] = {}

    def bind(obj: Any, base: str) -> str:
        """A global name for ``obj`` (the same name each time it is met)."""
        key = id(obj)
        if key in global_of:
            return global_of[key]
        g = namer(base)
        global_of[key] = g
        ns[g] = obj
        return g

    # names: inputs from the function's parameters, tensors from their own names, then the
    # arrays made by steps (t1, t2, ... forward; gradients named after what they are for)
    for s, n in zip(tr.inputs, arg_names, strict=True):
        if s is not None:
            names[s.index] = namer(_identifier(n, "x"))
    for s in tr.slots:
        if s.kind == "live" and s.index not in names:
            names[s.index] = namer(_identifier(s.hint, "w"))
    grad_name: dict[int, str] = {}
    for step in tr.steps:
        if step.kind == "deliver":
            leaf_slot, g_slot = step.ins
            if g_slot.index not in grad_name and g_slot.kind == "step":
                grad_name[g_slot.index] = "d_" + names[leaf_slot.index]
    # constant folding: a step whose inputs are all constants gives the same array on every
    # call (the root's ones, a broadcast of them): computed once, at trace time, read-only
    folded: set[int] = set()
    for step in tr.steps:
        if (
            step.kind in ("op", "glue")
            and all(s.kind == "const" or s.index in folded for s in step.ins)
            and not any([has_dyn(v) for v in step.kwargs.values()])
        ):
            folded.add(step.outs[0].index)
    # `g * ones` where the ones are a folded constant that changes neither shape nor dtype
    # (the backward of a sum, of an add): the product is `g` itself, not computed again.
    # Such a slot stands for its operand's array; stored in `.grad` or returned, it is
    # copied, so that the caller still gets an array of its own.
    alias: dict[int, Slot] = {}
    for step in tr.steps:
        if step.kind == "op" and step.fn.name == "multiply" and step.outs[0].index not in folded:
            a, b = (alias.get(s.index, s) for s in step.ins)
            out = step.outs[0]
            for one, other in ((a, b), (b, a)):
                if (
                    one.index in folded
                    and one.dtype == out.dtype == other.dtype
                    and other.shape == out.shape
                    and np.all(one.value == 1)
                ):
                    alias[out.index] = other
                    break

    def root(s: Slot) -> Slot:
        return alias.get(s.index, s)

    def fresh(s: Slot) -> str:
        """The name of ``s`` for a value handed out: copied unless made by this call."""
        r = root(s)
        return name_of(r) + (".copy()" if r.index in folded or r is not s else "")

    backward = False
    forward_count = grad_count = 0

    def name_of(s: Slot) -> str:
        nonlocal forward_count, grad_count
        s = alias.get(s.index, s)
        if s.index in names:
            return names[s.index]
        if s.kind == "const":
            names[s.index] = _scalar_source(s.value)
        elif s.kind == "array":
            names[s.index] = bind(s.source, "array")
        elif s.index in grad_name:
            names[s.index] = namer(grad_name[s.index])
        elif backward:
            grad_count += 1
            names[s.index] = namer(f"g{grad_count}")
        else:
            forward_count += 1
            names[s.index] = namer(f"t{forward_count}")
        return names[s.index]

    lines: list[str] = []
    body: list[str] = []
    params = []
    for s, n in zip(tr.inputs, arg_names, strict=True):
        if s is None:
            params.append(namer(_identifier(n, "arg")))
            continue
        arg = names[s.index]
        if s.source is not None and s.value is not None and _is_tensor_input(tr, s):
            t_name = namer(arg + "_t")
            params.append(t_name)
            body.append(f"{arg} = {t_name}._data")
            live_objects[s.index] = t_name
        else:
            params.append(arg)
    if any(s.kind == "live" for s in tr.slots):
        body.append("# parameters and other tensors, read afresh on each call")
    for s in tr.slots:
        if s.kind == "live":
            t_name = bind(s.source, "T_" + names[s.index])
            live_objects[s.index] = t_name
            body.append(f"{names[s.index]} = {t_name}._data")
    body.append("# forward")
    # In a long program (a chain no one reads line by line) each array is deleted after its
    # last use, so that memory is reused while it is still in the cache, as when a loop
    # rebinds one name; a short one stays as written.
    last_use: dict[int, int] = {}
    if len(tr.steps) > _DEL_AFTER:
        kept = {root(s).index for s in outputs if isinstance(s, Slot)}
        for k, step in enumerate(tr.steps):
            for s in [*step.ins, *_dyn_slots(step.kwargs)]:
                if isinstance(s, Slot):
                    s = root(s)
                    if s.kind == "step" and s.index not in kept:
                        last_use[s.index] = k
    dead: dict[int, list[int]] = {}
    for index, k in last_use.items():
        dead.setdefault(k, []).append(index)
    for k, step in enumerate(tr.steps):
        if not backward and (
            step.kind == "rule" or (step.kind == "glue" and step.extra in ("ones", "initial"))
        ):
            backward = True
            body.append("# backward")
        if step.kind == "op" and step.outs[0].index in alias:
            pass  # the product by ones: its operand stands for it
        elif step.kind in ("op", "glue") and step.outs[0].index in folded:
            line = (_op_line if step.kind == "op" else _glue_line)(step, name_of, bind)
            target = name_of(step.outs[0])
            value = np.array(step.outs[0].value)  # (the trace's own array may be the caller's)
            value.setflags(write=False)
            body.append(f"{target} = {bind(value, 'const')}  # {line}, precomputed")
        elif step.kind == "op":
            body.append(_op_line(step, name_of, bind))
        elif step.kind == "rule":
            body.append(_rule_line(step, name_of, bind))
        elif step.kind == "glue":
            body.append(_glue_line(step, name_of, bind))
        elif step.kind == "deliver":
            leaf, mode = step.extra
            leaf_slot, g_slot = step.ins
            t_name = live_objects.get(leaf_slot.index) or bind(leaf, "T_" + names[leaf_slot.index])
            if mode == "assign":
                g = fresh(g_slot)  # (a constant or an alias: the leaf gets its own array)
                body.append(f"{t_name}.grad = {g}")
            else:
                g = name_of(g_slot)
                total = name_of(step.outs[0])
                body.append(f"{total} = {t_name}.grad + {g}")
                body.append(f"{t_name}.grad = {total}")
        elif step.kind == "call":
            doc = inspect.getdoc(step.fn)
            if doc:
                first = " ".join(doc.split("\n\n")[0].split())
                body.append("# " + first.split(". ")[0].rstrip("."))
            body.append(_call_line(step, name_of, bind))
        gone = [names[i] for i in dead.get(k, ()) if i in names]
        if gone:
            body.append("del " + ", ".join(gone))
    outs = [fresh(s) if isinstance(s, Slot) else "None" for s in outputs]
    body.append("return (" + ", ".join(outs) + ("," if len(outs) == 1 else "") + ")")
    lines.extend(f"# {h}" for h in header)
    lines.append(f"def {name}({', '.join(params)}):")
    lines.extend("    " + b for b in body)
    source = "\n".join(lines) + "\n"
    space = dict(ns)
    exec(compile(source, f"<compiled {name}>", "exec"), space)  # noqa: S102
    return Program(source, ns, space[name], name, params, body[:-1], outs)


def _is_tensor_input(tr: Trace, s: Slot) -> bool:
    return any(k == s.source for k in tr.input_tensors.values())


def _op_line(step: Step, name_of: Callable, bind: Callable) -> str:
    op = step.fn
    out = step.outs[0]
    args = [name_of(s) for s in step.ins]
    expr = None
    if not any([has_dyn(v) for v in step.kwargs.values()]):
        expr = _inline(op.forward, args, step.kwargs, bind)
    if expr is None:
        fname = bind(op.forward, _identifier(op.name, "op"))
        kw = []
        for k, v in step.kwargs.items():
            kw.append(f"{k}={_value_source(v, _identifier(k, 'k'), name_of, bind)}")
        expr = f"{fname}({', '.join(args + kw)})"
    if out.scalar:
        expr = f"np.asarray({expr})"
    return f"{name_of(out)} = {expr}"


def _dyn_slots(kwargs: dict) -> list:
    """The slots of the ``Dyn`` values inside ``kwargs``."""
    found: list = []

    def walk(v: Any) -> None:
        if type(v) is Dyn:
            found.append(v.slot)
        elif type(v) in (tuple, list):
            for e in v:
                walk(e)

    for v in kwargs.values():
        walk(v)
    return found


def _value_source(v: Any, base: str, name_of: Callable, bind: Callable) -> str:
    """A keyword value as source: an array the program computes or reads (``Dyn``) by its
    name, a tuple holding such arrays item by item, anything else as a literal or a global."""
    if type(v) is Dyn:
        return name_of(v.slot)
    if type(v) in (tuple, list) and has_dyn(v):
        items = [_value_source(e, base, name_of, bind) for e in v]
        if type(v) is list:
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    lit = _literal(v)
    return lit if lit is not None else bind(v, base)


def _inline(forward: Callable, args: list[str], kwargs: dict, bind: Callable) -> str | None:
    """The forward's expression with the arguments in place of its parameters, or None."""
    t = _template(forward)
    if t is None or len(args) > len(t.params) or any(k not in t.params for k in kwargs):
        return None
    values = list(args)
    for p in t.params[len(args) :]:
        if p in kwargs:
            v = kwargs[p]
        elif p in t.defaults:
            v = t.defaults[p]
        else:
            return None
        lit = _literal(v)
        values.append(lit if lit is not None else bind(v, _identifier(p, "k")))
    text = t.text
    # (every value is an atom: a name, a call, a bracketed literal; a negative number is
    # bracketed below)
    for i, v in enumerate(values):
        text = text.replace(f"__jitP{i}__", f"({v})" if v.startswith("-") else v)
    for j, (name, obj) in enumerate(t.names):
        text = text.replace(f"__jitG{j}__", bind(obj, name.lstrip("_") or "f"))
    return text


class _RuleCaller:
    """A derivative rule replayed as one call: arrays in, one gradient array per input out."""

    def __init__(self, op: Any, rg: tuple, kwargs: dict) -> None:
        self.op, self.rg, self.kwargs = op, rg, kwargs
        self.uses_out = op.uses_out

    def __call__(self, g: np.ndarray, out: Any, *inputs: np.ndarray, **arrays: Any) -> tuple:
        # (``arrays``: keyword arguments the program reads on each call, such as index arrays)
        xs = [_make(a, r) for a, r in zip(inputs, self.rg, strict=True)]
        o = _make(out) if self.uses_out else None
        kwargs = {**self.kwargs, **arrays} if arrays else self.kwargs
        raw = self.op.rule(_make(g), o, *xs, **kwargs)
        return tuple(
            None if r is None else (r._data if type(r) is Tensor else np.asarray(r)) for r in raw
        )


def _rule_line(step: Step, name_of: Callable, bind: Callable) -> str:
    from ..grad_mode import no_grad

    fixed = {k: v for k, v in step.kwargs.items() if not has_dyn(v)}
    caller = _RuleCaller(step.fn, step.extra, fixed)
    fname = bind(no_grad()(caller), _identifier(step.fn.name, "op") + "_vjp")
    g, out = step.ins[0], step.ins[1]
    args = [name_of(g), "None" if out is None else name_of(out)]
    args += [name_of(s) for s in step.ins[2:]]
    dyn = [k for k in step.kwargs if k not in fixed]
    args += [f"{k}={_value_source(step.kwargs[k], k, name_of, bind)}" for k in dyn]
    targets = [("_" if s is None else name_of(s)) for s in step.outs]
    lhs = ", ".join(targets) + ("," if len(targets) == 1 else "")
    return f"{lhs} = {fname}({', '.join(args)})"


def _glue_line(step: Step, name_of: Callable, bind: Callable) -> str:
    from ..broadcast import unbroadcast
    from ..engine import _add

    out = step.outs[0]
    fn, kw = step.fn, step.kwargs
    args = [name_of(s) for s in step.ins]
    if fn is _ones:
        expr = f"np.ones({_literal(kw['shape'])}, {_literal(kw['dtype'])})"
    elif fn is _as_dtype:
        expr = f"{args[0]}.astype({_literal(kw['dtype'])})"
    elif fn is np.copy:
        expr = f"{args[0]}.copy()"
    elif fn is np.reshape:
        expr = f"{args[0]}.reshape({_literal(kw['newshape'])})"
    elif fn is _add:
        expr = f"{args[0]} + {args[1]}"
        if out.value.ndim == 0:
            expr = f"np.asarray({expr})"
    elif fn is unbroadcast:
        shape = kw["shape"]
        gshape = step.ins[0].shape
        if len(gshape) == len(shape) + 1 and tuple(gshape[1:]) == tuple(shape):
            expr = f"{args[0]}.sum(axis=0)"
            if len(shape) == 0:
                expr = f"np.asarray({expr})"
        else:
            expr = f"{bind(unbroadcast, 'unbroadcast')}({args[0]}, {_literal(shape)})"
    else:
        fname = bind(fn, _identifier(getattr(fn, "__name__", "glue"), "glue"))
        kws = [f"{k}={_literal(v) or bind(v, k)}" for k, v in kw.items()]
        expr = f"{fname}({', '.join(args + kws)})"
    return f"{name_of(out)} = {expr}"


def _call_line(step: Step, name_of: Callable, bind: Callable) -> str:
    fn = step.fn
    args = []
    for a in step.ins:
        if isinstance(a, _Const):
            lit = _literal(a.value)
            args.append(lit if lit is not None else bind(a.value, "value"))
        else:
            args.append(name_of(a))
    for k, v in step.kwargs.items():
        args.append(f"{k}={_value_source(v, k, name_of, bind)}")
    owner = getattr(fn, "__self__", None)
    if owner is not None and not inspect.isclass(owner):
        base = getattr(owner, "name", None) or type(owner).__name__
        callee = f"{bind(owner, _identifier(str(base), 'obj'))}.{fn.__name__}"
    else:
        callee = bind(fn, _identifier(getattr(fn, "__name__", "call"), "call"))
    call = f"{callee}({', '.join(args)})"
    if step.outs:
        return f"{name_of(step.outs[0])} = {call}"
    return call
