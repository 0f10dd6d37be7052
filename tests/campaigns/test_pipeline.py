"""The build job end to end on every backend pair: stages, progress, resume, cancel, faults."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.campaigns.helpers import (
    HookedEmbedder,
    build,
    campaign_of,
    keyword_ids,
    stages_of,
    task_of,
    wait_for,
)
from tests.campaigns.wordstat_server import Reply, WordstatServer
from tgassist.app import App
from tgassist.campaigns import service
from tgassist.campaigns.export import COLUMNS, HEADER_ROW
from tgassist.campaigns.limits import check_ad
from tgassist.campaigns.sources.direct_import import load_direct_file
from tgassist.campaigns.tasks import BUILD_STAGE
from tgassist.core.i18n import Msg, t
from tgassist.core.keys import task_progress
from tgassist.core.worker import Worker

ALL = ["wordstat", "filter", "cluster", "generate", "export"]


async def test_offline_build_completes_with_progress(app: App, brief_data: dict[str, Any]) -> None:
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    task = await task_of(app, started.task_id)
    assert (task.status, task.percent, task.stage) == ("done", 100, "export")
    camp = await campaign_of(app, started.campaign_id)
    assert camp.status == "completed" and camp.source == "multiplication"
    assert (
        camp.keywords_count > 10
        and camp.groups_count >= 2
        and camp.ads_count == 2 * camp.groups_count
    )
    assert list(await stages_of(app, camp.id)) == ALL
    assert (
        camp.report["generate"]["compliance"] == 1.0
        and task.result["generate"]["ads"] == camp.ads_count
    )
    ws = openpyxl.load_workbook(camp.file_path)["Тексты"]
    assert [c.value for c in ws[HEADER_ROW]] == list(COLUMNS)
    exported = await asyncio.to_thread(
        load_direct_file, camp.file_path
    )  # read back as Direct would
    ads = [ad for g in exported.groups for ad, _, _ in g.ads]
    assert len(ads) == camp.ads_count and all(check_ad(ad) == [] for ad in ads)
    assert sum(len(g.keywords) for g in exported.groups) == camp.keywords_count
    assert await asyncio.to_thread(Path(camp.report["export"]["csv"]).is_file)
    events = [f for _, f in await app.redis.xrange(task_progress(started.task_id))]
    stages = [e["stage"] for e in events if e["stage"]]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == ALL
    assert events[-1]["status"] == "done" and events[-1]["percent"] == "100"
    assert events[-1]["key"] == "campaigns.build.done"
    assert {e["key"] for e in events} >= {"campaigns.stage.cluster", "campaigns.progress.generate"}


async def test_wordstat_v2_build_and_401(
    make_app: Any, wordstat: WordstatServer, brief_data: dict[str, Any]
) -> None:
    app = await make_app(
        wordstat_api_key="key", wordstat_folder_id="f", wordstat_v2_url=wordstat.url
    )
    wordstat.always = Reply(401, {"message": "unauthorized"})
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    task = await task_of(app, started.task_id)
    assert task.status == "failed" and "TGASSIST_WORDSTAT_API_KEY" in (task.error or "")
    assert (await campaign_of(app, started.campaign_id)).status == "failed"
    assert await stages_of(app, started.campaign_id) == {}
    wordstat.always = None  # the key is fixed
    again = await service.repeat_campaign(app, 1, started.campaign_id)
    await build(app)
    assert (await task_of(app, again.task_id)).status == "done"
    camp = await campaign_of(app, started.campaign_id)
    assert camp.source == "wordstat_v2" and camp.keywords_count >= 3
    assert (await task_of(app, started.task_id)).status == "failed"


async def test_429_storm_fails_then_resumes_from_cache(
    make_app: Any, wordstat: WordstatServer, brief_data: dict[str, Any]
) -> None:
    app = await make_app(
        wordstat_oauth_token="t",
        wordstat_v1_url=wordstat.url,
        wordstat_retries=2,
        wordstat_backoff_sec=0.01,
    )
    wordstat.queue(
        Reply(
            200, {"totalCount": 1, "topRequests": [{"phrase": "ремонт холодильников", "count": 9}]}
        ),
        *[Reply(429, {}) for _ in range(3)],
    )
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    task = await task_of(app, started.task_id)
    assert task.status == "failed" and "429" in (task.error or "")
    before = len(wordstat.requests)
    await service.repeat_campaign(app, 1, started.campaign_id)
    await build(app)
    assert (await campaign_of(app, started.campaign_id)).status == "completed"
    assert len(wordstat.requests) == before + 2  # the first phrase came from the cache


async def test_crash_between_stages_resumes(
    app: App, brief_data: dict[str, Any], embedder: Any
) -> None:
    seen: dict[str, Any] = {}

    async def crash() -> None:
        seen["keywords"] = await keyword_ids(app, started.campaign_id)
        seen["stages"] = await stages_of(app, started.campaign_id)
        raise RuntimeError("worker died")

    app.__dict__["embedder"] = HookedEmbedder(embedder, crash)
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)  # delivery 1 fails in "cluster", the worker retries it
    task = await task_of(app, started.task_id)
    assert task.status == "done"
    assert list(seen["stages"]) == ["wordstat", "filter"]
    assert (
        await keyword_ids(app, started.campaign_id) == seen["keywords"]
    )  # filter did not run again
    stages = await stages_of(app, started.campaign_id)
    assert {k: stages[k] for k in seen["stages"]} == seen["stages"]


async def test_a_build_that_keeps_crashing_fails_naming_the_stage_in_the_readers_language(
    app: App, brief_data: dict[str, Any], embedder: Any
) -> None:
    async def crash() -> None:
        raise RuntimeError("embedder lost")

    app.__dict__["embedder"] = HookedEmbedder(embedder, crash, every=True)
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)  # every delivery fails in "cluster"; the last one fails the build
    task = await task_of(app, started.task_id)
    assert task.status == "failed" and task.key == "campaigns.build.crashed"
    assert task.message is not None
    shown = task.message.render("ru")
    assert "«Группировка фраз»" in shown  # the stage's title, not "cluster"
    assert f"код {started.task_id[:8]}" in shown  # a code to quote, not the exception
    assert "embedder lost" not in shown and "RuntimeError" not in shown
    assert "Grouping phrases" in task.message.render("en")
    assert task.error == "RuntimeError: embedder lost"  # the operator's detail is kept


async def test_killed_worker_resumes_on_another(
    app: App, brief_data: dict[str, Any], embedder: Any
) -> None:
    blocked, never = asyncio.Event(), asyncio.Event()

    async def hang() -> None:
        blocked.set()
        await never.wait()

    app.__dict__["embedder"] = HookedEmbedder(embedder, hang)
    started = await service.create_campaign(app, 1, brief_data)
    await app.outbox.drain()
    first = asyncio.create_task(Worker(app, [BUILD_STAGE], name="w1").run_until_idle())
    await wait_for(blocked)
    first.cancel()  # the process is gone; its entry stays pending
    await asyncio.gather(first, return_exceptions=True)
    assert (await task_of(app, started.task_id)).stage == "cluster"
    assert await Worker(app, [BUILD_STAGE], name="w2").reclaim_now(min_idle_ms=0) == 1
    assert (await task_of(app, started.task_id)).status == "done"
    assert list(await stages_of(app, started.campaign_id)) == ALL


async def test_same_brief_again_resumes_the_interrupted_build(
    app: App, brief_data: dict[str, Any]
) -> None:
    first = await service.create_campaign(app, 1, brief_data)  # enqueued, never run: "killed"
    again = await service.create_campaign(app, 1, brief_data)
    assert (
        again.resumed and again.campaign_id == first.campaign_id and again.task_id != first.task_id
    )
    await build(app)
    assert (await task_of(app, again.task_id)).status == "done"
    old = await task_of(app, first.task_id)
    assert old.status == "failed" and old.key == "campaigns.build.superseded"
    assert len(await service.list_campaigns(app, 1)) == 1


async def test_cancel_during_clustering_then_repeat(
    app: App, brief_data: dict[str, Any], embedder: Any
) -> None:
    async def cancel() -> None:
        await service.cancel_campaign(app, 1, started.campaign_id)

    app.__dict__["embedder"] = HookedEmbedder(embedder, cancel)
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    task = await task_of(app, started.task_id)
    assert (
        task.status == "cancelled"
        and task.stage == "cluster"
        and task.key == "campaigns.build.cancelled"
    )
    assert list(await stages_of(app, started.campaign_id)) == ["wordstat", "filter"]
    assert (await campaign_of(app, started.campaign_id)).status == "cancelled"
    with pytest.raises(service.CampaignError) as nothing:
        await service.cancel_campaign(app, 1, started.campaign_id)
    assert nothing.value.key == "campaigns.cancel.nothing_running"
    assert "нечего" in nothing.value.render("ru")
    again = await service.repeat_campaign(app, 1, started.campaign_id)
    await build(app)
    assert (await task_of(app, again.task_id)).status == "done"
    assert list(await stages_of(app, started.campaign_id)) == ALL


async def test_users_own_wordstat_token(
    make_app: Any, wordstat: WordstatServer, brief_data: dict[str, Any]
) -> None:
    from tgassist.core.crypto import SecretBox
    from tgassist.core.models import User

    app = await make_app(wordstat_v1_url=wordstat.url, secret_keys=SecretBox.generate_key())
    from tgassist.core.users import ensure_user

    owner = await ensure_user(app.db, telegram_id=5)
    started = await service.create_campaign(app, owner.id, brief_data)
    async with app.db.session() as s:
        user = await s.get(User, owner.id)
        user.wordstat_token_enc = app.secrets.encrypt("users-oauth")
    await build(app)
    assert (await campaign_of(app, started.campaign_id)).source == "wordstat_v1"
    assert {r["headers"]["Authorization"] for r in wordstat.requests} == {"Bearer users-oauth"}


async def test_users_own_search_api_key_is_used_by_the_build(
    make_app: Any, wordstat: WordstatServer, brief_data: dict[str, Any]
) -> None:
    """A Search API key saved in the settings (checked against Wordstat v2 first) is the
    credential of the user's builds: `Api-Key` with their folder, ahead of the server's token."""
    from tgassist.campaigns.account import save_search_api_key
    from tgassist.core.crypto import SecretBox
    from tgassist.core.users import ensure_user

    app = await make_app(
        wordstat_v1_url=wordstat.url,
        wordstat_v2_url=wordstat.url,
        wordstat_oauth_token="servers-oauth",
        secret_keys=SecretBox.generate_key(),
    )
    owner = await ensure_user(app.db, telegram_id=6)
    await save_search_api_key(app, owner.id, "users-api-key users-folder")
    assert len(wordstat.requests) == 1  # the probe
    wordstat.requests.clear()
    started = await service.create_campaign(app, owner.id, brief_data)
    await build(app)
    assert (await campaign_of(app, started.campaign_id)).source == "wordstat_v2"
    assert wordstat.requests and {r["path"] for r in wordstat.requests} == {
        "/v2/wordstat/topRequests"
    }
    assert {r["headers"]["Authorization"] for r in wordstat.requests} == {"Api-Key users-api-key"}
    assert {r["json"]["folderId"] for r in wordstat.requests} == {"users-folder"}

    # Yandex revokes the key: the build fails saying the user's own key was refused (not a setting)
    wordstat.always = Reply(403, {"message": "revoked"})
    again = await service.create_campaign(
        app, owner.id, {**brief_data, "name": "Другая", "base_phrases": ["ремонт морозильников"]}
    )
    await build(app)
    task = await task_of(app, again.task_id)
    assert task.status == "failed" and task.message is not None
    assert task.message.key == "campaigns.wordstat.rejected_own"
    assert "ваших настроек" in task.message.render("ru") and "TGASSIST_" not in (task.error or "")


async def test_build_without_any_valid_keyword_fails_instead_of_an_empty_file(
    app: App, brief_data: dict[str, Any]
) -> None:
    # A brief saved before base phrases were checked (or built by code): it used to "complete" with 0 groups.
    from dataclasses import replace

    from tgassist.campaigns.brief import validate_brief

    brief = replace(
        validate_brief(brief_data),
        base_phrases=("окна пвх купить недорого москва установка под ключ от производителя",),
    )
    started = await service.create_campaign(app, 1, brief)
    await build(app)
    task = await task_of(app, started.task_id)
    camp = await campaign_of(app, started.campaign_id)
    assert task.status == camp.status == "failed" and camp.file_path is None
    assert task.key == "campaigns.build.no_keywords" and task.message is not None
    shown = task.message.render("ru")
    assert "ни одной ключевой фразы" in shown and "base_phrases" in shown


async def test_unnamed_geo_id_is_not_exported_as_a_fake_region_name(
    app: App, brief_data: dict[str, Any]
) -> None:
    # «Регион 10650» in the «Регион» column made Commander refuse the file; now the name is left out and
    # the user is told what to do.
    started = await service.create_campaign(app, 1, {**brief_data, "region": [213, 10650]})
    await build(app)
    camp = await campaign_of(app, started.campaign_id)
    assert camp.status == "completed"
    rows = list(
        openpyxl.load_workbook(camp.file_path)["Тексты"].iter_rows(
            min_row=HEADER_ROW + 1, values_only=True
        )
    )
    assert {r[COLUMNS.index("Регион")] for r in rows} == {"Москва"}
    # a message, not a sentence in one language: each door renders it in its reader's language
    assert camp.report["export"]["warnings"] == [
        {"key": "campaigns.export.regions_partial", "params": {"ids": "10650"}}
    ]
    summary = await service.build_summary(app, 1, started.campaign_id)
    assert [w.render("en") for w in summary.warnings if isinstance(w, Msg)] == [
        t("campaigns.export.regions_partial", "en", ids="10650")
    ]
    res = await service.export_campaign(app, 1, started.campaign_id, "csv")
    assert (
        res.message and "10650" in res.message.render("ru") and "10650" in res.message.render("en")
    )
    tatarstan = await service.create_campaign(app, 1, {**brief_data, "region": 11119})
    await build(app)
    camp = await campaign_of(app, tatarstan.campaign_id)
    assert "warnings" not in camp.report["export"]
    ws = openpyxl.load_workbook(camp.file_path)["Тексты"]
    assert ws.cell(HEADER_ROW + 1, COLUMNS.index("Регион") + 1).value == "Республика Татарстан"
