"""Errors of the campaigns product. Messages are for a Russian-speaking marketer: what and how to fix."""

from __future__ import annotations

from dataclasses import dataclass

from tgassist.core.errors import TgassistError


class CampaignError(TgassistError):
    """Base of every error the campaigns product raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One invalid brief field: which field and what to type instead."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class BriefError(CampaignError):
    """The brief has invalid fields; `errors` lists each one."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("Бриф заполнен с ошибками:\n" + "\n".join(f"• {e}" for e in errors))


class ImportFileError(CampaignError):
    """A keyword or Direct file cannot be read; the message says what is wrong with it."""


class WordstatError(CampaignError):
    """Wordstat failed after retries (rate limit storm, server errors, quota)."""


class WordstatAuthError(WordstatError):
    """Wordstat refused the credentials (HTTP 401/403)."""


class CampaignLimitError(CampaignError):
    """The user has as many campaigns as allowed."""


class CampaignNotFound(CampaignError):
    """No such campaign (or it belongs to someone else)."""


class BuildCancelled(CampaignError):
    """The user cancelled the build; finished stages are kept."""


class ExportError(CampaignError):
    """An export could not be written."""
