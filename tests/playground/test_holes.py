"""Snippets that once got past the caps: each is refused by its rule before it allocates, while
the ordinary uses next to it still work."""

from __future__ import annotations

import pytest

from server.playground.render import MAX_REPR, Renderer
from tests.playground.conftest import post, values

BIG = "s = 'a' * 10**6\n"

# (snippet, status, words the refusal says): the words name the rule, not an out-of-memory.
HOLES = {
    "format_star_width": ("'%0*d' % (10**9, 1)", 422, "string over the size cap"),
    "format_width": ("'%0999999999d' % 1", 422, "string over the size cap"),
    "format_precision": ("'%.1000000000f' % 1.0", 422, "string over the size cap"),
    "format_star_precision": ("'%.*f' % (10**9, 1.0)", 422, "string over the size cap"),
    "format_mapping": ("'%(a)0999999999d' % {'a': 1}", 422, "string over the size cap"),
    "format_many_values": (
        "'%s' * 1000 % tuple(['a' * 10**6] * 1000)", 422, "string over the size cap"
    ),
    "replace": (BIG + "s.replace('a', 'a' * 1000)", 422, "string over the size cap"),
    "replace_empty": (BIG + "s.replace('', 'b' * 100)", 422, "string over the size cap"),
    "str_of_list": (BIG + "str([s] * 1000)", 422, "string over the size cap"),
    "print_of_list": (BIG + "print([s] * 1000)", 422, "string over the size cap"),
    "concat_doubling": (
        "s = 'a' * 10**7\nfor i in range(10):\n    s = s + s", 422, "sequence over the size cap"
    ),
    "augmented_doubling": (
        "x = [0] * 10**7\nfor i in range(10):\n    x += x", 422, "sequence over the size cap"
    ),
    "int_squaring": (
        "x = 2**99999\nfor i in range(30):\n    x = x * x", 422, "number over the size cap"
    ),
    "round_int": ("round(5, -10**9)", 422, "number over the size cap"),
    "object_array_power": ("np.array([10], dtype='O') ** 10**7", 400, "Python objects"),
    "object_array_of_big_int": ("np.array([10**30]) ** 10**7", 400, "Python objects"),
    "object_astype": ("np.ones(3).astype('O')", 400, "Python objects"),
    "object_record": ("np.zeros(3, dtype=[('a', 'O')])", 400, "Python objects"),
    "unicode_zeros": ("np.zeros(10**6, dtype='U1000')", 400, "strings"),
}  # fmt: skip

GPU = {
    "int_device": "torch.ones(2, device=0)",
    "to_int": "x = torch.ones(2)\nx.to(0)",
    "to_numpy_int": "torch.ones(2).to(np.int64(0))",
    "to_device_keyword_int": "torch.ones(2).to(device=0)",
    "device_of_int": "torch.ones(2, device=torch.device(0))",
    "device_type_and_index": "torch.ones(2, device=torch.device('cuda', 0))",
    "device_keywords": "torch.zeros(2, device=torch.device(type='cuda', index=0))",
    "cuda_string_index": "torch.ones(2, device='cuda:0')",
    "to_cuda_string": "torch.ones(2).to('cuda')",
    "to_cuda_device": "torch.ones(2).to(torch.device('cuda'))",
    "cuda_method": "torch.ones(2).cuda()",
    "cuda_method_index": "torch.ones(2).cuda(0)",
    "tensor_int_device": "torch.tensor([1.0], device=0)",
    "like_int_device": "torch.ones_like(torch.ones(2), device=0)",
    "new_ones_int_device": "torch.ones(2).new_ones(3, device=0)",
    "linear_int_device": "import torch.nn as nn\nnn.Linear(2, 3, device=0)",
    "mps": "torch.ones(2, device='mps')",
    "meta": "torch.ones(2, device='meta')",
}

STILL_WORK = {
    "format": ("'%s has %d%%' % ('x', 3)", "'x has 3%'"),
    "format_width": ("'%05.1f' % 2.25", "'002.2'"),
    "replace": ("'abc'.replace('b', 'xyz')", "'axyzc'"),
    "replace_count": ("('a' * 10**6).replace('a', 'bb', 2)[:5]", "'bbbba'"),
    "concat": ("[1, 2] + [3]", "[1, 2, 3]"),
    "round_int": ("round(123, -1)", "120"),
    "round_float": ("round(1.234, 2)", "1.23"),
    "float32_astype": ("np.array([1.5, 2]).astype(np.float32).dtype", "dtype('float32')"),
    "to_dtype_non_blocking": ("torch.ones(1).to(torch.float64, False).dtype", "torch.float64"),
    "to_cpu": ("torch.ones(1).to('cpu').device", "device(type='cpu')"),
    "cpu_device": ("torch.ones(1, device=torch.device('cpu')).device", "device(type='cpu')"),
    "naming_cuda": ("torch.device('cuda')", "device(type='cuda')"),
}


@pytest.mark.parametrize(("code", "status", "words"), HOLES.values(), ids=HOLES.keys())
def test_hole_is_refused_by_its_rule(client, code, status, words):
    response = post(client, code)
    assert response.status_code == status, response.text
    assert words in response.text


@pytest.mark.parametrize("code", GPU.values(), ids=GPU.keys())
def test_hole_gpu_spelling_is_refused(client, code):
    response = post(client, code)
    assert response.status_code == 400, response.text
    assert "the playground computes on the CPU only" in response.json()["detail"]["error"]


@pytest.mark.parametrize(("code", "shown"), STILL_WORK.values(), ids=STILL_WORK.keys())
def test_hole_neighbour_still_works(client, code, shown):
    assert values(client, code)[-1]["repr"] == shown


def test_hole_huge_container_output_is_shown_abridged():
    text = Renderer().render(["a" * 10**6] * 100)["repr"]  # whole, its repr is 100 MB
    assert text.startswith("['aaaa") and text.endswith(", ...]") and len(text) <= MAX_REPR
