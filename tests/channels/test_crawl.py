"""Crawler: link policy, SSRF guard, size/time/type caps, rate limit, main-text extraction."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.channels.web import WebServer, serve
from tgassist.app import App
from tgassist.channels.crawl import (
    Fetcher,
    LinkPolicy,
    domain_limiter,
    is_public_address,
    normalise_url,
)


@pytest.fixture(scope="module")
def web(fixtures_dir: Path) -> Iterator[WebServer]:
    with serve(fixtures_dir / "web") as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher allowed to reach the local test server (loopback only; private ranges stay refused)."""
    f = Fetcher(max_bytes=1_000_000, timeout=2.0, max_redirects=3, allow_loopback=True)
    yield f
    await f.aclose()


@pytest.fixture
async def guarded() -> AsyncIterator[Fetcher]:
    """A fetcher with production defaults: loopback refused too."""
    f = Fetcher(timeout=2.0)
    yield f
    await f.aclose()


def test_policy_skips_telegram_denied_and_non_http_links_and_caps_per_post() -> None:
    policy = LinkPolicy(deny=("ads.example",), max_links=2)
    urls = [
        "https://t.me/somechannel/12",
        "tg://resolve?domain=x",
        "mailto:a@b.c",
        "https://ads.example/x",
        "https://sub.ads.example/y",
        "https://example.org/a#frag",
        "https://example.org/a",
        "https://news.example.com/b).",
        "https://third.example/c",
    ]
    assert policy.select(urls) == ["https://example.org/a", "https://news.example.com/b"]
    assert policy.refusal("https://telegram.me/x") == "telegram link"
    allow = LinkPolicy(allow=("example.org",))
    assert allow.refusal("https://www.example.org/x") is None
    assert allow.refusal("https://example.com/x") == "domain not in the allow list"
    assert normalise_url("www.example.org/path") == "http://www.example.org/path"


@pytest.mark.parametrize(
    "ip,public",
    [
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("192.168.1.5", False),
        ("172.16.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_only_public_addresses_pass_the_guard(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://10.0.0.1/admin",
        "http://localhost:9/",
        "http://[::1]:9/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
async def test_guard_refuses_loopback_and_private_targets(guarded: Fetcher, url: str) -> None:
    res = await guarded.fetch(url)
    assert res.outcome == "blocked", res
    assert "non-public address" in (res.error or "")


async def test_guard_refuses_the_local_server_itself_by_default(
    guarded: Fetcher, web: WebServer
) -> None:
    before = len(web.hits)
    res = await guarded.fetch(web.url("/page/lemire.me.json.html"))
    assert res.outcome == "blocked"
    assert len(web.hits) == before  # no request reached the server


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/internal", "http://169.254.169.254/", "http://0.0.0.0:80/"]
)
async def test_redirect_to_a_private_address_is_refused(
    fetcher: Fetcher, web: WebServer, target: str
) -> None:
    res = await fetcher.fetch(web.url(f"/redirect?to={target}"))
    assert res.outcome == "blocked", res
    assert res.redirects == [target]
    assert res.page is None


async def test_non_http_redirect_and_redirect_loops_are_refused(
    fetcher: Fetcher, web: WebServer
) -> None:
    res = await fetcher.fetch(web.url("/redirect?to=file:///etc/passwd"))
    assert res.outcome == "blocked"
    res = await fetcher.fetch(web.url("/loop"))
    assert res.outcome == "http_error" and "redirects" in (res.error or "")


async def test_page_that_never_ends_stops_at_the_time_cap(fetcher: Fetcher, web: WebServer) -> None:
    started = time.monotonic()
    res = await fetcher.fetch(web.url("/never-ends"))
    assert res.outcome == "timeout"
    assert "never ends" in (res.error or "")
    assert time.monotonic() - started < 4


async def test_huge_bodies_stop_at_the_size_cap(fetcher: Fetcher, web: WebServer) -> None:
    res = await fetcher.fetch(web.url("/huge"))
    assert res.outcome == "too_large"
    assert 1_000_000 < res.size < 1_300_000  # stopped reading right after the cap
    res = await fetcher.fetch(web.url("/huge-declared"))
    assert res.outcome == "too_large" and res.size == 0


async def test_non_html_and_http_errors_are_recorded(fetcher: Fetcher, web: WebServer) -> None:
    res = await fetcher.fetch(web.url("/image.png"))
    assert res.outcome == "bad_type" and res.content_type == "image/png"
    res = await fetcher.fetch(web.url("/missing"))
    assert res.outcome == "http_error" and res.http_status == 404


async def test_redirect_to_an_allowed_page_is_followed(fetcher: Fetcher, web: WebServer) -> None:
    target = web.url("/page/lemire.me.json.html")
    res = await fetcher.fetch(web.url(f"/redirect?to={target}"))
    assert res.outcome == "ok"
    assert res.final_url == target and res.http_status == 200
    assert res.page is not None and res.page.title


async def test_extraction_matches_trafilatura_gold_snippets(
    fetcher: Fetcher, web: WebServer, fixtures_dir: Path
) -> None:
    gold = json.loads((fixtures_dir / "web" / "trafilatura_evaldata_subset.json").read_text())
    found = missing = leaked = 0
    for entry in gold.values():
        res = await fetcher.fetch(web.url("/page/" + entry["file"]))
        assert res.outcome == "ok", res
        page = res.page
        assert page is not None
        assert page.title == entry["title"]
        assert page.date is not None and page.date[:7] == entry["date"][:7]
        if entry.get("author"):
            assert entry["author"] in (page.author or "")
        for snippet in entry["with"]:
            if snippet in page.text:
                found += 1
            else:
                missing += 1
        leaked += sum(1 for s in entry["without"] if s in page.text)
    assert found >= 9 and missing <= 1  # 10 gold snippets in all
    assert leaked <= 1  # of 9 boilerplate snippets


async def test_russian_page_text_and_metadata(fetcher: Fetcher, web: WebServer) -> None:
    res = await fetcher.fetch(web.url("/page/football.ua.podolski.html"))
    assert res.page is not None
    assert res.page.title == "Подольски завершил карьеру в сборной"
    assert "Лукаш Подольски" in res.page.text
    assert "Все права защищены" not in res.page.text


async def test_per_domain_rate_limit_spaces_requests(app: App) -> None:
    limiter = domain_limiter(app.redis, rate=5.0, max_wait=5.0)
    started = time.monotonic()
    for _ in range(4):  # 8 calls, a bucket of 5: five pass at once, three wait ~0.2 s each
        await limiter("slow.example")
        await limiter("slow.example")
    elapsed = time.monotonic() - started
    assert elapsed >= 0.5
    other = time.monotonic()
    await limiter("other.example")
    assert time.monotonic() - other < 0.2  # another domain has its own bucket


@pytest.mark.parametrize(
    "url,outcome",
    [
        ("http://example.com:80:80/", "bad_url"),
        ("http://example.com:99999/", "bad_url"),
        ("http://[::1/", "bad_url"),
        ("http:///nohost", "bad_url"),
        ("data:text/html,<p>hi</p>", "blocked"),
    ],
)
async def test_a_malformed_link_is_a_recorded_failure_not_an_exception(
    guarded: Fetcher, url: str, outcome: str
) -> None:
    res = await guarded.fetch(url)
    assert res.outcome == outcome, res
    assert res.error and res.page is None


@pytest.mark.parametrize(
    "location,outcome",
    [
        ("data:text/html,<p>hi</p>", "blocked"),
        ("javascript:alert(1)", "blocked"),
        ("http://[::1", "bad_url"),
        ("http://example.com:80:80/", "bad_url"),
        ("http:foo", "http_error"),  # a relative reference (like browsers): /foo is a 404 here
    ],
)
async def test_a_redirect_to_a_malformed_or_foreign_url_fails_that_link_only(
    fetcher: Fetcher, web: WebServer, location: str, outcome: str
) -> None:
    good = web.url("/page/lemire.me.json.html")
    bad = await fetcher.fetch(web.url(f"/redirect?to={location}"))
    assert bad.outcome == outcome, bad
    assert (await fetcher.fetch(good)).outcome == "ok"  # the fetcher is still usable


async def test_enrichment_keeps_the_valid_links_of_a_post_with_a_bad_one(
    app: App, web: WebServer
) -> None:
    from tgassist.channels.stage_crawl import page_record

    f = Fetcher.from_settings(app.settings)
    f.allow_loopback = True
    try:
        urls = ["http://example.com:80:80/", web.url("/page/lemire.me.json.html")]
        records = [page_record(await f.fetch(u)) for u in urls]
    finally:
        await f.aclose()
    assert [r["outcome"] for r in records] == ["bad_url", "ok"]


async def test_a_gzip_bomb_stops_at_the_decoded_byte_cap(fetcher: Fetcher, web: WebServer) -> None:
    import tracemalloc

    from tests.channels.web import _gzip_bomb

    _gzip_bomb()  # built by the server thread (same process) before memory is traced
    tracemalloc.start()
    try:
        res = await fetcher.fetch(web.url("/gzip-bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.outcome == "too_large", res
    assert 1_000_000 < res.size <= 1_000_000 + 65_536  # counted decoded, stopped within a piece
    assert peak < 16 * 1024 * 1024  # never inflated the 64 MiB at once


@pytest.mark.parametrize("path", ["/gzip/lemire.me.json.html", "/deflate-raw/lemire.me.json.html"])
async def test_compressed_pages_are_decoded(
    fetcher: Fetcher, web: WebServer, fixtures_dir: Path, path: str
) -> None:
    res = await fetcher.fetch(web.url(path))
    assert res.outcome == "ok", res
    assert res.size == len((fixtures_dir / "web" / "lemire.me.json.html").read_bytes())
    assert res.page is not None and res.page.title


async def test_an_unsupported_content_encoding_is_a_recorded_failure(
    fetcher: Fetcher, web: WebServer
) -> None:
    res = await fetcher.fetch(web.url("/brotli"))
    assert res.outcome == "error" and "content encoding" in (res.error or "")


async def test_page_extraction_runs_inside_the_time_cap(web: WebServer) -> None:
    def slow_extractor(body: bytes, url: str) -> None:
        time.sleep(1.5)  # a pathological page keeps trafilatura busy

    f = Fetcher(timeout=0.5, allow_loopback=True, extractor=slow_extractor)
    started = time.monotonic()
    try:
        res = await f.fetch(web.url("/page/lemire.me.json.html"))
    finally:
        await f.aclose()
    assert time.monotonic() - started < 1.2
    assert res.outcome == "timeout" and "extraction" in (res.error or ""), res
