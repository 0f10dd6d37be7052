"""Both Wordstat APIs through their real client code against a local server (no patching)."""

from __future__ import annotations

import pytest

from tests.campaigns.wordstat_server import Reply, WordstatServer
from tgassist.app import App
from tgassist.campaigns import WordstatAuthError, WordstatError
from tgassist.campaigns.sources import (
    LegacyWordstat,
    SearchApiWordstat,
    WordstatConfig,
    build_wordstat,
)


def v2(app: App, server: WordstatServer, **kw: object) -> SearchApiWordstat:
    cfg = WordstatConfig(server.url, "secret-key", "folder-1", backoff_sec=0.01, **kw)  # type: ignore[arg-type]
    return SearchApiWordstat(cfg, app.redis, app.http)


async def test_v2_request_shape_counts_and_cache(app: App, wordstat: WordstatServer) -> None:
    client = v2(app, wordstat)
    answer = await client.top_requests("ремонт холодильников", [213])
    req = wordstat.requests[0]
    assert req["path"] == "/v2/wordstat/topRequests"
    assert req["headers"]["Authorization"] == "Api-Key secret-key"
    assert req["json"] == {
        "phrase": "ремонт холодильников",
        "numPhrases": "200",
        "regions": ["213"],
        "devices": ["DEVICE_ALL"],
        "folderId": "folder-1",
    }
    assert answer.total == 5000 and answer.top[1].frequency == 900  # strings became ints
    assert answer.top[0].source == "wordstat_v2" and answer.associations[0].phrase.endswith(
        "аналог"
    )
    again = await client.top_requests("ремонт холодильников", [213])
    assert again == answer and len(wordstat.requests) == 1  # cached in Redis
    await client.top_requests("ремонт холодильников", [2])  # other regions: another key
    assert len(wordstat.requests) == 2
    assert await client.quota_used() == 2
    assert await app.redis.ttl(client.cache_key("ремонт холодильников", [213])) > 6 * 86400


async def test_v1_legacy_api(app: App, wordstat: WordstatServer) -> None:
    client = LegacyWordstat(WordstatConfig(wordstat.url, "oauth-token"), app.redis, app.http)
    answer = await client.top_requests("диван", [225])
    req = wordstat.requests[0]
    assert (
        req["path"] == "/v1/topRequests" and req["headers"]["Authorization"] == "Bearer oauth-token"
    )
    assert req["json"]["regions"] == [225]
    assert [k.phrase for k in answer.top] == ["диван", "диван цена", "купить диван"]
    assert answer.total == 4000


async def test_retries_429_and_5xx_then_succeeds(app: App, wordstat: WordstatServer) -> None:
    wordstat.queue(Reply(429, {"message": "too many"}), Reply(503, {}), Reply(500, {}))
    answer = await v2(app, wordstat).top_requests("диван", [213])
    assert answer.total == 5000 and len(wordstat.requests) == 4


async def test_429_storm_fails_clearly_and_caches_nothing(
    app: App, wordstat: WordstatServer
) -> None:
    wordstat.always = Reply(429, {"message": "rate"}, {"Retry-After": "0"})
    client = v2(app, wordstat, retries=3)
    with pytest.raises(WordstatError, match="429") as err:
        await client.top_requests("диван", [213])
    assert err.value.key == "campaigns.wordstat.unavailable" and err.value.params["attempts"] == 4
    assert "повторите сборку позже" in err.value.render("ru")
    assert "repeat the build later" in err.value.render("en")
    assert len(wordstat.requests) == 4
    assert await app.redis.get(client.cache_key("диван", [213])) is None


async def test_401_is_not_retried_and_names_the_setting(app: App, wordstat: WordstatServer) -> None:
    wordstat.always = Reply(401, {"message": "bad key"})
    with pytest.raises(WordstatAuthError, match="TGASSIST_WORDSTAT_API_KEY") as err:
        await v2(app, wordstat).top_requests("диван", [213])
    assert len(wordstat.requests) == 1
    assert "отказал в доступе (HTTP 401)" in err.value.render("ru")
    own = WordstatConfig(wordstat.url, "users-key", "folder-1", own=True)
    with pytest.raises(WordstatAuthError) as err:  # the user's own key: no server setting named
        await SearchApiWordstat(own, app.redis, app.http).top_requests("диван", [2])
    assert err.value.key == "campaigns.wordstat.rejected_own"
    assert "TGASSIST_" not in err.value.render("ru") and "your settings" in str(err.value)


async def test_daily_quota(app: App, wordstat: WordstatServer) -> None:
    client = v2(app, wordstat, daily_quota=2)
    await client.top_requests("а1", [213])
    await client.top_requests("а2", [213])
    with pytest.raises(WordstatError, match="quota") as err:
        await client.top_requests("а3", [213])
    assert err.value.params == {"quota": 2} and "квота Wordstat (2 запросов)" in err.value.render(
        "ru"
    )
    assert len(wordstat.requests) == 2


async def test_unexpected_answer(app: App, wordstat: WordstatServer) -> None:
    wordstat.queue(Reply(200, {"oops": 1}))
    with pytest.raises(WordstatError, match="results") as err:
        await v2(app, wordstat).top_requests("диван", [213])
    assert "в ответе нет results/totalCount" in err.value.render("ru")


async def test_build_picks_the_configured_api(app: App, settings_factory: object) -> None:
    assert build_wordstat(app.settings, app.redis, app.http) is None
    s = settings_factory(wordstat_api_key="k", wordstat_folder_id="f")  # type: ignore[operator]
    assert isinstance(build_wordstat(s, app.redis, app.http), SearchApiWordstat)
    s = settings_factory(wordstat_oauth_token="t")  # type: ignore[operator]
    assert isinstance(build_wordstat(s, app.redis, app.http), LegacyWordstat)


async def test_rate_limit_spaces_requests(app: App, wordstat: WordstatServer) -> None:
    import time

    client = v2(app, wordstat, rate_per_sec=5.0)
    started = time.monotonic()
    for i in range(8):  # a burst of 5, then one request per 0.2 s
        await client.top_requests(f"фраза {i}", [213])
    assert time.monotonic() - started >= 0.5
    assert len(wordstat.requests) == 8
