"""What the user names: targets (a URL, a host, a local HTML file) and the window size, parsed and checked the
same way for the command line, the project config and the API. A bad one is a ``UsageError`` (exit 2)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from auditor.errors import UsageError


def parse_viewport(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", value or "")
    if not m:
        raise UsageError(f"--viewport: expected WIDTHxHEIGHT such as 1280x800, got {value!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (200 <= w <= 7680 and 200 <= h <= 4320):
        raise UsageError(f"--viewport: {w}x{h} is out of range (200x200 to 7680x4320)")
    return w, h


#: what a local file must be called to be audited: the browser shows anything else as plain text, and a page that
#: is not HTML has no consent UI (``auditor scan /etc/passwd`` must not copy that file into a report)
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".xht", ".shtml")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def normalise_target(raw: str) -> str:
    """An absolute http(s) or file URL for what the user typed. A local path becomes a file URL; a path that does
    not exist is "file not found", never a guess at a web address; other schemes are refused."""
    text = raw.strip()
    if not text:
        raise UsageError("empty URL")
    if any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in text):
        raise UsageError(f"{raw!r}: control characters in a target")
    scheme = _SCHEME.match(text)
    host_port = re.match(r"^[A-Za-z0-9.\-]+:\d+(/|$)", text)  # localhost:8000/x is a host, not a scheme
    if scheme and len(scheme.group(1)) > 1 and not host_port:
        name = scheme.group(1).lower()
        if name not in ("http", "https", "file"):
            raise UsageError(f"{raw}: {name}: URLs cannot be audited (use http://, https:// or a local HTML file)")
        if name == "file":
            return _local_file(raw, Path(url2pathname(urlsplit(text).path)))
    else:
        path = Path(text).expanduser()
        if path.exists() or _looks_like_path(text):
            return _local_file(raw, path)
        if re.match(r"^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(/|$)", text):
            text = "http://" + text
        else:
            text = "https://" + text
    parts = urlsplit(text)
    try:
        parts.port
    except ValueError:
        raise UsageError(f"{raw}: malformed URL (bad port)") from None
    host = parts.hostname or ""
    if not host or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]_]+", host) or ".." in host:
        raise UsageError(f"{raw}: malformed URL (no valid host)")
    return text


def _looks_like_path(text: str) -> bool:
    """A target with no scheme that names a file rather than a web site: a path with a separator, a relative or
    home path, or a name whose last part is no public suffix (``page.html``, ``does-not-exist.htm``)."""
    from auditor.sites import has_public_suffix
    if text.startswith((".", "~", "/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return True
    head = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = head.rsplit(":", 1)[0] if re.search(r":\d+$", head) else head
    if host == "localhost" or re.fullmatch(r"127\.\d+\.\d+\.\d+|\[::1\]", host):
        return False
    if "/" in text and not re.match(r"^[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+(:\d+)?$", head):
        return True
    return not has_public_suffix(host)


def _local_file(raw: str, path: Path) -> str:
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise UsageError(f"{raw}: file not found") from None
    if resolved.is_dir():
        raise UsageError(f"{raw}: is a folder (name an HTML file in it)")
    if resolved.suffix.lower() not in HTML_SUFFIXES:
        raise UsageError(f"{raw}: not an HTML file (a local file is audited when its name ends in "
                         f"{', '.join(HTML_SUFFIXES)})")
    return resolved.as_uri()
