"""The views the campaigns service returns (frozen dataclasses) and the choices doors offer."""

from __future__ import annotations

from tgassist.campaigns.account import AccountView
from tgassist.campaigns.history import (
    FILTERS,
    FORMATS,
    BuildSummary,
    CampaignCard,
    HistoryPage,
    HistoryTotals,
)
from tgassist.campaigns.stats import CampaignRow
from tgassist.campaigns.wizard import KeywordFile

__all__ = [
    "FILTERS",
    "FORMATS",
    "AccountView",
    "BuildSummary",
    "CampaignCard",
    "CampaignRow",
    "HistoryPage",
    "HistoryTotals",
    "KeywordFile",
]
