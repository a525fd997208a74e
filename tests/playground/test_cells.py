"""The tutorial's tensor cells, each checked against torch itself."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from server.playground import sandbox
from server.playground.sandbox import SandboxPool
from tests.playground.conftest import TIMEOUT_S, make_app, post, run, values


def assert_tensor(value: dict[str, Any], expected: torch.Tensor) -> None:
    """A rendered tensor has the expected values, shape, dtype, stride and contiguity."""
    assert value["type"] == "tensor"
    assert value["repr"] == repr(expected)
    assert value["shape"] == list(expected.shape)
    assert value["dtype"] == str(expected.dtype)
    assert value["stride"] == list(expected.stride())
    assert value["contiguous"] == expected.is_contiguous()
    assert value["device"] == "cpu"
    assert value["requires_grad"] == expected.requires_grad


def seeded(build: Any) -> torch.Tensor:
    """Build a tensor locally after the seed the snippets set."""
    torch.manual_seed(0)
    return build()


def test_cell_empty_shape_and_layout(client):
    (x,) = values(client, "import torch\nx = torch.empty(5,3)\nx")
    expected = torch.empty(5, 3)
    assert (x["shape"], x["dtype"], x["stride"]) == ([5, 3], str(expected.dtype), [3, 1])


def test_cell_rand_matches_torch(client):
    (x,) = values(client, "g = torch.manual_seed(0)\nx = torch.rand(5,3)\nx")
    assert_tensor(x, seeded(lambda: torch.rand(5, 3)))


def test_cell_zeros_long_matches_torch(client):
    (x,) = values(client, "x = torch.zeros(5,3,dtype=torch.long)\nx")
    assert_tensor(x, torch.zeros(5, 3, dtype=torch.long))


def test_cell_long_dtype_is_int64(client):
    (dtype,) = values(client, "x = torch.zeros(5,3).long()\nx.dtype")
    assert dtype == {"type": "python", "repr": repr(torch.zeros(5, 3).long().dtype)}


def test_cell_tensor_from_data_matches_torch(client):
    (x,) = values(client, "x = torch.tensor([5.5,3])\nx")
    assert_tensor(x, torch.tensor([5.5, 3]))


def test_cell_new_ones_and_randn_like_match_torch(client):
    code = (
        "x = torch.tensor([5.5,3])\nx = x.new_ones(5,3, dtype=torch.double)\nx\n"
        "g = torch.manual_seed(0)\nx = torch.randn_like(x, dtype=torch.float)\nx"
    )
    ones, randn = values(client, code)
    assert_tensor(ones, torch.tensor([5.5, 3]).new_ones(5, 3, dtype=torch.double))
    like = torch.ones(5, 3, dtype=torch.double)
    assert_tensor(randn, seeded(lambda: torch.randn_like(like, dtype=torch.float)))


def test_cell_shape_and_size_are_torch_size(client):
    shape, size = values(client, "x = torch.rand(5,3)\nx.shape\nx.size()")
    assert shape == size == {"type": "python", "repr": repr(torch.Size([5, 3]))}


def test_cell_addition_four_ways_match_torch(client):
    code = (
        "g = torch.manual_seed(0)\nx = torch.randn(5,3)\ny = torch.rand(5,3)\n"
        "x + y\ntorch.add(x, y)\nresult = torch.empty(5,3)\ntorch.add(x, y, out=result)\n"
        "# result = x + y\nresult\ny.add_(x)\ny"
    )
    torch.manual_seed(0)
    x, y = torch.randn(5, 3), torch.rand(5, 3)
    outputs = values(client, code)
    assert len(outputs) == 6
    for value in outputs:
        assert_tensor(value, x + y)
    assert outputs[2]["storage"] == outputs[3]["storage"]  # out= wrote into result
    assert outputs[4]["storage"] == outputs[5]["storage"]  # add_ returned y itself


def test_cell_slice_is_a_view_of_x(client):
    code = "g = torch.manual_seed(0)\nx = torch.randn(5,3)\nx\nx[1:, 1:]"
    base, part = values(client, code)
    assert_tensor(part, seeded(lambda: torch.randn(5, 3))[1:, 1:])
    assert part["contiguous"] is False
    assert part["storage"] == base["storage"]


def test_cell_view_shares_storage_with_base(client):
    code = (
        "g = torch.manual_seed(0)\nx = torch.randn(4,4)\ny = x.view(16)\nz = x.view(-1,8)\nx\ny\nz"
    )
    x, y, z = values(client, code)
    expected = seeded(lambda: torch.randn(4, 4))
    assert_tensor(y, expected.view(16))
    assert_tensor(z, expected.view(-1, 8))
    assert x["storage"] == y["storage"] == z["storage"]


def test_cell_transpose_is_not_contiguous(client):
    code = "g = torch.manual_seed(0)\nz = torch.randn(4,4).view(-1,8)\nz.transpose(1,0)"
    (t,) = values(client, code)
    assert_tensor(t, seeded(lambda: torch.randn(4, 4)).view(-1, 8).transpose(1, 0))
    assert t["stride"] == [1, 8]


def test_cell_item_is_a_python_number(client):
    x, item = values(client, "g = torch.manual_seed(0)\nx = torch.randn(1)\nx\nx.item()")
    expected = seeded(lambda: torch.randn(1))
    assert_tensor(x, expected)
    assert item == {"type": "python", "repr": repr(expected.item())}


def test_cell_numpy_shares_memory_with_tensor(client):
    code = "a = torch.ones(5)\na\nb = a.numpy()\nb\nb[1] = 2\nb\na"
    a_before, b_before, b, a = values(client, code)
    expected = torch.ones(5)
    assert a_before["repr"] == repr(expected)
    assert b_before["repr"] == repr(expected.numpy())
    expected[1] = 2
    assert b == {
        "type": "ndarray",
        "repr": repr(expected.numpy()),
        "shape": [5],
        "dtype": "float32",
        "storage": a["storage"],
    }
    assert_tensor(a, expected)
    assert a_before["storage"] == b_before["storage"] == a["storage"]


def test_cell_from_numpy_follows_np_add_out(client):
    code = (
        "import numpy as np\na = np.ones(5)\nb = torch.from_numpy(a)\n"
        "np.add(a, 1, out=a)\nprint(a)\nb"
    )
    answer = run(client, code)
    array, b = (output["value"] for output in answer["outputs"])
    expected = np.ones(5) + 1
    assert answer["stdout"] == f"{expected}\n"
    assert_tensor(b, torch.from_numpy(expected))
    assert array["repr"] == repr(expected)
    assert array["storage"] == b["storage"]


CUDA_CELL = (
    "x = torch.ones(5, 3)\n"
    "if torch.cuda.is_available():\n"
    '    device = torch.device("cuda")\n'
    "    y = torch.ones_like(x, device=device)\n"
    "    x = x.to(device)\n"
)


def test_cell_cuda_is_available_answers_truthfully(client):
    expected = str(torch.cuda.is_available())
    assert values(client, "torch.cuda.is_available()")[0]["repr"] == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="the branch runs where a GPU is")
def test_cell_cuda_branch_is_skipped_without_a_gpu(client):
    answer = run(client, CUDA_CELL + "    print(x + y)\ntorch.cuda.is_available()")
    assert answer["stdout"] == ""
    assert answer["outputs"][0]["value"] == {"type": "python", "repr": "False"}


def test_cell_cuda_branch_on_a_gpu_server_says_the_playground_is_cpu_only(monkeypatch):
    monkeypatch.setattr(sandbox, "host_cuda_devices", lambda: 2)  # as if it saw two GPUs
    with SandboxPool(workers=1, timeout_s=TIMEOUT_S) as pool, TestClient(make_app(pool)) as c:
        assert values(c, "torch.cuda.is_available()")[0]["repr"] == "True"
        assert values(c, "torch.cuda.device_count()")[0]["repr"] == "2"
        response = post(c, CUDA_CELL)
    assert response.status_code == 400
    assert "CPU only" in response.json()["detail"]["error"]
    assert response.json()["detail"]["line"] == 4


def test_cell_autograd_prints_gradients(client):
    code = (
        "x = torch.tensor(1., requires_grad=True)\n"
        "w = torch.tensor(2., requires_grad=True)\n"
        "b = torch.tensor(3., requires_grad=True)\n\n"
        "y = w*x + b # y = 2*1+3\n\n"
        "y.backward()\n\n"
        "# dy / dw = x\n"
        "print(w.grad)\nprint(x.grad)\nprint(b.grad)\nw"
    )
    answer = run(client, code)
    grads = (torch.tensor(1.0), torch.tensor(2.0), torch.tensor(1.0))
    assert answer["stdout"] == "".join(f"{grad!s}\n" for grad in grads)
    w = answer["outputs"][0]["value"]
    assert w["requires_grad"] is True
    assert w["grad"]["repr"] == repr(torch.tensor(1.0))


def test_cell_no_grad_stops_tracking(client):
    code = (
        "x = torch.ones(2, requires_grad=True)\nprint((x ** 2).requires_grad)\n"
        "with torch.no_grad():\n    print((x ** 2).requires_grad)\n"
    )
    assert run(client, code)["stdout"] == "True\nFalse\n"


def test_cell_requires_grad_and_detach(client):
    code = (
        "a = torch.ones(2, 2)\na = ((a * 3) / (a - 1.5))\na.requires_grad_(True)\n"
        "b = (a * a).sum()\nb\nb.detach().requires_grad\na.mean()"
    )
    a, b, detached, mean = values(client, code)
    expected = ((torch.ones(2, 2) * 3) / (torch.ones(2, 2) - 1.5)).requires_grad_(True)
    assert a["requires_grad"] is True
    assert b["repr"] == repr((expected * expected).sum())
    assert detached == {"type": "python", "repr": "False"}
    assert mean["repr"] == repr(expected.mean())


def test_cell_whole_tensors_section_runs_in_order(client):
    code = (
        "import torch\nx = torch.empty(5,3)\nx = torch.rand(5,3)\n"
        "x = torch.zeros(5,3,dtype=torch.long)\nx = torch.zeros(5,3).long()\nx.dtype\n"
        "x = torch.tensor([5.5,3])\nx = x.new_ones(5,3, dtype=torch.double)\n"
        "x = torch.randn_like(x, dtype=torch.float)\nx.shape\ny = torch.rand(5,3)\n"
        "x + y\ntorch.add(x, y)\nresult = torch.empty(5,3)\ntorch.add(x, y, out=result)\n"
        "y.add_(x)\nx[1:, 1:]\nx = torch.randn(4,4)\ny = x.view(16)\nz = x.view(-1,8)\n"
        "x = torch.randn(1)\nx.item()\nz.transpose(1,0)\n"
    )
    assert len(run(client, code)["outputs"]) == 9


def test_view_of_wrong_size_is_400_with_torch_message(client):
    try:
        torch.ones(3).view(7)
    except RuntimeError as error:
        message = str(error)
    response = post(client, "import torch\ntorch.ones(3).view(7)")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert message in detail["error"]
    assert (detail["line"], detail["col"]) == (2, 1)


def test_answer_reports_elapsed_ms(client):
    assert run(client, "1 + 1")["elapsed_ms"] > 0
