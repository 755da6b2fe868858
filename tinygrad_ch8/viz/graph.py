"""Viz: draw the computation graph that ``grad_fn`` links record, with graphviz.

``draw_graph(loss)`` walks from the outputs back to the leaves, the same links that
``backward()`` follows, and returns a ``graphviz.Digraph``: tensors are boxes, ops
(Functions) are ellipses, and edges point the way the forward pass ran (input -> op ->
output). Parameters are labelled with their module paths (``layers.0.weight``) when a model
or a dict of named tensors is given. A gradient computed with ``create_graph=True`` is an
ordinary output with a graph of its own, so the double-backward graph of a Hessian-vector
product Hv = ∇(∇f·v) is drawn the same way.

The Digraph's ``.source`` is the DOT text; Jupyter shows a Digraph inline; ``render_graph``
writes it to SVG, PNG, PDF or DOT. Node ids come from a counter, so the same computation
gives the same DOT text on every run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .. import backend
from ..nn.module import Module
from ..tensor import Tensor

if TYPE_CHECKING:
    import graphviz

RENDER_FORMATS = ("svg", "png", "pdf", "dot")
MAX_SHOWN_ELEMENTS = 6  # larger arrays are summarised by their mean and std in a node label
MAX_SETTING_CHARACTERS = 32

TENSOR_STYLE = {
    "shape": "box",
    "style": "rounded,filled",
    "fillcolor": "white",
    "fontname": "Helvetica",
}
OP_STYLE = {
    "shape": "ellipse",
    "style": "filled",
    "fillcolor": "lightgray",
    "fontname": "Helvetica",
}
EDGE_STYLE = {"fontname": "Helvetica", "fontsize": "10"}
PARAMETER_FILL = "lightblue"  # a leaf that requires grad: what training changes
OUTPUT_FILL = "lightsalmon"


def _graphviz():
    """The graphviz package, or an ImportError that says how to install it."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "drawing a computation graph needs the graphviz package, which is not installed: "
            "pip install graphviz (it comes with tinygrad-ch8)"
        ) from error
    return graphviz


def _named_tensors(names) -> dict:
    """{id(tensor): name} from a module (its ``named_parameters()``) or a dict name -> Tensor."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        named = dict(names.named_parameters())
        if hasattr(names, "named_buffers"):
            named.update(names.named_buffers())
    elif isinstance(names, Mapping):
        named = dict(names)
    else:
        raise TypeError(
            f"draw_graph: names must be a module or a dict name -> Tensor, got {type(names).__name__}"
        )
    return {id(tensor): name for name, tensor in named.items() if isinstance(tensor, Tensor)}


def _describe_array(array) -> str:
    """A short text for a node label: the values of a small array, mean and std of a large one."""
    host = backend.to_numpy(array)
    if host.size <= MAX_SHOWN_ELEMENTS:
        return backend.numpy.array2string(
            host.ravel() if host.ndim > 1 else host, precision=3, separator=", "
        )
    return f"mean {host.mean():.3g}, std {host.std():.3g}"


def _describe_setting(value) -> str:
    """A Function's setting (axis, shape, exponent, index...) as short text."""
    if backend.is_array(value):
        return f"array{tuple(value.shape)}"
    if isinstance(value, tuple):
        parts = [_describe_setting(part) for part in value]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    text = str(value)
    return text if len(text) <= MAX_SETTING_CHARACTERS else text[: MAX_SETTING_CHARACTERS - 1] + "…"


class _GraphBuilder:
    """The state of one ``draw_graph`` call: the Digraph and the ids given to nodes so far.

    Nodes are looked up by ``id()`` only while drawing (every tensor and Function drawn is
    alive, held by the graph being walked); the ids written to the DOT text are ``t0, t1, ...``
    and ``f0, f1, ...`` in the order the walk meets them.
    """

    def __init__(self, outputs, show_shapes: bool, show_values: bool, show_grads: bool, names):
        self.graph = _graphviz().Digraph(
            "computation_graph", graph_attr={"rankdir": "TB"}, edge_attr=EDGE_STYLE
        )
        self.outputs = {id(out) for out in outputs}
        self.show_shapes, self.show_values, self.show_grads = show_shapes, show_values, show_grads
        self.names = _named_tensors(names)
        self.tensor_ids: dict[int, str] = {}
        self.function_ids: dict[int, str] = {}

    def tensor_node(self, tensor: Tensor) -> str:
        key = id(tensor)
        if key in self.tensor_ids:
            return self.tensor_ids[key]
        node = self.tensor_ids[key] = f"t{len(self.tensor_ids)}"
        lines = []
        if key in self.names:
            lines.append(self.names[key])
        elif key in self.outputs:
            lines.append("output")
        elif tensor.grad_fn is None:
            lines.append("leaf" if tensor.requires_grad else "constant")
        if self.show_shapes:
            lines.append(f"{tuple(tensor.shape)} {tensor.dtype}")
        if self.show_values:
            lines.append(_describe_array(tensor.data))
        if self.show_grads and tensor.grad is not None:
            lines.append("grad " + _describe_array(tensor.grad.data))
        style = dict(TENSOR_STYLE)
        if key in self.outputs:
            style.update(fillcolor=OUTPUT_FILL, peripheries="2")
        elif tensor.grad_fn is None and tensor.requires_grad:
            style["fillcolor"] = PARAMETER_FILL
        elif tensor.grad_fn is None:
            style["style"] = "rounded,dashed"  # a constant: no gradient flows into it
        self.graph.node(node, "\\n".join(lines) or " ", **style)
        return node

    def function_node(self, fn) -> str:
        node = self.function_ids[id(fn)] = f"f{len(self.function_ids)}"
        settings = [f"{key}={_describe_setting(value)}" for key, value in fn.settings().items()]
        if fn.released:
            raise ValueError(
                f"draw_graph: the graph was released by backward() (at its {fn.name} op), so "
                "its inputs are gone; call backward(retain_graph=True) (or tg.grad(..., "
                "retain_graph=True)) to draw the graph after it, or draw it before backward()"
            )
        lines = [fn.name, *settings]
        self.graph.node(node, "\\n".join(lines), **OP_STYLE)
        return node

    def draw(self, outputs) -> graphviz.Digraph:
        """Walk from the outputs to the leaves with an explicit stack (deep graphs need no recursion)."""
        pending = list(reversed(outputs))
        while pending:
            tensor = pending.pop()
            tensor_node = self.tensor_node(tensor)
            fn = tensor.grad_fn
            if fn is None or id(fn) in self.function_ids:
                continue
            fn_node = self.function_node(fn)
            self.graph.edge(fn_node, tensor_node)
            inputs = fn.inputs
            for position, x in enumerate(inputs):
                seen = id(x) in self.tensor_ids
                input_node = self.tensor_node(x)
                # the operand's position matters for a - b, a / b, a @ b
                self.graph.edge(
                    input_node, fn_node, label=str(position) if len(inputs) > 1 else None
                )
                if not seen:
                    pending.append(x)
        return self.graph


def draw_graph(
    *outputs: Tensor,
    show_shapes: bool = True,
    show_values: bool = False,
    show_grads: bool = False,
    names: Module | Mapping[str, Tensor] | None = None,
) -> graphviz.Digraph:
    """The computation graph that produced ``outputs``, as a ``graphviz.Digraph``.

    Boxes are tensors (blue: leaves that require grad, dashed: constants, double red border:
    the outputs); ellipses are ops with their settings (``Function.settings()``). A plain
    ``backward()`` releases the graph it walked: to draw it afterwards, call
    ``backward(retain_graph=True)``; a released graph raises a ValueError saying so.

    Args:
        outputs: the tensors to draw back from (a loss, or a gradient from ``create_graph=True``).
        show_shapes: put each tensor's shape and dtype in its box.
        show_values: put the values (or mean and std of a large tensor) in each box.
        show_grads: put each tensor's ``.grad`` in its box, where it has one.
        names: a model (its ``named_parameters()`` and buffers label the boxes, e.g.
            ``layers.0.weight``) or a dict name -> Tensor.

    Raises:
        ValueError: the graph was released by a ``backward()`` without ``retain_graph=True``.

    Example:
        >>> import tinygrad_ch8 as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (x * x).sum()
        >>> loss.backward(retain_graph=True)  # keep the graph to draw it after backward
        >>> dot = tg.viz.draw_graph(loss, names={"x": x})
        >>> dot.source.count("->")  # x -> Mul (twice: x * x), Mul -> t, t -> Sum, Sum -> output
        5
    """
    if not outputs:
        raise ValueError("draw_graph: give at least one tensor to draw")
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"draw_graph: outputs must be Tensors, got {type(out).__name__}")
    return _GraphBuilder(outputs, show_shapes, show_values, show_grads, names).draw(list(outputs))


def render_graph(graph: graphviz.Digraph, path: str | os.PathLike) -> str:
    """Write ``graph`` to ``path``, the format taken from its extension (.svg .png .pdf .dot).

    The DOT text is always written (beside the picture, with the extension .dot), so a graph
    can still be looked at when graphviz's ``dot`` program is missing; rendering then raises
    a RuntimeError saying how to install it. Returns the path written.
    """
    graphviz = _graphviz()
    path = os.fspath(path)
    stem, extension = os.path.splitext(path)
    file_format = extension.lstrip(".").lower()
    if file_format not in RENDER_FORMATS:
        raise ValueError(
            f"render_graph: cannot tell the format of {path!r}: use one of .svg .png .pdf .dot"
        )
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    dot_path = stem + ".dot"
    with open(dot_path, "w", encoding="utf-8") as file:
        file.write(graph.source)
    if file_format == "dot":
        return dot_path
    try:
        picture = graph.pipe(format=file_format)
    except graphviz.ExecutableNotFound as error:
        raise RuntimeError(
            f"rendering {path!r} needs graphviz's 'dot' program, which was not found: install graphviz "
            f"(apt-get install graphviz, brew install graphviz or conda install graphviz). "
            f"The DOT text was written to {dot_path!r}."
        ) from error
    with open(path, "wb") as file:
        file.write(picture)
    return path
