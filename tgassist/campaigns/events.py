"""Bus events of the campaigns product."""

from __future__ import annotations

from typing import ClassVar

from tgassist.core.events import Event

BUILD_STREAM = "campaigns.build"
PROGRESS_STREAM = "campaigns.progress"


class BuildRequested(Event):
    """Build (or resume) a campaign; the task row tracks it."""

    TYPE: ClassVar[str] = "campaigns.build"

    task_id: str
    campaign_id: int


class BuildProgress(Event):
    """Where a build is: stage, percent, a message for the user, and the task status."""

    TYPE: ClassVar[str] = "campaigns.progress"

    task_id: str
    campaign_id: int
    stage: str | None
    percent: int
    message: str
    status: str
