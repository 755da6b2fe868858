"""Engine: ``Function``, the node of the computation graph.

Calling a Function on Tensors runs ``forward`` on their backend arrays and, while gradients
are recorded and some input requires one, links the result to the Function
(``y.grad_fn = fn``), which keeps its inputs and its settings. ``backward(gy)`` returns one
gradient per input, written with Tensor ops: run under ``enable_grad`` it records a graph of
its own, which is what makes second derivatives (Hessian-vector products) possible.

A Function whose backward reads its output (exp, tanh, σ) holds it only through a weak
reference: output -> grad_fn -> output would otherwise be a cycle that only the garbage
collector could free.
"""

from __future__ import annotations

import itertools
import weakref

from . import backend, grad_mode
from .grad_mode import check_finite

# tensor.py defines Tensor before it imports the ops that import this module
from .tensor import Tensor

_sequence_numbers = itertools.count()


class Function:
    """One differentiable op. Subclasses define ``forward(*arrays)`` and ``backward(gy)``.

    Settings (an axis, a shape, an exponent) are given to ``__init__`` and stored on the
    instance; the inputs are stored by ``__call__``. After a backward pass without
    ``retain_graph`` the inputs are dropped (``released``) and a second pass raises.
    """

    inputs: tuple | None = None
    needs_input_grad: tuple = ()
    hooked = False  # set when the output has gradient hooks or retains its gradient
    # Whether backward reads ``self.output``: only then is the weak reference to it made (a hook
    # makes it too). Every op skipping it is one Python object fewer per node for the garbage
    # collector to walk, which in a long graph costs more than the op itself.
    saves_output = False
    output_ref = None

    def __call__(self, *inputs):
        # most ops are binary or unary: those get their arrays and flags without a loop, and
        # operands of one array type skip the device check
        if len(inputs) == 2:
            first, second = inputs
            arrays = (first.data, second.data)
            needs_input_grad = (first.requires_grad, second.requires_grad)
            if type(arrays[0]) is not type(arrays[1]):
                _check_same_device(self, arrays)
        elif len(inputs) == 1:
            arrays = (inputs[0].data,)
            needs_input_grad = (inputs[0].requires_grad,)
        else:
            arrays = [x.data for x in inputs]
            needs_input_grad = tuple([x.requires_grad for x in inputs])
            _check_same_device(self, arrays)
        try:
            y = self.forward(*arrays)
        except ValueError as error:  # NumPy's message names neither the op nor both operands
            raise ValueError(f"{self.name}{self.shapes_of(inputs)}: {error}") from error
        # NumPy gives scalars for 0-d operands; .data stays an array (the type test first: cheap)
        if type(y) is not type(arrays[0]) and not backend.is_array(y):
            y = backend.array_module(arrays[0]).asarray(y)
        if grad_mode._anomaly_detection:
            check_finite(y, f"the forward of {self.name}{self.shapes_of(inputs)}")
        output = Tensor.__new__(Tensor)  # Tensor.from_array(y), inlined: this runs for every op
        output.data = y
        if grad_mode._recording and True in needs_input_grad:
            self.inputs = inputs
            self.needs_input_grad = needs_input_grad
            if self.saves_output:
                self.output_ref = weakref.ref(output)
            # an op can only consume tensors that exist, so it is numbered after every op that
            # made its inputs: backward orders the graph by this number
            self.sequence_number = next(_sequence_numbers)
            output.requires_grad = True
            output.grad_fn = self
        return output

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def output(self):
        """The Tensor this Function produced (alive while anything uses the graph), for ops that
        save it and for outputs with hooks; None otherwise."""
        return None if self.output_ref is None else self.output_ref()

    @property
    def released(self) -> bool:
        return self.inputs is None

    def settings(self) -> dict:
        """The op's own settings (an axis, a shape, an exponent): what ``__init__`` stored.

        Everything else on the instance is the engine's bookkeeping (inputs, which of them
        need a gradient, the output's weak reference, the op's number in the order of
        recording, arrays kept from the forward); ``viz.draw_graph`` labels ops with this.
        """
        return {
            name: value
            for name, value in vars(self).items()
            if name not in ("inputs", "needs_input_grad", "output_ref", "sequence_number", "saved")
        }

    def release(self) -> None:
        """Drop the inputs (and so every array they hold alive) after a backward pass."""
        self.inputs = None

    @staticmethod
    def shapes_of(inputs) -> str:
        return "(" + ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in inputs) + ")"


def _check_same_device(fn: Function, arrays) -> None:
    first = type(arrays[0])
    for a in arrays:
        if type(a) is not first:  # the cheap test first; NumPy scalars fall through to the full one
            break
    else:
        return
    devices = [backend.device_of(a) for a in arrays]
    if len(set(devices)) > 1:
        raise ValueError(
            f"{fn.name}: operands are on different devices ({', '.join(devices)}); "
            "move them to one device with .to(device)"
        )
