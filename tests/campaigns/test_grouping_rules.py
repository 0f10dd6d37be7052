"""Grouping rules of issue 11's fifth round: less splitting of one intent over several groups."""

from __future__ import annotations

import numpy as np

from tgassist.campaigns.grouping import IntentGroup, group_intents
from tgassist.campaigns.intent import analyse
from tgassist.campaigns.merging import attach_small


def test_replacing_is_installing_and_new_service_words() -> None:
    """«замена смесителя» and «установка смесителя» are one service (a new one is installed; «замена
    окон» = «установка окон»); cleaning out, fixing, assembling and straightening are services."""
    phrases = ["замена смесителя", "установка смесителя", "поменять смеситель", "прочистка труб"]
    phrases += ["устранение засора", "сборка душевой кабины", "правка дисков", "рихтовка кузова"]
    sigs = [it.signature for it in analyse(phrases)]
    assert sigs[0] == sigs[1] == sigs[2] == {"@install", "смеситель"}
    assert "@clean" in sigs[3] and "@repair" in sigs[4] and "@install" in sigs[5]
    assert "@repair" in sigs[6] and "@repair" in sigs[7]


def test_common_commercial_synonyms_are_one_word() -> None:
    """«резина», «покрышки» and «шины» name one product; «бойлер» is a water heater, «водомер» a
    water meter, «стиралка» a washing machine, «зубной врач» a dentist, «сплит система» an air
    conditioner."""
    phrases = ["зимняя резина", "зимние покрышки", "зимние шины", "установка бойлера"]
    phrases += ["установка водонагревателя", "установка водомера", "установка счетчика воды"]
    phrases += [
        "подключение стиралки",
        "подключение стиральной машины",
        "зубной врач",
        "стоматолог",
    ]
    phrases += ["установка сплит системы", "установка кондиционера"]
    sigs = [it.signature for it in analyse(phrases)]
    assert sigs[0] == sigs[1] == sigs[2]
    assert sigs[3] == sigs[4] and sigs[5] == sigs[6] and sigs[7] == sigs[8] and sigs[9] == sigs[10]
    assert sigs[11] == sigs[12] == {"@install", "кондиционер"}


def test_a_place_the_list_sells_is_kept_in_every_form() -> None:
    """A list of tours sells places: «турцию» / «турции» / «турция» are one destination counted by
    its lemma (each form alone is too rare), and with two such destinations every place of the list
    is one («тур на пхукет»). In a list of services a place stays a place («сантехник в химках»)."""
    tours = ["туры в турцию", "отдых в турции", "турция все включено", "путевка в турцию"]
    tours += ["туры в египет", "отдых в египте", "египет все включено", "путевка в египет"]
    tours += ["тур на пхукет", "горящие туры", "горящие туры недорого", "туры на море"]

    sigs = [it.signature for it in analyse(tours)]
    assert "турция" in sigs[0] and "турция" in sigs[1] and "египет" in sigs[5]
    assert "пхукет" in sigs[8]
    services = ["сантехник в химках", "сантехник москва", "вызов сантехника", "сантехник на дом"]
    assert analyse(services * 2)[0].signature == {"сантехник"}


def test_groups_that_differ_only_in_hub_words_join() -> None:
    """«отдых в египте», «туры в египет», «путевка в египет»: «тур», «отдых», «путевка» are forms of
    the object spread over the list (hubs), so the three are one intent; «туры в турцию» is not."""
    places = ("египет", "турцию", "таиланд", "оаэ", "грецию")
    phrases = [f"{w} в {p}" for w in ("туры", "отдых", "путевка") for p in places]
    phrases += ["горящие туры", "горящие путевки", "автобусные туры", "круизы"]
    phrases *= 2
    intents = analyse(phrases)
    groups = group_intents(intents, min_family=100)
    group_of = {i: gi for gi, g in enumerate(groups) for i in g.members}
    egypt = [i for i, p in enumerate(phrases) if p.endswith("египет")]
    turkey = [i for i, p in enumerate(phrases) if p.endswith("турцию")]
    assert len({group_of[i] for i in egypt}) == 1
    assert group_of[egypt[0]] != group_of[turkey[0]]
    assert group_of[phrases.index("горящие туры")] == group_of[phrases.index("горящие путевки")]


def test_a_verb_sends_a_small_group_to_its_objects_service_group() -> None:
    """«поставить смеситель» (a verb the lexicon does not know) asks for the service: it joins the
    installation group of «смеситель», not the goods; without a verb it is placed as before."""
    found = [
        IntentGroup(list(range(10)), frozenset({"@install", "смеситель"})),
        IntentGroup(list(range(30, 70)), frozenset({"унитаз"})),
        IntentGroup([20], frozenset({"поставить", "смеситель"})),
        IntentGroup([21], frozenset({"смеситель", "хромированный"})),
        IntentGroup([22], frozenset({"#children", "поставить", "смеситель"})),
        IntentGroup(list(range(80, 90)), frozenset({"#children", "горшок"})),
    ]
    unit = np.eye(6, dtype=np.float32)
    target = attach_small(found, unit, 0.4)
    assert target[2] == 0
    assert target[3] == 3  # no verb, no group of its kind shares a word: stays
    assert target[4] == 4  # another audience never joins


def test_a_small_group_sharing_as_many_words_goes_to_the_nearest() -> None:
    """«свадебный клип» shares «свадебный» with «свадебный фотограф» and «свадебное видео»: the
    nearer by embeddings takes it, not the larger."""
    found = [
        IntentGroup(list(range(15)), frozenset({"свадебный", "фотограф"})),
        IntentGroup(list(range(15, 25)), frozenset({"свадебный", "видео"})),
        IntentGroup([25], frozenset({"свадебный", "клип"})),
        IntentGroup(list(range(30, 110)), frozenset({"детский", "фотосессия"})),
    ]
    unit = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.98], [-1.0, 0.0]], dtype=np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    assert attach_small(found, unit, 0.4)[2] == 1


class WordEmbedder:
    """A text's vector: the sum of one axis per word (by its first five letters); «фотограф» weighs
    twice, as a long specific word would."""

    def __init__(self) -> None:
        self.axes: dict[str, int] = {}

    async def embed(self, texts: list[str]) -> list[list[float]]:
        out = []
        for t in texts:
            v = [0.0] * 32
            for w in t.split():
                axis = self.axes.setdefault(w[:5], len(self.axes))
                v[axis] += 2.0 if w.startswith("фотог") else 1.0
            out.append(v)
        return out


async def test_rare_variants_under_a_hub_word_are_compared_without_hub_words() -> None:
    """«свадебная фотосессия» (too rare for a group) sits under the hub-only group «фотосессия»; of
    its siblings «свадебный фотограф» says the same once the hub «фотограф» is left out, while
    «свадебное видео» differs: the phrase goes to the photographer (it stayed under the hub before)."""
    from tgassist.campaigns.merging import place_rare_variants

    kinds_ = ("свадебный", "детский", "семейный", "парный", "студийный", "уличный")
    phrases = [f"{a} фотограф" for a in kinds_] + [f"{a} фотосессия" for a in kinds_]
    phrases += ["фотосессия", "фотосессия цена", "свадебная фотосессия", "видеосъемка свадьбы"]
    phrases += ["видео на свадьбу", "свадебное видео"]
    phrases *= 2
    intents = analyse(phrases)
    found = group_intents(intents)
    moved = await place_rare_variants(found, intents, WordEmbedder(), 0.55)  # type: ignore[arg-type]
    where = {i: g.signature for g in moved for i in g.members}
    assert where[phrases.index("свадебная фотосессия")] == {"свадебный", "фотограф"}


def test_an_audience_no_large_group_has_does_not_keep_a_small_group_apart() -> None:
    """«брекеты взрослым» (one phrase) in a list with no adults' group: the audience is a rare
    modifier there, and the phrase joins «брекеты». Where adults have a group of their own («фитнес
    для взрослых»), a small adults' group still never joins a group without the audience."""
    braces = [
        IntentGroup(list(range(10)), frozenset({"брекет"})),
        IntentGroup(list(range(10, 60)), frozenset({"имплант"})),
        IntentGroup([60], frozenset({"#adults", "брекет"})),
    ]
    unit = np.eye(3, dtype=np.float32)
    assert attach_small(braces, unit, 0.4)[2] == 0
    with_adults = [*braces, IntentGroup(list(range(70, 80)), frozenset({"#adults", "фитнес"}))]
    assert attach_small(with_adults, np.eye(4, dtype=np.float32), 0.4)[2] == 2


def test_a_small_group_left_alone_joins_the_group_most_alike_on_average() -> None:
    """After every rule and merge, «окна для загородного дома» (one phrase, no shared word that
    placed it) joins «окна для дачи» when their phrases are alike on average; a group of another
    action never takes it, and one not alike enough leaves it alone."""
    from tgassist.campaigns.merging import place_leftovers

    found = [
        IntentGroup([0, 1, 2, 3, 4], frozenset({"окно", "дача"})),
        IntentGroup([5, 6, 7, 8, 9], frozenset({"@repair", "окно"})),
        IntentGroup([10], frozenset({"окно", "загородный", "дом"})),
        IntentGroup([11], frozenset({"жалюзи"})),
    ]
    e = np.eye(3, dtype=np.float32)
    near = (e[0] + 0.5 * e[1]) / np.linalg.norm(e[0] + 0.5 * e[1])
    vec = np.vstack([e[0]] * 5 + [e[0]] * 5 + [near, e[2]])
    target = place_leftovers(found, list(range(4)), vec, 0.65)
    assert target == [0, 1, 0, 3]
    assert place_leftovers(found, list(range(4)), vec, 0.95) == [0, 1, 2, 3]
