"""Vision stage: OCR once per image, policy skips, broken files, budget cap, OCR missing, LLM vision."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from tests.channels.enrich_util import (
    assert_no_backlog,
    channel,
    enrichment,
    message,
    photo,
    save,
    stream_events,
    text_image,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.util import run_pipeline
from tgassist.app import App
from tgassist.channels.enrichment_models import MediaVision
from tgassist.channels.events import POSTS_TAGGED, POSTS_VISION_ANALYZED
from tgassist.channels.stages import HEALTH, STAGES
from tgassist.settings import Settings


def ocr_runs() -> float:
    return REGISTRY.get_sample_value("tgassist_ai_ocr_images_total", {"outcome": "ok"}) or 0.0


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[App]:
    app = await App.start(settings)
    await app.redis.flushdb()
    try:
        yield app
    finally:
        await app.redis.flushdb()
        await app.close()


async def test_photo_text_is_read_retagged_and_indexed(app: App) -> None:
    cid = await channel(app)
    pid = next(
        iter(
            (await save(app, cid, [message("", [photo(text_image("Python conference"))])])).values()
        )
    )
    await run_pipeline(app, STAGES)
    vision = await enrichment(app, pid, "vision")
    assert vision is not None and vision.status == "ok" and vision.provider == "tesseract"
    assert vision.data["ocr_text"] == "Python conference"
    assert vision.params_hash and len(vision.params_hash) == 32
    summary = json.loads(await app.blobs.get(vision.data["summary_key"]))
    assert summary["media"][0]["status"] == "ok"
    tagged = [e for e in await stream_events(app, POSTS_TAGGED) if e["post_id"] == pid]
    assert sorted(e["trigger"] for e in tagged) == ["text", "vision_retag"]
    assert next(e for e in tagged if e["trigger"] == "vision_retag")["tags"][:2] == [
        "python",
        "conference",
    ]
    tags = await enrichment(app, pid, "tags")
    assert tags is not None and "python" in tags.data["tags"]
    payload = await app.vectors.get(pid)
    assert payload is not None and "Python" in payload["text"] and "python" in payload["tags"]
    await assert_no_backlog(app)


async def test_the_same_image_is_analysed_once(app: App) -> None:
    cid = await channel(app)
    image = text_image("Один раз")
    before = ocr_runs()
    ids = await save(
        app, cid, [message("первый", [photo(image)]), message("второй", [photo(image)])]
    )
    await run_pipeline(app, STAGES)
    assert ocr_runs() - before == 1
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(MediaVision)) == 1
    results = [await enrichment(app, pid, "vision") for pid in ids.values()]
    assert all(r is not None and r.status == "ok" and "Один" in r.data["ocr_text"] for r in results)
    assert sum(1 for r in results if r and r.data["media"][0].get("reused")) == 1


async def test_broken_image_gets_a_clear_failure_and_the_post_goes_on(app: App) -> None:
    cid = await channel(app)
    broken = b"\xff\xd8\xff\xe0" + b"this is not really a jpeg" * 20
    pid = next(
        iter(
            (
                await save(
                    app, cid, [message("сломанная картинка", [photo(broken, mime="image/jpeg")])]
                )
            ).values()
        )
    )
    await run_pipeline(app, STAGES)
    vision = await enrichment(app, pid, "vision")
    assert vision is not None and vision.status == "failed"
    assert "cannot decode the image" in vision.data["media"][0]["reason"]
    events = await stream_events(app, POSTS_VISION_ANALYZED)
    assert [(e["post_id"], e["status"]) for e in events] == [(pid, "failed")]
    assert await app.vectors.get(pid) is not None
    await assert_no_backlog(app)


async def test_policy_skips_huge_files_stickers_tiny_and_non_images(
    settings_factory: Callable[..., Settings],
) -> None:
    async with started(settings_factory(parser_media_max_bytes=60_000_000)) as app:
        cid = await channel(app)
        huge = b"\x89PNG\r\n\x1a\n" + bytes(50 * 1024 * 1024)
        tiny = text_image("x", size=(20, 20))
        posts = [
            message("большой файл", [photo(huge)]),
            message("стикер", [photo(text_image("стикер"), kind="sticker", mime="image/webp")]),
            message("иконка", [photo(tiny)]),
            message("документ", [photo(b"%PDF-1.4 fake", kind="file", mime="application/pdf")]),
        ]
        ids = list((await save(app, cid, posts)).values())
        before = ocr_runs()
        await run_pipeline(app, STAGES)
        assert ocr_runs() == before  # nothing reached Tesseract
        reasons = []
        for pid in ids:
            row = await enrichment(app, pid, "vision")
            assert row is not None and row.status == "skipped"
            reasons.append(row.data["media"][0]["reason"])
        assert reasons[0].startswith("file too large (52428808 bytes")
        assert reasons[1] == "sticker"
        assert reasons[2].startswith("image too small (20x20)")
        assert reasons[3].startswith("not an image (application/pdf)")
        await assert_no_backlog(app)


async def test_daily_cap_skips_the_rest_and_health_says_exhausted(
    settings_factory: Callable[..., Settings],
) -> None:
    async with started(settings_factory(vision_daily_cap=1)) as app:
        cid = await channel(app)
        ids = list(
            (
                await save(
                    app,
                    cid,
                    [
                        message("", [photo(text_image("Первая"))]),
                        message("", [photo(text_image("Вторая"))]),
                    ],
                )
            ).values()
        )
        await run_pipeline(app, STAGES)
        rows = [await enrichment(app, pid, "vision") for pid in ids]
        statuses = sorted((r.status, r.data["media"][0].get("reason") or "") for r in rows if r)
        assert statuses[0][0] == "ok" and statuses[1] == (
            "skipped",
            "daily vision cap reached (TGASSIST_VISION_DAILY_CAP)",
        )
        health = dict(HEALTH)
        assert (await health["vision"](app))["status"] == "exhausted"
        async with (
            app.db.session() as session
        ):  # the skipped image is not remembered: tomorrow it is done
            assert await session.scalar(select(func.count()).select_from(MediaVision)) == 1


async def test_missing_tesseract_reports_unavailable_and_skips(
    settings_factory: Callable[..., Settings],
) -> None:
    import pytesseract

    default_cmd = pytesseract.pytesseract.tesseract_cmd
    try:
        await _missing_tesseract(settings_factory)
    finally:  # TesseractOCR sets pytesseract's module-global command: give the next tests theirs back
        pytesseract.pytesseract.tesseract_cmd = default_cmd


async def _missing_tesseract(settings_factory: Callable[..., Settings]) -> None:
    async with started(settings_factory(tesseract_cmd="/nonexistent/tesseract")) as app:
        health = dict(HEALTH)
        ocr = await health["ocr"](app)
        assert ocr["status"] == "unavailable" and "not found" in ocr["reason"]
        cid = await channel(app)
        pid = next(
            iter((await save(app, cid, [message("фото", [photo(text_image("Текст"))])])).values())
        )
        await run_pipeline(app, STAGES)
        row = await enrichment(app, pid, "vision")
        assert row is not None and row.status == "unavailable"
        assert await app.vectors.get(pid) is not None
        await assert_no_backlog(app)


async def test_llm_vision_adds_description_and_labels(
    settings_factory: Callable[..., Settings],
) -> None:
    with FakeOpenAI() as fake:
        settings = settings_factory(
            vision_llm_enabled=True,
            llm_provider="openai",
            llm_base_url=fake.url,
            llm_api_key="k",
            llm_max_retries=0,
            tagging_max_topics=0,
        )
        fake.responder = lambda req: (
            json.dumps({"description": "Скриншот с надписью", "labels": ["Screenshot", "text"]})
            if "image_url" in json.dumps(req.json or {})
            else json.dumps({"tags": []})
        )
        async with started(settings) as app:
            cid = await channel(app)
            pid = next(
                iter((await save(app, cid, [message("", [photo(text_image("Надпись"))])])).values())
            )
            await run_pipeline(app, STAGES)
            row = await enrichment(app, pid, "vision")
            assert (
                row is not None
                and row.status == "ok"
                and row.provider.startswith("tesseract+llm:openai")
            )
            media = row.data["media"][0]
            assert (
                media["labels"] == ["screenshot", "text"]
                and media["description"] == "Скриншот с надписью"
            )
            assert "Надпись" in media["ocr_text"]


async def test_llm_vision_failure_keeps_the_ocr_text(
    settings_factory: Callable[..., Settings],
) -> None:
    from tests.fakes.openai_server import FakeResponse

    with FakeOpenAI() as fake:
        settings = settings_factory(
            vision_llm_enabled=True,
            llm_provider="openai",
            llm_base_url=fake.url,
            llm_api_key="k",
            llm_max_retries=0,
            llm_timeout_sec=0.3,
            tagging_max_topics=0,
        )
        fake.responder = lambda req: (
            FakeResponse.slow(2.0)
            if "image_url" in json.dumps(req.json or {})
            else json.dumps({"tags": []})
        )
        async with started(settings) as app:
            cid = await channel(app)
            pid = next(
                iter((await save(app, cid, [message("", [photo(text_image("Надпись"))])])).values())
            )
            await run_pipeline(app, STAGES)
            row = await enrichment(app, pid, "vision")
            assert row is not None and row.status == "partial"
            media = row.data["media"][0]
            assert "Надпись" in media["ocr_text"] and media["description"] is None
            assert media["reason"].startswith("LLM vision failed")
            await assert_no_backlog(app)
