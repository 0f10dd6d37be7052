"""Google Sheets export via gspread and a service account, shared with the user's e-mail."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tgassist.campaigns.exceptions import CampaignError
from tgassist.campaigns.export import COLUMNS, SHEET, ExportCampaign, build_rows, metadata_rows


class SheetsNotConfigured(CampaignError):
    """No service account is configured: the caller offers the XLSX instead."""


def _export_sync(credentials: Path, camp: ExportCampaign, share_with: str | None) -> str:
    import gspread
    from google.auth.exceptions import GoogleAuthError
    from gspread.utils import ValueInputOption

    try:
        client = gspread.service_account(filename=str(credentials))
    except (OSError, ValueError, KeyError) as err:
        raise SheetsNotConfigured(
            "campaigns.sheets.bad_key", path=str(credentials), error=str(err)[:200]
        ) from err
    if not share_with:  # a sheet owned by the service account alone would be a link nobody can open
        raise CampaignError("campaigns.sheets.no_share")
    try:
        book = client.create(camp.name[:100])
        ws = book.sheet1
        ws.update_title(SHEET)
        rows = [*metadata_rows(camp), list(COLUMNS), *build_rows(camp)]
        ws.resize(rows=len(rows), cols=len(COLUMNS))
        ws.update(rows, "A1", value_input_option=ValueInputOption.raw)
        book.share(share_with, perm_type="user", role="writer", notify=True)
        return str(book.url)
    except (OSError, ValueError, gspread.exceptions.GSpreadException, GoogleAuthError) as err:
        raise CampaignError("campaigns.sheets.failed", error=str(err)[:200]) from err


async def export_to_sheets(
    credentials: Path | None, camp: ExportCampaign, share_with: str | None
) -> str:
    """Create a spreadsheet with the Commander layout; share it with `share_with`; return its URL."""
    if credentials is None:
        raise SheetsNotConfigured("campaigns.sheets.not_configured")
    if not await asyncio.to_thread(Path(credentials).is_file):
        raise SheetsNotConfigured("campaigns.sheets.key_missing", path=str(credentials))
    return await asyncio.to_thread(_export_sync, Path(credentials), camp, share_with)
