"""The allowlists name things that exist, and none of the file, process or code functions."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from server.playground import allowlist

FORBIDDEN = {
    "torch": {"load", "save", "from_file", "hub", "ops", "utils", "compile", "jit",
              "distributed", "multiprocessing", "classes", "Tensor", "frombuffer"},
    "numpy": {"load", "save", "savez", "fromfile", "memmap", "ctypeslib", "lib", "genfromtxt",
              "loadtxt", "savetxt", "frombuffer", "ndarray"},
}  # fmt: skip
FORBIDDEN_METHODS = {
    "apply_", "map_", "map2_", "register_hook", "storage", "untyped_storage", "data_ptr",
    "share_memory_", "set_", "tofile", "to_sparse", "resize_", "as_strided", "ctypes",
    "dump", "dumps", "pin_memory", "format",
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(allowlist.MODULES))
def test_allowlist_module_names_exist(module):
    found = importlib.import_module(module)
    assert [name for name in allowlist.MODULES[module] if not hasattr(found, name)] == []


def test_allowlist_tensor_and_ndarray_methods_exist():
    missing = [n for n in allowlist.TENSOR if not hasattr(torch.Tensor, n)]
    missing += [n for n in allowlist.NDARRAY if not hasattr(np.ndarray, n)]
    assert missing == []


def test_allowlist_has_no_private_names():
    assert [name for name in allowlist.ALL_ATTRIBUTES if name.startswith("_")] == []


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_allowlist_module_omits_file_and_code_functions(module):
    assert FORBIDDEN[module] & allowlist.MODULES[module] == set()


def test_allowlist_values_omit_memory_and_hook_methods():
    assert set() == FORBIDDEN_METHODS & allowlist.ALL_ATTRIBUTES


def test_allowlist_tensor_omits_type_by_name():
    # Tensor.type("a.dotted.name") imports the module the name points at.
    assert "type" not in allowlist.TENSOR
