"""Signed webhooks (issue 18 item 5): a client subscribes a URL to event types of its
jurisdiction; the gateway reads every producer's stream through one shared durable per stream,
records a delivery per matching subscription, and POSTs each event as CloudEvents JSON with a
Standard Webhooks signature, retrying with backoff, keeping a delivery log, and disabling a
subscription whose receiver keeps failing (gateway/README.md, "Webhooks")."""
