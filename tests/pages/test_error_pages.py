"""Errors at a page's address are styled pages for a browser; the API's stay JSON."""

from __future__ import annotations

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def heading(html: str) -> str:
    return html.split("<h1>", 1)[1].split("</h1>", 1)[0]


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/runs/abc", 422, "Bad address"),
        ("/sweeps/abc", 422, "Bad address"),
        ("/runs/99999999999999999999", 422, "Bad address"),
        ("/nope", 404, "Page not found"),
        ("/runs/", 404, "Page not found"),
        ("/static/nope.js", 404, "Page not found"),
        ("/runs/9999", 404, "Run not found"),
        ("/sweeps/9999", 404, "Sweep not found"),
        ("/compare?ids=x", 400, "Bad run list"),
    ],
)
def test_page_error_is_styled_page_for_a_browser(client, path, status, title):
    response = client.get(path, headers=BROWSER)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert heading(response.text) == title
    assert 'class="card error-card"' in response.text
    assert "Content-Security-Policy" in response.headers


def test_page_error_names_the_bad_part_of_the_address(client):
    html = client.get("/runs/abc", headers=BROWSER).text
    assert "run_id &#39;abc&#39;: Input should be a valid integer" in html


def test_page_error_quotes_a_hostile_value_escaped(client):
    html = client.get("/sweeps/<b>x</b>", headers=BROWSER).text
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize("path", ["/api/runs/abc", "/api/nope", "/api/runs/9999"])
def test_api_error_stays_json_for_a_browser(client, path):
    response = client.get(path, headers=BROWSER)
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(("path", "status"), [("/runs/abc", 422), ("/nope", 404)])
def test_page_error_is_json_for_a_script(client, path, status):
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert "detail" in response.json()


def test_page_error_for_a_post_stays_json(client):
    response = client.post("/nope", headers=BROWSER)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_api_422_keeps_its_field_list(client):
    response = client.get("/api/runs/abc", headers=BROWSER)
    assert response.json()["detail"][0]["loc"] == ["path", "run_id"]
