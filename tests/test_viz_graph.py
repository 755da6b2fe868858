"""viz.graph: the nodes and edges of drawn graphs (read back from the DOT text), rendering, the CLI."""

import re
import shutil

import numpy as np
import pytest

import tinygrad_ch8 as tg
from tinygrad_ch8 import cli, nn
from tinygrad_ch8.viz import draw_graph, render_graph

NODE = re.compile(r'^\t(\w+) \[label=(?:"((?:[^"\\]|\\.)*)"|(\S+))(.*)\]$')
EDGE = re.compile(r"^\t(\w+) -> (\w+)")
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz's `dot` program is not installed"
)


def parse(graph):
    """({node id: (label lines, attributes)}, [(tail label, head label), ...]) of a drawn graph."""
    nodes, edges = {}, []
    for line in graph.source.splitlines():
        node, edge = NODE.match(line), EDGE.match(line)
        if edge:
            edges.append(edge.groups())
        elif node:
            label = node.group(2) if node.group(2) is not None else node.group(3)
            nodes[node.group(1)] = (label.split("\\n"), node.group(4))
    return nodes, [(nodes[tail][0][0], nodes[head][0][0]) for tail, head in edges]


def edge_ids(graph):
    return [EDGE.match(line).groups() for line in graph.source.splitlines() if EDGE.match(line)]


def ids_labelled(nodes, first_line):
    return [key for key, (lines, _) in nodes.items() if lines[0] == first_line]


def test_small_expression_has_the_expected_nodes_and_edges():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    w = tg.Tensor([3.0, 4.0], requires_grad=True)
    y = (x * w + 1.0).sum()
    nodes, edges = parse(draw_graph(y, names={"x": x, "w": w}))
    ops = sorted(lines[0] for lines, attributes in nodes.values() if "ellipse" in attributes)
    assert ops == ["Add", "Mul", "Sum"]
    tensors = [lines for lines, attributes in nodes.values() if "box" in attributes]
    assert len(tensors) == 6  # x, w, x*w, the constant 1, x*w+1, y
    assert ("x", "Mul") in edges and ("w", "Mul") in edges and ("constant", "Add") in edges
    assert ("Sum", "output") in edges
    assert ("Mul", "(2,) float32") in edges and ("(2,) float32", "Add") in edges
    assert len(edges) == 8  # 2 + 2 + 1 inputs into the 3 ops, and one output out of each
    (x_node,) = ids_labelled(nodes, "x")
    assert nodes[x_node][0][1] == "(2,) float32"
    assert "lightblue" in nodes[x_node][1]  # a leaf that requires grad
    (output_node,) = ids_labelled(nodes, "output")
    assert "peripheries=2" in nodes[output_node][1]
    (sum_node,) = ids_labelled(nodes, "Sum")
    assert nodes[sum_node][0][1:] == ["axis=None", "keepdims=False"]


def test_operand_positions_label_the_edges_of_non_commutative_ops():
    a = tg.Tensor([1.0], requires_grad=True)
    b = tg.Tensor([2.0], requires_grad=True)
    graph = draw_graph(a / b, names={"a": a, "b": b})
    source, (nodes, _) = graph.source, parse(graph)
    (a_node,), (b_node,), (div_node,) = (ids_labelled(nodes, name) for name in ("a", "b", "Div"))
    assert f"{a_node} -> {div_node} [label=0]" in source
    assert f"{b_node} -> {div_node} [label=1]" in source


def test_dot_source_is_the_same_on_every_run():
    def build():
        tg.manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
        return draw_graph(model(tg.randn(4, 3)).sum(), names=model).source

    assert build() == build()


def test_parameters_are_labelled_with_their_module_paths():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    loss = tg.functional.cross_entropy(model(tg.randn(5, 4)), np.array([0, 1, 1, 0, 1]))
    nodes, edges = parse(draw_graph(loss, names=model))
    first_lines = {lines[0] for lines, _ in nodes.values()}
    names = [name for name, _ in model.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert set(names) <= first_lines
    assert ("layers.0.weight", "Affine") in edges and ("layers.2.bias", "Affine") in edges


def test_values_and_gradients_are_shown_when_asked():
    x = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    nodes, _ = parse(draw_graph(y, names={"x": x}, show_values=True, show_grads=True))
    (x_node,) = ids_labelled(nodes, "x")
    # d(x·x)/dx = 2x
    assert nodes[x_node][0][1:] == ["(3,) float32", "[ 1., -2.,  3.]", "grad [ 2., -4.,  6.]"]
    (output_node,) = ids_labelled(nodes, "output")
    assert nodes[output_node][0][2] == "14."

    large = tg.Tensor(np.arange(10.0), requires_grad=True)
    nodes, _ = parse(
        draw_graph(large.sum(), names={"large": large}, show_values=True, show_shapes=False)
    )
    (large_node,) = ids_labelled(nodes, "large")
    assert nodes[large_node][0][1] == f"mean 4.5, std {np.arange(10.0).std():.3g}"


def test_a_graph_released_by_backward_raises_saying_what_to_pass():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp()).sum()
    y.backward()
    with pytest.raises(ValueError, match=r"released by backward\(\).*retain_graph=True"):
        draw_graph(y)


def test_a_graph_kept_by_retain_graph_is_drawn_whole_after_backward():
    x = tg.Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    nodes, edges = parse(draw_graph(y, names={"x": x}))
    assert edges == [
        ("Sum", "output"),
        ("(2,) float64", "Sum"),
        ("Exp", "(2,) float64"),
        ("x", "Exp"),
    ]


def test_an_op_is_labelled_with_its_settings_and_nothing_of_the_engine():
    x = tg.Tensor(np.ones((2, 3)), requires_grad=True)
    y = x.sum(axis=1)
    assert y.grad_fn.settings() == {"axis": 1, "keepdims": False}
    nodes, _ = parse(draw_graph(y))
    (sum_node,) = ids_labelled(nodes, "Sum")
    label = "\n".join(nodes[sum_node][0])
    assert "axis" in label and "inputs" not in label and "output_ref" not in label


def test_double_backward_graph_of_a_hessian_vector_product():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    v = tg.Tensor([0.5, -1.0])
    f = (x**3).sum()
    forward_nodes, _ = parse(draw_graph(f))
    (gradient,) = tg.grad(f, x, create_graph=True)
    directional = (gradient * v).sum()
    graph = draw_graph(directional, names={"x": x, "v": v})
    nodes, edges = parse(graph)
    # the graph of g·v is made of the ops that backward recorded for g = 3x² (x³ itself is not needed)
    ops = [lines[0] for lines, attributes in nodes.values() if "ellipse" in attributes]
    forward_ops = [
        lines[0] for lines, attributes in forward_nodes.values() if "ellipse" in attributes
    ]
    assert sorted(forward_ops) == ["Pow", "Sum"]
    assert len(ops) > len(forward_ops) and "Mul" in ops
    reachable, frontier = set(), ids_labelled(nodes, "x")
    while frontier:  # x's box leads, through the ops, to the output
        tail = frontier.pop()
        heads = [
            head
            for edge_tail, head in edge_ids(graph)
            if edge_tail == tail and head not in reachable
        ]
        reachable.update(heads)
        frontier.extend(heads)
    assert set(ids_labelled(nodes, "output")) <= reachable
    assert ("v", "Mul") in edges
    (v_node,) = ids_labelled(nodes, "v")
    assert "dashed" in nodes[v_node][1]  # v needs no gradient
    # and it is the graph that gives Hv: H = diag(6x)
    (hessian_vector,) = tg.grad(directional, x)
    np.testing.assert_allclose(hessian_vector.numpy(), 6 * x.numpy() * v.numpy())


def test_a_long_chain_is_drawn_without_recursion():
    x = tg.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    nodes, edges = parse(draw_graph(y))
    assert sum(lines[0] == "Mul" for lines, _ in nodes.values()) == 3000
    assert len(edges) == 3 * 3000


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least one tensor"):
        draw_graph()
    with pytest.raises(TypeError, match="must be Tensors"):
        draw_graph(np.ones(2))
    with pytest.raises(TypeError, match="names must be a module or a dict"):
        draw_graph(tg.Tensor([1.0], requires_grad=True) * 2, names=["x"])


def test_render_to_dot_writes_the_source(tmp_path):
    graph = draw_graph(tg.Tensor([1.0], requires_grad=True).exp())
    path = render_graph(graph, tmp_path / "sub" / "graph.dot")
    assert path == str(tmp_path / "sub" / "graph.dot")
    assert (tmp_path / "sub" / "graph.dot").read_text() == graph.source


def test_render_refuses_an_unknown_extension(tmp_path):
    graph = draw_graph(tg.Tensor([1.0], requires_grad=True).exp())
    with pytest.raises(ValueError, match=r"\.svg \.png \.pdf \.dot"):
        render_graph(graph, tmp_path / "graph.jpg")


@needs_dot
def test_render_to_svg(tmp_path):
    x = tg.Tensor([1.0], requires_grad=True)
    graph = draw_graph(x.exp(), names={"input_x": x})
    path = render_graph(graph, tmp_path / "graph.svg")
    svg = (tmp_path / "graph.svg").read_text()
    assert path == str(tmp_path / "graph.svg")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "input_x" in svg and "Exp" in svg
    assert (tmp_path / "graph.dot").read_text() == graph.source


def test_missing_dot_still_writes_the_dot_file_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # graphviz then cannot find `dot`
    graph = draw_graph(tg.Tensor([1.0], requires_grad=True).exp())
    with pytest.raises(RuntimeError, match="install graphviz") as error:
        render_graph(graph, tmp_path / "graph.png")
    assert "apt-get install graphviz" in str(error.value)
    assert str(tmp_path / "graph.dot") in str(error.value)
    assert (tmp_path / "graph.dot").read_text() == graph.source
    assert not (tmp_path / "graph.png").exists()


@needs_dot
@pytest.mark.parametrize("model", ["mlp", "batchnorm", "residual", "hvp"])
def test_graph_command_writes_a_file(model, tmp_path, capsys):
    path = tmp_path / f"{model}.svg"
    assert cli.main(["graph", "-o", str(path), "--model", model, "--batch-size", "8"]) == 0
    svg = path.read_text()
    assert "layers.0.layers.0.weight" in svg and "Affine" in svg  # the train command's nn.mlp
    assert ("v[layers.0.layers.0.weight]" in svg) == (model == "hvp")
    assert ("layers.0.layers.1.gamma" in svg) == (model == "batchnorm")
    assert ("layers.2.block.layers.0.weight" in svg) == (model == "residual")
    assert ("grad mean" in svg) == (
        model != "hvp"
    )  # after the step's backward the parameters have grads
    assert str(path) in capsys.readouterr().out


def test_graph_command_writes_dot_without_the_dot_program(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    path = tmp_path / "step.dot"
    assert cli.main(["graph", "-o", str(path)]) == 0
    assert "layers.2.bias" in path.read_text()
    assert cli.main(["graph", "-o", str(tmp_path / "step.pdf")]) == 2  # a user's error: exit 2
    assert "install graphviz" in capsys.readouterr().err
