"""The interpreter keeps Python's meaning for the constructs the playground allows."""

from __future__ import annotations

from tests.playground.conftest import run, values


def reprs(client, code: str) -> list[str]:
    """The reprs of a snippet's outputs."""
    return [value["repr"] for value in values(client, code)]


def test_semantics_chained_comparison_stops_at_false(client):
    assert reprs(client, "1 < 2 < 3\n3 < 2 < 4\n1 < 2 > 3") == ["True", "False", "False"]


def test_semantics_boolean_operators_short_circuit(client):
    assert reprs(client, "0 or 5\n0 and undefined_name\nNone or 'x'") == ["5", "0", "'x'"]


def test_semantics_augmented_assignment_on_view_changes_base(client):
    code = "x = torch.zeros(2, 2)\nrow = x[0]\nrow += 1\nx[1] += 2\nx"
    assert reprs(client, code) == ["tensor([[1., 1.],\n        [2., 2.]])"]


def test_semantics_loop_break_and_continue(client):
    code = "n = 0\nfor i in range(10):\n    if i == 2:\n        continue\n"
    code += "    if i == 5:\n        break\n    n += i\nn\ni"
    assert reprs(client, code) == ["8", "5"]


def test_semantics_unpacking_and_starred_arguments(client):
    code = "x = torch.ones(2, 3)\nrows, cols = x.shape\ntorch.zeros(*x.shape).shape\n(rows, cols)"
    assert reprs(client, code) == ["torch.Size([2, 3])", "(2, 3)"]


def test_semantics_print_sep_and_end(client):
    assert run(client, "print(1, 2, sep='-', end='!')\nprint()")["stdout"] == "1-2!\n"


def test_semantics_warnings_go_to_stdout(client):
    code = "y = torch.ones(1, requires_grad=True) * 2\ng = y.grad"
    assert run(client, code)["stdout"].startswith("UserWarning: The .grad attribute")


def test_semantics_numpy_scalar_types_work_as_dtypes(client):
    code = "np.ones(2).astype(np.float32).dtype\nnp.float32(1.5)"
    assert reprs(client, code) == ["dtype('float32')", "np.float32(1.5)"]


def test_semantics_nn_linear_is_callable(client):
    code = "import torch.nn as nn\nm = nn.Linear(3, 2)\nm(torch.ones(4, 3)).shape\nm.weight.shape"
    assert reprs(client, code) == ["torch.Size([4, 2])", "torch.Size([2, 3])"]


def test_semantics_del_forgets_a_name(client):
    response = client.post("/api/playground/eval", json={"code": "x = 1\ndel x\nx"})
    assert response.status_code == 400
    assert response.json()["detail"]["error"] == "NameError: name 'x' is not defined"
