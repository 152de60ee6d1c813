"""The Content-Security-Policy on every answer: only this server's own scripts, styles, images
and fonts; no inline script or style unless it carries the request's nonce.

Templates mark their few `<style>` blocks with `nonce="{{ request.csp_nonce }}"`; scripts
are static files (`lifeline/lifeline.js` submits a `<select data-autosubmit>` on change: no
inline handlers); `style="…"` attributes are not allowed (use a class; a chart's colours are
SVG `fill`). Pages may not be framed (`frame-ancestors 'none'`, like X-Frame-Options: DENY),
except those Django marks `xframe_options_exempt` (the public banner `/status/banner/`),
which the sites in LIFELINE_FRAME_ANCESTORS may frame (default: any site; the banner holds
only what the public status page says).

Django 5.2 has no CSP setting of its own (6.0 will); this middleware is that, small.
"""
import secrets

from django.conf import settings


def policy(nonce: str, frame_ancestors: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            embeddable = getattr(response, "xframe_options_exempt", False)
            ancestors = (getattr(settings, "LIFELINE_FRAME_ANCESTORS", "") or "*") if embeddable else "'none'"
            response["Content-Security-Policy"] = policy(request.csp_nonce, ancestors)
        return response
