"""Link crawling: which links to fetch (policy), fetching them safely, and their main text.

The fetcher is an SSRF guard first: it resolves the host itself, refuses any address that is not
public (loopback, private, link-local, multicast, reserved …), connects to the address it checked
(so a DNS answer cannot change between check and connect), follows redirects by hand re-checking
every hop, reads at most `max_bytes` and gives up after `timeout` seconds in all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import structlog

from tgassist.channels.metrics import CRAWL_BYTES, CRAWL_FETCHES
from tgassist.core.errors import TgassistError

if TYPE_CHECKING:
    from tgassist.core.redis import Redis
    from tgassist.settings import Settings

log = structlog.get_logger(__name__)

ALWAYS_SKIPPED = ("t.me", "telegram.me", "telegram.dog", "telegram.org")
HTML_TYPES = ("text/html", "application/xhtml+xml")
Limiter = Callable[[str], Awaitable[None]]


class CrawlError(TgassistError):
    """A URL cannot be fetched; `outcome` is the short reason recorded with the post."""

    outcome = "error"


class BlockedURL(CrawlError):
    """The URL points somewhere the crawler must not go (private address, bad scheme)."""

    outcome = "blocked"


class TooLarge(CrawlError):
    outcome = "too_large"


class BadContentType(CrawlError):
    outcome = "bad_type"


class HTTPStatusError(CrawlError):
    outcome = "http_error"


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
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
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


def is_public_address(ip: str, allow_loopback: bool = False) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 is judged as IPv4)."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return allow_loopback
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_unspecified)


async def resolve_public(host: str, port: int, allow_loopback: bool = False) -> str:
    """Resolve `host`; the address to connect to, or BlockedURL if any answer is not public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise CrawlError(f"cannot resolve {host}: {err.strerror or err}") from err
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise CrawlError(f"cannot resolve {host}")
    bad = [a for a in addresses if not is_public_address(a, allow_loopback)]
    if bad:  # one private answer is enough to refuse: rebinding tricks mix them
        raise BlockedURL(f"{host} resolves to a non-public address ({bad[0]}); refused")
    return addresses[0]


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
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.limiter = limiter
        self.allow_loopback = allow_loopback  # tests of the fetch path only
        # No connection reuse: every request goes to the address checked for it.
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            verify=_ssl_context(),
            trust_env=False,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
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
        await self.client.aclose()

    async def fetch(self, url: str, extract: bool = True) -> FetchResult:
        """Fetch `url` (and extract its main text); failures become a result with an outcome."""
        result = FetchResult(url=url, outcome="ok")
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._download(url, result)
            if extract:  # CPU work in a thread, outside the network time cap
                result.page = await asyncio.to_thread(extract_page, body, result.final_url or url)
        except TimeoutError:
            result.outcome, result.error = (
                "timeout",
                f"gave up after {self.timeout:g}s (page too slow or never ends)",
            )
        except CrawlError as err:
            result.outcome, result.error = err.outcome, str(err)
        except httpx.HTTPError as err:
            result.outcome, result.error = "error", f"{type(err).__name__}: {err}"[:500]
        CRAWL_FETCHES.labels(result.outcome).inc()
        CRAWL_BYTES.inc(result.size)
        if result.outcome != "ok":
            log.info("crawl refused or failed", url=url, outcome=result.outcome, error=result.error)
        return result

    async def _download(self, url: str, result: FetchResult) -> bytes:
        current = url
        for _ in range(self.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise BlockedURL(f"only http and https are fetched, not {current[:100]!r}")
            host = parts.hostname.lower()
            port = parts.port or (443 if parts.scheme == "https" else 80)
            ip = await resolve_public(host, port, self.allow_loopback)
            if self.limiter:
                await self.limiter(host)
            request = self._pinned_request(current, host, ip)
            response = await self.client.send(request, stream=True)
            try:
                result.http_status = response.status_code
                if response.is_redirect:
                    location = response.headers.get("location")
                    if not location:
                        raise HTTPStatusError(f"redirect without Location from {current}")
                    current = urljoin(current, location)
                    result.redirects.append(current)
                    continue
                result.final_url = current
                return await self._read_body(response, result)
            finally:
                await response.aclose()
        raise HTTPStatusError(f"more than {self.max_redirects} redirects")

    def _pinned_request(self, url: str, host: str, ip: str) -> httpx.Request:
        target = httpx.URL(url)
        headers = {
            "Host": target.netloc.decode("ascii"),
            "User-Agent": self.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        }
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        return self.client.build_request(
            "GET", target.copy_with(host=ip), headers=headers, extensions=extensions
        )

    async def _read_body(self, response: httpx.Response, result: FetchResult) -> bytes:
        if response.status_code >= 400:
            raise HTTPStatusError(f"HTTP {response.status_code}")
        ctype = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        result.content_type = ctype or None
        if ctype and ctype not in HTML_TYPES:
            raise BadContentType(f"content type {ctype!r} is not a web page")
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"declared {int(declared)} bytes, over the {self.max_bytes}-byte cap")
        chunks: list[bytes] = []
        async for chunk in response.aiter_bytes():
            result.size += len(chunk)
            if (
                result.size > self.max_bytes
            ):  # stop reading: compressed bombs and endless bodies too
                raise TooLarge(f"body over the {self.max_bytes}-byte cap")
            chunks.append(chunk)
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
    "BlockedURL",
    "CrawlError",
    "FetchResult",
    "Fetcher",
    "LinkPolicy",
    "Page",
    "domain_limiter",
    "extract_page",
    "host_of",
    "is_public_address",
    "normalise_url",
    "resolve_public",
]
