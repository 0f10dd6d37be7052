"""Trends: a burst seen in several channels is a trend; one noisy channel and steady everyday
topics are not; history is kept; the chart is a PNG."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.channels.read_util import NOW, add_posts, make_channel
from tgassist.app import App
from tgassist.channels.read_errors import ReadError
from tgassist.channels.trends import chart_png, find_trends, history, run_daily


async def _world(app: App) -> None:
    chans = [await make_channel(app, f"trend{i}", f"Trend {i}") for i in range(4)]
    base = NOW - timedelta(days=7)
    for day in range(7):  # steady: weather every day in every channel
        for ch in chans:
            await add_posts(
                app,
                ch,
                [f"Погода в городе: облачно, ветер северный, день {day}."],
                start=base + timedelta(days=day),
            )
    for ch in chans[:3]:  # the burst, in three channels, in the last day
        await add_posts(
            app,
            ch,
            [
                "Квантовый процессор показал рекордную скорость вычислений.",
                "Новый квантовый процессор удивил инженеров.",
            ],
            start=NOW - timedelta(hours=5),
        )
    await add_posts(  # one noisy channel repeating itself
        app,
        chans[3],
        [f"Распродажа кроссовок, скидки на кроссовки, номер {i}" for i in range(8)],
        start=NOW - timedelta(hours=8),
    )


async def test_bursts_across_channels_are_trends_noise_and_steady_topics_are_not(app: App) -> None:
    await _world(app)
    trends = await find_trends(app, until=NOW, window_hours=24, baseline_days=6)
    labels = [t.label for t in trends]
    assert any("квантовый" in label and "процессор" in label for label in labels)
    assert not any("кроссовка" in label or "распродажа" in label for label in labels)
    assert not any("погода" in label or "облачно" in label for label in labels)
    top = trends[0]
    assert len(top.channels) >= 3 and len(top.post_ids) >= 3
    assert len(top.daily_counts) == len(top.days) and top.daily_counts[-1] > 0
    png = chart_png(top)
    assert png.startswith(b"\x89PNG")
    # the same question asked before the burst: nothing
    assert await find_trends(app, until=NOW - timedelta(days=2), window_hours=24) == []


async def test_daily_job_keeps_history_once_per_window(app: App) -> None:
    await _world(app)
    app.settings.channels_trends_baseline_days = 6
    saved = await run_daily(app, now=NOW)
    assert saved >= 1
    assert await run_daily(app, now=NOW) == 0  # the same window is not stored twice
    rows = await history(app)
    assert rows and rows[0].window_end == NOW.replace(minute=0, second=0, microsecond=0)


async def test_bad_window_is_refused(app: App) -> None:
    with pytest.raises(ReadError) as err:
        await find_trends(app, until=NOW, window_hours=0)
    assert err.value.key == "search.trends.window_invalid"
