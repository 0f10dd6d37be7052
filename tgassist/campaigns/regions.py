"""The shipped table of common Yandex regions (geo ids); any other numeric geo id is accepted too."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """A Yandex geo region: id, name exactly as Direct Commander writes it in «Регион» (it matches by name),
    a locative phrase for ads, words for keywords."""

    id: int
    name: str
    where: str = ""  # "в Москве": used in ad texts; empty when the region adds nothing
    words: tuple[str, ...] = ()  # appended to keywords by multiplication
    aliases: tuple[str, ...] = ()


REGIONS: tuple[Region, ...] = (
    Region(225, "Россия", "по России", (), ("рф", "russia", "вся россия")),
    Region(213, "Москва", "в Москве", ("москва", "в москве"), ("мск", "moscow")),
    Region(
        1,
        "Москва и область",
        "в Москве и области",
        ("москва", "подмосковье"),
        ("мо", "москва и московская область", "московская область"),
    ),
    Region(
        2,
        "Санкт-Петербург",
        "в Санкт-Петербурге",
        ("спб", "санкт петербург"),
        ("спб", "питер", "петербург"),
    ),
    Region(
        10174,
        "Санкт-Петербург и Ленинградская область",
        "в СПб и области",
        ("спб",),
        ("ленобласть",),
    ),
    Region(54, "Екатеринбург", "в Екатеринбурге", ("екатеринбург", "екб"), ("екб",)),
    Region(65, "Новосибирск", "в Новосибирске", ("новосибирск", "нск"), ("нск",)),
    Region(43, "Казань", "в Казани", ("казань", "в казани")),
    Region(47, "Нижний Новгород", "в Нижнем Новгороде", ("нижний новгород", "нн")),
    Region(35, "Краснодар", "в Краснодаре", ("краснодар",)),
    Region(39, "Ростов-на-Дону", "в Ростове-на-Дону", ("ростов на дону", "ростов")),
    Region(51, "Самара", "в Самаре", ("самара",)),
    Region(56, "Челябинск", "в Челябинске", ("челябинск",)),
    Region(172, "Уфа", "в Уфе", ("уфа",)),
    Region(193, "Воронеж", "в Воронеже", ("воронеж",)),
    Region(38, "Волгоград", "в Волгограде", ("волгоград",)),
    Region(66, "Омск", "в Омске", ("омск",)),
    Region(62, "Красноярск", "в Красноярске", ("красноярск",)),
    Region(50, "Пермь", "в Перми", ("пермь",)),
    Region(239, "Сочи", "в Сочи", ("сочи",)),
    Region(11119, "Республика Татарстан", "в Татарстане", ("татарстан",), ("татарстан",)),
    Region(11111, "Республика Башкортостан", "в Башкортостане", ("башкортостан",), ("башкирия",)),
)

_BY_ID = {r.id: r for r in REGIONS}
_BY_NAME: dict[str, Region] = {}
for _r in REGIONS:
    for _n in (_r.name, *_r.aliases):
        _BY_NAME.setdefault(_n.lower().replace("ё", "е"), _r)


def find_region(value: str | int) -> Region | None:
    """A region by geo id (any positive id) or by a known name/alias; None when unknown."""
    digits = str(value).strip().lstrip("-")
    # isascii + isdecimal: "²" or "٣" are digits to Python but not a geo id
    if isinstance(value, int) or (digits.isascii() and digits.isdecimal()):
        geo = int(value)
        if geo <= 0:
            return None
        return _BY_ID.get(geo) or Region(geo, f"Регион {geo}")
    return _BY_NAME.get(str(value).strip().lower().replace("ё", "е"))


def has_direct_name(geo: int) -> bool:
    """Whether the table knows the name Direct Commander expects in «Регион» for this geo id."""
    return geo in _BY_ID


def known_region_names() -> str:
    return ", ".join(f"{r.name} ({r.id})" for r in REGIONS)
