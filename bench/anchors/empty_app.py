"""Anchor of B3/B6: FastAPI endpoints that do nothing, served by uvicorn as `gameservices serve` is.

`POST /api/v1/event/send` takes the same body as the real one (validated as `events: list[Any]`) and
answers how many events it got; `POST /api/v1/empty` answers `{}`.
Run: python bench/anchors/empty_app.py PORT
"""

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Batch(BaseModel):
    """The body of event/send."""

    events: list[Any]


@app.post("/api/v1/event/send")
def send(body: Batch) -> dict[str, Any]:
    """Count the events and do nothing with them."""
    return {"accepted": len(body.events), "duplicates": 0, "rejected": [], "skipped": []}


@app.post("/api/v1/empty")
def empty() -> dict[str, Any]:
    """Answer nothing."""
    return {}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
