"""Refuses what another site's page makes a browser ask of the API: a link, a form, an image.

The API's GETs are reads, but heavy ones (an export computes for minutes); a page elsewhere
must not be able to start them with the visitor's cookie. Browsers say where a request comes
from in `Sec-Fetch-Site`; scripts and the CLI send none and pass.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

OTHER_SITES = ("cross-site", "same-site")  # same-site: another port or subdomain of this host
REFUSED = "a request to /api/ from another site's page is refused (Sec-Fetch-Site: {})"


class CrossSiteRefusal:
    """403 for a request to /api/ that a browser says another site's page made."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site = dict(scope.get("headers", ())).get(b"sec-fetch-site", b"").decode("latin-1")
        path = scope.get("path", "")[len(scope.get("root_path", "")) :]
        if scope["type"] == "http" and site in OTHER_SITES and path.startswith("/api/"):
            await JSONResponse({"detail": REFUSED.format(site)}, 403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
