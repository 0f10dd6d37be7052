"""A bot-role sender process for the SIGKILL test: `python -m tests.core.sender_process`."""

from __future__ import annotations

import asyncio

from tgassist.app import App
from tgassist.bot.sender import STAGES
from tgassist.core.worker import Worker
from tgassist.settings import Settings


async def main() -> None:
    app = await App.start(Settings())
    worker = Worker(app, STAGES, name="doomed-sender")
    worker.install_signal_handlers()
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
