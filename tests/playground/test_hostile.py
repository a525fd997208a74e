"""Hostile snippets: each gets the status docs/api.md gives, writes no file, the pool lives on."""

from __future__ import annotations

import os

import pytest

from tests.playground.conftest import post, values

REFUSED = 400
TOO_BIG = 413
OVER_CAP = 422
TOO_SLOW = 408

CASES = {
    # Escapes through dunders, format strings, generators, getattr.
    "dunder_bases": ("().__class__.__bases__", REFUSED),
    "dunder_dict": ("x = torch.ones(1)\nx.__dict__", REFUSED),
    "dunder_name": ("__import__('os')", REFUSED),
    "dunder_globals_via_method": ("torch.ones(1).add.__self__", REFUSED),
    "private_attribute": ("torch.ones(1)._version", REFUSED),
    "private_module": ("torch._C", REFUSED),
    "str_format": ('"{0.__class__}".format(1)', REFUSED),
    "str_format_map": ('"{x}".format_map({})', REFUSED),
    "f_string": ('f"{torch}"', REFUSED),
    "list_comprehension": ("[i for i in range(3)]", REFUSED),
    "generator": ("g = (i for i in range(3))", REFUSED),
    "dict_comprehension": ("{i: i for i in range(3)}", REFUSED),
    "getattr": ('getattr(torch, "load")', REFUSED),
    "setattr": ('setattr(torch, "x", 1)', REFUSED),
    "eval": ('eval("1")', REFUSED),
    "exec": ('exec("1")', REFUSED),
    "open": ('open("owned", "w")', REFUSED),
    "compile": ('compile("1", "x", "exec")', REFUSED),
    "type": ("type(1)", REFUSED),
    "vars": ("vars()", REFUSED),
    "dir": ("dir(torch)", REFUSED),
    "lambda": ("f = lambda: 1", REFUSED),
    "def": ("def f():\n    pass", REFUSED),
    "class": ("class A:\n    pass", REFUSED),
    "while": ("while True:\n    pass", REFUSED),
    "try": ("try:\n    pass\nexcept Exception:\n    pass", REFUSED),
    "global": ("global x", REFUSED),
    "yield": ("yield 1", REFUSED),
    "walrus": ("(y := 1)", REFUSED),
    "function_as_argument": ("max([1, 2], key=print)", REFUSED),
    "kwargs_unpacking": ('print(1, **{"file": None})', REFUSED),
    "print_to_file": ('print(1, file="owned")', REFUSED),
    "for_over_list": ("for i in [1, 2]:\n    pass", REFUSED),
    "for_too_long": ("for i in range(10**6):\n    pass", REFUSED),
    "with_open": ('with open("owned") as f:\n    pass', REFUSED),
    "tensor_type_by_name": ('torch.ones(1).type("os.system")', REFUSED),
    "grad_fn_hook": ("(torch.ones(1, requires_grad=True) * 2).grad_fn.register_hook", REFUSED),
    "bytes_literal": ('b"\\x00"', REFUSED),
    "syntax_error": ("x = = 1", REFUSED),
    "null_byte": ("1 + 1\x00", REFUSED),
    "del_item": ("x = [1]\ndel x[0]", REFUSED),
    "del_attribute": ("x = torch.ones(1, requires_grad=True)\ndel x.grad", REFUSED),
    "starred_assignment": ("a, *b = [1, 2]", REFUSED),
    "assign_other_attribute": ("x = torch.ones(1)\nx.data = torch.ones(2)", REFUSED),
    "call_an_expression": ("[print][0](1)", REFUSED),
    # Imports other than torch and numpy.
    "import_os": ("import os", REFUSED),
    "import_subprocess": ("import subprocess", REFUSED),
    "from_import": ("from os import system", REFUSED),
    "import_torch_utils": ("import torch.utils", REFUSED),
    "import_ctypeslib": ("import numpy.ctypeslib", REFUSED),
    # torch's file, process and code functions.
    "torch_load": ('torch.load("owned.pt")', REFUSED),
    "torch_save": ('torch.save(torch.ones(1), "owned.pt")', REFUSED),
    "torch_from_file": ('torch.from_file("owned", size=3)', REFUSED),
    "torch_hub": ('torch.hub.load("a", "b")', REFUSED),
    "torch_ops": ("torch.ops.aten.add", REFUSED),
    "torch_utils": ("torch.utils.data", REFUSED),
    "torch_compile": ("torch.compile", REFUSED),
    "torch_jit": ("torch.jit.script", REFUSED),
    "torch_distributed": ("torch.distributed.init_process_group()", REFUSED),
    "torch_multiprocessing": ("torch.multiprocessing.spawn", REFUSED),
    "torch_classes": ("torch.classes", REFUSED),
    "torch_tensor_class": ("torch.Tensor", REFUSED),
    # numpy's file and foreign-function functions.
    "np_load": ('np.load("owned.npy")', REFUSED),
    "np_save": ('np.save("owned.npy", np.ones(1))', REFUSED),
    "np_savez": ('np.savez("owned", a=np.ones(1))', REFUSED),
    "np_fromfile": ('np.fromfile("owned")', REFUSED),
    "np_tofile": ('np.ones(3).tofile("owned")', REFUSED),
    "np_memmap": ('np.memmap("owned", mode="w+", shape=(3,))', REFUSED),
    "np_ctypeslib": ("np.ctypeslib", REFUSED),
    "np_lib": ("np.lib.format", REFUSED),
    "np_genfromtxt": ('np.genfromtxt("owned")', REFUSED),
    "np_loadtxt": ('np.loadtxt("owned")', REFUSED),
    "np_savetxt": ('np.savetxt("owned", np.ones(3))', REFUSED),
    "ndarray_ctypes": ("torch.ones(3).numpy().ctypes", REFUSED),
    "ndarray_dumps": ("np.ones(3).dumps()", REFUSED),
    # Tensor methods that reach memory, hooks or Python callbacks.
    "tensor_apply": ("torch.ones(3).apply_(abs)", REFUSED),
    "tensor_map": ("torch.ones(3).map_(torch.ones(3), abs)", REFUSED),
    "tensor_map2": ("x = torch.ones(3)\nx.map2_(x, x, abs)", REFUSED),
    "tensor_register_hook": ("torch.ones(3).register_hook(print)", REFUSED),
    "tensor_storage": ("torch.ones(3).storage()", REFUSED),
    "tensor_untyped_storage": ("torch.ones(3).untyped_storage()", REFUSED),
    "tensor_data_ptr": ("torch.ones(3).data_ptr()", REFUSED),
    "tensor_share_memory": ("torch.ones(3).share_memory_()", REFUSED),
    "tensor_set": ("torch.ones(3).set_(torch.ones(4))", REFUSED),
    "tensor_to_sparse": ("torch.ones(3).to_sparse()", REFUSED),
    "tensor_resize": ("torch.ones(3).resize_(10**12)", REFUSED),
    "tensor_as_strided": ("torch.ones(3).as_strided((10**6,), (0,))", REFUSED),
    # Memory bombs: refused by the size cap before anything is allocated.
    "expand_contiguous": ("torch.zeros(1).expand(10**10).contiguous()", OVER_CAP),
    "repeat": ("torch.ones(10**4).repeat(10**6)", OVER_CAP),
    "outer": ("torch.outer(torch.ones(10**5), torch.ones(10**5))", OVER_CAP),
    "empty_huge": ("torch.empty(10**6, 10**6)", OVER_CAP),
    "zeros_size_keyword": ("torch.zeros(size=(10**5, 10**5))", OVER_CAP),
    "np_ones_huge": ("np.ones((10**5, 10**5))", OVER_CAP),
    "broadcast_add": ("torch.ones(10**5, 1) + torch.ones(1, 10**5)", OVER_CAP),
    "matmul_outer": ("torch.ones(10**5, 1) @ torch.ones(1, 10**5)", OVER_CAP),
    "cat_many": ("torch.cat([torch.ones(10**6)] * 100)", OVER_CAP),
    "arange_huge": ("torch.arange(10**10)", OVER_CAP),
    "np_tile": ("np.tile(np.ones(10**4), 10**6)", OVER_CAP),
    "linear_huge": ("import torch.nn as nn\nnn.Linear(10**5, 10**5)", OVER_CAP),
    "string_repeat": ('"a" * 10**10', OVER_CAP),
    "int_power": ("2 ** 10**9", OVER_CAP),
    "int_shift": ("1 << 10**10", OVER_CAP),
    "list_repeat": ("list(range(10**6)) * 10**3", OVER_CAP),
    "list_of_huge_range": ("list(range(10**10))", OVER_CAP),
    # A memory bomb the cap does not see: the address-space limit stops it.
    "many_tensors": (
        "xs = []\nfor i in range(100):\n    xs.append(torch.empty(9 * 10**6, dtype=torch.float64))",
        OVER_CAP,
    ),
    # CPU bombs: the wall-clock limit kills them.
    "matmul_loop": ("a = torch.randn(3000, 3000)\nfor i in range(1000):\n    b = a @ a", TOO_SLOW),
    "python_loop": (
        "n = 0\nfor i in range(10000):\n    for j in range(10000):\n        n += 1",
        TOO_SLOW,
    ),
    # Deep nesting and huge sources.
    "deep_parentheses": ("(" * 500 + "1" + ")" * 500, REFUSED),
    "deep_lists": ("[" * 1000 + "]" * 1000, REFUSED),
    "deep_unary": ("-" * 10_000 + "1", REFUSED),
    "long_sum": ("+".join(["1"] * 5_000), REFUSED),
    "long_attribute_chain": ("x = torch.ones(1)\nx" + ".T" * 5_000, REFUSED),
    "huge_source": ("1+" * 20_000 + "1", TOO_BIG),
    "huge_comment": ("#" * 30_000, TOO_BIG),
}


@pytest.fixture
def clean_cwd(tmp_path, monkeypatch):
    """Run from an empty directory, to see that nothing is written into it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("code", "status"), CASES.values(), ids=CASES.keys())
def test_hostile_snippet_gets_its_status(client, playground_pool, clean_cwd, code, status):
    zygote = playground_pool.zygote_pid
    response = post(client, code)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if status == REFUSED:
        assert set(detail) == {"error", "line", "col"} and detail["line"] >= 1
    else:
        assert isinstance(detail, str) and detail
    assert os.listdir(clean_cwd) == []
    assert os.listdir(playground_pool.workdir) == []
    # only the snippet's own child died: the warm zygote is the same one, still running
    assert playground_pool.zygote_alive and playground_pool.zygote_pid == zygote
    assert values(client, "1 + 1") == [{"type": "python", "repr": "2"}]


def test_hostile_refusal_names_what_was_refused(client):
    detail = post(client, 'x = 1\ny = torch.load("owned.pt")').json()["detail"]
    assert detail == {"error": "torch.load is not allowed in the playground", "line": 2, "col": 5}


def test_hostile_addresses_are_not_shown(client):
    code = "g = torch.manual_seed(0)\nprint(g)\ng"
    response = post(client, code)
    assert "0x" not in response.text
