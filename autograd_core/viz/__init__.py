"""Seeing the graph: ``draw_graph`` (graphviz), ``print_graph`` and ``graph_to_dict`` (text and
data), ``explain_backward`` (the chain rule step by step). Importing this package imports
graphviz; ``import autograd_core`` alone does not."""

from .collect import record_gradients
from .dot import (
    INSTALL_HINT,
    GraphDiagram,
    GraphvizNotFound,
    atomic_write,
    draw_graph,
    graphviz_available,
    new_digraph,
    save_graph,
    scope,
)
from .text import graph_text, graph_to_dict, print_graph
from .walkthrough import BackwardStep, BackwardTable, backward_steps, explain_backward

__all__ = [
    "INSTALL_HINT",
    "BackwardStep",
    "BackwardTable",
    "GraphDiagram",
    "GraphvizNotFound",
    "atomic_write",
    "backward_steps",
    "draw_graph",
    "explain_backward",
    "graph_text",
    "graph_to_dict",
    "graphviz_available",
    "new_digraph",
    "print_graph",
    "record_gradients",
    "save_graph",
    "scope",
]
