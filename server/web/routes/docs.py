"""The API's docs page, /docs: Swagger UI, served from static/vendor, not a CDN.

There is no /redoc: ReDoc's bundle loads its logo from its own CDN whatever it is told.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.responses import HTMLResponse

from server.web.assets import static_url

OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Swagger UI's default asks validator.swagger.io to judge the schema: another host
SWAGGER_PARAMETERS = {"validatorUrl": None}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_page(request: Request) -> HTMLResponse:
    """Swagger UI: every operation, tried from the browser."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url=static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
        swagger_css_url=static_url("vendor/swagger-ui/swagger-ui.css"),
        swagger_favicon_url=static_url("vendor/swagger-ui/favicon-32x32.png"),
        oauth2_redirect_url=OAUTH2_REDIRECT,
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )


@router.get(OAUTH2_REDIRECT)
def swagger_oauth2_redirect() -> HTMLResponse:
    """Where an OAuth2 login started from Swagger UI returns."""
    return get_swagger_ui_oauth2_redirect_html()
