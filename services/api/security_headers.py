"""Security headers on every answer, and the Content-Security-Policy of pages the API serves.

Every answer gets a strict policy (`default-src 'self'`, inline scripts only with the page's
nonce, never framed); a route that serves a page sets its own policy with `page_policy(nonce)`,
and the middleware leaves a policy already set alone.
"""

import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>", re.IGNORECASE)


def new_nonce() -> str:
    """A fresh nonce for one answer: 128 random bits, as CSP's nonce-source wants them."""
    return secrets.token_urlsafe(16)


def with_nonce(html: str, nonce: str) -> str:
    """The page with `nonce` on each inline `<script>` (those with a `src` need none)."""
    return _INLINE_SCRIPT.sub(f'<script nonce="{nonce}">', html)


def page_policy(nonce: str | None = None, *, inline_styles: bool = False) -> str:
    """A strict Content-Security-Policy for a page of this origin.

    `inline_styles` is for third-party pages that style elements at run time (ReDoc's
    styled-components); a script still needs the nonce.
    """
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    styles = "'self'" + (" 'unsafe-inline'" if inline_styles else "")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            f"style-src {styles}",
            # Swagger UI draws its icons from data: URIs; ReDoc builds its search index in a
            # worker from a blob: URL.
            "img-src 'self' data:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": page_policy(),
}


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
