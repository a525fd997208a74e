"""Schemathesis over the whole OpenAPI, in process: no 5xx, and every answer as documented."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.settings import Settings
from server.web.app import create_app
from tests.helpers import app_settings

TOKEN = "fuzz-token-0123456789"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CONFIG = {"seed": 20260101, "generation": {"max-examples": 50}}
# Tiny caps: a fuzzed start trains a few steps of small tensors, and the queue stays short.
CAPS = {"max_iterations": 3, "max_run_bytes": 2**20, "max_queued": 4, "max_sweep_runs": 4}


# The schema comes from an app that never starts (its OpenAPI does not depend on settings);
# the requests go to the module's app, which does.
schema = schemathesis.openapi.from_dict(
    create_app(Settings()).openapi(), config=schemathesis.Config.from_dict(CONFIG)
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = app_settings(tmp_path_factory.mktemp("data"), token=TOKEN, **CAPS)
    app = create_app(settings)
    yield app
    shutdown_lifespans()  # schemathesis started it with the first request


@schema.parametrize()
def test_api_with_the_token_answers_as_documented(case, app):
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)


@schema.parametrize()
def test_api_without_the_token_answers_as_documented(case, app):
    case.call_and_validate(app=app, checks=CHECKS)
