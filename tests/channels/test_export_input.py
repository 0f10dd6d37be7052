"""Real-world exports: old id encoding, local times, groups, truncation (issue 12, items 6 and 7)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.channels.models import Channel, Post
from tgassist.channels.service import ensure_channel
from tgassist.channels.sources.base import ChannelInfo
from tgassist.channels.sources.desktop import DesktopExport
from tgassist.channels.sources.export_file import ExportError
from tgassist.core.i18n import t

OLD_ID, NEW_ID = 9882011936, 1292077344  # the same channel before and after Telegram Desktop 2.6


def old_export(root: Path, channel_id: int, ids: range, unix: bool = False, **top: Any) -> Path:
    """An export like Telegram Desktop wrote before 2021: local times only (unless `unix`)."""
    messages = []
    for i in ids:
        m: dict[str, Any] = {
            "id": i,
            "type": "message",
            "date": f"2020-03-0{i % 9 + 1}T12:00:00",
            "from": "Old Channel",
            "from_id": f"channel{channel_id}",
            "text": f"post {i}",
        }
        if unix:  # what a newer export of the same message says: 12:00 Moscow = 09:00 UTC
            m["date_unixtime"] = str(
                int(datetime(2020, 3, i % 9 + 1, 9, 0, tzinfo=UTC).timestamp())
            )
        messages.append(m)
    data = {"name": "Old Channel", "type": "public_channel", "id": channel_id, **top}
    data["messages"] = messages
    root.mkdir(parents=True, exist_ok=True)
    (root / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


async def channels(app: App) -> list[tuple[int, int | None]]:
    async with app.db.session() as s:
        return [tuple(r) for r in (await s.execute(select(Channel.id, Channel.telegram_id))).all()]


async def post_dates(app: App) -> dict[int, datetime]:
    async with app.db.session() as s:
        rows = (await s.execute(select(Post.message_id, Post.date))).all()
    return {mid: d.astimezone(UTC) for mid, d in rows}


async def test_old_id_encoding_is_the_same_channel(app: App, tmp_path: Path) -> None:
    new = await import_export(app, old_export(tmp_path / "new", NEW_ID, range(1, 4), unix=True))
    old = await import_export(
        app, old_export(tmp_path / "old", OLD_ID, range(3, 6)), timezone="Europe/Moscow"
    )
    assert old.channel_id == new.channel_id
    assert await channels(app) == [(new.channel_id, NEW_ID)]
    assert old.legacy_id == OLD_ID and old.telegram_id == NEW_ID and new.legacy_id is None
    async with app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Post)) == 5
    # the overlapping message 3 is the same instant whichever export said it
    assert old.posts_unchanged == 1 and old.posts_new == 2


async def test_a_channel_stored_with_the_old_id_is_found_and_corrected(
    app: App, tmp_path: Path
) -> None:
    # what an earlier version stored from an old export: the legacy id itself
    legacy = await ensure_channel(
        app, ChannelInfo(telegram_id=OLD_ID, username=None, title="Old"), "export"
    )
    result = await import_export(app, old_export(tmp_path / "new", NEW_ID, range(1, 3), unix=True))
    assert result.channel_id == legacy.id
    assert await channels(app) == [(legacy.id, NEW_ID)]


def test_legacy_shift_applies_to_channels_only(tmp_path: Path) -> None:
    modern = DesktopExport.open(old_export(tmp_path / "a", 2447843635, range(1, 2), unix=True))
    assert not modern.legacy_id
    assert DesktopExport.open(old_export(tmp_path / "b", OLD_ID, range(1, 2))).legacy_id


async def test_local_times_use_the_given_zone_and_say_so(app: App, tmp_path: Path) -> None:
    root = old_export(tmp_path / "old", NEW_ID, range(1, 4))
    res = await import_export(app, root, timezone="Europe/Moscow")
    assert (res.local_times, res.timezone, res.timezone_assumed) == (3, "Europe/Moscow", False)
    dates = await post_dates(app)
    assert dates[1] == datetime(2020, 3, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow (UTC+3)


async def test_local_times_without_a_zone_are_reported_as_assumed_utc_and_fixed_by_reimport(
    app: App, tmp_path: Path
) -> None:
    root = old_export(tmp_path / "old", NEW_ID, range(1, 4))
    res = await import_export(app, root)
    assert (res.local_times, res.timezone, res.timezone_assumed) == (3, "UTC", True)
    assert (await post_dates(app))[1] == datetime(2020, 3, 2, 12, 0, tzinfo=UTC)
    # the report line tells the user, in both languages, what was assumed and what to do
    for lang in ("en", "ru"):
        line = t("channels_import.report.local_times_assumed", lang, count=3, zone="UTC")
        assert "--timezone" in line and "TGASSIST_IMPORT_TIMEZONE" in line
    again = await import_export(app, root, timezone="+03:00")
    assert again.posts_new == 0 and again.posts_edited == 0  # no edit events: a silent fix
    assert (await post_dates(app))[1] == datetime(2020, 3, 2, 9, 0, tzinfo=UTC)


async def test_an_unknown_zone_is_refused_before_anything_is_written(
    app: App, tmp_path: Path
) -> None:
    with pytest.raises(ExportError) as err:
        await import_export(
            app, old_export(tmp_path / "o", NEW_ID, range(1, 2)), timezone="Mars/Base"
        )
    assert err.value.key == "channels_import.timezone.unknown" and "Mars/Base" in str(err.value)
    assert await channels(app) == []


@pytest.mark.parametrize(
    "kind", ["private_group", "private_supergroup", "public_supergroup", "personal_chat"]
)
async def test_a_group_or_private_chat_export_is_refused_with_a_clear_word(
    app: App, tmp_path: Path, kind: str
) -> None:
    root = old_export(tmp_path / "g", 12345, range(1, 3), unix=True, type=kind)
    with pytest.raises(ExportError) as err:
        await import_export(app, root)
    assert err.value.key == "channels_import.export.not_channel"
    assert kind in str(err.value) and "not of a channel" in str(err.value)
    assert await channels(app) == []


def test_a_truncated_non_ascii_export_is_reported_as_truncated(tmp_path: Path) -> None:
    root = old_export(tmp_path / "e", NEW_ID, range(1, 3), unix=True)
    (root / "result.json").write_text(
        json.dumps(
            {"name": "Канал", "id": 1, "messages": [{"text": "Привет, мир"}]}, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    raw = (root / "result.json").read_bytes()
    cut = raw.index("мир".encode()) + 1  # in the middle of the two-byte "м"
    (root / "result.json").write_bytes(raw[:cut])
    with pytest.raises(ExportError) as err:
        DesktopExport.open(root)
    assert err.value.key == "channels_import.export.truncated", str(err.value)
    assert "not UTF-8" not in str(err.value)


def test_every_prefix_of_an_export_is_reported_as_truncated(tmp_path: Path) -> None:
    full = json.dumps(
        {"name": "Канал 🚀", "id": 5, "messages": [{"id": 1, "type": "message", "ok": True}]},
        ensure_ascii=False,
    ).encode()
    for cut in range(1, len(full)):
        (tmp_path / "result.json").write_bytes(full[:cut])
        with pytest.raises(ExportError) as err:
            DesktopExport.open(tmp_path)
        assert err.value.key == "channels_import.export.truncated", (cut, str(err.value))


def test_deeply_nested_json_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text(
        '{"messages": [' + "[" * 100_000 + "]" * 100_000 + "]}", encoding="utf-8"
    )
    with pytest.raises(ExportError) as err:
        DesktopExport.open(tmp_path)
    assert err.value.key == "channels_import.export.too_deep"


async def test_add_by_name_without_credentials_refuses_and_points_to_an_export(app: App) -> None:
    from tgassist.channels.service import add_by_username
    from tgassist.core.errors import LocalizedError

    with pytest.raises(LocalizedError) as err:
        await add_by_username(app, "durov")
    assert err.value.key == "channels_import.add.needs_credentials"
    assert "my.telegram.org" in str(err.value) and "export" in str(err.value)
    assert await channels(app) == []
