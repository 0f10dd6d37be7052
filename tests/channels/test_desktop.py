"""Telegram Desktop export reader: fields, text forms, album detection, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tgassist.channels.sources.base import MISSING_FILE, MISSING_NOT_EXPORTED, SourceError
from tgassist.channels.sources.desktop import DesktopExport


def write_export(root: Path, messages: list[Any], **top: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"name": "Test", "type": "public_channel", "id": 777, **top, "messages": messages}
    (root / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return root


def msg(
    i: int, text: Any = "", unix: int | None = None, sender: str = "channel777", **kw: Any
) -> dict[str, Any]:
    return {
        "id": i,
        "type": "message",
        "date": "2024-01-01T10:00:00",
        "date_unixtime": str(unix or 1704103200 + i),
        "from": "Test",
        "from_id": sender,
        "text": text,
        **kw,
    }


def test_pachum_fields(fixtures_dir: Path) -> None:
    export = DesktopExport.open(fixtures_dir / "telegram-desktop" / "pachum")
    msgs = export.parse()
    assert [m.message_id for m in msgs] == [3858, 3859, 3860, 3861, 3862, 3863]
    first = msgs[0]
    assert first.text.startswith("Очень странные дела (S1 E1-5)")
    assert first.edit_date is not None and first.edit_date.tzinfo is not None
    assert int(first.date.timestamp()) == 1781868410
    assert first.reactions == [{"type": "emoji", "count": 12, "emoji": "🔥"}]
    assert first.reactions_count == 12
    assert first.links == [
        "https://www.twitch.tv/guz3lka",
        "https://boosty.to/guzelka_games",
        "http://t.me/papapachuca",
    ]
    kinds = {e["type"] for e in first.entities}
    assert {"custom_emoji", "text_link", "hashtag"} <= kinds
    tag = next(e for e in first.entities if e["text"] == "#ОСД")
    units = first.text.encode("utf-16-le")
    assert (
        units[tag["offset"] * 2 : (tag["offset"] + tag["length"]) * 2].decode("utf-16-le") == "#ОСД"
    )
    video = msgs[1].media[0]
    assert (video.kind, video.mime, video.file_name, video.duration, video.width) == (
        "video_file",
        "video/mp4",
        "1.mp4",
        2956,
        1280,
    )
    # every file is a "(File not included…)" placeholder: counted as missing, posts kept
    assert all(m.media[0].missing == MISSING_NOT_EXPORTED for m in msgs)
    assert export.stats.missing_media == 6
    # one sender, one second, caption on the first: one album of six
    assert {m.grouped_id for m in msgs} == {-3858}


def test_trantor_service_albums_and_missing_photos(fixtures_dir: Path) -> None:
    export = DesktopExport.open(fixtures_dir / "telegram-desktop" / "trantor")
    msgs = export.parse()
    assert len(msgs) == 53
    assert export.stats.service == 4 and export.stats.skipped == 4
    albums: dict[int, list[int]] = {}
    for m in msgs:
        if m.grouped_id is not None:
            albums.setdefault(m.grouped_id, []).append(m.message_id)
    assert albums == {
        -11: [11, 12, 13],
        -15: [15, 16],
        -33: [33, 34],
        -53: [53, 54, 55],
        -68: [68, 69],
    }
    by_id = {m.message_id: m for m in msgs}
    assert by_id[11].text and not by_id[12].text  # the caption is on the first item
    assert by_id[12].media[0].missing == MISSING_FILE
    assert by_id[33].media[0].path is not None and by_id[33].media[0].path.exists()
    assert export.stats.missing_media == 12
    assert by_id[6].author == "Daneel God"


def test_text_as_plain_string_and_mixed_array(tmp_path: Path) -> None:
    root = write_export(
        tmp_path / "e",
        [
            msg(1, "plain text https://example.org/a."),
            msg(
                2,
                [
                    "😀 ",
                    {"type": "bold", "text": "bold"},
                    " and ",
                    {"type": "text_link", "text": "here", "href": "https://x.test/"},
                ],
            ),
        ],
    )
    a, b = DesktopExport.open(root).parse()
    assert a.text == "plain text https://example.org/a." and a.entities == []
    assert a.links == ["https://example.org/a"]
    assert b.text == "😀 bold and here"
    bold = b.entities[0]
    assert (bold["type"], bold["offset"], bold["length"]) == (
        "bold",
        3,
        4,
    )  # 😀 is two UTF-16 units
    assert b.links == ["https://x.test/"]


def test_forward_reply_and_file_kinds(tmp_path: Path) -> None:
    root = write_export(
        tmp_path / "e",
        [
            msg(
                1,
                "fwd",
                forwarded_from="Other",
                forwarded_from_id="channel42",
                reply_to_message_id=0,
            ),
            msg(
                2,
                "re",
                reply_to_message_id=1,
                file="files/doc.pdf",
                mime_type="application/pdf",
                file_name="doc.pdf",
            ),
        ],
    )
    (root / "files").mkdir()
    (root / "files" / "doc.pdf").write_bytes(b"%PDF-1.4")
    a, b = DesktopExport.open(root).parse()
    assert (a.forward_from, a.forward_from_id) == ("Other", 42)
    assert b.reply_to_message_id == 1
    assert b.media[0].kind == "file" and b.media[0].path == (root / "files" / "doc.pdf").resolve()


def test_album_rule_boundaries(tmp_path: Path) -> None:
    p = {"photo": "photos/none.jpg", "width": 10, "height": 10}
    root = write_export(
        tmp_path / "e",
        [
            msg(1, "cap", unix=100, **p),
            msg(2, "", unix=100, **p),  # album 1
            msg(3, "", unix=101, **p),  # other second: alone
            msg(4, "a", unix=200, **p),
            msg(5, "b", unix=200, **p),  # caption on item 2: two singles
            msg(6, "", unix=300, **p),
            msg(7, "", unix=300, sender="user9", **p),  # other sender
            msg(8, "", unix=400, **p),
            msg(9, "", unix=400, file="f.webp", media_type="sticker"),  # stickers never group
            *[msg(10 + i, "", unix=500, **p) for i in range(12)],  # 12 items: 10 + 2
        ],
    )
    msgs = {m.message_id: m.grouped_id for m in DesktopExport.open(root).parse()}
    assert msgs[1] == msgs[2] == -1
    assert msgs[3] is None and msgs[4] is None and msgs[5] is None
    assert msgs[6] is None and msgs[7] is None and msgs[8] is None and msgs[9] is None
    assert {msgs[10 + i] for i in range(10)} == {-10} and msgs[20] == msgs[21] == -20


def test_unknown_type_and_invalid_messages_are_counted_skips(tmp_path: Path) -> None:
    root = write_export(
        tmp_path / "e",
        [
            msg(1, "ok"),
            {"id": 2, "type": "hologram", "date": "2024-01-01T00:00:00"},
            {"type": "message", "text": "no id"},
            "garbage",
            msg(5, "ok too"),
            {
                "id": 6,
                "type": "service",
                "action": "pin_message",
                "date": "2024-01-01T00:00:00",
                "text": "",
            },
        ],
    )
    export = DesktopExport.open(root)
    assert [m.message_id for m in export.parse()] == [1, 5]
    assert (export.stats.unknown, export.stats.invalid, export.stats.service) == (1, 2, 1)
    assert export.stats.skipped == 4


def test_truncated_json_names_the_file(tmp_path: Path) -> None:
    root = write_export(tmp_path / "e", [msg(1, "x")])
    full = (root / "result.json").read_text(encoding="utf-8")
    (root / "result.json").write_text(full[: len(full) // 2], encoding="utf-8")
    with pytest.raises(SourceError) as err:
        DesktopExport.open(root)
    assert str(root / "result.json") in str(err.value) and "truncated" in str(err.value)
    assert "Export" in str(err.value)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x89PNG not json at all", "not UTF-8 text"),
        (b"PNG not json at all", "not valid JSON"),
        (b'{"about": "x", "chats": {"list": []}}', "whole-account export"),
        (b"[1, 2, 3]", "no `messages` list"),
    ],
)
def test_not_an_export(tmp_path: Path, content: bytes, words: str) -> None:
    (tmp_path / "result.json").write_bytes(content)
    with pytest.raises(SourceError, match=words):
        DesktopExport.open(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        DesktopExport.open(tmp_path / "nope")


def test_batches_never_split_an_album(fixtures_dir: Path) -> None:
    export = DesktopExport.open(fixtures_dir / "telegram-desktop" / "trantor")
    batches = list(export.batches(2))
    assert sum(len(b) for b in batches) == 53
    seen: dict[int, int] = {}
    for n, batch in enumerate(batches):
        for m in batch:
            if m.grouped_id is not None:
                assert seen.setdefault(m.grouped_id, n) == n


def test_paths_outside_the_export_are_missing_media(tmp_path: Path) -> None:
    (tmp_path / "secret.jpg").write_bytes(b"not yours")
    root = write_export(
        tmp_path / "e", [msg(1, "x", photo="../secret.jpg"), msg(2, "y", photo="/etc/hostname")]
    )
    a, b = DesktopExport.open(root).parse()
    assert a.media[0].missing == MISSING_FILE and a.media[0].path is None
    assert b.media[0].missing == MISSING_FILE and b.media[0].path is None
