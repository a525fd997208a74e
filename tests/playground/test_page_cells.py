"""The /playground picker's cells (static/js/playground-cells.js) run as the page sends them."""

from __future__ import annotations

import re

import pytest

from server.playground.sandbox import host_cuda_devices
from server.web.assets import STATIC_DIR
from tests.playground.conftest import post, run

CELL = re.compile(r'\{\s*id: "([\w-]+)",\s*title: "([^"]+)",\s*code: `([^`]*)`,\s*\}')
# what each cell must show: its outputs' sources, and which of them share one storage
EXPECTED = {
    "create": ["x", "x", "x", "x.dtype", "x", "x", "x", "x.shape", "x.size()"],
    "view": ["x", "y", "z"],
    "to-numpy": ["a", "b", "b", "a"],
    "from-numpy": ["np.add(a, 1, out=a)", "b"],
}
SHARED = {"view": [0, 1, 2], "to-numpy": [0, 1, 2, 3], "from-numpy": [0, 1], "transpose": [0, 1]}


def page_cells() -> dict[str, str]:
    """The picker's cells, id -> code, read from the page's data module."""
    source = (STATIC_DIR / "js" / "playground-cells.js").read_text(encoding="utf-8")
    found = {id_: code for id_, _title, code in CELL.findall(source)}
    entries = re.findall(r'(?m)^\s+id: "', source)
    assert len(found) == len(entries), "a cell that does not match CELL"
    return found


def test_page_cells_cover_the_tutorials_tensor_sections():
    assert set(page_cells()) == {
        "create", "add", "index", "view", "item", "transpose", "to-numpy", "from-numpy", "cuda",
        "autograd",
    }  # fmt: skip


@pytest.mark.parametrize("cell_id", sorted(page_cells()))
def test_page_cell_runs(client, cell_id):
    code = page_cells()[cell_id]
    response = post(client, code)
    if cell_id == "cuda" and host_cuda_devices():
        assert response.status_code == 400  # the sandbox is CPU only, and says so
        assert "CPU only" in response.json()["detail"]["error"]
        return
    assert response.status_code == 200, response.text
    outputs = response.json()["outputs"]
    assert outputs, "a picker cell should show at least one Out card"
    if cell_id in EXPECTED:
        assert [output["source"] for output in outputs] == EXPECTED[cell_id]


@pytest.mark.parametrize("cell_id", sorted(SHARED))
def test_page_cell_outputs_share_one_storage(client, cell_id):
    outputs = run(client, page_cells()[cell_id])["outputs"]
    storages = {outputs[i]["value"]["storage"] for i in SHARED[cell_id]}
    assert len(storages) == 1, storages
