"""The enrichment stage: fetch a post's links (SSRF-guarded) and keep their main text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from tgassist.channels.crawl import Fetcher, FetchResult
from tgassist.channels.enrichment_store import load_post, upsert_enrichment
from tgassist.channels.events import POSTS_ENRICHED, PostCrawl, PostEnriched
from tgassist.core.outbox import add_event

if TYPE_CHECKING:
    from tgassist.core.worker import StageContext

log = structlog.get_logger(__name__)

PAGE_TEXT_CHARS = 20_000


def page_record(res: FetchResult) -> dict[str, Any]:
    """What is kept of one fetched URL in post_enrichment(kind='crawl')."""
    rec: dict[str, Any] = {
        "url": res.url,
        "outcome": res.outcome,
        "final_url": res.final_url,
        "http_status": res.http_status,
        "content_type": res.content_type,
        "size": res.size,
        "error": res.error,
        "redirects": res.redirects,
    }
    if res.page is not None:
        rec.update(
            title=res.page.title,
            author=res.page.author,
            date=res.page.date,
            description=res.page.description,
            sitename=res.page.sitename,
            text=res.page.text[:PAGE_TEXT_CHARS],
        )
    elif res.outcome == "ok":
        rec["outcome"], rec["error"] = "no_text", "no main text found in the page"
    return rec


async def handle_enrichment(event: PostCrawl, ctx: StageContext) -> None:
    """posts.crawl → fetch + extract each URL → post_enrichment(kind='crawl') → posts.enriched."""
    app = ctx.app
    fetcher = Fetcher.from_settings(app.settings, app.redis)
    try:
        pages = [page_record(await fetcher.fetch(url)) for url in event.urls]
    finally:
        await fetcher.aclose()
    ok = sum(1 for p in pages if p["outcome"] == "ok")
    async with app.db.session() as session:
        if await load_post(session, event.post_id) is None:
            log.info("enrichment: post is gone", post_id=event.post_id)
            return
        await upsert_enrichment(
            session,
            event.post_id,
            "crawl",
            status="ok" if ok else "failed",
            provider="trafilatura",
            data={"pages": pages},
            event_time=event.occurred_at,
        )
        add_event(
            session,
            POSTS_ENRICHED,
            event.child(
                PostEnriched,
                post_id=event.post_id,
                channel_id=event.channel_id,
                urls_ok=ok,
                urls_failed=len(pages) - ok,
            ),
        )
    app.outbox.kick()
    if ok < len(pages):
        log.info(
            "enrichment: some links not crawled",
            post_id=event.post_id,
            outcomes={p["url"]: p["outcome"] for p in pages if p["outcome"] != "ok"},
        )
