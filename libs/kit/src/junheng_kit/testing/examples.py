"""Record request/answer pairs of the API tests as OpenAPI examples (junheng_kit.openapi_docs).

With `JUNHENG_RECORD_EXAMPLES=<dir>` set, the plugin's `client` and `live_client` fixtures
append every JSON exchange that succeeded (2xx) to `<dir>/<service>.jsonl`, named by the
operation it reached, with the answer headers of RECORDED_HEADERS it carried.
`python -m junheng_devtools.examples <dir>` then keeps one pair per operation (the smallest
that validates, lists cut to two items, citizen IDs in answers masked) in
`<package>/openapi-examples.json`, which the service's OpenAPI shows as its examples.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from junheng_kit.openapi_docs import api_routes, operation_id

RECORD_ENV = "JUNHENG_RECORD_EXAMPLES"
RECORDED_HEADERS = ("Location",)  # answer headers the examples note as seen


def _json(content: bytes, content_type: str) -> Any:
    if not content or "json" not in content_type or "problem" in content_type:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _operation(app: FastAPI, method: str, path: str) -> str | None:
    for route in api_routes(app.routes):
        if method in (route.methods or ()) and route.path_regex.match(path):
            return route.operation_id or operation_id(route)
    return None


def recording_hooks(app: FastAPI) -> dict[str, list[Any]]:
    """httpx event hooks that record the app's successful JSON exchanges, when asked to."""
    directory = os.environ.get(RECORD_ENV)
    if not directory:
        return {}
    target = Path(directory) / f"{app.state.settings.service_name}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)

    async def record(response: httpx.Response) -> None:
        if not 200 <= response.status_code < 300:
            return
        await response.aread()
        answer = _json(response.content, response.headers.get("content-type", ""))
        if answer is None:
            return
        request = response.request
        operation = _operation(app, request.method, request.url.path)
        if operation is None:
            return
        sent = _json(request.content, request.headers.get("content-type", ""))
        line = {
            "operation": operation,
            "status": response.status_code,
            "request": sent,
            "answer": answer,
            "headers": sorted(h for h in RECORDED_HEADERS if h.lower() in response.headers),
        }
        with target.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")

    return {"response": [record]}
