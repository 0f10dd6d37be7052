"""Fuzzing the export parser and the import (seeded, bounded): never a traceback, never a record lost
without being counted, never a crash in the database layer (issue 12, item 14)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tgassist.app import App
from tgassist.channels.ingest import import_export
from tgassist.channels.models import Channel, Post
from tgassist.channels.sources.desktop import DesktopExport
from tgassist.channels.sources.export_file import ExportError

DEEP = "\u0000DEEP\u0000"  # stands for a value nested thousands of levels deep in the file text
FIELDS = [
    "id",
    "type",
    "date",
    "date_unixtime",
    "edited",
    "edited_unixtime",
    "text",
    "text_entities",
    "author",
    "from",
    "from_id",
    "views",
    "forwards",
    "reactions",
    "forwarded_from",
    "forwarded_from_id",
    "reply_to_message_id",
    "photo",
    "file",
    "media_type",
    "mime_type",
    "width",
    "duration_seconds",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, 10**30, 253402300800, -62135596800]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "9999-12-31T23:59:59",
            "0001-01-01T00:00:00",
            "2024-13-45T99:99:99",
            "99999999999999999999",
            "\ud800",
            "a\x00b",
            "(File not included.)",
            "../../etc/passwd",
            "channel" + "9" * 30,
            DEEP,
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def base_message(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "type": "message",
        "date": "2024-01-01T10:00:00",
        "date_unixtime": str(1704103200 + i),
        "from": "Fuzz",
        "from_id": "channel4242",
        "text": ["see ", {"type": "link", "text": "https://example.org"}],
        "text_entities": [
            {"type": "plain", "text": "see "},
            {"type": "link", "text": "https://example.org"},
        ],
        "views": 10,
        "reactions": [{"type": "emoji", "count": 2, "emoji": "🔥"}],
    }


mutation = st.tuples(st.sampled_from(FIELDS + ["<drop>", "<replace>"]), values)


@st.composite
def exports(draw: st.DrawFn) -> list[Any]:
    n = draw(st.integers(min_value=1, max_value=6))
    messages: list[Any] = []
    for i in range(1, n + 1):
        msg: Any = base_message(i)
        for field, value in draw(st.lists(mutation, max_size=3)):
            if not isinstance(msg, dict):
                break
            if field == "<drop>":
                msg.pop(draw(st.sampled_from(FIELDS)), None)
            elif field == "<replace>":
                msg = value
            else:
                msg[field] = value
        messages.append(msg)
    return messages


def write(root: Path, messages: list[Any], channel_id: int = 4242) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"name": "Fuzz", "type": "public_channel", "id": channel_id, "messages": messages}
    text = json.dumps(data, ensure_ascii=False, allow_nan=True)
    text = text.replace(json.dumps(DEEP), "[" * 5000 + "1" + "]" * 5000)
    (root / "result.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    return root


def check_parse(root: Path, n: int) -> DesktopExport | None:
    try:
        export = DesktopExport.open(root)
    except ExportError as err:
        assert err.key.startswith("channels_import.export.")
        return None
    msgs = export.parse()
    assert export.stats.messages + export.stats.skipped == n  # every record is accounted for
    assert len(msgs) == export.stats.messages
    for m in msgs:
        assert 1 <= m.message_id < 2**63 and m.date.tzinfo is not None
        assert m.views is None or 0 <= m.views < 2**31
    return export


@seed(12)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=exports())
def test_parser_never_crashes_and_counts_every_record(
    tmp_path_factory: Any, messages: list[Any]
) -> None:
    root = write(tmp_path_factory.mktemp("fuzz"), messages)
    check_parse(root, len(messages))


_channel_ids = itertools.count(5000)
IMPORTED: list[int] = []


@seed(14)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(messages=exports())
async def test_import_never_fails_in_the_database_and_saves_every_valid_record(
    app: App, tmp_path_factory: Any, messages: list[Any]
) -> None:
    channel_id = next(_channel_ids)
    root = write(tmp_path_factory.mktemp("fuzzdb"), messages, channel_id)
    export = check_parse(root, len(messages))
    if export is None:
        return
    valid = {m.message_id for m in export.parse()}
    result = await import_export(app, root)  # any exception here fails the test
    IMPORTED.append(len(valid))
    assert result.skipped_invalid == export.stats.invalid
    async with app.db.session() as s:
        cid = await s.scalar(select(Channel.id).where(Channel.telegram_id == channel_id))
        saved = await s.scalar(select(func.count()).select_from(Post).where(Post.channel_id == cid))
    assert saved == len(valid)
