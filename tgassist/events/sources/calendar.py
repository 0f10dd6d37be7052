"""iCalendar text → `icalendar.Calendar`, strictly, or component by component when that fails.

icalendar rejects a whole file for one bad value in some properties (an RDATE period, a negative
DURATION, a VTIMEZONE's offset, a property outside any component). The lenient reader splits the
text into its top-level components in one linear pass over the lines, parses each on its own and
drops (and names) only the broken ones.
"""

from __future__ import annotations

import re
from typing import Any

import icalendar
import x_wr_timezone

from tgassist.events.exceptions import SourceError
from tgassist.events.sources.base import FetchResult, clean_text

_FOLD = re.compile(r"\r?\n[ \t]")
_RRULE = re.compile(r"^((?:RRULE|EXRULE)[^:\r\n]*:)([^\r\n]*)$", re.M)
_BLOCKS = ("VEVENT", "VTIMEZONE", "VTODO", "VJOURNAL", "VFREEBUSY")


def repair(text: str) -> str:
    """Unfold lines and drop spaces inside RRULEs (`BYDAY=MO, TU` from Exchange CDO)."""
    text = _FOLD.sub("", text)
    return _RRULE.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), text)


def parse_calendar(data: bytes, feed_name: str) -> icalendar.Calendar:
    """The whole feed, strictly; SourceError when icalendar rejects any part of it."""
    try:
        cal = icalendar.Calendar.from_ical(repair(data.decode("utf-8-sig", "replace")))
        return x_wr_timezone.to_standard(cal)
    except Exception as err:  # icalendar raises ValueError and friends with terse texts
        raise SourceError("events.source.ics_invalid", feed=feed_name, error=str(err)) from err


def read_calendar(data: bytes, feed_name: str, result: FetchResult) -> icalendar.Calendar:
    """The feed strictly if it parses, else its good components; skips go into `result`.

    SourceError only when the text is no calendar at all.
    """
    try:
        return parse_calendar(data, feed_name)
    except SourceError:
        text = repair(data.decode("utf-8-sig", "replace"))
        if "BEGIN:VCALENDAR" not in text.upper():
            raise
    header, blocks = _split(text)
    cal = _parse(["BEGIN:VCALENDAR", *header, "END:VCALENDAR"])
    if cal is None:  # a broken calendar property: keep the ones that parse alone
        good = [line for line in header if _parse(["BEGIN:VCALENDAR", line, "END:VCALENDAR"])]
        cal = _parse(["BEGIN:VCALENDAR", *good, "END:VCALENDAR"]) or icalendar.Calendar()
    for n, (kind, lines) in enumerate(blocks, 1):
        part = _parse(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR"])
        if part is None or not part.subcomponents:
            result.skip("bad_event", _block_name(kind, lines, n), "not valid iCalendar")
            continue
        for comp in part.subcomponents:
            cal.add_component(comp)
    try:
        return x_wr_timezone.to_standard(cal)
    except Exception:  # a broken X-WR-TIMEZONE: times stay as the components give them
        result.skip("bad_date", "X-WR-TIMEZONE", str(cal.get("X-WR-TIMEZONE"))[:60])
        return cal


def _split(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(calendar property lines, [(kind, lines)] of each top-level component); one pass."""
    header: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    kind = ""
    for line in text.splitlines():
        upper = line.strip().upper()
        if current is None:
            if upper.startswith("BEGIN:") and upper[6:] in _BLOCKS:
                current, kind = [line], upper[6:]
            elif upper not in ("BEGIN:VCALENDAR", "END:VCALENDAR") and line.strip():
                header.append(line)
            continue
        current.append(line)
        if upper == f"END:{kind}":
            blocks.append((kind, current))
            current = None
    if current is not None:  # cut off: a component without its END is broken
        blocks.append((kind, current))
    return header, blocks


def _parse(lines: list[str]) -> Any:
    try:
        return icalendar.Calendar.from_ical("\r\n".join(lines) + "\r\n")
    except Exception:
        return None


def _block_name(kind: str, lines: list[str], n: int) -> str:
    for line in lines:
        if line.upper().startswith(("UID:", "TZID:")):
            return line.split(":", 1)[1].strip()[:120] or f"{kind} #{n}"
    summary = next((ln.split(":", 1)[1] for ln in lines if ln.upper().startswith("SUMMARY")), "")
    return f"{kind} #{n} {clean_text(summary) or ''}".strip()
