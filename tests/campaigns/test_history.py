"""Campaign history below the bot: pages, filter, totals, ownership, files; wizard steps checked
with the brief's own rules; an uploaded keyword list kept for the build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tgassist.campaigns import history, wizard
from tgassist.campaigns.exceptions import BriefError, ImportFileError
from tgassist.campaigns.models import Campaign
from tgassist.core.errors import LocalizedError
from tgassist.core.users import ensure_user


async def _campaigns(app: Any, user_id: int, statuses: list[str]) -> list[int]:
    ids = []
    async with app.db.session() as s:
        for n, status in enumerate(statuses, start=1):
            c = Campaign(
                user_id=user_id,
                name=f"C{n}",
                product="p",
                url="https://example.ru/",
                brief={},
                brief_hash=f"h{n}",
                status=status,
                keywords_count=n,
                groups_count=1,
                ads_count=2,
                report={"generate": {"compliance": 0.5, "violations": ["a"]}},
            )
            s.add(c)
            await s.flush()
            ids.append(c.id)
    return ids


async def test_pages_filter_totals_and_ownership(app: Any) -> None:
    owner = await ensure_user(app.db, telegram_id=71)
    other = await ensure_user(app.db, telegram_id=72)
    ids = await _campaigns(app, owner.id, ["completed"] * 6 + ["failed", "archived"])
    page = await history.history_page(app, owner.id, page=1)
    assert (page.page, page.pages, page.matching) == (1, 2, 7)  # archived is hidden
    assert [c.id for c in page.items] == [ids[1], ids[0]]  # newest first, 5 a page
    assert page.totals.by_status == {"completed": 6, "failed": 1}
    assert page.totals.keywords == sum(range(1, 8)) and page.totals.ads == 14
    late = await history.history_page(app, owner.id, page=99)
    assert late.page == 1  # clamped to the last page
    failed = await history.history_page(app, owner.id, status="failed")
    assert [c.id for c in failed.items] == [ids[6]]
    with pytest.raises(LocalizedError) as bad:
        await history.history_page(app, owner.id, status="everything")
    assert bad.value.key == "campaigns.history.bad_filter"
    assert (await history.history_page(app, other.id)).totals.campaigns == 0
    for call in (
        history.campaign_card(app, other.id, ids[0]),
        history.campaign_file(app, other.id, ids[0], "xlsx"),
        history.delete(app, other.id, ids[0]),
        history.repeat(app, other.id, ids[0]),
    ):
        with pytest.raises(LocalizedError) as refused:
            await call
        assert refused.value.key == "campaigns.history.not_found"
    async with app.db.session() as s:  # a build that failed before grouping: no files
        await s.execute(update(Campaign).where(Campaign.id == ids[6]).values(groups_count=0))
    with pytest.raises(LocalizedError) as unbuilt:
        await history.campaign_file(app, owner.id, ids[6], "xlsx")
    assert unbuilt.value.key == "campaigns.history.not_built"
    assert "(статус: ошибка)" in unbuilt.value.render("ru")  # the reader's word, not "failed"
    summary = await history.build_summary(app, owner.id, ids[0])
    assert summary.compliance == 0.5 and summary.violations == 1
    assert await history.delete(app, owner.id, ids[0]) == "C1"
    assert (await history.history_page(app, owner.id)).totals.campaigns == 6


def test_steps_use_the_briefs_rules() -> None:
    assert wizard.check_step("name", "  Диваны  ") == "Диваны"
    assert wizard.check_step("keywords", "купить диван\n\nугловой диван\n") == [
        "купить диван",
        "угловой диван",
    ]
    assert wizard.check_step("region", ["Питер"]) == {"ids": [2], "names": ["Санкт-Петербург"]}
    assert wizard.check_step("url", "Example.ru") == "https://example.ru/"
    assert wizard.check_step("budget", "30 000") == 30000
    with pytest.raises(LocalizedError) as no_letters:
        wizard.check_step("product", "🔥🔥🔥")
    assert no_letters.value.key == "campaigns.wizard.no_letters"
    for step, value in (("url", "not a site"), ("budget", "-5"), ("region", ["Atlantis"])):
        with pytest.raises(BriefError) as err:
            wizard.check_step(step, value)
        assert {e.field for e in err.value.errors} == {wizard.FIELD_OF[step]}


def test_keyword_file_is_checked_and_kept(app: Any, fixtures_dir: Path) -> None:
    data = (fixtures_dir / "yandex-direct" / "wordstat_phrases_small.xlsx").read_bytes()
    kf = wizard.read_keyword_file(app, 5, data, "phrases.xlsx")
    assert kf.count == 11 and Path(kf.path).read_bytes() == data
    assert len(kf.base_phrases) == wizard.BASE_FROM_FILE
    prose = (
        "Длинное предложение из отчёта о продажах за прошлый квартал большой торговой компании\n"
        * 4
    )
    with pytest.raises(LocalizedError) as err:
        wizard.read_keyword_file(app, 5, prose.encode(), "report.csv")
    assert err.value.key == "campaigns.wizard.file_not_keywords"
    with pytest.raises(ImportFileError):
        wizard.read_keyword_file(app, 5, b"%PDF-1.4", "report.pdf")
