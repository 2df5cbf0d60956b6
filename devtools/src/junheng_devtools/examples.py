"""Keep one recorded request/answer pair per operation as the service's OpenAPI examples.

    JUNHENG_RECORD_EXAMPLES=var/examples .venv/bin/python -m pytest -q services/<svc>/tests
    .venv/bin/python -m junheng_devtools.examples var/examples

reads `<dir>/<service>.jsonl` (junheng_kit.testing.examples) and writes
`services/<service>/src/<service>/openapi-examples.json`: per operationId the smallest pair the
tests made (their data is invented) that validates against the operation's schemas, lists cut
to two items, citizen IDs in answers masked as a
caller without a PII scope sees them and mobile numbers replaced by the placeholder
13800000000. Operations no test reached keep the examples built from their schema
(junheng_kit.openapi_docs); tests/clients checks every example against its schema.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from junheng_kit.openapi_docs import masked

ROOT = Path(__file__).resolve().parents[3]
MOBILE = re.compile(r"1[3-9]\d{9}")
PLACEHOLDER_PHONE = "13800000000"
LIST_ITEMS = 2


def trimmed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: trimmed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trimmed(v) for v in value[:LIST_ITEMS]]
    if isinstance(value, str) and MOBILE.fullmatch(value):
        return PLACEHOLDER_PHONE
    return value


def _media(operation: dict[str, Any], where: str) -> dict[str, Any] | None:
    if where == "request":
        content = operation.get("requestBody", {}).get("content", {})
    else:
        content = operation.get("responses", {}).get(where, {}).get("content", {})
    media = content.get("application/json")
    return media if isinstance(media, dict) else None


def _valid(value: Any, media: dict[str, Any], components: dict[str, Any]) -> bool:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(
        {**media["schema"], "components": components},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return bool(validator.is_valid(value))


def fits(pair: dict[str, Any], operation: dict[str, Any], components: dict[str, Any]) -> bool:
    """Whether a pair validates against the operation's request and answer schemas."""
    answer = _media(operation, pair["status"])
    if answer is None or not _valid(pair["answer"], answer, components):
        return False
    request = _media(operation, "request")
    if request is None or pair["request"] is None:
        return True
    return _valid(pair["request"], request, components)


def chosen(
    service: str, lines: list[dict[str, Any]], document: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per operation, the smallest recorded pair (trimmed and masked) that fits its schemas."""
    operations = {
        o["operationId"]: o
        for item in document["paths"].values()
        for o in item.values()
        if isinstance(o, dict) and "operationId" in o
    }
    candidates: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for line in lines:
        pair = {
            "status": str(line["status"]),
            "request": trimmed(line["request"]),
            "answer": masked(trimmed(line["answer"])),
            "headers": line.get("headers", []),
        }
        size = len(json.dumps(pair, ensure_ascii=False))
        candidates.setdefault(line["operation"], []).append((size, pair))
    kept: dict[str, dict[str, Any]] = {}
    for name, pairs in sorted(candidates.items()):
        operation = operations.get(f"{service}.{name}")
        if operation is None:
            continue
        seen: set[str] = set()
        for _, pair in sorted(pairs, key=lambda sized: sized[0]):
            text = json.dumps(pair, sort_keys=True)
            if text in seen:
                continue
            seen.add(text)
            if fits(pair, operation, document["components"]):
                kept[name] = pair
                break
    return kept


def collect(directory: Path) -> dict[str, int]:
    from junheng_devtools.clients import in_process_document

    document = in_process_document()
    written: dict[str, int] = {}
    for recording in sorted(directory.glob("*.jsonl")):
        service = recording.stem
        lines = [json.loads(text) for text in recording.read_text("utf-8").splitlines() if text]
        examples = chosen(service, lines, document)
        target = ROOT / "services" / service / "src" / service / "openapi-examples.json"
        target.write_text(json.dumps(examples, ensure_ascii=False, indent=1) + "\n", "utf-8")
        written[service] = len(examples)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    for service, count in collect(parser.parse_args().directory).items():
        print(f"{service}: {count} operations")


if __name__ == "__main__":
    main()
