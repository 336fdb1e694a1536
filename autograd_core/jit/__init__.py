"""Compiled steps: ``ag.compile(fn)`` traces a call once and replays it as plain numpy.

The trace is taken at the engine's own layer: ``Op.__call__`` (every op, in the forward pass
and inside the derivative rules of backward) and the engine's glue between ops (``trace``).
The recorded program is written out as Python source and compiled (``codegen``); the
compiled function looks programs up by signature and guards (``program``).

``record_call(fn, *args)`` is for library code with effects a replay must repeat: an
optimizer's update, a dropout mask drawn from a generator, moving statistics.
"""

from .program import CompiledFunction, compile, register_context
from .trace import add_guard, note_cleared, note_state, record_call

__all__ = [
    "CompiledFunction",
    "add_guard",
    "compile",
    "note_cleared",
    "note_state",
    "record_call",
    "register_context",
]
