"""Optim: the loss of a closure as a function J(θ) of the flat parameter vector, for section 8.6's methods.

Every approximate second-order method asks the same three questions of the loss: its value
and gradient g at a point θ, its Hessian-vector products Hv there, and its values and
slopes along a line θ + αd. ``Objective`` answers them from a closure (through
``closure.loss_and_gradients``) and counts what each answer cost:

* ``nfev``: calls of the closure (loss evaluations);
* ``ngev``: gradient evaluations (one per call here: every method needs g at every point);
* ``nhvp``: Hessian-vector products.

The closure may return the loss with its graph (the objective then takes g with
``tg.grad``; with ``uses_hvp=True`` it records that pass too, so that Hv = ∇(gᵀv) costs one
more backward pass, Pearlmutter 1994), or may itself run ``loss.backward()`` in PyTorch's
style (then g is read from ``.grad``; Hessian-vector products are impossible, the graph
having been released, and Newton-type methods say so).

A loss or gradient that is NaN or infinite stops the method: the parameters are put back at
the last accepted point and a ``FloatingPointError`` says what happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..autograd import grad
from ..backend import Array
from ..tensor import Tensor
from .closure import is_finite, loss_and_gradients
from .flat import gradient_vector, parameters_vector, set_parameters, unflatten


class Objective:
    """J(θ), g(θ) and Hv for the parameters ``params`` of the loss ``closure()`` returns.

    Args:
        params: the parameters θ is made of, in order.
        closure: re-evaluates the loss at the parameters' current values.
        method: the optimizer's name, for error messages.
        uses_hvp: keep the gradient's graph at each point so that ``hvp`` can differentiate it.
    """

    def __init__(
        self,
        params: Sequence[Tensor],
        closure: Callable[[], Tensor],
        method: str,
        uses_hvp: bool = False,
    ):
        if closure is None:
            raise ValueError(
                f"{method}.step needs a closure that re-evaluates the loss and returns it"
            )
        self.params = list(params)
        self.closure = closure
        self.method = method
        self.uses_hvp = uses_hvp
        self.nfev = self.ngev = self.nhvp = 0
        self.accepted = parameters_vector(self.params)
        self._gradients: Sequence[Tensor | None] = ()

    def x(self) -> Array:
        """θ: a copy of the parameters' current values."""
        return parameters_vector(self.params)

    def accept(self, x: Array) -> None:
        """Record θ = ``x`` as the method's current iterate: where a non-finite loss sends it back."""
        self.accepted = x

    def at(self, x: Array) -> tuple[float, Array]:
        """Move the parameters to ``x`` and evaluate J and g there."""
        set_parameters(self.params, x)
        return self.evaluate()

    def evaluate(self) -> tuple[float, Array]:
        """J(θ) (a float) and g(θ) (a flat array) at the parameters' current values."""
        loss, gradients = loss_and_gradients(
            self.closure, self.params, create_graph=self.uses_hvp, caller=self.method
        )
        self.nfev += 1
        if all(gradient is None for gradient in gradients) and not loss.requires_grad:
            raise RuntimeError(
                f"{self.method}: the closure's loss has no graph and filled no .grad; compute it "
                "from parameters that require grad, outside no_grad()"
            )
        self.ngev += 1
        value = loss.item()
        gradient = gradient_vector(self.params, gradients)
        if not is_finite(value, gradient):
            set_parameters(self.params, self.accepted)
            raise FloatingPointError(
                f"{self.method}: the closure returned a non-finite loss ({value}) or gradient at "
                f"evaluation {self.nfev}; stopped, and the parameters were put back at the last "
                "accepted point"
            )
        self._gradients = gradients if self.uses_hvp else ()
        return value, gradient

    def hvp(self, v: Array) -> Array:
        """Hv at the point evaluated last: the gradient of gᵀv, one backward pass through g's graph."""
        if not self.uses_hvp:
            raise RuntimeError(
                f"{self.method}: Hessian-vector products need Objective(..., uses_hvp=True)"
            )
        self.nhvp += 1
        pieces = unflatten(v, [param.shape for param in self.params])
        pairs = [
            (gradient, Tensor.from_array(piece))
            for gradient, piece in zip(self._gradients, pieces, strict=True)
            if gradient is not None and gradient.requires_grad
        ]
        if not pairs:  # every gradient is constant: J is at most linear and H = 0
            return v * 0
        products = grad(
            [gradient for gradient, _ in pairs],
            self.params,
            grad_outputs=[piece for _, piece in pairs],
            retain_graph=True,
            allow_unused=True,
        )
        return gradient_vector(self.params, products)


class Line:
    """φ(α) = J(x + αd) and φ'(α) = g(x + αd)ᵀd, the function the line searches work on."""

    def __init__(self, objective: Objective, x: Array, direction: Array):
        self.objective = objective
        self.x = x
        self.direction = direction
        self.last: tuple[float, float, object] | None = None  # (α, J, g) of the point tried last

    def __call__(self, alpha: float) -> tuple[float, float]:
        value, gradient = self.objective.at(self.x + alpha * self.direction)
        self.last = (alpha, value, gradient)
        return value, float(gradient @ self.direction)

    def move_to(self, alpha: float) -> tuple[object, float, object]:
        """Put the parameters at x + αd and return (x + αd, J, g) there.

        The line search's accepted step is almost always the point it tried last; only then
        are J and g (and, for Newton-type methods, the gradient's graph) already at hand.
        """
        point = self.x + alpha * self.direction
        if self.last is not None and self.last[0] == alpha:
            return point, self.last[1], self.last[2]
        value, gradient = self.objective.at(point)
        return point, value, gradient
