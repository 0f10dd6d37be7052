"""Importing a Yandex Direct campaign file (XLS export or XLSX) as a finished campaign."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update

from tgassist.campaigns.models import Ad, Campaign
from tgassist.campaigns.service import _check_limit, _user
from tgassist.core.db import utcnow

if TYPE_CHECKING:
    from tgassist.app import App


async def import_direct(app: App, user_id: int, path: str | Path) -> int:
    """Import a Direct campaign file (XLS export or XLSX) as a completed campaign; returns its id."""
    from tgassist.campaigns.keywords import lemma_key
    from tgassist.campaigns.models import AdGroup, Keyword
    from tgassist.campaigns.regions import find_region
    from tgassist.campaigns.sources.direct_import import load_direct_file

    parsed = load_direct_file(path)
    regions = [r for r in (find_region(n) for n in parsed.regions) if r is not None]
    async with app.db.session() as s:
        user = await _user(s, user_id)
        await _check_limit(app, s, user)
        first_url = next((a[1] for g in parsed.groups for a in g.ads if a[1]), "")
        camp = Campaign(
            user_id=user.id,
            name=parsed.name,
            product=parsed.name,
            url=first_url,
            base_phrases=[],
            region_names=parsed.regions,
            region_ids=[r.id for r in regions],
            brief={},
            brief_hash="direct_import",
            minus_words=parsed.minus_words,
            status="completed",
            source="direct_import",
            report={},
            finished_at=utcnow(),
        )
        s.add(camp)
        await s.flush()
        seen: set[str] = set()
        n_kw = n_ads = 0
        merged: list[str] = []
        for number, g in enumerate(parsed.groups, start=1):
            group = AdGroup(
                campaign_id=camp.id,
                number=number,
                name=g.name[:300],
                main_phrase=g.name[:300],
                minus_phrases=g.minus_phrases,
                external_id=g.external_id,
            )
            s.add(group)
            await s.flush()
            for phrase, minus, ext in g.keywords:
                key = lemma_key(phrase)
                if (
                    key in seen
                ):  # an implicit duplicate is still the user's phrase: keep it, keys stay unique
                    key = f"{key} #{number} {phrase}"
                    if key in seen:
                        merged.append(phrase)  # the very same phrase twice in one group
                        continue
                seen.add(key)
                s.add(
                    Keyword(
                        campaign_id=camp.id,
                        phrase=phrase[:500],
                        lemma_key=key[:500],
                        frequency=None,
                        source="direct_import",
                        ad_group_id=group.id,
                        minus_words=minus,
                        external_id=ext,
                        bid=g.bids.get(phrase),
                    )
                )
                n_kw += 1
            for pos, (ad, link, ext) in enumerate(g.ads):
                s.add(
                    Ad(
                        campaign_id=camp.id,
                        ad_group_id=group.id,
                        position=pos,
                        url=link or first_url,
                        generator="direct_import",
                        external_id=ext,
                        **ad.__dict__,
                    )
                )
                n_ads += 1
        camp.keywords_count, camp.groups_count, camp.ads_count = n_kw, len(parsed.groups), n_ads
        camp_id = camp.id
    from tgassist.campaigns.stages import campaign_ads_report

    report = await campaign_ads_report(app, camp_id)
    from tgassist.campaigns.summary import import_summary

    summary = import_summary(parsed, stored=n_kw, merged=merged)
    async with app.db.session() as s:
        await s.execute(
            update(Campaign)
            .where(Campaign.id == camp_id)
            .values(report={"generate": report, "import": summary})
        )
    return camp_id
