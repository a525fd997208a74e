"""The browser's login: a page opened as ?token=T starts a session in a cookie and drops the
token from the URL; the cookie then opens pages, API calls and websockets, until the session
ends: POST /logout, its expiry, or the server's restart (a new token needs one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.settings import Settings
from server.web.app import create_app
from server.web.sessions import Sessions
from tests.helpers import TEST_HOSTS, TINY, TOKEN

HTML = {"Accept": "text/html,application/xhtml+xml"}
NAME = "lossboard-auth-8000"  # the cookie of a server on the default port
SAME_SITE = {"Origin": "http://testserver"}


@contextmanager
def app_client(data_dir, base_url: str = "http://testserver", **settings) -> Iterator[TestClient]:
    """An app with the token, and a client that keeps cookies and shows each redirect."""
    options = {"token": TOKEN, "playground_prestart": False, "allowed_hosts": TEST_HOSTS}
    app = create_app(Settings(data_dir=data_dir, **(options | settings)))
    with TestClient(app, base_url=base_url, follow_redirects=False) as client:
        yield client


@pytest.fixture
def browser(tmp_path) -> Iterator[TestClient]:
    with app_client(tmp_path) as client:
        yield client


def log_in(client: TestClient, path: str = "/") -> str:
    """Open `path` as ?token=T; return the Set-Cookie header."""
    response = client.get(path, params={"token": TOKEN})
    assert response.status_code == 303
    return response.headers["set-cookie"]


def test_login_redirects_to_the_url_without_the_token(browser):
    response = browser.get(f"/runs/1?token={TOKEN}&view=x&b=1&b=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/runs/1?view=x&b=1&b=2"


def test_each_login_is_a_new_random_session(browser):
    log_in(browser)
    first = browser.cookies[NAME]
    log_in(browser)
    second = browser.cookies[NAME]
    assert first != second and len(first) >= 40
    assert TOKEN not in first + second


def test_login_cookie_is_httponly_lax_on_every_path_and_not_secure_over_http(browser):
    attributes = {a.strip().lower() for a in log_in(browser).split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax"} <= attributes
    assert "secure" not in attributes


def test_login_cookie_is_secure_over_https(tmp_path):
    with app_client(tmp_path, base_url="https://testserver") as client:
        assert "secure" in log_in(client).lower().split("; ")


def test_login_cookie_is_secure_behind_a_proxy_that_says_https(tmp_path):
    settings = Settings(
        data_dir=tmp_path, token=TOKEN, playground_prestart=False, allowed_hosts=TEST_HOSTS
    )
    app = ProxyHeadersMiddleware(create_app(settings), trusted_hosts="*")
    with TestClient(app, follow_redirects=False) as client:
        response = client.get(f"/?token={TOKEN}", headers={"X-Forwarded-Proto": "https"})
        assert "secure" in response.headers["set-cookie"].lower().split("; ")


def test_cookie_opens_pages_api_and_websockets(browser):
    log_in(browser)
    run = browser.post("/api/runs", json={"variant": "numpy", "iterations": 3, **TINY}).json()
    assert browser.get(f"/runs/{run['id']}", headers=HTML).status_code == 200
    assert browser.get("/api/runs").json()["total"] == 1
    with browser.websocket_connect(f"/ws/runs/{run['id']}") as ws:
        assert ws.receive_json()["type"] == "run"


def test_session_ends_with_the_server_that_started_it(browser, tmp_path_factory):
    log_in(browser)
    with app_client(tmp_path_factory.mktemp("again")) as restarted:
        restarted.cookies.set(NAME, browser.cookies[NAME])
        assert restarted.get("/api/runs").status_code == 401


def test_cookie_dies_with_another_token(browser, tmp_path_factory):
    log_in(browser)
    with app_client(tmp_path_factory.mktemp("other"), token=TOKEN[::-1]) as changed:
        changed.cookies.set(NAME, browser.cookies[NAME])
        assert changed.get("/api/runs").status_code == 401


def test_logout_clears_the_cookie(browser):
    log_in(browser)
    response = browser.post("/logout", headers=SAME_SITE)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert re.search(rf'{NAME}="?"?; .*Max-Age=0', response.headers["set-cookie"])
    assert NAME not in browser.cookies
    assert browser.get("/api/runs").status_code == 401


def test_logout_ends_the_session_for_a_kept_copy_of_the_cookie(browser):
    log_in(browser)
    copied = browser.cookies[NAME]
    assert browser.post("/logout", headers=SAME_SITE).status_code == 303
    browser.cookies.set(NAME, copied)
    assert browser.get("/api/runs").status_code == 401


def test_logout_by_get_or_from_another_site_leaves_the_session(browser):
    log_in(browser)
    assert browser.get("/logout").status_code == 405  # a cross-site link logs nobody out
    assert browser.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    assert browser.get("/api/runs").status_code == 200


def test_session_past_its_age_is_refused():
    sessions = Sessions(max_age_s=-1)
    assert not sessions.valid(sessions.start())
    assert not sessions.valid("")


def test_sessions_past_the_limit_end_the_oldest_first():
    sessions = Sessions(max_age_s=60, limit=2)
    first, second, third = sessions.start(), sessions.start(), sessions.start()
    assert [sessions.valid(s) for s in (first, second, third)] == [False, True, True]


def test_page_without_the_cookie_is_the_styled_login_form(browser):
    response = browser.get("/compare?ids=1,2", headers=HTML)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'class="topbar"' in html and "/static/css/lossboard.css" in html  # base.html's
    assert '<form class="login-form" method="get" action="/compare">' in html
    assert '<input type="hidden" name="ids" value="1,2">' in html
    assert 'name="token" type="password"' in html


def test_wrong_token_in_a_page_url_shows_the_form_and_sets_no_cookie(browser):
    response = browser.get("/?token=not-the-servers-token", headers=HTML)
    assert response.status_code == 401
    assert "not this server&#39;s token" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("method", ["post", "delete"])
def test_token_in_a_page_url_logs_in_only_on_get(browser, method):
    response = browser.request(method, f"/?token={TOKEN}")
    assert response.status_code == 401 and "set-cookie" not in response.headers


def test_cookie_does_not_make_a_token_in_an_api_url_acceptable(browser):
    log_in(browser)
    response = browser.get(f"/api/runs?token={TOKEN}")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_login_cookie_of_a_server_on_another_port_has_its_own_name(tmp_path):
    with app_client(tmp_path, port=8123) as client:
        log_in(client)
        assert set(client.cookies) == {"lossboard-auth-8123"}


def test_pages_offer_logout_once_logged_in(browser):
    form = '<form class="logout" method="post" action="/logout">'
    assert form not in browser.get("/", headers=HTML).text
    log_in(browser)
    assert form in browser.get("/", headers=HTML).text


@pytest.mark.parametrize("path", ["//evil.example/", "///evil.example/x"])
def test_login_form_and_redirect_stay_on_this_host(browser, path):
    url = "http://testserver" + path  # whole, or the client would read //evil.example as a host
    assert browser.get(url, headers=HTML).request.url.path == path
    form = browser.get(url, headers=HTML).text
    assert '<form class="login-form" method="get" action="/evil.example/' in form
    redirect = browser.get(url, params={"token": TOKEN})
    assert redirect.headers["location"].startswith("/evil.example/")
