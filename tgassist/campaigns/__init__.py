"""Campaigns ("Direct Helper"): from a brief to a Yandex Direct campaign file, with progress and resume."""

from tgassist.campaigns.brief import Brief, load_brief_file, validate_brief
from tgassist.campaigns.exceptions import (
    BriefError,
    BuildCancelled,
    CampaignError,
    CampaignLimitError,
    CampaignNotFound,
    ExportError,
    FieldError,
    ImportFileError,
    WordstatAuthError,
    WordstatError,
)
from tgassist.campaigns.limits import LIMITS, TEXT_LIMITS, AdDraft, check_ad

__all__ = [
    "LIMITS",
    "TEXT_LIMITS",
    "AdDraft",
    "Brief",
    "BriefError",
    "BuildCancelled",
    "CampaignError",
    "CampaignLimitError",
    "CampaignNotFound",
    "ExportError",
    "FieldError",
    "ImportFileError",
    "WordstatAuthError",
    "WordstatError",
    "check_ad",
    "load_brief_file",
    "validate_brief",
]
