"""The HTML pages and /static, in-process: escaping, the data given to the pages' JS, caching
headers, and no other hosts."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from server.protocol import CloseCode, page_constants
from server.training import registry
from server.web.assets import STATIC_DIR, TEMPLATES_DIR
from tests.helpers import TINY, app_client, wait_finished
from tests.web.test_ingest import open_run

EVIL = "<script>alert(1)</script>"
QUICK = {**TINY, "iterations": 3}
SECRET = "server-secret-0123456789"


@pytest.fixture
def evil_run(client) -> int:
    response = client.post("/api/runs", json={"variant": "tensors", "name": EVIL, **QUICK})
    assert response.status_code == 201
    return wait_finished(client.app.state.manager, response.json()["id"])["id"]


def assert_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert EVIL not in html


def json_block(html: str, block_id: str):
    """The JSON of a page's <script type="application/json" id=block_id>."""
    block = rf'<script type="application/json" id="{block_id}">(.*?)</script>'
    found = re.search(block, html, re.S)
    assert found, block_id
    return json.loads(found.group(1))


def page_data(client: TestClient, path: str) -> dict:
    return json_block(client.get(path).text, "page-data")


def test_dashboard_escapes_run_name(client, evil_run):
    response = client.get("/")
    assert response.status_code == 200
    assert EVIL not in response.text
    assert "\\u003cscript\\u003ealert(1)" in response.text  # in the page's JSON, escaped
    assert json_block(response.text, "page-data")["runs"][0]["name"] == EVIL


def test_run_page_escapes_run_name(client, evil_run):
    response = client.get(f"/runs/{evil_run}")
    assert response.status_code == 200
    assert_escaped(response.text)


def test_compare_page_escapes_run_name(client, evil_run):
    response = client.get(f"/compare?ids={evil_run}")
    assert response.status_code == 200
    assert_escaped(response.text)


def test_run_page_unknown_run_is_404_page(client):
    response = client.get("/runs/424242")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no run 424242" in response.text


def test_compare_page_names_missing_runs(client, evil_run):
    response = client.get(f"/compare?ids={evil_run},999")
    assert response.status_code == 200
    assert [run["id"] for run in json_block(response.text, "page-data")["runs"]] == [evil_run]
    assert "not found: 999" in response.text


@pytest.mark.parametrize("ids", ["1,two", "²", "99999999999999999999", "1,x"])
def test_compare_page_bad_ids_is_400(client, ids):
    assert client.get("/compare", params={"ids": ids}).status_code == 400


def test_playground_page_renders_editor_and_picker(client):
    response = client.get("/playground")
    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    html = response.text
    assert 'id="code"' in html and 'id="cell-picker"' in html and 'id="run-code"' in html
    assert re.search(r'<script type="module" src="/static/js/playground\.js\?v=\w{12}">', html)
    assert 'href="/playground" aria-current="page"' in html
    assert 'id="live-indicator"' not in html  # nothing live on this page


def test_playground_page_reflects_nothing_from_its_url(client):
    html = client.get("/playground", params={"cell": EVIL, "token": EVIL}).text
    assert EVIL not in html
    assert "alert(1)" not in html


def test_playground_page_loads_the_cells_module(client):
    assets = page_assets(client, client.get("/playground").text)
    assert {"/static/js/playground-cells.js", "/static/js/common.js"} <= set(assets)


def test_playground_js_sets_text_never_markup():
    for name in ("playground.js", "playground-cells.js"):
        source = (STATIC_DIR / "js" / name).read_text(encoding="utf-8")
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source)


def test_nav_links_to_playground_from_every_page(client, evil_run):
    for path in ("/", f"/runs/{evil_run}", f"/compare?ids={evil_run}", "/runs/424242"):
        assert 'href="/playground"' in client.get(path).text, path


def test_pages_send_content_security_policy(client):
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp


def static_links(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_static_urls_carry_content_version(client):
    links = static_links(client.get("/").text)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links)


def test_static_versioned_file_cached_for_good(client):
    link = next(u for u in static_links(client.get("/").text) if u.endswith(".css") or ".css?" in u)
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["etag"] and response.headers["last-modified"]


def test_static_bare_file_revalidated_with_etag(client):
    response = client.get("/static/js/common.js")
    assert response.headers["cache-control"] == "public, max-age=0, must-revalidate"
    again = client.get("/static/js/common.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "public, max-age=0, must-revalidate"


def test_static_js_served_as_javascript(client):
    response = client.get("/static/vendor/uplot/uPlot.esm.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]


# ---- no page refers to any host but its own

ABSOLUTE = re.compile(r"""https?://[^\s"')<>]+""")
PROTOCOL_RELATIVE = re.compile(r"""[\s"'(=,](//[A-Za-z0-9][^\s"')<>]*)""")
IMPORT = re.compile(r"""(?:\bimport|\bfrom)\s*\(?\s*["']([^"']+)["']""")


def without_comments(text: str) -> str:
    """Drop comments and XML namespaces (an SVG's xmlns, or the SVG namespace as a string for
    createElementNS): those name, they load nothing."""
    text = re.sub(r"/\*.*?\*/|<!--.*?-->|\bxmlns(?::\w+)?=\"[^\"]*\"", "", text, flags=re.S)
    text = text.replace('"http://www.w3.org/2000/svg"', '""')
    return re.sub(r"(?m)(^|\s)//.*$", r"\1", text)


def foreign_urls(text: str, own_host: str = "testserver") -> list[str]:
    """Absolute or protocol-relative URLs in HTML/JS/CSS that point anywhere but own_host."""
    text = without_comments(text)
    found = ABSOLUTE.findall(text) + PROTOCOL_RELATIVE.findall(text)
    return [
        url for url in found if urlsplit(url if ":" in url else "http:" + url).hostname != own_host
    ]


def test_host_scan_finds_other_hosts():
    html = '<script src="https://cdn.example.com/u.js"></script><link href="//fonts.x.org/a">'
    css = "body { background: url(//img.example.net/a.png) }"
    js = 'import x from "https://esm.sh/uplot";  // https://in-a-comment.example'
    assert len(foreign_urls(html)) == 2
    assert len(foreign_urls(css)) == 1
    assert foreign_urls(js) == ["https://esm.sh/uplot"]
    assert foreign_urls('fetch("http://testserver/api/runs")') == []
    assert foreign_urls('<svg xmlns="http://www.w3.org/2000/svg"><image href="//x.io/a"/>') == [
        "//x.io/a"
    ]
    assert foreign_urls('document.createElementNS("http://www.w3.org/2000/svg", "path")') == []


def page_assets(client: TestClient, html: str) -> dict[str, str]:
    """Every static file a page loads: its links, and the JS modules they import, recursively."""
    todo = [link.split("?")[0] for link in static_links(html)]
    seen: dict[str, str] = {}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        seen[path] = response.text
        if path.endswith(".js"):
            todo += [
                urljoin(path, spec) for spec in IMPORT.findall(without_comments(response.text))
            ]
    return seen


@pytest.mark.parametrize("page", ["/", "/runs/{id}", "/compare?ids={id}", "/playground"])
def test_page_refers_to_no_other_host(client, evil_run, page):
    html = client.get(page.format(id=evil_run)).text
    assets = page_assets(client, html)
    assert any(p.endswith("uPlot.esm.js") for p in assets) or page in ("/", "/playground")
    assert foreign_urls(html) == []
    for path, text in assets.items():
        assert foreign_urls(text) == [], path


def test_static_js_and_css_refer_to_no_other_host():
    # Swagger UI's bundle names hosts it never asks (links in its text, options left off):
    # tests/e2e/test_docs_offline.py watches what /docs really requests
    swagger = STATIC_DIR / "vendor" / "swagger-ui"
    for path in [*STATIC_DIR.rglob("*.js"), *STATIC_DIR.rglob("*.css")]:
        if not path.is_relative_to(swagger):
            assert foreign_urls(path.read_text(encoding="utf-8")) == [], path


def test_vendored_uplot_has_license_and_version():
    vendor = STATIC_DIR / "vendor" / "uplot"
    assert "MIT" in (vendor / "LICENSE").read_text()
    version = (vendor / "VERSION").read_text().strip()
    assert f"(v{version})" in (vendor / "uPlot.esm.js").read_text(encoding="utf-8")[:400]
    assert version in (vendor / "README.md").read_text()


def test_pages_never_carry_the_servers_token(tmp_path):
    with app_client(tmp_path, token=SECRET) as client:
        client.get("/?token=" + SECRET)  # logged in by its cookie
        for path in ("/", "/compare?ids=1", "/runs/1", "/playground"):
            page = client.get(path)
            assert page.status_code in (200, 404) and SECRET not in page.text


# ---- what the pages are given, so that their JS need not ask again


@pytest.mark.parametrize("page", ["/", "/runs/{id}", "/compare?ids={id}", "/playground", "/runs/0"])
def test_page_carries_the_protocol_constants(client, evil_run, page):
    html = client.get(page.format(id=evil_run)).text
    assert json_block(html, "lossboard-constants") == page_constants()


def test_protocol_constants_name_every_close_code():
    assert page_constants()["close"] == {code.name: code.value for code in CloseCode}


def test_dashboard_carries_the_runs_the_api_lists(client, evil_run):
    data = page_data(client, "/")
    listed = client.get("/api/runs", params={"limit": data["limit"]}).json()
    assert [run["id"] for run in data["runs"]] == [run["id"] for run in listed["runs"]]
    assert data["total"] == listed["total"]


def test_dashboard_carries_every_registered_variant_without_source(client):
    variants = page_data(client, "/")["variants"]
    assert [v["id"] for v in variants] == [v.id for v in registry.variants()]
    assert all("source" not in v and v["defaults"]["iterations"] >= 1 for v in variants)


def test_dashboard_carries_the_devices_the_api_lists(client):
    assert page_data(client, "/")["devices"] == client.get("/api/system").json()["devices"]


def test_dashboard_carries_the_executor_cluster_and_queues_the_api_lists(client):
    data, system = page_data(client, "/"), client.get("/api/system").json()
    assert {k: data[k] for k in ("executor", "cluster", "queued")} == {
        k: system[k] for k in ("executor", "cluster", "queued")
    }


def test_dashboard_cluster_card_absent_for_the_local_executor(client):
    html = client.get("/").text
    assert json_block(html, "page-data")["executor"] == "local"
    assert 'id="cluster"' not in html
    assert 'id="runs-body"' in html


def test_run_page_carries_its_run_and_variant_source(client, evil_run):
    response = client.get(f"/runs/{evil_run}")
    run = client.get(f"/api/runs/{evil_run}").json()
    assert json_block(response.text, "page-data")["run"] == run
    assert '<code id="source">def tensors(' in response.text


def test_page_data_cannot_end_its_script_block(client):
    name = "</script><script>alert(1)</script><!--"
    run_id = client.post("/api/runs", json={"variant": "nn", "name": name, **QUICK}).json()["id"]
    for path in ("/", f"/runs/{run_id}", f"/compare?ids={run_id}"):
        html = client.get(path).text
        assert name not in html, path
        assert name in json.dumps(json_block(html, "page-data"), ensure_ascii=False), path


@pytest.mark.parametrize(("token", "required"), [(None, False), (SECRET, True)])
def test_pages_say_whether_a_token_is_needed(tmp_path, token, required):
    with app_client(tmp_path, token=token) as client:
        if token:
            client.get(f"/?token={token}")  # logged in by its cookie
        assert page_data(client, "/playground")["auth_required"] is required


def test_run_form_buttons_disabled_until_its_js_is_ready(client):
    html = client.get("/").text
    assert re.search(r'<button type="submit"[^>]*id="start-run" disabled>', html)
    assert re.search(r'<button type="button"[^>]*id="run-all" disabled', html)


STATUS = "|".join(page_constants()["statuses"])
STATUS_LIST = re.compile(rf"""["']({STATUS})["']\s*,\s*["']({STATUS})["']""")
CODES = "|".join(str(code.value) for code in CloseCode if code != CloseCode.DONE)
CLOSE_CODE = re.compile(rf"\b({CODES})\b")


def test_pages_keep_no_copy_of_statuses_or_close_codes():
    files = [*(STATIC_DIR / "js").glob("*.js"), *TEMPLATES_DIR.rglob("*.html")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not STATUS_LIST.search(text), path
        assert not CLOSE_CODE.search(text), path


def test_script_run_page_offers_no_run_again_or_edit_and_run(client):
    opened = open_run(client, name="my mlp")  # a run a script logs: no request to run again
    html = client.get(f"/runs/{opened['run']['id']}").text
    assert 'id="edit-run"' not in html
    assert re.search(r'<span class="rerun" id="rerun"[^>]*hidden', html)
