"""Link crawling: which links to fetch (policy), fetching them safely, and their main text.

The fetcher is an SSRF guard first: it resolves the host itself, refuses any address that is not
public (loopback, private, link-local, multicast, reserved …), connects to the address it checked
(so a DNS answer cannot change between check and connect), follows redirects by hand re-checking
every hop, reads at most `max_bytes` and gives up after `timeout` seconds in all.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import structlog

from tgassist.channels.crawl_body import ACCEPT_ENCODING, CappedDecoder
from tgassist.channels.crawl_errors import (
    BadContentType,
    BadURL,
    BlockedURL,
    CrawlError,
    HTTPStatusError,
    TooLarge,
)
from tgassist.channels.metrics import CRAWL_BYTES, CRAWL_FETCHES
from tgassist.channels.netguard import is_public_address, resolve_public

if TYPE_CHECKING:
    from tgassist.core.redis import Redis
    from tgassist.settings import Settings

log = structlog.get_logger(__name__)

ALWAYS_SKIPPED = ("t.me", "telegram.me", "telegram.dog", "telegram.org")
HTML_TYPES = ("text/html", "application/xhtml+xml")
Limiter = Callable[[str], Awaitable[None]]


def _split_domains(value: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().lstrip(".") for d in value.split(",") if d.strip())


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _matches(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def normalise_url(url: str) -> str | None:
    """Strip the fragment and surrounding junk; None for anything that is not http(s)."""
    url = url.strip().rstrip(").,;:!?»\"'")
    if "://" not in url and url.startswith("www."):
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[::1" and the like: not a link we can do anything with
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class LinkPolicy:
    """Which links of a post are crawled: http(s) only, no Telegram links, allow/deny lists, a cap."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_links: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkPolicy:
        return cls(
            allow=_split_domains(settings.crawl_allow_domains),
            deny=_split_domains(settings.crawl_deny_domains),
            max_links=settings.crawl_max_links_per_post,
        )

    def refusal(self, url: str) -> str | None:
        """Why `url` is not crawled, or None when it is."""
        norm = normalise_url(url)
        if norm is None:
            return "not an http(s) URL"
        host = host_of(norm)
        if _matches(host, ALWAYS_SKIPPED):
            return "telegram link"
        if _matches(host, self.deny):
            return "denied domain"
        if self.allow and not _matches(host, self.allow):
            return "domain not in the allow list"
        return None

    def select(self, urls: list[str]) -> list[str]:
        """The normalised, de-duplicated URLs to crawl, in post order, at most `max_links`."""
        out: list[str] = []
        for url in urls:
            norm = normalise_url(url)
            if norm and self.refusal(norm) is None and norm not in out:
                out.append(norm)
            if len(out) >= self.max_links:
                break
        return out


@dataclass
class Page:
    """What trafilatura found in a page."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    description: str | None = None
    sitename: str | None = None
    text: str = ""


@dataclass
class FetchResult:
    """The outcome of one URL: `outcome` is ok | blocked | too_large | timeout | bad_type | http_error | error."""

    url: str
    outcome: str
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    size: int = 0
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    page: Page | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=1)
def load_extractor() -> None:
    """Warm trafilatura up once per process so no page's time cap pays for it.

    Beyond the import, dateparser (used by htmldate for page dates) compiles the regexes of its
    ~200 locales on first use: about 2 s that would otherwise land on the first page with a date.
    """
    import trafilatura  # noqa: F401
    from dateparser.date import DateDataParser

    DateDataParser(settings={"STRICT_PARSING": True}).get_date_data("warm up 2024")


def extract_page(html: bytes | str, url: str | None = None) -> Page | None:
    """Main text and metadata via trafilatura (CPU bound: call it in a thread). None if no text."""
    from trafilatura import bare_extraction

    doc = bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if doc is None:
        return None
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = (data.get("text") or "").strip()
    if not text:
        return None
    return Page(
        title=data.get("title"),
        author=data.get("author"),
        date=data.get("date"),
        description=data.get("description"),
        sitename=data.get("sitename"),
        text=text,
    )


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Target:
    """A URL the fetcher may request: scheme, host and port, checked before any network use."""

    url: str
    scheme: str
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Target:
        """BlockedURL for a scheme other than http(s); BadURL for anything malformed."""
        try:
            parts = urlsplit(url)
            scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
        except ValueError as err:  # "http://example.com:80:80/", a port over 65535, "[::1"
            raise BadURL(f"malformed URL {url[:100]!r}: {err}") from err
        if scheme not in ("http", "https"):
            raise BlockedURL(f"only http and https are fetched, not {url[:100]!r}")
        if not host:
            raise BadURL(f"malformed URL {url[:100]!r}: no host")
        return cls(url, scheme, host.lower(), port or (443 if scheme == "https" else 80))


class Fetcher:
    """Fetches pages under the SSRF guard and the size/time/type caps; `fetch` never raises."""

    def __init__(
        self,
        *,
        max_bytes: int = 3_000_000,
        timeout: float = 20.0,
        connect_timeout: float = 5.0,
        max_redirects: int = 5,
        user_agent: str = "tgassist/0.1",
        limiter: Limiter | None = None,
        allow_loopback: bool = False,
        extractor: Callable[[bytes, str], Page | None] | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.limiter = limiter
        self.allow_loopback = allow_loopback  # tests of the fetch path only
        self.extractor = extractor or extract_page
        self._timeouts = httpx.Timeout(timeout, connect=connect_timeout).as_dict()
        # The transport, not a client: no redirect handling of its own (it chokes on a malformed
        # Location before we could record it) and no connection reuse, so every request goes to
        # the address checked for it.
        self.transport = httpx.AsyncHTTPTransport(
            verify=_ssl_context(),
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis | None = None) -> Fetcher:
        limiter = (
            domain_limiter(redis, settings.crawl_domain_rate_per_sec, settings.crawl_timeout_sec)
            if redis
            else None
        )
        return cls(
            max_bytes=settings.crawl_max_bytes,
            timeout=settings.crawl_timeout_sec,
            connect_timeout=settings.crawl_connect_timeout_sec,
            max_redirects=settings.crawl_max_redirects,
            user_agent=settings.crawl_user_agent,
            limiter=limiter,
            allow_loopback=settings.crawl_allow_loopback,
        )

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def fetch(self, url: str, extract: bool = True) -> FetchResult:
        """Fetch `url` and extract its main text, all within `timeout`; failures become outcomes."""
        result = FetchResult(url=url, outcome="ok")
        started = downloaded = time.monotonic()
        stage = "download"
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._download(url, result)
            stage, downloaded = "extract", time.monotonic()
            if extract:
                if self.extractor is extract_page:  # once per process, not charged to a page
                    await asyncio.to_thread(load_extractor)
                # CPU work in a thread, within what is left of the page's time cap
                async with asyncio.timeout(max(self.timeout - (downloaded - started), 0.01)):
                    page_url = result.final_url or url
                    result.page = await asyncio.to_thread(self.extractor, body, page_url)
        except TimeoutError:
            result.outcome = "timeout"
            result.error = (
                f"gave up after {self.timeout:g}s (page too slow or never ends)"
                if stage == "download"
                else f"main-text extraction passed the {self.timeout:g}s cap "
                f"(download took {downloaded - started:.1f}s)"
            )
        except CrawlError as err:
            result.outcome, result.error = err.outcome, str(err)
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            result.outcome, result.error = "error", f"{type(err).__name__}: {err}"[:500]
        except Exception as err:  # one odd page never sinks the post's other links
            log.warning("crawl: unexpected error", url=url, exc_info=True)
            result.outcome, result.error = "error", f"{type(err).__name__}: {err}"[:500]
        CRAWL_FETCHES.labels(result.outcome).inc()
        CRAWL_BYTES.inc(result.size)
        if result.outcome != "ok":
            log.info("crawl refused or failed", url=url, outcome=result.outcome, error=result.error)
        return result

    async def _download(self, url: str, result: FetchResult) -> bytes:
        current = url
        for _ in range(self.max_redirects + 1):
            target = Target.parse(current)
            ip = await resolve_public(target.host, target.port, self.allow_loopback)
            if self.limiter:
                await self.limiter(target.host)
            response = await self.transport.handle_async_request(self._pinned_request(target, ip))
            try:
                result.http_status = response.status_code
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise HTTPStatusError(f"redirect without Location from {current}")
                    try:
                        current = urljoin(current, location)
                    except ValueError as err:
                        raise BadURL(f"malformed redirect target {location[:100]!r}") from err
                    result.redirects.append(current)
                    continue
                result.final_url = current
                return await self._read_body(response, result)
            finally:
                await response.aclose()
        raise HTTPStatusError(f"more than {self.max_redirects} redirects")

    def _pinned_request(self, target: Target, ip: str) -> httpx.Request:
        try:
            url = httpx.URL(target.url)
            pinned = url.copy_with(host=ip)
        except (httpx.InvalidURL, ValueError) as err:
            raise BadURL(f"malformed URL {target.url[:100]!r}: {err}") from err
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        extensions: dict[str, Any] = {"timeout": self._timeouts}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
        return httpx.Request("GET", pinned, headers=headers, extensions=extensions)

    async def _read_body(self, response: httpx.Response, result: FetchResult) -> bytes:
        if response.status_code >= 400:
            raise HTTPStatusError(f"HTTP {response.status_code}")
        ctype = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        result.content_type = ctype or None
        if ctype and ctype not in HTML_TYPES:
            raise BadContentType(f"content type {ctype!r} is not a web page")
        declared = response.headers.get("content-length")
        encoding = response.headers.get("content-encoding", "")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"declared {int(declared)} bytes, over the {self.max_bytes}-byte cap")
        decoder = CappedDecoder(encoding, self.max_bytes)
        chunks: list[bytes] = []
        try:
            async for raw in response.aiter_raw():
                chunks.append(decoder.feed(raw))
            chunks.append(decoder.flush())
        finally:
            result.size = decoder.size  # decoded bytes: what the cap counts
        return b"".join(chunks)


def domain_limiter(redis: Redis, rate: float, max_wait: float) -> Limiter:
    """A per-domain Redis token bucket shared by every worker."""
    from tgassist.core.ratelimit import TokenBucket

    async def wait(host: str) -> None:
        bucket = TokenBucket(redis, f"crawl:{host}", rate, capacity=max(1.0, rate))
        try:
            await bucket.acquire(max_wait=max_wait)
        except TimeoutError as err:
            raise CrawlError(f"rate limit for {host}: no slot within {max_wait:g}s") from err

    return wait


__all__ = [
    "BadURL",
    "BlockedURL",
    "CrawlError",
    "FetchResult",
    "Fetcher",
    "LinkPolicy",
    "Page",
    "Target",
    "domain_limiter",
    "extract_page",
    "host_of",
    "is_public_address",
    "normalise_url",
    "resolve_public",
]
