"""Settings of the campaigns package (a part of the one Settings object; prefix TGASSIST_)."""

from __future__ import annotations

from pydantic import BaseModel


class CampaignsSettings(BaseModel):
    """Fields are added here; every field needs a description (it feeds the README table)."""
