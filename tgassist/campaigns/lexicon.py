"""The shipped lexicon of keyword semantics: service actions, audiences, words that never define an intent.

General Russian search vocabulary, not any one business: an action word (repair, clean, install …) or an
audience word (children, adults, companies) always separates ad groups; a commercial or filler word
(купить, цена, курсы, рядом …) never does. Keys are lemmas (pymorphy3 normal forms, «ё» as «е»).
"""

from __future__ import annotations

from tgassist.ai.text import lemma


def _lemmas(words: str) -> frozenset[str]:
    return frozenset(lemma(w) for w in words.split())


# Action class → lemmas. The first action word of a phrase is its action; "с установкой" is a modifier.
ACTIONS: dict[str, frozenset[str]] = {
    "repair": _lemmas(
        "ремонт ремонтировать отремонтировать починить починка чинить ремонтный капремонт переборка "
        "перебрать устранение устранить правка выправить рихтовка рихтовать прокатка"
    ),
    "clean": _lemmas(
        "чистка почистить чистить очистка очистить мойка мыть помыть вымыть мытье стирка постирать "
        "химчистка уборка убрать убираться клининг клининговый прочистка прочистить"
    ),
    "install": _lemmas(
        "установка установить устанавливать монтаж смонтировать подключение подключить "
        "сборка собрать повесить замена заменить поменять смена сменить"
    ),
    "remove": _lemmas("демонтаж демонтировать снять снятие"),
    "refill": _lemmas("заправка заправить дозаправка дозаправить"),
    "service": _lemmas("обслуживание обслуживать"),
    "adjust": _lemmas("регулировка отрегулировать регулировать настройка настроить"),
    "restore": _lemmas("реставрация реставрировать восстановление восстановить ретушь"),
    "register": _lemmas("регистрация зарегистрировать открыть открытие"),
    "close": _lemmas("ликвидация ликвидировать закрыть закрытие"),
    "prepare": _lemmas("подготовка подготовиться готовиться"),
    "vaccinate": _lemmas("прививка привить вакцинация вакцинировать"),
    "castrate": _lemmas("кастрация кастрировать"),
    "sterilise": _lemmas("стерилизация стерилизовать"),
    "rent": _lemmas("аренда арендовать прокат напрокат"),
    "diagnose": _lemmas("диагностика диагностировать проверка проверить"),
    "sew": _lemmas("пошив сшить"),
    "dispose": _lemmas("утилизация утилизировать вывоз"),
    "paint": _lemmas("покраска покрасить красить перекрасить окраска окрасить"),
    "store": _lemmas("хранение хранить"),
}
ACTION_OF: dict[str, str] = {lem: name for name, lems in ACTIONS.items() for lem in lems}

# Audience class → lemmas ("для бизнеса" counts only after «для», see BUSINESS_AFTER_FOR).
AUDIENCES: dict[str, frozenset[str]] = {
    "children": _lemmas(
        "ребенок дети детский малыш школьник дошкольник подросток подростковый ученик детсад"
    ),
    "adults": _lemmas("взрослый пенсионер студент"),
    "business": _lemmas("корпоративный сотрудник персонал юрлицо"),
}
AUDIENCE_OF: dict[str, str] = {lem: name for name, lems in AUDIENCES.items() for lem in lems}
BUSINESS_AFTER_FOR = _lemmas("компания бизнес организация предприятие офис")

# Words that never define an intent: buying, price, place, time, quality, and the generic nouns of
# a service ("курсы", "услуги", "мастер") that a searcher adds or leaves out at will.
GENERIC: frozenset[str] = _lemmas(
    """купить покупка куплю продажа продать продаю цена стоимость сколько стоит стоить прайс тариф
    заказать заказ недорого недорогой дешево дешевый дорого бюджетный доставка доставить
    магазин интернет онлайн официальный сайт лучший хороший топ рейтинг отзыв рядом
    ближайший срочно быстро сегодня ночью круглосуточно круглосуточный акция скидка распродажа выгодно
    рубль руб год производитель услуга сервис компания фирма центр студия
    салон агентство клуб зал мастер специалист вызов вызвать нужный подобрать выбрать где какой
    курс школа занятие урок обучение учить изучение изучать сделать изготовление изготовить
    печать напечатать распечатать печатать каталог оптом опт поштучно клиника больница помощь
    служба"""
)
# Words of places that Wordstat phrases carry besides region names.
PLACE_WORDS: frozenset[str] = _lemmas(
    "подмосковье область район город метро юго запад восток север юг центр округ россия рф"
)
# Prepositions after which an action word is a modifier of the product, not the service sold.
WITH_PREPOSITIONS = frozenset({"с", "со", "без"})
# Short forms a dictionary does not tie to their full word.
SYNONYMS: dict[str, str] = {
    "фото": "фотография",
    "бухучет": "бухгалтерский учет",
    # Common commercial nouns that name one thing in other words (general vocabulary of Russian
    # commerce: goods, home services, cars, travel, health), read as their most usual name.
    "резина": "шина",
    "покрышка": "шина",
    "автошина": "шина",
    "легкосплавный": "литой",
    "переобувка": "шиномонтаж",
    "переобуть": "шиномонтаж",
    "бойлер": "водонагреватель",
    "водомер": "счетчик вода",
    "водосчетчик": "счетчик вода",
    "стиралка": "стиральный машина",
    "посудомойка": "посудомоечный машина",
    "холодос": "холодильник",
    "кондей": "кондиционер",
    "ноут": "ноутбук",
    "комп": "компьютер",
    "дантист": "стоматолог",
    "ветврач": "ветеринар",
    "доктор": "врач",
}
# Common Russian commercial abbreviations and their long forms: a phrase that spells the long form
# (any word order, any word forms) is read as the abbreviation, and an abbreviation that names a plain
# word is read as that word («ремонт двс» = «ремонт двигателя», «сто рядом» = «автосервис рядом»).
# General vocabulary of services and goods, not any one list. Keys: the word the phrase is read as.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "акпп": (
        "автоматический коробка передача",
        "автоматический коробка",
        "коробка передача автомат",
        "коробка автомат",
        "акп",
    ),
    "мкпп": ("механический коробка передача", "механический коробка", "коробка механика", "мкп"),
    "грм": ("газораспределительный механизм",),
    "двигатель": ("двигатель внутренний сгорание", "двс"),
    "автосервис": ("станция технический обслуживание", "сто", "автотехцентр", "техцентр"),
    "ип": ("индивидуальный предприниматель",),
    "ооо": ("общество ограниченный ответственность",),
    "ндфл": ("налог доход физический лицо",),
    "ндс": ("налог добавленный стоимость",),
    "усн": ("упрощенный система налогообложение", "упрощенка"),
    "узи": ("ультразвуковой исследование",),
    "мрт": ("магнитно резонансный томография",),
    "егэ": ("единый государственный экзамен",),
    "огэ": ("основной государственный экзамен",),
    "вуз": ("высший учебный заведение",),
    "жк": ("жилой комплекс",),
    "стоматолог": ("зубной врач",),
    "аккумулятор": ("акб",),
    "кондиционер": ("сплит система",),
    "загранпаспорт": ("заграничный паспорт",),
    "пластиковый": ("пвх", "поливинилхлорид", "металлопластиковый", "металлопластик"),
}
# Abbreviations that are also common words: read as an abbreviation only when the next word is not
# counted by it («сто рядом» is a car service, «сто роз» is a hundred roses).
NUMBER_WORDS = frozenset({"сто"})
# Combining forms that make one word of two («фотокнига» = «фото» + «книга»): split so that
# «фотокнига» and «фото книга», «фотокалендарь» and «календарь с фото» read the same.
COMBINING_FORMS: tuple[str, ...] = (
    "фото",
    "видео",
    "аудио",
    "авто",
    "мото",
    "вело",
    "электро",
    "эко",
    "био",
    "мини",
    "евро",
    "аэро",
    "гидро",
    "термо",
    "вет",
)
# Compound nouns that keyword lists write with a space («диван кровать»): an ad writes them with a hyphen.
COMPOUND_NOUNS: frozenset[tuple[str, str]] = frozenset(
    tuple(lemma(w) for w in pair.split("-"))  # type: ignore[misc]
    for pair in (
        "диван-кровать",
        "кресло-кровать",
        "диван-книжка",
        "стол-книжка",
        "кресло-качалка",
        "шкаф-купе",
        "сплит-система",
        "бизнес-центр",
        "бизнес-план",
        "бизнес-класс",
        "интернет-магазин",
        "кафе-бар",
        "кафе-кондитерская",
        "фитнес-клуб",
        "фитнес-центр",
        "спа-салон",
        "арт-студия",
        "экспресс-доставка",
        "пресс-релиз",
        "блок-хаус",
        "вагон-бытовка",
    )
)

# The verb of an ad's call to action by what the product is: one orders a service or goods, but
# applies for a card or a loan and signs up for a course («Закажите кредитные карты» reads wrong).
ORDER_VERBS: dict[str, frozenset[str]] = {
    "Оформите": _lemmas(
        "карта кредит кредитка счет вклад депозит ипотека займ микрозайм рассрочка страховка "
        "страхование полис осаго каско перевод лизинг абонемент"
    ),
    "Запишитесь на": _lemmas(
        "курс занятие урок тренировка обучение подготовка консультация прием экскурсия мастер-класс"
    ),
}
ORDER_VERB_OF: dict[str, str] = {lem: verb for verb, lems in ORDER_VERBS.items() for lem in lems}


# --- Added for ad wording (issue 11, part 3): compound nouns keyword lists write as two words. ---
COMPOUND_NOUNS = COMPOUND_NOUNS | frozenset(
    tuple(lemma(w) for w in pair.split("-"))  # type: ignore[misc]
    for pair in ("развал-схождение", "лендинг-страница")
)
