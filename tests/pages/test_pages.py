"""The HTML pages and /static, in-process: escaping, caching headers, and no other hosts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from server.web.assets import STATIC_DIR
from server.web.formats import format_loss
from tests.helpers import app_client

EVIL = "<script>alert(1)</script>"
TINY = {"N": 2, "D_in": 3, "H": 4, "D_out": 1, "iterations": 3}


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    with app_client(tmp_path) as client:
        yield client


@pytest.fixture
def evil_run(client) -> int:
    response = client.post("/api/runs", json={"variant": "tensors", "name": EVIL, **TINY})
    assert response.status_code == 201
    return response.json()["id"]


def assert_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert EVIL not in html


def test_dashboard_escapes_run_name(client, evil_run):
    response = client.get("/")
    assert response.status_code == 200
    assert f'data-id="{evil_run}"' in response.text
    assert_escaped(response.text)


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
    assert f'data-run-ids="{evil_run}"' in response.text
    assert "not found: 999" in response.text


def test_compare_page_bad_ids_is_400(client):
    assert client.get("/compare?ids=1,two").status_code == 400


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
    """Drop comments and XML namespaces (an SVG's xmlns): those name, they load nothing."""
    text = re.sub(r"/\*.*?\*/|<!--.*?-->|\bxmlns(?::\w+)?=\"[^\"]*\"", "", text, flags=re.S)
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
    for path in [*STATIC_DIR.rglob("*.js"), *STATIC_DIR.rglob("*.css")]:
        assert foreign_urls(path.read_text(encoding="utf-8")) == [], path


def test_vendored_uplot_has_license_and_version():
    vendor = STATIC_DIR / "vendor" / "uplot"
    assert "MIT" in (vendor / "LICENSE").read_text()
    version = (vendor / "VERSION").read_text().strip()
    assert f"(v{version})" in (vendor / "uPlot.esm.js").read_text(encoding="utf-8")[:400]
    assert version in (vendor / "README.md").read_text()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (0.0, "0"),
        (12345678.0, "1.235e7"),
        (0.00025514, "2.551e-4"),
        (3.14159, "3.142"),
    ],
)
def test_format_loss_reads_like_the_js(value, text):
    assert format_loss(value) == text


def test_pages_never_carry_the_servers_token(tmp_path):
    with app_client(tmp_path, token="server-secret") as client:
        for path in ("/", "/compare?ids=1", "/runs/1", "/playground"):
            assert "server-secret" not in client.get(path).text
