"""The event contracts as the gateway publishes them at /asyncapi.json (AsyncAPI 3.0): a reviewed
snapshot, and a structural check of what AsyncAPI 3.0 requires, every `$ref` resolving inside
the document.

`make snapshots` rewrites asyncapi.json after a reviewed change of an event schema.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.openapi.asyncapi import document
from gateway.webhooks.catalogue import EVENTS

SNAPSHOT = Path(__file__).parent / "asyncapi.json"
IDENTIFIER = re.compile(r"^[A-Za-z0-9_\-]+$")  # channels, operations, servers, messages
COMPONENT = re.compile(r"^[a-zA-Z0-9.\-_]+$")


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    return document(EVENTS)


def test_the_asyncapi_document_matches_the_reviewed_snapshot(asyncapi: dict[str, Any]) -> None:
    text = json.dumps(asyncapi, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("JUNHENG_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), "no asyncapi.json snapshot: run `make snapshots` and commit it"
    assert json.loads(text) == json.loads(SNAPSHOT.read_text())


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(root: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref}: only references inside the document"
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{ref} does not resolve"
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


class TestStructure:
    def test_the_required_fields_of_asyncapi_3(self, asyncapi: dict[str, Any]) -> None:
        assert asyncapi["asyncapi"] == "3.0.0"
        assert asyncapi["info"]["title"]
        assert asyncapi["info"]["version"]
        for name, server in asyncapi["servers"].items():
            assert IDENTIFIER.match(name), name
            assert server["host"], name
            assert server["protocol"] in {"nats", "https"}, name
        for name, channel in asyncapi["channels"].items():
            assert IDENTIFIER.match(name), name
            assert "address" in channel, name  # a string, or null: unknown (the webhook URL)
            assert all(IDENTIFIER.match(m) for m in channel["messages"]), name
        for name, operation in asyncapi["operations"].items():
            assert IDENTIFIER.match(name), name
            assert operation["action"] in {"send", "receive"}, name
            channel_ref = operation["channel"]["$ref"]
            assert channel_ref.startswith("#/channels/"), name
            for message in operation["messages"]:  # messages of the operation's own channel
                assert message["$ref"].startswith(f"{channel_ref}/messages/"), name
        for section in asyncapi["components"].values():
            assert all(COMPONENT.match(key) for key in section)

    def test_every_reference_resolves_inside_the_document(self, asyncapi: dict[str, Any]) -> None:
        found = list(refs(asyncapi))
        assert len(found) > 100
        for ref in found:
            resolve(asyncapi, ref)
        assert "$defs" not in json.dumps(asyncapi)  # nested models hoisted into components

    def test_each_event_type_is_a_nats_channel_and_a_webhook_message(
        self, asyncapi: dict[str, Any]
    ) -> None:
        channels = asyncapi["channels"]
        webhook = channels["webhook"]
        assert webhook["address"] is None
        assert webhook["servers"] == [{"$ref": "#/servers/subscriber"}]
        for event_type, event in EVENTS.items():
            ident = event_type.replace(".", "-")
            assert channels[ident]["address"] == event_type
            assert channels[ident]["servers"] == [{"$ref": "#/servers/nats"}]
            nats_message = resolve(asyncapi, channels[ident]["messages"][ident]["$ref"])
            hook_message = resolve(asyncapi, webhook["messages"][ident]["$ref"])
            payload = resolve(asyncapi, nats_message["payload"]["$ref"])
            assert hook_message["payload"] == nats_message["payload"]
            assert payload["properties"]["type"]["const"] == event_type
            assert set(payload["required"]) == set(event.model_json_schema()["required"])
            assert hook_message["contentType"] == "application/cloudevents+json"
        headers = asyncapi["components"]["schemas"]["WebhookHeaders"]
        assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers["required"])
        deliver = asyncapi["operations"]["deliver-webhook"]
        assert deliver["bindings"]["http"]["method"] == "POST"
        assert len(deliver["messages"]) == len(EVENTS) == 18
