"""Optim: ``Optimizer``, what every optimizer shares (parameter groups, state, closures, checkpoints).

An optimizer holds the parameters it moves in ``param_groups``: a list of dicts, each with
its ``"params"`` (a list of Tensors) and its own hyperparameters (``"lr"``, ``"momentum"``,
...), so one model can train its layers at different rates. Whatever an optimizer
remembers between steps (a momentum buffer, the accumulated squared gradients r, the step
count t) lives in ``state[i]``, keyed by the parameter's position ``i`` in the groups taken
in order: positions survive saving and loading, where object identities would not.

The first-order optimizers keep their math in a pure function on arrays,

    new_param, new_state = update(param, grad, state, **hyperparameters)

and ``update_each_parameter`` applies it to every parameter that has a gradient, writing
the result into ``param.data`` in place under ``no_grad``.

Closures: ``step(closure)`` calls ``closure()`` with gradients recorded and returns its
loss, through ``closure.loss_and_gradients``: if the loss still has its graph, the optimizer
takes the gradients itself and stores them in ``.grad``; if the closure already ran
``loss.backward()`` (PyTorch's style), ``.grad`` is read as it is.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator

from .. import backend
from ..grad_mode import no_grad
from ..tensor import Tensor
from .closure import loss_and_gradients


class Optimizer(abc.ABC):
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``.

    Args:
        params: an iterable of Tensors, or of dicts ``{"params": [...], "lr": ..., ...}``
            (parameter groups); a group's missing hyperparameters come from ``defaults``.
        defaults: the hyperparameters given to the constructor.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict):
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty list of parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ parameters
    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (the rest from ``defaults``)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group must be a dict with a 'params' entry")
        params = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        name = type(self).__name__
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, got {type(param).__name__}")
            if not backend.is_float(param.dtype):
                raise TypeError(f"{name} can only optimize float Tensors, got dtype {param.dtype}")
            if any(param is known for known in self.parameters()):
                raise ValueError(
                    "a parameter appears in more than one place in the parameter groups"
                )
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{name} has no hyperparameter(s) {sorted(unknown)}")
        full_group = {**self.defaults, **group, "params": params}
        self.check_hyperparameters(full_group)
        self.param_groups.append(full_group)

    def check_hyperparameters(self, group: dict) -> None:
        """Raise ValueError naming a hyperparameter of ``group`` that is out of range."""
        check_nonnegative("lr", group["lr"])

    def parameters(self) -> list[Tensor]:
        """All parameters, group by group: position ``i`` here is the key of ``state[i]``."""
        return [param for group in self.param_groups for param in group["params"]]

    def parameters_with_grad(self) -> Iterator[tuple[int, Tensor, dict]]:
        """``(position, parameter, its group)`` for every parameter whose ``.grad`` is set."""
        index = 0
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    yield index, param, group
                index += 1

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients, ready for the next backward pass: set every ``.grad`` to None
        (the default, as PyTorch), or with ``set_to_none=False`` fill existing ones with zeros."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data[...] = 0

    # ------------------------------------------------------------ stepping
    @abc.abstractmethod
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Update the parameters once; with a closure, evaluate it first and return its loss."""

    def evaluate_closure(self, closure: Callable[[], Tensor] | None) -> Tensor | None:
        """Call ``closure`` (``closure.loss_and_gradients``); set each ``.grad`` to d(loss)/d(param)."""
        if closure is None:
            return None
        params = self.parameters()
        loss, gradients = loss_and_gradients(closure, params, caller=type(self).__name__)
        for param, gradient in zip(params, gradients, strict=True):
            param.grad = gradient
        return loss

    def update_each_parameter(
        self, closure: Callable[[], Tensor] | None, update: Callable
    ) -> Tensor | None:
        """The first-order step: ``param, state[i] = update(param, grad, state[i], **group)`` in place."""
        loss = self.evaluate_closure(closure)
        with no_grad():
            for index, param, group in self.parameters_with_grad():
                hyperparameters = {name: value for name, value in group.items() if name != "params"}
                new_param, self.state[index] = update(
                    param.data, param.grad.data, self.state.get(index, {}), **hyperparameters
                )
                param.data[...] = new_param
        return loss

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """The state by parameter position and the groups' hyperparameters; arrays are copies."""
        positions = iter(range(len(self.parameters())))
        groups = [
            {
                **{name: value for name, value in group.items() if name != "params"},
                "params": [next(positions) for _ in group["params"]],
            }
            for group in self.param_groups
        ]
        state = {
            index: {name: _copy(value) for name, value in entry.items()}
            for index, entry in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume from ``state_dict()``: the next steps repeat the saved run's bit for bit."""
        saved_groups = state_dict["param_groups"]
        if [len(g["params"]) for g in saved_groups] != [
            len(g["params"]) for g in self.param_groups
        ]:
            raise ValueError(
                "load_state_dict: the saved parameter groups have sizes "
                f"{[len(g['params']) for g in saved_groups]}, this optimizer's have "
                f"{[len(g['params']) for g in self.param_groups]}"
            )
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            group.update({name: value for name, value in saved.items() if name != "params"})
        params = self.parameters()
        self.state = {
            int(index): {
                name: _copy(value, like=params[int(index)].data) for name, value in entry.items()
            }
            for index, entry in state_dict["state"].items()
        }


def _copy(value, like=None):
    """A copy of an array (on ``like``'s device when given), or of a dict of them; a named
    record of arrays (``descent.LastStep``) becomes a plain dict, which checkpoints can hold.
    Other values as they are."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        value = value._asdict()
    if isinstance(value, dict):
        return {name: _copy(entry, like) for name, entry in value.items()}
    if not backend.is_array(value):
        return value
    if like is not None:
        value = backend.to_device(value, backend.device_of(like))
    return value.copy()


# ---------------------------------------------------------------- validation shared by the optimizers
def check_nonnegative(name: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"invalid {name}: {value} (it must be >= 0)")


def check_beta(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"invalid {name}: {value} (it must lie in [0, 1))")
