"""Rendering, in-process: the API's fields and storage labels that follow shared memory."""

from __future__ import annotations

import numpy as np
import torch

from server.playground.render import MAX_REPR, Renderer


def test_render_tensor_has_every_api_field():
    value = Renderer().render(torch.ones(2, 3))
    assert value == {
        "type": "tensor",
        "repr": repr(torch.ones(2, 3)),
        "shape": [2, 3],
        "dtype": "torch.float32",
        "stride": [3, 1],
        "contiguous": True,
        "device": "cpu",
        "requires_grad": False,
        "grad": None,
        "storage": "s1",
    }


def test_render_ndarray_has_every_api_field():
    array = np.arange(4.0)
    assert Renderer().render(array) == {
        "type": "ndarray",
        "repr": repr(array),
        "shape": [4],
        "dtype": "float64",
        "storage": "s1",
    }


def test_render_python_value_is_its_repr():
    assert Renderer().render(torch.Size([5, 3])) == {"type": "python", "repr": "torch.Size([5, 3])"}


def test_render_labels_view_like_its_base():
    renderer = Renderer()
    base = torch.randn(4, 4)
    labels = [renderer.render(t)["storage"] for t in (base, base.view(16), base[1:, 2:], base.t())]
    assert labels == ["s1"] * 4


def test_render_labels_numpy_and_from_numpy_like_their_source():
    renderer = Renderer()
    tensor = torch.ones(5)
    array = np.ones(5)
    labels = [
        renderer.render(value)["storage"]
        for value in (
            tensor,
            tensor.numpy(),
            tensor[2:].numpy(),
            array,
            torch.from_numpy(array[1:]),
        )
    ]
    assert labels == ["s1", "s1", "s1", "s2", "s2"]


def test_render_labels_separate_tensors_apart():
    renderer = Renderer()
    labels = [renderer.render(torch.ones(3))["storage"] for _ in range(3)]
    assert labels == ["s1", "s2", "s3"]


def test_render_leaf_grad_is_rendered():
    w = torch.tensor(2.0, requires_grad=True)
    (w * 3).backward()
    grad = Renderer().render(w)["grad"]
    assert (grad["repr"], grad["requires_grad"]) == (repr(torch.tensor(3.0)), False)


def test_render_big_tensor_repr_is_cut():
    text = Renderer().render(torch.arange(10**6).view(1000, 1000).tolist())["repr"]
    assert len(text) == MAX_REPR + 1 and text.endswith("…")


def test_render_object_addresses_are_hidden():
    text = Renderer().render(torch.Generator())["repr"]
    assert "0x" not in text
