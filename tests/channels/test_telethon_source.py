"""TelethonSource against Telethon's own TL objects served by a fake client."""

from __future__ import annotations

import pytest
from telethon.errors import FloodWaitError
from telethon.tl import types

from tests.channels.fake_telegram import FakeTelegram, flood_wait, message, photo, service, video
from tgassist.channels.sources.base import MISSING_TOO_LARGE
from tgassist.channels.sources.telethon import MessageFetchError, TelethonSource, to_raw


def test_message_fields() -> None:
    text = "😀 Bold link https://example.org/x and more"
    msg = message(
        10,
        text,
        views=120,
        forwards=3,
        edit_date=None,
        post_author="Editor",
        grouped_id=9001,
        entities=[
            types.MessageEntityBold(offset=3, length=4),
            types.MessageEntityUrl(offset=13, length=21),
            types.MessageEntityTextUrl(offset=39, length=4, url="https://t.me/x"),
        ],
        replies=types.MessageReplies(replies=4, replies_pts=1),
        reactions=types.MessageReactions(
            results=[
                types.ReactionCount(reaction=types.ReactionEmoji(emoticon="🔥"), count=7),
                types.ReactionCount(reaction=types.ReactionCustomEmoji(document_id=55), count=2),
            ]
        ),
        fwd_from=types.MessageFwdHeader(date=None, from_id=types.PeerChannel(42), channel_post=5),
        reply_to=types.MessageReplyHeader(reply_to_msg_id=7),
        media=photo(1, w=1280, h=960, size=5000),
    )
    raw = to_raw(msg)
    assert (raw.message_id, raw.text, raw.author, raw.views, raw.forwards, raw.replies) == (
        10,
        text,
        "Editor",
        120,
        3,
        4,
    )
    assert raw.entities[0] == {"type": "bold", "offset": 3, "length": 4, "text": "Bold"}
    assert raw.entities[1]["type"] == "link" and raw.entities[1]["url"] == "https://example.org/x"
    assert raw.entities[2]["type"] == "text_link" and raw.entities[2]["text"] == "more"
    assert raw.links == ["https://t.me/x", "https://example.org/x"]
    assert raw.reactions_count == 9 and raw.reactions[1] == {
        "type": "custom_emoji",
        "document_id": "55",
        "count": 2,
    }
    assert (raw.forward_from, raw.forward_from_id, raw.reply_to_message_id, raw.grouped_id) == (
        "channel42",
        42,
        7,
        9001,
    )
    media = raw.media[0]
    assert (media.kind, media.width, media.height, media.size, media.mime) == (
        "photo",
        1280,
        960,
        5000,
        "image/jpeg",
    )
    assert raw.date.tzinfo is not None


def test_document_kinds() -> None:
    raw = to_raw(message(1, media=video(3, size=999, name="a.mp4")))
    media = raw.media[0]
    assert (media.kind, media.mime, media.file_name, media.duration, media.width) == (
        "video_file",
        "video/mp4",
        "a.mp4",
        12.5,
        1280,
    )
    webpage = to_raw(
        message(2, "see", media=types.MessageMediaWebPage(webpage=types.WebPageEmpty(id=1)))
    )
    assert webpage.media == []


async def test_reads_ascending_from_min_id_downloads_media_and_skips_service() -> None:
    tg = FakeTelegram()
    ch = tg.channel("news", 1001)
    ch.add(
        message(1, "one"),
        service(2),
        message(3, "three", media=photo(30)),
        message(4, media=video(40, size=10**9)),
    )
    source = TelethonSource(tg, "news", media_max_bytes=10_000)
    info = await source.info()
    assert (info.telegram_id, info.username, info.title) == (1001, "news", "Test channel")
    got = [m async for m in source.messages(min_id=0)]
    assert [m.message_id for m in got] == [1, 3, 4]
    assert source.skipped == 1
    assert tg.calls[-1] == {"channel": "news", "min_id": 0, "reverse": True, "limit": None}
    assert got[1].media[0].content == b"media-bytes-30"
    assert got[2].media[0].missing == MISSING_TOO_LARGE and tg.downloads == [3]  # never downloaded
    assert [m.message_id async for m in source.messages(min_id=3)] == [4]
    assert await source.latest_id() == 4


async def test_flood_wait_propagates_and_download_failure_names_the_message() -> None:
    tg = FakeTelegram()
    ch = tg.channel("news", 1001)
    ch.add(message(1, "a"), message(2, media=photo(20)))
    tg.fail_before[("news", 2)] = [flood_wait(5)]
    source = TelethonSource(tg, "news")
    seen = []
    with pytest.raises(FloodWaitError) as err:
        async for m in source.messages():
            seen.append(m.message_id)
    assert err.value.seconds == 5 and seen == [1]
    tg.fail_download[2] = 1
    with pytest.raises(MessageFetchError, match="Message 2 could not be read") as failed:
        _ = [m async for m in source.messages(min_id=1)]
    assert failed.value.key == "channels.parse.media_failed" and failed.value.message_id == 2
    assert failed.value.render("ru").startswith("Сообщение 2 не прочитано")
