"""Command line: ``tinygrad-ch8 graph -o FILE``, the computation graph of one training step.

The default (``--model batchnorm``) draws the cross-entropy loss of the network that
``tinygrad-ch8 train`` trains by default (64 -> 256 -> 128 -> 10, ReLU, batch normalization
in both hidden layers, ``nn.mlp``) on a minibatch of the standardized digits, after its
backward pass, so every parameter box shows the mean and std of its gradient.
``--model mlp`` is the same network without batch normalization (``train --no-batch-norm``),
``--model residual`` adds a residual block (§8.7.5), and ``--model hvp`` draws the graph that
``backward(create_graph=True)`` records for ∇J·v, whose gradient is the Hessian-vector
product Hv used by Newton-CG (§8.6.1). The format comes from the extension of FILE: .svg,
.png, .pdf or .dot (the last needs no graphviz ``dot`` program; the others do).
"""

from __future__ import annotations

import argparse

from .. import backend, data, nn
from ..autograd import grad
from ..creation import randn
from ..functional import cross_entropy
from ..tensor import Tensor
from ..viz import draw_graph, render_graph
from .checks import UsageError, check_device, check_output_path, non_negative_int, positive_int

MODELS = {
    "batchnorm": "the network train trains by default, 64 -> 256 -> 128 -> 10 (ReLU) with batch "
    "normalization in every hidden layer (§8.7.1): forward, loss and backward of one training step",
    "mlp": "the same MLP without batch normalization (train --no-batch-norm)",
    "residual": "the MLP with one residual block after the hidden layers (§8.7.5)",
    "hvp": "the double-backward graph of ∇J·v for the MLP: its gradient is the Hessian-vector product Hv",
}
HIDDEN_WIDTHS = (256, 128)  # the default of `tinygrad-ch8 train`
GRAPH_EXTENSIONS = (".svg", ".png", ".pdf", ".dot")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        default="graph.svg",
        help="file to write; the format comes from the extension: .svg .png .pdf .dot "
        "(default: graph.svg; the DOT text is always written beside it; missing folders are "
        "created)",
    )
    parser.add_argument(
        "--model",
        choices=list(MODELS),
        default="batchnorm",
        help="what to draw (default: batchnorm): "
        + "; ".join(f"{name}: {text}" for name, text in MODELS.items()),
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=32,
        help="digits in the minibatch, 1 or more (default: 32)",
    )
    parser.add_argument(
        "--show-values",
        action="store_true",
        help="write each tensor's values (mean and std when large) into its box",
    )
    parser.add_argument(
        "--device", choices=backend.DEVICES, default="cpu", help="where to compute (default: cpu)"
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the initialization, 0 or more (default: 0)",
    )


def build_model(name: str, in_features: int) -> nn.Module:
    return nn.mlp(
        in_features,
        HIDDEN_WIDTHS,
        data.digits.N_CLASSES,
        batch_norm=name == "batchnorm",
        residual_blocks=1 if name == "residual" else 0,
    )


def training_step_graph(args: argparse.Namespace):
    """The Digraph of one step: the loss with the gradients filled in, or the graph of ∇J·v."""
    backend.manual_seed(args.seed)
    images, labels = data.load_digits("train", device=args.device)
    (images,) = data.standardize(images)
    model = build_model(args.model, images.shape[1])
    batch = Tensor.from_array(images[: args.batch_size])
    loss = cross_entropy(model(batch), labels[: args.batch_size])
    if args.model != "hvp":
        loss.backward(retain_graph=True)  # keep the graph so it can still be drawn whole
        return draw_graph(loss, names=model, show_values=args.show_values, show_grads=True)
    parameters = list(model.parameters())
    gradients = grad(loss, parameters, create_graph=True)
    directions = [randn(*p.shape) for p in parameters]
    directional = sum((g * v).sum() for g, v in zip(gradients, directions, strict=True))
    names = dict(model.named_parameters())
    names.update((f"v[{name}]", v) for name, v in zip(list(names), directions, strict=True))
    return draw_graph(directional, names=names, show_values=args.show_values)


def run(args: argparse.Namespace) -> int:
    check_device(args.device)
    check_output_path("-o", args.output, GRAPH_EXTENSIONS)
    previous_device = backend.get_default_device()
    try:
        backend.set_default_device(args.device)
        path = render_graph(training_step_graph(args), args.output)
    except RuntimeError as error:  # no `dot` program: the DOT text is written, the picture not
        raise UsageError(str(error)) from None
    finally:
        backend.set_default_device(previous_device)
    print(f"computation graph of --model {args.model} (one training step) written to {path}")
    return 0
