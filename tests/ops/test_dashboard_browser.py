"""The dashboard in a real browser (headless Debian Chromium through Selenium): sign in, read the
overview, open the charts, replay a dead letter, watch a task's progress bar move.

Screenshots go to TGASSIST_SCREENSHOTS_DIR when set (docs/img is made that way), else to a
temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.ops.dashboard_util import TOKEN, populate
from tgassist.api.app import create_api
from tgassist.app import App
from tgassist.core.bus import dlq_name

REQUIRE = os.environ.get("TGASSIST_TEST_REQUIRE_SERVERS") == "1" or bool(os.environ.get("CI"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium, driver_bin = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_bin):
        if REQUIRE:
            pytest.fail("chromium and chromium-driver are not installed (make test installs them)")
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,900")
    options.add_argument("--lang=en-US")
    driver = webdriver.Chrome(service=Service(executable_path=driver_bin), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
async def served(app: App) -> AsyncIterator[str]:
    config = uvicorn.Config(
        create_api(app), host="127.0.0.1", port=0, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):  # uvicorn offers no start event; wait up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the dashboard server did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("TGASSIST_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


async def test_operator_session_in_a_browser(
    app: App, served: str, browser: Any, fixtures_dir: Path, shots: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    await populate(app, fixtures_dir)
    task = await app.tasks.create("channels.import")
    await app.tasks.progress(task.id, stage="parse", percent=10, key="core.task.started")
    b = browser
    wait = WebDriverWait(b, 15)

    def sign_in() -> str:
        b.delete_all_cookies()
        b.get(f"{served}/dashboard/?lang=en")
        assert b.current_url.endswith("/dashboard/login")
        b.find_element(By.ID, "token").send_keys("not the token")
        b.find_element(By.CSS_SELECTOR, "form.login button").click()
        refused = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
        assert "not right" in refused.text  # waited for: the refusal is a new page
        b.find_element(By.ID, "token").send_keys(TOKEN)
        b.save_screenshot(str(shots / "dashboard-login.png"))
        b.find_element(By.CSS_SELECTOR, "form.login button").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".cards")))
        card = b.find_element(By.CSS_SELECTOR, '[data-card="ops.card.posts_today"] .value')
        b.save_screenshot(str(shots / "dashboard-overview.png"))
        return card.text

    assert await asyncio.to_thread(sign_in) == "53"

    def charts() -> int:
        b.find_element(By.LINK_TEXT, "Charts").click()
        wait.until(ec.presence_of_element_located((By.ID, "chart-posts")))
        drawn = len(b.find_elements(By.CSS_SELECTOR, "svg.chart"))
        b.save_screenshot(str(shots / "dashboard-charts.png"))
        return drawn

    assert await asyncio.to_thread(charts) >= 3

    def replay() -> str:
        b.find_element(By.LINK_TEXT, "Streams & DLQ").click()
        assert "a broken post" in b.page_source
        b.find_element(By.CSS_SELECTOR, 'button[data-replay="posts.parsed"]').click()
        notice = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[role=status]")))
        b.save_screenshot(str(shots / "dashboard-streams.png"))
        return notice.text

    assert "1 dead letters sent back" in await asyncio.to_thread(replay)
    assert await app.redis.xlen(dlq_name("posts.parsed")) == 0

    def open_tasks() -> None:
        b.find_element(By.LINK_TEXT, "Tasks").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f'[data-task="{task.id}"]')))

    await asyncio.to_thread(open_tasks)

    def progress_value() -> int:
        bar = b.find_element(By.CSS_SELECTOR, f'[data-task="{task.id}"] progress')
        return int(float(bar.get_attribute("value") or 0))

    assert await asyncio.to_thread(progress_value) == 10
    for percent in (40, 80):
        await app.tasks.progress(task.id, stage="parse", percent=percent, key="core.task.started")
        for _ in range(60):  # the page is not reloaded: the bar moves by server-sent events
            if await asyncio.to_thread(progress_value) == percent:
                break
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(progress_value) == percent
    await asyncio.to_thread(b.save_screenshot, str(shots / "dashboard-tasks.png"))
    await app.tasks.finish(task.id)

    def status_text() -> str:
        return str(b.find_element(By.CSS_SELECTOR, f'[data-task="{task.id}"] .status').text)

    for _ in range(60):
        if await asyncio.to_thread(status_text) == "done":
            break
        await asyncio.sleep(0.1)
    assert await asyncio.to_thread(status_text) == "done"

    def other_pages() -> None:
        for name, file in (("Channels", "channels"), ("Scheduled jobs", "jobs")):
            b.find_element(By.LINK_TEXT, name).click()
            wait.until(ec.presence_of_element_located((By.TAG_NAME, "table")))
            b.save_screenshot(str(shots / f"dashboard-{file}.png"))
        b.set_window_size(390, 844)  # a phone
        b.get(f"{served}/dashboard/?lang=ru")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".cards")))
        width = b.execute_script("return document.documentElement.scrollWidth")
        b.save_screenshot(str(shots / "dashboard-phone-ru.png"))
        b.set_window_size(1280, 900)
        assert width <= 390, f"the overview scrolls sideways on a phone ({width}px)"

    await asyncio.to_thread(other_pages)
