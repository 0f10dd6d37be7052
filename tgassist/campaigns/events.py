"""Bus events of the campaigns product."""

from __future__ import annotations

from typing import ClassVar

from tgassist.core.events import Event

BUILD_STREAM = "campaigns.build"


class BuildRequested(Event):
    """Build (or resume) a campaign; the task row tracks it."""

    TYPE: ClassVar[str] = "campaigns.build"

    task_id: str
    campaign_id: int
