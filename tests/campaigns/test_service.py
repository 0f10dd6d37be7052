"""Service functions the bot and CLI call: limits, imports, export formats, delete, edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.campaigns.helpers import build, campaign_of, task_of
from tests.fakes.openai_server import FakeOpenAI
from tgassist.app import App
from tgassist.campaigns import CampaignLimitError, CampaignNotFound, ImportFileError, service
from tgassist.campaigns.models import Campaign
from tgassist.core.models import User
from tgassist.core.users import ensure_user, set_limits


async def test_per_user_limit(make_app: Any, brief_data: dict[str, Any]) -> None:
    app = await make_app(campaigns_max_per_user=1)
    await service.create_campaign(app, 1, brief_data)
    with pytest.raises(CampaignLimitError, match="limit"):
        await service.create_campaign(app, 1, {**brief_data, "name": "Вторая"})
    other = await ensure_user(app.db, telegram_id=2)
    await service.create_campaign(app, other.id, brief_data)  # another user has their own limit
    await set_limits(app.db, 1, {"campaigns": 5})
    await service.create_campaign(app, 1, {**brief_data, "name": "Вторая"})


async def test_import_file_build_and_malformed_file(
    app: App, brief_data: dict[str, Any], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04not really")
    with pytest.raises(ImportFileError, match="XLSX"):
        await service.create_campaign(app, 1, {**brief_data, "keywords_file": str(bad)})
    assert await service.list_campaigns(app, 1) == []  # nothing half-created
    good = tmp_path / "kw.csv"
    good.write_text(
        "Фраза;Частота\nремонт холодильника bosch;120\nремонт холодильников lg;80\n"
        "холодильник не морозит;300\nремонт холодильника своими руками;999\n",
        encoding="utf-8",
    )
    started = await service.create_campaign(app, 1, {**brief_data, "keywords_file": str(good)})
    await build(app)
    camp = await campaign_of(app, started.campaign_id)
    assert camp.status == "completed" and camp.source == "import"
    assert camp.report["filter"]["minus"] == 1  # "своими руками" is a default minus word


async def test_show_export_formats_and_delete(app: App, brief_data: dict[str, Any]) -> None:
    started = await service.create_campaign(app, 7, brief_data)
    with pytest.raises(service.CampaignError, match="not built yet"):
        await service.export_campaign(app, 7, started.campaign_id, "xlsx")
    await build(app)
    view = await service.show_campaign(app, 7, started.campaign_id)
    assert view.task.status == "done" and view.stages[-1] == "export"
    csv_res = await service.export_campaign(app, 7, started.campaign_id, "csv")
    assert (
        csv_res.path
        and csv_res.path.suffix == ".csv"
        and "\t" in csv_res.path.read_text(encoding="utf-8")
    )
    sheets = await service.export_campaign(app, 7, started.campaign_id, "sheets")
    assert sheets.url is None and sheets.path and sheets.path.suffix == ".xlsx"
    assert sheets.message and sheets.message.key == "campaigns.sheets.not_configured"
    assert "TGASSIST_GOOGLE_SERVICE_ACCOUNT_FILE" in sheets.message.render("ru")
    with pytest.raises(CampaignNotFound):
        await service.show_campaign(app, 8, started.campaign_id)  # another user's campaign
    await service.delete_campaign(app, 7, started.campaign_id)
    assert await service.list_campaigns(app, 7) == [] and not sheets.path.exists()


async def test_completed_campaign_repeat_builds_a_new_one(
    app: App, brief_data: dict[str, Any]
) -> None:
    first = await service.create_campaign(app, 1, brief_data)
    await build(app)
    again = await service.repeat_campaign(app, 1, first.campaign_id)
    assert again.campaign_id != first.campaign_id and not again.resumed
    await build(app)
    assert (await task_of(app, again.task_id)).status == "done"


async def test_import_direct_file_edit_and_reexport(app: App, fixtures_dir: Path) -> None:
    cid = await service.import_direct(
        app, 3, fixtures_dir / "yandex-direct" / "direct_campaign_export_37817530.xls"
    )
    camp = await campaign_of(app, cid)
    assert (camp.groups_count, camp.keywords_count, camp.ads_count) == (2, 4, 3)
    assert camp.region_ids == [225] and "wordpress" in camp.minus_words
    async with app.db.session() as s:
        ad = await s.scalar(
            service.select(service.Ad).where(service.Ad.campaign_id == cid).order_by(service.Ad.id)
        )
    problems = await service.edit_ad(app, 3, ad.id, title="Создание лендингов под ключ " * 3)
    assert problems and "56" in problems[0]
    assert await service.edit_ad(app, 3, ad.id, title="Создание лендингов под ключ") == []
    res = await service.export_campaign(app, 3, cid, "xlsx")
    rows = list(openpyxl.load_workbook(res.path)["Тексты"].iter_rows(values_only=True))
    assert "Создание лендингов под ключ" in rows[10]


async def test_llm_build_through_fake_openai(make_app: Any, brief_data: dict[str, Any]) -> None:
    answer = json.dumps(
        {
            "ads": [
                {
                    "title": "Ремонт холодильников в Москве",
                    "title2": "Выезд за 1 час",
                    "text": "Опытные мастера, гарантия 1 год. Звоните!",
                },
                {
                    "title": "Ремонт холодильников на дому",
                    "title2": "От 990 ₽",
                    "text": "Починим в день обращения. Гарантия 1 год.",
                },
            ]
        },
        ensure_ascii=False,
    )
    with FakeOpenAI() as fake:
        fake.responder = lambda req: answer
        app = await make_app(
            llm_provider="openai", llm_base_url=fake.url, llm_api_key="k", llm_max_retries=0
        )
        started = await service.create_campaign(app, 1, brief_data)
        await build(app)
        camp = await campaign_of(app, started.campaign_id)
        assert camp.status == "completed", camp.error
        gen = camp.report["generate"]
        assert gen["generators"] == {"llm": camp.groups_count} and gen["compliance"] == 1.0
        assert fake.count("/chat/completions") == camp.groups_count


async def test_user_row_is_shared_with_the_core(app: App, brief_data: dict[str, Any]) -> None:
    from tgassist.core.users import UserNotFound

    owner = await ensure_user(app.db, telegram_id=42, username="marketer")
    await service.create_campaign(app, owner.id, brief_data)
    async with app.db.session() as s:
        user = await s.scalar(service.select(User).where(User.telegram_id == 42))
        camp = await s.scalar(service.select(Campaign).where(Campaign.user_id == user.id))
    assert camp is not None and user.last_activity_at is not None and user.username == "marketer"
    with pytest.raises(UserNotFound):  # services take internal ids: an unknown one creates nothing
        await service.create_campaign(app, 4242, brief_data)


async def test_sheets_with_a_broken_key_still_gives_the_xlsx(
    make_app: Any, brief_data: dict[str, Any], tmp_path: Path
) -> None:
    key = tmp_path / "sa.json"
    key.write_text("{not json", encoding="utf-8")
    app = await make_app(google_service_account_file=str(key))
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    res = await service.export_campaign(app, 1, started.campaign_id, "sheets")
    assert res.url is None and res.path and res.path.suffix == ".xlsx"
    assert res.message and "не читается" in res.message.render("ru")
    assert "cannot be read" in res.message.render("en")


async def test_import_keeps_every_phrase_of_the_direct_file(app: App, fixtures_dir: Path) -> None:
    # «где заказать лендинг пейдж» and «заказать лендинг пейдж» share lemmas; both are the user's phrases
    # in their own groups and used to be dropped silently (142 of 145 phrases came back).
    from tgassist.campaigns.sources.direct_import import load_direct_file

    path = fixtures_dir / "yandex-direct" / "direct_import_filled.xlsx"
    cid = await service.import_direct(app, 4, path)
    camp = await campaign_of(app, cid)
    source = load_direct_file(path)
    assert camp.keywords_count == sum(len(g.keywords) for g in source.groups) == 145
    res = await service.export_campaign(app, 4, cid, "xlsx")
    again = load_direct_file(res.path)
    assert [sorted(p for p, _, _ in g.keywords) for g in again.groups] == [
        sorted(p for p, _, _ in g.keywords) for g in source.groups
    ]


def _service_account_key(path: Path) -> Path:
    """A well-formed service account key (a fresh RSA key): it loads without any network call."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "p",
                "private_key_id": "k",
                "private_key": pem,
                "client_email": "sa@p.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "http://127.0.0.1:9/token",
            }
        ),
        encoding="utf-8",
    )
    return path


async def test_sheets_without_a_google_email_gives_the_xlsx_and_says_why(
    make_app: Any, brief_data: dict[str, Any], tmp_path: Path
) -> None:
    # A sheet created by the service account and shared with nobody used to come back as a URL the user
    # cannot open; the unreachable token_uri proves no Google call is made.
    app = await make_app(
        google_service_account_file=str(_service_account_key(tmp_path / "sa.json"))
    )
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    res = await service.export_campaign(app, 1, started.campaign_id, "sheets")
    assert res.url is None and res.path and res.path.suffix == ".xlsx"
    assert res.message and res.message.key == "campaigns.sheets.no_share"
    assert "e-mail" in res.message.render("ru") and "--share" in res.message.render("en")


async def test_sheets_when_google_cannot_be_reached_gives_the_xlsx(
    make_app: Any, brief_data: dict[str, Any], tmp_path: Path
) -> None:
    # The token endpoint refuses the connection: google-auth's RefreshError used to escape as a traceback.
    app = await make_app(
        google_service_account_file=str(_service_account_key(tmp_path / "sa.json"))
    )
    started = await service.create_campaign(app, 1, brief_data)
    await build(app)
    res = await service.export_campaign(
        app, 1, started.campaign_id, "sheets", share_with="me@example.com"
    )
    assert res.url is None and res.path and res.path.suffix == ".xlsx"
    assert res.message and "не удалось создать таблицу" in res.message.render("ru")
