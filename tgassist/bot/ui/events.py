"""Events screens: callback data, keyboards and texts (cities, days, lists, cards, radius)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from tgassist.bot.ui.common import button, esc, nav_row, pager_row
from tgassist.core.i18n import t
from tgassist.events.views import RADII_KM, WHEN, City, EventCard, EventMark, EventsPage

DESCRIPTION_CHARS = 600


class EventCb(CallbackData, prefix="ev"):
    """action: home, city, when, date, list, card, save, unsave, remind, unremind, near, radius,
    search, mine. `src` is the list a card came from: c(ity), n(earby), s(earch), m(ine)."""

    action: str
    src: str = ""
    city: str = ""
    when: str = ""
    r: int = 0
    page: int = 0
    id: int = 0


def city_name(lang: str, city: City | str) -> str:
    code = city.code if isinstance(city, City) else city
    builtin = city.builtin if isinstance(city, City) else code in ("msk", "spb", "bali")
    return t(f"bot.events.city.{code}", lang) if builtin else code.replace("_", " ").title()


@lru_cache(maxsize=256)
def home_keyboard(lang: str, cities: tuple[City, ...]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=city_name(lang, c), callback_data=EventCb(action="city", city=c.code).pack()
            )
            for c in cities[i : i + 3]
        ]
        for i in range(0, len(cities), 3)
    ]
    rows.append(
        [
            button(lang, "bot.events.btn.nearby", EventCb(action="near")),
            button(lang, "bot.events.btn.search", EventCb(action="search")),
        ]
    )
    rows.append([button(lang, "bot.events.btn.mine", EventCb(action="mine"))])
    rows.append(nav_row(lang))
    return InlineKeyboardMarkup(inline_keyboard=rows)


@lru_cache(maxsize=256)
def when_keyboard(lang: str, city: str) -> InlineKeyboardMarkup:
    days = [
        button(lang, f"bot.events.when.{w}", EventCb(action="list", src="c", city=city, when=w))
        for w in WHEN
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            days,
            [button(lang, "bot.events.btn.date", EventCb(action="date", city=city))],
            nav_row(lang, EventCb(action="home")),
        ]
    )


def radius_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(lang, "bot.events.radius", EventCb(action="list", src="n", r=r), km=r)
                for r in RADII_KM
            ],
            nav_row(lang, EventCb(action="home")),
        ]
    )


def location_keyboard(lang: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("bot.events.btn.send_location", lang), request_location=True)]
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def back_home(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(lang, EventCb(action="home"))])


def _when_label(lang: str, card: EventCard) -> str:
    tz = ZoneInfo(card.timezone)
    start = card.starts_at.astimezone(tz)
    if card.all_day:
        label = start.strftime("%d.%m")
        if card.ends_at and card.ends_at - card.starts_at > timedelta(days=1):
            label += "–" + (card.ends_at - timedelta(days=1)).astimezone(tz).strftime("%d.%m")
        return label
    return start.strftime("%d.%m %H:%M")


def list_title(lang: str, src: str, city: str, when: str, r: int) -> str:
    if src == "c":
        day = t(f"bot.events.when.{when}", lang) if when in WHEN else when
        return t("bot.events.list.city", lang, city=esc(city_name(lang, city)), when=esc(day))
    if src == "n":
        return t("bot.events.list.nearby", lang, km=r)
    if src == "s":
        return t("bot.events.list.search", lang)
    return t("bot.events.list.mine", lang)


def list_text(lang: str, title: str, page: EventsPage, query: str = "") -> str:
    head = f"<b>{title}</b>"
    if query:
        head += f" «{esc(query)}»"
    if not page.total:
        return head + "\n" + t("bot.events.list.empty", lang)
    lines = [
        head
        + " "
        + t("bot.events.list.counter", lang, page=page.page + 1, pages=page.pages, total=page.total)
    ]
    for i, c in enumerate(page.items, start=page.page * 5 + 1):
        line = f"\n{i}. <b>{esc(c.title)}</b>\n   🕒 {_when_label(lang, c)}"
        if c.location_name:
            line += f" · 📍 {esc(c.location_name[:80])}"
        if c.distance_km is not None:
            line += " · " + t("bot.events.card.distance", lang, km=f"{c.distance_km:.1f}")
        if c.status == "cancelled":
            line += " · " + t("bot.events.card.cancelled", lang)
        lines.append(line)
    return "\n".join(lines)


def list_keyboard(
    lang: str, page: EventsPage, base: EventCb, back: EventCb
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{i}. {c.title[:50]}",
                callback_data=base.model_copy(
                    update={"action": "card", "id": c.id, "page": page.page}
                ).pack(),
            )
        ]
        for i, c in enumerate(page.items, start=page.page * 5 + 1)
    ]
    pager = pager_row(
        lang, page.page, page.pages, lambda p: base.model_copy(update={"action": "list", "page": p})
    )
    if pager:
        rows.append(pager)
    rows.append(nav_row(lang, back))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_text(lang: str, c: EventCard, mark: EventMark) -> str:
    tz = ZoneInfo(c.timezone)
    lines = [f"<b>{esc(c.title)}</b>"]
    if c.status == "cancelled":
        lines.append(t("bot.events.card.cancelled", lang))
    lines.append(t("bot.events.card.when", lang, when=_when_label(lang, c), tz=esc(c.timezone)))
    if c.ends_at and not c.all_day:
        lines.append(
            t("bot.events.card.until", lang, when=c.ends_at.astimezone(tz).strftime("%d.%m %H:%M"))
        )
    if c.location_name or c.address:
        place = ", ".join(p for p in (c.location_name, c.address) if p)
        lines.append(t("bot.events.card.where", lang, place=esc(place[:300])))
    if c.is_free:
        lines.append(t("bot.events.card.free", lang))
    elif c.price:
        lines.append(t("bot.events.card.price", lang, price=esc(c.price)))
    if c.age_restriction:
        lines.append(esc(c.age_restriction))
    if c.description:
        desc = " ".join(c.description.split())
        if len(desc) > DESCRIPTION_CHARS:
            desc = desc[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
        lines.append("\n" + esc(desc))
    if c.is_generated_by_ai:
        lines.append(t("bot.events.card.ai", lang))
    if mark.saved:
        lines.append("\n" + t("bot.events.card.saved", lang))
    if mark.reminders:
        kinds = ", ".join(t(f"bot.events.remind.{k}", lang) for k in mark.reminders)
        lines.append(t("bot.events.card.reminders", lang, kinds=kinds))
    return "\n".join(lines)


def card_keyboard(lang: str, c: EventCard, mark: EventMark, ctx: EventCb) -> InlineKeyboardMarkup:
    def cb(action: str) -> EventCb:
        return ctx.model_copy(update={"action": action, "id": c.id})

    save = cb("unsave") if mark.saved else cb("save")
    remind = cb("unremind") if mark.reminders else cb("remind")
    rows = [
        [
            button(lang, "bot.events.btn.unsave" if mark.saved else "bot.events.btn.save", save),
            button(
                lang,
                "bot.events.btn.unremind" if mark.reminders else "bot.events.btn.remind",
                remind,
            ),
        ]
    ]
    links = [s.get("url") for s in c.sources if s.get("url")]
    if links and str(links[0]).startswith(("http://", "https://")):
        rows.append([InlineKeyboardButton(text=t("bot.events.btn.open", lang), url=str(links[0]))])
    rows.append(nav_row(lang, ctx.model_copy(update={"action": "list", "id": 0})))
    return InlineKeyboardMarkup(inline_keyboard=rows)
