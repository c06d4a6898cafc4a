"""Content-Security-Policy: `default-src 'none'` for the API, exactly their own assets for HTML pages.

Three kinds of page are HTML: DRF's browsable API, the Django admin and Swagger UI. Each
loads only stylesheets, scripts, fonts and images from its own origin (the service's
/static/<service>/ files, served by WhiteNoise), makes XHR/fetch calls to its own origin
(the browsable API's forms, Swagger UI's schema and "try it out"), and posts forms to its
own origin. Their templates also carry a few fixed inline styles (`style="float: right"`,
Swagger UI's `<style>` block): those are allowed by their SHA-256 hashes, computed from
the installed templates (and the one inline style the browsable API renders, Pygments'
code style), so no other inline style is ('unsafe-hashes' lets a hash match a `style`
attribute). No inline script is allowed at all; DRF's `<script
type="application/json">` is data, which a policy does not govern.

Every other response (JSON, static files, errors) gets the strict policy. The gateway
passes a service's policy through, and gives its own answers the strict one.
"""

import base64
import hashlib
import importlib.util
import re
from functools import cache
from pathlib import Path

CSP_HEADER = "Content-Security-Policy"
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Apps whose HTML pages a service serves; their templates are scanned for inline styles.
HTML_PAGE_PACKAGES = ("rest_framework", "django.contrib.admin", "drf_spectacular")

_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_TEMPLATE_SYNTAX = ("{{", "{%", "&")


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _template_dirs(packages: tuple[str, ...]) -> list[Path]:
    dirs = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec and spec.origin:
            dirs.append(Path(spec.origin).parent / "templates")
    return dirs


def _browsable_api_code_style() -> list[str]:
    """The `<style>` DRF's browsable API renders from Pygments (when installed), as the page has it."""
    from django.utils.html import conditional_escape
    from rest_framework.compat import pygments_css
    from rest_framework.renderers import BrowsableAPIRenderer

    css = pygments_css(BrowsableAPIRenderer.code_style)
    return [str(conditional_escape(css))] if css else []


def inline_style_hashes(packages: tuple[str, ...] = HTML_PAGE_PACKAGES) -> list[str]:
    """Hash sources of every fixed inline style (attribute or element) of the packages' pages."""
    found: set[str] = set(_browsable_api_code_style())
    for folder in _template_dirs(packages):
        for template in sorted(folder.rglob("*.html")):
            text = template.read_text(errors="replace")
            for value in (*_STYLE_ATTRIBUTE.findall(text), *_STYLE_ELEMENT.findall(text)):
                if value.strip() and not any(marker in value for marker in _TEMPLATE_SYNTAX):
                    found.add(value)
    return sorted(_sha256_source(value) for value in found)


@cache
def html_policy() -> str:
    """The policy of the service's HTML pages (computed once per process)."""
    styles = " ".join(["'self'", "'unsafe-hashes'", *inline_style_hashes()])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def policy_for(content_type: str) -> str:
    return html_policy() if content_type.split(";")[0].strip().lower() == "text/html" else STRICT_POLICY


class ContentSecurityPolicyMiddleware:
    """Set the policy on every response by its content type (outermost, so 429/503 get it too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if CSP_HEADER not in response:
            response[CSP_HEADER] = policy_for(response.get("Content-Type", ""))
        return response
