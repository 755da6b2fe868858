"""nn: ``Module``, the container of parameters, buffers and child modules, and ``Parameter``.

A model is a tree of modules. Nothing is registered by magic: a module's parameters and
children are found by walking its attributes (``vars(self)``) in the order they were set.

* an attribute holding a ``Parameter`` is a parameter (``self.weight``);
* an attribute holding a ``Module`` is a child (``self.block``);
* an attribute holding a list or tuple of modules gives children named by position
  (``self.layers = [...]`` gives ``layers.0``, ``layers.1``, ...), and so does an
  ``nn.ModuleList`` (``self.blocks = nn.ModuleList([...])`` gives ``blocks.0``, ...);
* buffers (state that is saved but not trained, such as batch norm's running averages) are
  declared with ``register_buffer(name, tensor)`` and kept in the ordered dict ``self.buffers_by_name``.

Names are dotted paths from the root (``layers.0.weight``), the keys of ``state_dict()``.
Every module has its own ``training`` flag: ``train()``/``eval()`` set it for a module and its
children, so a frozen teacher can sit in eval mode while its student trains. A new module
is in training mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

from .. import backend
from ..grad_mode import no_grad
from ..hooks import HookHandle
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a module trains: ``requires_grad`` is True.

    ``Parameter(data)`` copies ``data`` like ``Tensor(data)``; results of ops on parameters are
    plain Tensors, so only the leaves a module owns are Parameters.
    """

    def __init__(self, data, dtype=None, device: str | None = None):
        super().__init__(data, requires_grad=True, dtype=dtype, device=device)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor") :]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """The base class of every layer and model.

    Subclasses call ``super().__init__()`` first, create their parameters and children as
    attributes, and define ``forward(*inputs)``; calling the module runs ``forward`` and then
    any forward hooks.
    """

    def __init__(self):
        self.training = True
        self.buffers_by_name: dict[str, Tensor] = {}
        self.forward_hooks: list[Callable] = []

    def __call__(self, *inputs):
        output = self.forward(*inputs)
        for hook in list(self.forward_hooks):
            replacement = hook(self, inputs, output)
            if replacement is not None:
                output = replacement
        return output

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward pass (to record activations).

        As in PyTorch, a hook that returns a value replaces the output; ``handle.remove()`` detaches it.
        """
        self.forward_hooks.append(hook)
        return HookHandle(self.forward_hooks, hook)

    def register_buffer(self, name: str, tensor: Tensor) -> None:
        """Declare saved, untrained state; it is read back as ``self.buffers_by_name[name]``."""
        if "." in name or not name:
            raise ValueError(
                f"register_buffer: a name must be non-empty and contain no '.', got {name!r}"
            )
        if not isinstance(tensor, Tensor) or tensor.requires_grad:
            raise TypeError(
                f"register_buffer: {name!r} must be a Tensor that does not require grad"
            )
        self.buffers_by_name[name] = tensor

    # ------------------------------------------------------------ the tree
    def own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """This module's own parameters (not its children's), in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct child modules with their names, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{index}", item

    def children(self) -> Iterator[Module]:
        """The direct child modules, in attribute order (PyTorch's ``children``)."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every descendant, parents before children."""
        # a module shared by two parents is visited once; the ids live only during this walk
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module.named_children()
            ]
            stack.extend(reversed(children))

    def modules(self) -> list[Module]:
        return [module for _, module in self.named_modules()]

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted path, each shared parameter once."""
        seen = set()
        for module_name, module in self.named_modules():
            for name, parameter in module.own_parameters():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self) -> list[Parameter]:
        return [parameter for _, parameter in self.named_parameters()]

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules():
            for name, buffer in module.buffers_by_name.items():
                yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self) -> list[Tensor]:
        return [buffer for _, buffer in self.named_buffers()]

    # ------------------------------------------------------------ modes and devices
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode for this module and its children."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the accumulated gradients: ``.grad = None`` (the default, as PyTorch), or
        with ``set_to_none=False`` set each existing ``.grad`` to zeros in place."""
        for parameter in self.parameters():
            if set_to_none:
                parameter.grad = None
            elif parameter.grad is not None:
                parameter.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], object]) -> Module:
        """Call ``fn(module)`` on every descendant and then on this module (children first, as
        PyTorch), e.g. to initialize weights: ``model.apply(init_weights)``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (``False`` freezes the module)."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def to(self, device: str) -> Module:
        """Move every parameter and buffer to ``device`` in place (optimizers keep their references)."""
        device = backend.check_device(device)
        for tensor in self.parameters() + self.buffers():
            tensor.data = backend.to_device(tensor.data, device)
            if tensor.grad is not None:
                tensor.grad = Tensor.from_array(backend.to_device(tensor.grad.data, device))
        return self

    def cpu(self) -> Module:
        """``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> Module:
        """``to("cuda")``."""
        return self.to("cuda")

    # ------------------------------------------------------------ saving and loading
    def state_dict(self) -> dict:
        """An ordered dict from dotted name to a copy of each parameter's and buffer's array."""
        state = {}
        for module_name, module in self.named_modules():
            prefix = f"{module_name}." if module_name else ""
            for name, parameter in module.own_parameters():
                state[prefix + name] = parameter.data.copy()
            for name, buffer in module.buffers_by_name.items():
                state[prefix + name] = buffer.data.copy()
        return state

    def named_state(self) -> dict[str, Tensor]:
        """Like ``state_dict()`` but the Tensors themselves, not copies."""
        return dict(list(self.named_parameters()) + list(self.named_buffers()))

    def load_state_dict(self, state_dict: Mapping, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` into this module's parameters and buffers.

        Every value is checked (and converted to the target's dtype and device) before any is
        written, so an error leaves the module exactly as it was. A shape mismatch is always
        an error; with ``strict=True`` so is a missing or unexpected key, and the error lists all
        three kinds. Returns the missing and unexpected keys.
        """
        targets = self.named_state()
        missing = [name for name in targets if name not in state_dict]
        unexpected = [name for name in state_dict if name not in targets]
        staged, mismatched = {}, []
        for name, value in state_dict.items():
            if name not in targets:
                continue
            target = targets[name]
            array = value.data if isinstance(value, Tensor) else value
            try:
                array = backend.as_array(array, dtype=target.dtype, device=target.device)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"load_state_dict: {name!r} is not a numeric array ({error})"
                ) from error
            if array.shape != target.shape:
                mismatched.append(
                    f"{name}: checkpoint {tuple(array.shape)}, model {tuple(target.shape)}"
                )
            staged[name] = array
        if mismatched or (strict and (missing or unexpected)):
            problems = []
            if missing:
                problems.append("missing keys: " + ", ".join(missing))
            if unexpected:
                problems.append("unexpected keys: " + ", ".join(unexpected))
            if mismatched:
                problems.append("shape mismatches: " + ", ".join(mismatched))
            raise ValueError(
                "load_state_dict: the state dict does not fit the model; " + "; ".join(problems)
            )
        with no_grad():
            for name, array in staged.items():
                targets[name].data[...] = array
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of ``repr``; layers override it."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
