"""Which language a title is in, offline, so English titles are not sent to translation.

The translator turns any language into English; what must not reach it is a title that already is
English (or has no words at all). Rules, in order (docs/events.md has them and their measured
accuracy):
1. no letters ("2024", "🎉") → "none": the title is its own English title;
2. any Cyrillic letter → "ru";
3. letters of another script (CJK, Thai, Arabic…) or Latin letters with diacritics (ä, é, ñ…)
   → "other";
4. plain ASCII Latin: English evidence (common English function and event words, English suffixes)
   against foreign evidence (German/Dutch/French/Spanish/Italian/Indonesian function words, German
   letter groups such as "sch", "tz", "cht", "treff", "ung") → "en" when English wins, "other"
   when foreign wins or there is no evidence either way (a name such as "Tove Styrke": one more item
   in the translation batch costs little; an untranslated German title would stay German).
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z]+")
_EN_WORDS = frozenset(
    """the and of at with for on to from by an or vs live night nights day days tour concert
    concerts festival fest workshop meetup meeting talk talks party market show exhibition open
    class classes session sessions lab club music dance art arts film movie yoga week weekly
    daily morning evening weekend new year years summer winter spring autumn fall christmas
    team sprint standup stand up review black blue red green white bin bins refuse recycle
    recycling collection garden food kids family free tickets ticket sale special guest guests
    featuring feat presents present tribute experience celebration games game quiz beach sunset
    sunrise retreat course training lesson lessons tasting dinner lunch breakfast brunch""".split()
)
_FOREIGN_WORDS = frozenset(
    """der das und mit im am zum zur fur von vom ein eine einer bei nach auf aus fuer bis
    het een voor met
    le la les et des du au aux une pour avec sur
    el los las del con para una por
    il gli della delle dei per
    os da do das dos com
    dan di yang ke dari untuk dengan pada atau""".split()
)
_EN_SUFFIXES = ("ing", "tion", "ness", "ship", "ment", "ful", "ity")
_FOREIGN_GROUPS = ("sch", "tz", "cht", "treff", "ung", "eit", "chen", "lich", "ij", "nya")


def title_language(text: str | None) -> str:
    """'en', 'ru', 'other' (send to translation) or 'none' (no letters) for a title."""
    letters = [c for c in text or "" if c.isalpha()]
    if not letters:
        return "none"
    if any("\u0400" <= c <= "\u04ff" for c in letters):
        return "ru"
    if any(not ("a" <= c.lower() <= "z") for c in letters):
        return "other"  # another script, or Latin with diacritics
    words = _WORD.findall(unicodedata.normalize("NFKC", text or "").lower())
    en = sum(w in _EN_WORDS for w in words) + sum(
        len(w) > 5 and w.endswith(_EN_SUFFIXES) for w in words
    )
    foreign = sum(w in _FOREIGN_WORDS for w in words) + sum(
        any(g in w for g in _FOREIGN_GROUPS) for w in words if w not in _EN_WORDS
    )
    return "en" if en > foreign else "other"
