"""The one settings object, built once at the entry point and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from tgassist.ai.settings import AISettings
from tgassist.bot.settings import BotSettings
from tgassist.campaigns.settings import CampaignsSettings
from tgassist.channels.enrichment_settings import EnrichmentSettings
from tgassist.channels.read_settings import ReadSettings
from tgassist.channels.settings import ChannelsSettings
from tgassist.core.settings import CoreSettings
from tgassist.events.settings import EventsSettings

__all__ = ["Settings", "settings_table"]


class Settings(
    BotSettings,
    CampaignsSettings,
    EventsSettings,
    ReadSettings,
    EnrichmentSettings,
    ChannelsSettings,
    AISettings,
    CoreSettings,
    BaseSettings,
):
    """All settings; environment variables carry the `TGASSIST_` prefix; `.env` is read."""

    model_config = SettingsConfigDict(
        env_prefix="TGASSIST_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,  # a rejected token or URL is never echoed back
    )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "tgassist.sqlite3"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy async URL (driver filled in)."""
        from tgassist.core.db import async_url

        return async_url(self.database_url or f"sqlite:///{self.sqlite_path}")


def settings_table() -> str:
    """The README configuration table, generated from the fields (kept true by a test)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        # a default computed at start (the system locale …) is told by the description
        shown = "" if default is None or field.default_factory is not None else str(default)
        rows.append(f"| `TGASSIST_{name.upper()}` | `{shown}` | {field.description or ''} |")
    return "\n".join(rows)


def write_readme_table(readme: Path = Path("README.md")) -> None:
    """Replace the table between the README's settings markers with a fresh one."""
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- settings:start -->", "<!-- settings:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{settings_table()}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    import sys

    if "--readme" in sys.argv:
        write_readme_table()
    else:
        print(settings_table())
