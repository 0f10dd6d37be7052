"""Errors of the campaigns product: a message key + parameters (ru/en catalogues, domain
`campaigns`) that say what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from tgassist.core.errors import LocalizedError


class CampaignError(LocalizedError):
    """Base of every error the campaigns product raises on purpose.

    `CampaignError("campaigns.x.y", **params)`; a few low-level sources still pass a ready
    sentence (it has no catalogue entry and is shown as it is)."""


@dataclass(frozen=True)
class FieldError:
    """One invalid brief field: which field, and a message key (+ params) saying what to type."""

    field: str
    key: str
    params: dict[str, Any] = dc_field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        from tgassist.core.i18n import t

        return t(self.key, lang, **self.params)

    @property
    def message(self) -> str:
        return self.render("en")

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class BriefError(CampaignError):
    """The brief has invalid fields; `errors` lists each one."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("campaigns.brief.invalid", count=len(errors))

    def render(self, lang: str | None = None) -> str:
        head = super().render(lang)
        return head + "\n" + "\n".join(f"• {e.field}: {e.render(lang)}" for e in self.errors)


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

    def __init__(self, campaign_id: int, what: str = "campaign") -> None:
        super().__init__(f"campaigns.{what}.not_found", id=campaign_id)


class BuildCancelled(CampaignError):
    """The user cancelled the build; finished stages are kept."""


class ExportError(CampaignError):
    """An export could not be written."""
