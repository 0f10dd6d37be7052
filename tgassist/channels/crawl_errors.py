"""Why a URL was not fetched: each error carries the short `outcome` recorded with the post."""

from __future__ import annotations

from tgassist.core.errors import TgassistError


class CrawlError(TgassistError):
    """A URL cannot be fetched; `outcome` is the short reason recorded with the post."""

    outcome = "error"


class BlockedURL(CrawlError):
    """The URL points somewhere the crawler must not go (private address, bad scheme)."""

    outcome = "blocked"


class BadURL(CrawlError):
    """The URL (or a redirect's Location) is malformed: bad port, no host, unparsable."""

    outcome = "bad_url"


class TooLarge(CrawlError):
    outcome = "too_large"


class BadContentType(CrawlError):
    outcome = "bad_type"


class HTTPStatusError(CrawlError):
    outcome = "http_error"


__all__ = [
    "BadContentType",
    "BadURL",
    "BlockedURL",
    "CrawlError",
    "HTTPStatusError",
    "TooLarge",
]
