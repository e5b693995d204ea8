"""Which stored links may become an `href`: http(s) and links within the site, nothing else.

A verdict's evidence, like any link a person types, may be anything (`javascript:...`, `data:...`, `//host`).
Pages render a link only when `is_safe_link` holds, and show anything else as text.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})


def is_safe_link(value: object) -> bool:
    """Whether `value` may be an `href`: an absolute http(s) URL with a host, or a relative link within this
    site (`/path`, `path`, `#anchor`, `?query`); never another scheme, a scheme-relative `//host`, a
    backslash or a control character (which browsers strip or rewrite)."""
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    if any(ord(c) < 0x20 or c == "\x7f" for c in value) or "\\" in text:
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    if parts.scheme:
        return parts.scheme.lower() in SAFE_SCHEMES and bool(parts.netloc)
    if text.startswith("//"):
        return False
    return ":" not in text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
