"""Events errors are message keys: an operator reads a source failure in their language."""

from __future__ import annotations

import pytest

from tgassist.events.exceptions import EventsError, SourceError
from tgassist.events.sources.base import zone
from tgassist.events.sources.calendar import parse_calendar


def test_an_unknown_time_zone_says_what_to_write_in_both_languages() -> None:
    with pytest.raises(SourceError) as caught:
        zone("Mars/Olympus")
    err = caught.value
    assert isinstance(err, EventsError)  # callers that catch the base still do
    assert (err.key, err.params) == ("events.source.zone_unknown", {"value": "Mars/Olympus"})
    assert str(err) == "Unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Moscow."
    assert err.render("ru") == (
        "Неизвестный часовой пояс «Mars/Olympus»: укажите имя из базы IANA, например Europe/Moscow."
    )


def test_a_broken_feed_names_the_feed_and_what_to_check() -> None:
    with pytest.raises(SourceError) as caught:
        parse_calendar(b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:nonsense\n", "city.ics")
    err = caught.value
    assert err.key == "events.source.ics_invalid" and err.params["feed"] == "city.ics"
    assert "check the feed URL or path" in err.render("en")
    assert "проверьте адрес или путь ленты" in err.render("ru")
