"""The event contracts as an AsyncAPI 3.0 document (pure: built from libs/contracts).

- one channel per event type on the internal NATS server (its address is the subject, which is
  also the CloudEvents `type`), sent by its producer, with the `Nats-Msg-Id` header;
- one `webhook` channel on the subscriber's HTTPS server (address: the URL of the subscription)
  carrying every type, POSTed as `application/cloudevents+json` with the Standard Webhooks
  headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`);
- the payloads are the producers' JSON Schemas (pydantic), each nested model hoisted into
  `components.schemas` as `<producer>.<Model>` so that every `$ref` resolves in the document.

Identifiers of channels, operations and messages use `-` and `_` only (AsyncAPI 3:
`^[A-Za-z0-9_\\-]+$`); component names keep the dots of the event types.
"""

from collections.abc import Mapping
from typing import Any

from gateway.webhooks import rules

VERSION = "3.0.0"
COMPONENT_REF = "#/components/schemas/"
WEBHOOK_CHANNEL = "webhook"
NATS_HEADERS = "NatsHeaders"
WEBHOOK_HEADERS = "WebhookHeaders"
HTTP_BINDING_VERSION = "0.3.0"
NATS_BINDING_VERSION = "0.1.0"

DESCRIPTION = """均衡 Junheng events: what the services publish (CloudEvents 1.0 JSON, `type` =
NATS subject, extension `jurisdiction` = the GB/T 2260 code the event belongs to; no personal
data: children are pseudonymous keys).

Inside a deployment the events travel on NATS JetStream, one stream per producer (services and
the gateway only, each with its own identity). Outside, a client receives them as webhooks:
`POST /v1/webhooks` on the gateway with a URL and event types (each needs the producer's read
scope; events of the token's jurisdiction only), then each event is POSTed to the URL signed
with the subscription's secret. Verify `webhook-signature` before trusting a delivery:
base64(HMAC-SHA256(base64-decoded secret after `whsec_`, `{webhook-id}.{webhook-timestamp}.{body}`))
after `v1,`; reject a timestamp far from your clock (5 minutes), and drop a `webhook-id` you
already processed (retries carry the same id). Answer 2xx within 5 s; anything else is retried
with backoff for 24 h. The same events can be read back in order from each service's change
feed, `GET /<service>/v1/changes`."""


def channel_id(event_type: str) -> str:
    """`enrollment.admission.confirmed` → `enrollment-admission-confirmed`."""
    return event_type.replace(".", "-")


def _schemas_of(event: Any) -> tuple[str, dict[str, Any]]:
    """The event's schema name and every schema it needs, refs pointing into components."""
    producer = event.event_type.split(".", 1)[0]
    schema = event.model_json_schema(ref_template=f"{COMPONENT_REF}{producer}.{{model}}")
    definitions = schema.pop("$defs", {})
    name = f"{producer}.{event.__name__}"
    found = {f"{producer}.{key}": value for key, value in definitions.items()}
    found[name] = schema
    return name, found


def _header_schemas() -> dict[str, Any]:
    return {
        NATS_HEADERS: {
            "type": "object",
            "properties": {
                "Nats-Msg-Id": {
                    "type": "string",
                    "description": "the event id: the stream drops a second publish of it within "
                    "its duplicate window",
                }
            },
        },
        WEBHOOK_HEADERS: {
            "type": "object",
            "required": [
                "content-type",
                rules.HEADER_ID,
                rules.HEADER_TIMESTAMP,
                rules.HEADER_SIGNATURE,
            ],
            "properties": {
                "content-type": {"type": "string", "const": rules.CONTENT_TYPE},
                rules.HEADER_ID: {
                    "type": "string",
                    "format": "uuid",
                    "description": "the delivery's id, the same on every attempt and redelivery: "
                    "process each once",
                },
                rules.HEADER_TIMESTAMP: {
                    "type": "string",
                    "pattern": "^[0-9]+$",
                    "description": "unix seconds when this attempt was signed",
                },
                rules.HEADER_SIGNATURE: {
                    "type": "string",
                    "pattern": "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$",
                    "description": "space-separated `v1,<base64 HMAC-SHA256>` signatures of "
                    "`{webhook-id}.{webhook-timestamp}.{body}` with the subscription's secret",
                },
            },
        },
    }


def document(events: Mapping[str, Any], *, version: str = "0.1.0") -> dict[str, Any]:
    """The AsyncAPI 3.0 document of `events` (event type → its CloudEvent class)."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    webhook_messages: dict[str, Any] = {}
    for event_type, event in events.items():
        name, needed = _schemas_of(event)
        for key, value in needed.items():
            if schemas.setdefault(key, value) != value:
                raise ValueError(f"two different schemas are both called {key}")
        ident = channel_id(event_type)
        summary = (event.__doc__ or event_type).strip().splitlines()[0]
        payload = {"$ref": f"{COMPONENT_REF}{name}"}
        messages[ident] = {
            "name": event.__name__,
            "title": event_type,
            "summary": summary,
            "contentType": "application/json",
            "headers": {"$ref": f"{COMPONENT_REF}{NATS_HEADERS}"},
            "payload": payload,
        }
        messages[f"webhook-{ident}"] = {
            "name": event.__name__,
            "title": event_type,
            "summary": summary,
            "contentType": rules.CONTENT_TYPE,
            "headers": {"$ref": f"{COMPONENT_REF}{WEBHOOK_HEADERS}"},
            "payload": payload,
        }
        channels[ident] = {
            "address": event_type,
            "title": event_type,
            "summary": summary,
            "servers": [{"$ref": "#/servers/nats"}],
            "messages": {ident: {"$ref": f"#/components/messages/{ident}"}},
        }
        operations[f"publish-{ident}"] = {
            "action": "send",
            "title": f"{event_type.split('.', 1)[0]} publishes {event_type}",
            "channel": {"$ref": f"#/channels/{ident}"},
            "messages": [{"$ref": f"#/channels/{ident}/messages/{ident}"}],
            "bindings": {"nats": {"bindingVersion": NATS_BINDING_VERSION}},
        }
        webhook_messages[ident] = {"$ref": f"#/components/messages/webhook-{ident}"}
    schemas.update(_header_schemas())
    channels[WEBHOOK_CHANNEL] = {
        "address": None,
        "title": "Webhook deliveries (事件回调)",
        "description": "The URL of a subscription (`POST /v1/webhooks`): the events of its types "
        "and jurisdiction, one POST each, signed; retried with backoff until a 2xx comes.",
        "servers": [{"$ref": "#/servers/subscriber"}],
        "messages": webhook_messages,
    }
    operations["deliver-webhook"] = {
        "action": "send",
        "title": "The gateway POSTs an event to a subscriber",
        "description": "Answer 2xx within 5 s. Other answers, timeouts and refused connections "
        "are retried (5 s, 10 s, 20 s … then hourly, for 24 h); after 24 h of failures the "
        "subscription is disabled (`POST /v1/webhooks/{id}/enable`). Redirects are not followed.",
        "channel": {"$ref": f"#/channels/{WEBHOOK_CHANNEL}"},
        "messages": [
            {"$ref": f"#/channels/{WEBHOOK_CHANNEL}/messages/{ident}"} for ident in webhook_messages
        ],
        "bindings": {"http": {"method": "POST", "bindingVersion": HTTP_BINDING_VERSION}},
    }
    return {
        "asyncapi": VERSION,
        "info": {"title": "Junheng events", "version": version, "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "{host}",
                "protocol": "nats",
                "title": "The deployment's NATS JetStream (internal)",
                "description": "Services and the gateway only, each with its own nkey and subject "
                "permissions, over TLS; one stream per producer (`ENROLLMENT` ← `enrollment.>` …).",
                "variables": {
                    "host": {"default": "127.0.0.1:4222", "description": "a node of the cluster"}
                },
            },
            "subscriber": {
                "host": "{host}",
                "protocol": "https",
                "title": "A subscriber's endpoint",
                "description": "The host of a subscription's URL: public addresses only.",
                "variables": {"host": {"description": "host[:port] of the subscription's url"}},
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }
