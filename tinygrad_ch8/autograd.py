"""Engine: reverse-mode differentiation over the graph that ``grad_fn`` links record.

``backward`` and ``grad`` share one pass: order the Functions reachable from the outputs so
that each comes after every Function that used its result (an iterative depth-first search,
so a chain of 100,000 ops needs no recursion), then walk that order once, handing each
Function the gradient of its output and passing its input gradients on. Gradients are summed
back to each input's shape and dtype here, once, so no op has to undo broadcasting.

With ``create_graph=True`` the pass runs with recording on: the gradients are Tensors with
graphs of their own, and differentiating ∇f·v again gives Pearlmutter's Hessian-vector
product Hv = ∇(∇f·v) at the cost of a few gradients (``hvp``).
"""

from __future__ import annotations

import functools
import operator
import sys

from . import backend, grad_mode, ops
from .grad_mode import (
    check_finite,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .tensor import Tensor

__all__ = [
    "backward",
    "grad",
    "hvp",
    "hessian",
    "gradcheck",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "is_anomaly_enabled",
]


# ---------------------------------------------------------------- the pass
def _topological_order(outputs) -> list:
    """Functions reachable from ``outputs``, each before the Functions that made its inputs.

    Every Function is numbered when it records (``Function.__call__``), after the Functions
    that made its inputs, so decreasing numbers are a topological order: one traversal finds
    the reachable Functions and a sort orders them, with no recursion and no second visit.
    """
    reached = set()
    stack = list(map(_grad_fn, outputs))
    while stack:
        fn = stack.pop()
        if fn is None or fn in reached:
            continue
        if fn.inputs is None:
            raise RuntimeError(
                f"backward through the graph a second time: the tensors saved by {fn.name} were "
                "released after the first backward; pass retain_graph=True to the first call"
            )
        reached.add(fn)
        for x in fn.inputs:
            creator = x.grad_fn
            if creator is not None and creator not in reached:
                stack.append(creator)
    return sorted(reached, key=_sequence_number, reverse=True)


_sequence_number = operator.attrgetter("sequence_number")
_grad_fn = operator.attrgetter("grad_fn")


def _fit(gx: Tensor, x: Tensor) -> Tensor:
    """``gx`` summed back to ``x``'s shape (undoing broadcasting) and cast to ``x``'s dtype."""
    if gx.data.shape != x.data.shape:
        gx = ops.SumTo(x.data.shape)(gx)
    if gx.data.dtype != x.data.dtype:
        gx = ops.Cast(x.data.dtype)(gx)
    return gx


def _accumulate(table: dict, key, gx: Tensor) -> None:
    table[key] = gx if key not in table else table[key] + gx


def _run(outputs, grad_outputs, retain_graph: bool, create_graph: bool, inputs=None):
    """The backward pass. Without ``inputs`` it adds into leaves' ``.grad``; with them it
    returns ``{id(input): gradient}`` and leaves ``.grad`` alone."""
    order = _topological_order(outputs)
    wanted = None if inputs is None else {id(x) for x in inputs}
    at_output = {}  # Function -> gradient of its output
    found = {}  # id(input) -> gradient, for grad()
    # ids of the arrays that a leaf's .grad must not take without a copy: the caller's seeds and
    # those already handed to another leaf in this pass
    stored = set()
    hooked_leaves = {}  # leaf -> its gradient, held back until the pass is over for its hooks
    anomaly = grad_mode._anomaly_detection
    # record the pass only with create_graph; the flag is set here directly rather than through
    # set_grad_enabled, whose three calls cost as much as the rest of a one-op pass
    previous, grad_mode._recording = grad_mode._recording, create_graph
    try:
        # indexing rather than zip(strict=...), which parses its keyword on every call: half a
        # microsecond, as much as the rest of an edge's work; the loops below run per node
        for i, out in enumerate(outputs):
            g = grad_outputs[i]
            stored.add(id(g.data))
            if out.grad_fn is not None:
                _accumulate(at_output, out.grad_fn, g)
            if wanted is not None and id(out) in wanted:
                _accumulate(found, id(out), g)
            elif wanted is None and out.grad_fn is None and out.requires_grad:
                _give_leaf(out, g, stored, hooked_leaves)
        for fn in order:
            gy = at_output.pop(fn, None)
            if gy is None:
                continue
            output = fn.output if fn.hooked else None
            if output is not None:  # all of its gradient has arrived: the hooks see the total
                gy = _run_hooks(output, gy)
                if wanted is not None and id(output) in wanted:
                    found[id(output)] = gy
                elif wanted is None and output.retains_grad:
                    _store_leaf_grad(output, gy, stored)
            try:
                gxs = fn.backward(gy)
            except FloatingPointError as error:  # an op inside this backward, in anomaly mode
                raise FloatingPointError(
                    f"anomaly detected: the backward of {fn.name}{fn.shapes_of(fn.inputs)} produced NaN or Inf"
                ) from error
            needs_input_grad = fn.needs_input_grad
            for i, x in enumerate(fn.inputs):
                gx = gxs[i]
                if gx is None or not needs_input_grad[i]:
                    continue
                # `is not` first: comparing dtypes by value is slow, and they are usually one object
                if gx.data.shape != x.data.shape or gx.data.dtype is not x.data.dtype:
                    gx = _fit(gx, x)
                if anomaly:
                    check_finite(gx.data, f"the backward of {fn.name}{fn.shapes_of(fn.inputs)}")
                if wanted is not None and id(x) in wanted:
                    _accumulate(found, id(x), gx)
                creator = x.grad_fn
                if creator is not None:  # _accumulate, inlined: this runs for every edge
                    earlier = at_output.get(creator)
                    at_output[creator] = gx if earlier is None else earlier + gx
                elif wanted is None:
                    _give_leaf(x, gx, stored, hooked_leaves)
        for leaf, gx in hooked_leaves.items():
            _store_leaf_grad(leaf, _run_hooks(leaf, gx), stored)
        for x in inputs or ():
            if x.gradient_hooks and x.grad_fn is None and id(x) in found:
                found[id(x)] = _run_hooks(x, found[id(x)])
    finally:
        grad_mode._recording = previous
    if not retain_graph:
        for fn in order:
            fn.release()
    return found


def _give_leaf(leaf: Tensor, gx: Tensor, stored: set, hooked_leaves: dict) -> None:
    """Add ``gx`` into ``leaf.grad`` now, or, when the leaf has hooks, into ``hooked_leaves``."""
    if leaf.gradient_hooks:
        _accumulate(hooked_leaves, leaf, gx)
    else:
        _store_leaf_grad(leaf, gx, stored)


def _run_hooks(tensor: Tensor, gradient: Tensor) -> Tensor:
    """``gradient`` passed through ``tensor``'s hooks in order; a hook returning a Tensor replaces it."""
    for hook in list(tensor.gradient_hooks):
        replacement = hook(gradient)
        if replacement is not None:
            replacement = tensor._lift(replacement)
            if replacement.shape != gradient.shape:
                raise ValueError(
                    f"register_hook: a hook returned a gradient of shape {replacement.shape} for a "
                    f"tensor of shape {tensor.shape}; it must keep the shape"
                )
            gradient = replacement
    return gradient


def _store_leaf_grad(leaf: Tensor, gx: Tensor, stored: set) -> None:
    """Add ``gx`` into ``leaf.grad``.

    A first gradient is stored as it is, unless another leaf already holds its array or it is a
    view of another array: then it is copied, so that changing one ``.grad`` in place changes no
    other. A later one is added in place, PyTorch's rule, when no graph is recorded and nothing
    but the leaf refers to the old gradient or its array, so no one can see it change: that
    saves an op per parameter and step. Otherwise the sum is a new tensor (a user's
    ``g = w.grad`` keeps its values). The references counted for each object, when nothing else
    holds it: the attribute it hangs on, the local name here and getrefcount's argument.
    """
    held = leaf.grad
    if held is None:
        if id(gx.data) in stored or getattr(gx.data, "base", None) is not None:
            gx = Tensor.from_array(gx.data.copy()) if not gx.requires_grad else gx + 0
        stored.add(id(gx.data))
        leaf.grad = gx
        return
    array = held.data
    if (
        not gx.requires_grad
        and not held.requires_grad
        and _references(held) == 3
        and _references(array) == 3
        and array.dtype is gx.data.dtype  # usually one object; an equal copy takes the other way
        and array.shape == gx.data.shape
        and getattr(array, "base", None) is None
    ):
        array += gx.data
    else:
        leaf.grad = held + gx


_references = sys.getrefcount


def _seed_gradients(outputs, grad_outputs) -> list:
    """The gradient each output starts with: given, or 1 for a scalar."""
    seeds = []
    for i, out in enumerate(outputs):  # not zip(strict=...): see _run
        g = grad_outputs[i]
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"backward of a non-scalar output (shape {out.shape}) needs its gradient: "
                    "pass grad=... (or grad_outputs=...) of the same shape, or reduce it first (.sum())"
                )
            g = Tensor.from_array(backend.array_module(out.data).ones_like(out.data))
        else:
            g = out._lift(g)
            if g.data.shape != out.data.shape:
                raise ValueError(
                    f"backward: the gradient has shape {g.shape} but the output has shape {out.shape}"
                )
        seeds.append(g)
    return seeds


# ---------------------------------------------------------------- public entry points
def backward(
    tensor: Tensor, grad=None, retain_graph: bool = False, create_graph: bool = False
) -> None:
    """``tensor.backward(...)``: add d tensor / d leaf into each leaf's ``.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph; create the leaves with "
            "requires_grad=True (and compute outside no_grad)"
        )
    _run([tensor], _seed_gradients([tensor], [grad]), retain_graph or create_graph, create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of stored in ``.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors (each scalar unless its grad_output is given).
        inputs: a Tensor or a sequence of Tensors that the outputs depend on.
        grad_outputs: the vectors v in vᵀJ, one per output (default: 1 for scalars).
        retain_graph: keep the graph for another pass (default: ``create_graph``).
        create_graph: record this pass so its results can be differentiated again.
        allow_unused: return None for an input the outputs do not depend on, instead of raising.

    Returns:
        A tuple with one gradient (or None) per input.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs; give one per "
            "output (None for a scalar output)"
        )
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError(
                f"grad: an output (shape {out.shape}) does not require grad and has no graph"
            )
    retain_graph = create_graph if retain_graph is None else retain_graph
    found = _run(
        outputs, _seed_gradients(outputs, grad_outputs), retain_graph, create_graph, inputs
    )
    results = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {x.shape}) is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        results.append(g if g is None or create_graph else g.detach())
    return tuple(results)


def _total(terms: list):
    """The sum of a list of Tensors (None when it is empty)."""
    return functools.reduce(operator.add, terms) if terms else None


def _as_list(outputs) -> list:
    return [outputs] if isinstance(outputs, Tensor) else [o for o in outputs if o is not None]


def _fresh_leaves(inputs):
    """Inputs as new leaves that require grad, sharing their arrays (nothing is copied)."""
    single = isinstance(inputs, Tensor) or backend.is_array(inputs)
    items = [inputs] if single else list(inputs)
    leaves = [
        Tensor.from_array(x.data if isinstance(x, Tensor) else x).requires_grad_() for x in items
    ]
    return single, leaves


def hvp(fn, inputs, v) -> tuple:
    """Hessian-vector product Hv = ∇(∇f(x)·v) by double backward (Pearlmutter 1994).

    The second pass is the vector-Jacobian product of the gradient g(x) = ∇f(x) with v:
    vᵀ ∂g/∂x = (Hv)ᵀ, H being symmetric, which is ∇(g·v) without forming the scalar g·v. So
    the pass starts from v itself and spends nothing on the products g ⊙ v, their sum and the
    gradient of that sum (two full-size products per input). And since only g's graph is used,
    not its values, the first pass leaves the matrix products that would give those values
    uncomputed (a weight's aᵀ gy): an exact R-op's cost, about 1.9 gradients on an MLP.

    Args:
        fn: ``fn(*inputs)`` returns a scalar Tensor f.
        inputs: a Tensor (or array) or a sequence of them; they need not require grad.
        v: the vector, shaped like ``inputs`` (a Tensor/array, or a sequence of them).

    Returns:
        ``(f(x), Hv)``: f detached, and Hv shaped like ``inputs`` (one Tensor, or a tuple).
    """
    single, xs = _fresh_leaves(inputs)
    vs = [v] if single else list(v)
    if len(vs) != len(xs):
        raise ValueError(f"hvp: {len(xs)} inputs but {len(vs)} vectors")
    vs = [x._lift(u.data if isinstance(u, Tensor) else u) for x, u in zip(xs, vs, strict=False)]
    for x, u in zip(xs, vs, strict=False):
        if u.shape != x.shape:
            raise ValueError(f"hvp: a vector has shape {u.shape} but its input has shape {x.shape}")
    with enable_grad():
        value = fn(*xs)
        # g's values are never read, only its graph: the products that would be the inputs' own
        # gradients are left uncomputed (ops._product_for)
        previous = grad_mode._graph_only_leaves
        grad_mode._graph_only_leaves = frozenset(map(id, xs))
        try:
            gradients = grad(value, xs, create_graph=True, allow_unused=True)
        finally:
            grad_mode._graph_only_leaves = previous
    # a gradient that is missing or constant (f at most linear in that input) adds nothing to Hv
    varying = [
        (g, u) for g, u in zip(gradients, vs, strict=True) if g is not None and g.requires_grad
    ]
    products = (
        grad([g for g, _ in varying], xs, grad_outputs=[u for _, u in varying], allow_unused=True)
        if varying
        else [None] * len(xs)
    )
    products = [
        p if p is not None else Tensor.from_array(backend.array_module(x.data).zeros_like(x.data))
        for p, x in zip(products, xs, strict=True)
    ]
    return value.detach(), (products[0] if single else tuple(products))


def hessian(fn, inputs):
    """The full Hessian of a scalar ``fn(*inputs)``, one Hessian-vector product per row.

    For one input of shape s the result has shape s + s; for several inputs they are
    flattened and joined, and the result is an (n, n) array. Cost: one gradient graph and n
    backward passes through it; meant for small problems (n up to a few thousand).
    """
    single, xs = _fresh_leaves(inputs)
    with enable_grad():
        value = fn(*xs)
        gradients = grad(value, xs, create_graph=True, allow_unused=True)
        flat = [
            g.reshape(-1) if g is not None else Tensor.from_array(x.data.reshape(-1) * 0)
            for g, x in zip(gradients, xs, strict=False)
        ]
        gradient = ops.Concatenate(0)(*flat)
    xp = backend.array_module(xs[0].data)
    n = gradient.shape[0]
    result = xp.zeros((n, n), dtype=gradient.dtype)
    if gradient.requires_grad:  # otherwise f is at most linear and H = 0
        for row in range(n):
            seed = xp.zeros(n, dtype=gradient.dtype)
            seed[row] = 1
            columns = grad(
                gradient,
                xs,
                grad_outputs=Tensor.from_array(seed),
                retain_graph=True,
                allow_unused=True,
            )
            result[row] = xp.concatenate(
                [
                    c.data.reshape(-1) if c is not None else x.data.reshape(-1) * 0
                    for c, x in zip(columns, xs, strict=False)
                ]
            )
    return result.reshape(xs[0].shape + xs[0].shape) if single else result


def gradcheck(
    fn,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    order: int = 1,
    raise_exception: bool = False,
    rng=0,
) -> bool:
    """Compare ``fn``'s reverse-mode gradients with central finite differences, in float64.

    ``fn(*inputs)`` returns a Tensor (or a tuple of Tensors) of any shape; it is reduced to a
    scalar with a fixed random projection u, and every element of ∇(u·fn) is compared with
    (L(x + eps e_i) − L(x − eps e_i)) / (2 eps). Inputs are copied to float64 first, so a
    float32 model is checked without float32 round-off. ``order=2`` also checks the gradient
    function itself (second derivatives, through ``create_graph``).

    Returns True when |analytic − numeric| ≤ atol + rtol |numeric| everywhere; otherwise False,
    or an AssertionError naming the input and the worst element when ``raise_exception``.
    """
    generator = backend.rng(rng)
    items = [inputs] if isinstance(inputs, Tensor) or backend.is_array(inputs) else list(inputs)
    xs = [backend.as_array(x.data if isinstance(x, Tensor) else x, dtype="float64") for x in items]
    xs = [
        backend.array_module(x).ascontiguousarray(x) for x in xs
    ]  # so x.reshape(-1) is a view to perturb
    with enable_grad():
        probe = _as_list(fn(*[Tensor.from_array(x) for x in xs]))
    projections = [
        Tensor.from_array(backend.to_device(generator.standard_normal(o.shape), o.device))
        for o in probe
    ]

    def scalar(*tensors):
        outputs = _as_list(fn(*tensors))
        return _total(
            [(o.astype("float64") * u).sum() for o, u in zip(outputs, projections, strict=False)]
        )

    with enable_grad():
        leaves = [Tensor.from_array(x.copy()).requires_grad_() for x in xs]
        value = scalar(*leaves)
        # an output with no graph is constant in the inputs: every analytic derivative is 0
        analytic = (
            grad(value, leaves, allow_unused=True) if value.requires_grad else [None] * len(leaves)
        )
    for index, (x, g) in enumerate(zip(xs, analytic, strict=False)):
        numeric = backend.array_module(x).zeros_like(x)
        flat = x.reshape(-1)
        for j in range(x.size):
            saved = flat[j].item()
            flat[j] = saved + eps
            with no_grad():
                up = scalar(*[Tensor.from_array(v) for v in xs]).item()
            flat[j] = saved - eps
            with no_grad():
                down = scalar(*[Tensor.from_array(v) for v in xs]).item()
            flat[j] = saved
            numeric.reshape(-1)[j] = (up - down) / (2 * eps)
        exact = numeric * 0 if g is None else g.data
        error = abs(exact - numeric) - (atol + rtol * abs(numeric))
        if (error > 0).any():
            if raise_exception:
                worst = int(error.argmax())
                raise AssertionError(
                    f"gradcheck: input {index}, element {worst}: analytic {exact.reshape(-1)[worst]!r} "
                    f"vs numeric {numeric.reshape(-1)[worst]!r}"
                )
            return False
    if order > 1:

        def gradient_of_fn(*tensors):
            # the finite-difference evaluations pass plain tensors: make them leaves to differentiate
            leaves = [
                t if t.requires_grad else Tensor.from_array(t.data).requires_grad_()
                for t in tensors
            ]
            with enable_grad():
                return grad(scalar(*leaves), leaves, create_graph=True, allow_unused=True)

        return gradcheck(gradient_of_fn, xs, eps, atol, rtol, order - 1, raise_exception, generator)
    return True
