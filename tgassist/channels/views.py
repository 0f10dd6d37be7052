"""The views the channels service returns (frozen dataclasses)."""

from __future__ import annotations

from tgassist.channels.ask import Answer
from tgassist.channels.digest_rank import DigestItem
from tgassist.channels.digests import DigestSettingsView, DigestView
from tgassist.channels.follows import ChannelsPage, FollowedChannel, FollowResult
from tgassist.channels.search import SearchHit, SearchResult
from tgassist.channels.stats import ChannelRow
from tgassist.channels.storage import StorageUsage
from tgassist.channels.trends import Trend

__all__ = [
    "Answer",
    "ChannelRow",
    "ChannelsPage",
    "DigestItem",
    "DigestSettingsView",
    "DigestView",
    "FollowResult",
    "FollowedChannel",
    "SearchHit",
    "SearchResult",
    "StorageUsage",
    "Trend",
]
