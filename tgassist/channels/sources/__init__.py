"""Sources of channel messages: Telegram Desktop exports and Telethon (live); both yield `RawMessage`.

`TelethonSource` lives in `tgassist.channels.sources.telethon` (imported on demand: Telethon is heavy).
"""

from tgassist.channels.sources.base import ChannelInfo, RawMedia, RawMessage, Source, SourceError
from tgassist.channels.sources.desktop import DesktopExport, ExportStats

__all__ = [
    "ChannelInfo",
    "DesktopExport",
    "ExportStats",
    "RawMedia",
    "RawMessage",
    "Source",
    "SourceError",
]
