"""The app a scale-out test node serves: the real one, plus a job that records its runs.

Started by Granian as ``tests.scaleout.app:create`` (factory); settings from the environment.
``SCALEOUT_JOB_FILE``: where the job appends its process group (the node) when it starts; with
``SCALEOUT_JOB_HOLD=1`` it then keeps running (holding its lease) until the process ends.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from fastapi import FastAPI

from ventanilla.app import create_app
from ventanilla.core.jobs import JobRun
from ventanilla.settings import Settings


async def record_run(run: JobRun) -> None:
    path = Path(os.environ["SCALEOUT_JOB_FILE"])
    with path.open("a") as out:
        out.write(f"{os.getpgrp()}\n")
    if os.environ.get("SCALEOUT_JOB_HOLD") == "1":
        await asyncio.Event().wait()


def create() -> FastAPI:
    app = create_app(Settings())
    if os.environ.get("SCALEOUT_JOB_FILE"):
        app.state.ctx.jobs.register("test.scaleout", record_run, every=3600)
    return app
