"""Compressed answers through the gateway for clients that accept them: large JSON gzip- or
deflate-coded (a body that crossed NATS deflated is handed on as it travelled), never an answer
with an ETag, a small one or a binary one; `Vary: Accept-Encoding` wherever it could differ."""

import gzip
import json
import random
import zlib
from typing import Any

import httpx
import pytest

from gateway.routing.compression import MIN_BYTES, accepted_codings, compressible
from junheng_kit.testing.plugin import auth

MIB = 1024 * 1024


def json_rows(count: int, seed: int = 40) -> bytes:
    rng = random.Random(seed)
    rows = [
        {"application_id": f"A{n:07d}", "preferences": [f"2115{rng.randrange(10**6):06d}"]}
        for n in range(count)
    ]
    return json.dumps(rows).encode()


async def echo(
    http: httpx.AsyncClient, token: str, payload: bytes, accept: str, kind: str = "application/json"
) -> tuple[httpx.Response, bytes]:
    """The answer, and its body as it came over the wire (before httpx decodes it)."""
    request = http.build_request(
        "POST",
        "/enrollment/v1/echo",
        content=payload,
        headers=auth(token, **{"Content-Type": kind, "Accept-Encoding": accept}),
    )
    response = await http.send(request, stream=True)
    wire = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, wire


class TestCodings:
    @pytest.mark.parametrize(
        ("header", "codings"),
        [
            (b"gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}),
            (b"deflate;q=0.5, gzip;q=0", {"deflate"}),
            (b"GZIP ; q=1.0", {"gzip"}),
            (b"*", {"gzip", "deflate"}),
            (b"gzip;q=0, *", {"deflate"}),
            (b"identity", {"identity"}),
            (b"gzip;q=nonsense", set()),
            (b"", set()),
        ],
    )
    def test_accept_encoding_is_read_with_its_weights(
        self, header: bytes, codings: set[str]
    ) -> None:
        assert accepted_codings(header) == codings

    def test_what_is_worth_compressing(self) -> None:
        json_type = [(b"content-type", b"application/json")]
        assert compressible(200, json_type, MIN_BYTES)
        assert compressible(201, [(b"content-type", b"text/csv; charset=utf-8")], MIN_BYTES)
        assert not compressible(200, json_type, MIN_BYTES - 1)  # small
        assert not compressible(304, json_type, MIN_BYTES)
        assert not compressible(200, [*json_type, (b"etag", b'"1"')], MIN_BYTES)
        assert not compressible(200, [*json_type, (b"content-encoding", b"br")], MIN_BYTES)
        assert not compressible(200, [(b"content-type", b"application/pdf")], MIN_BYTES)


class TestThroughTheGateway:
    async def test_json_is_gzipped_for_a_client_that_asks(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        payload = json_rows(5_000)  # ~270 KB: one NATS message, compressed in the gateway
        response, wire = await echo(http, gateway_token("enrollment:write"), payload, "gzip")
        assert response.status_code == 201
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert int(response.headers["content-length"]) == len(wire) < len(payload) // 3
        assert gzip.decompress(wire) == payload

    async def test_a_body_that_crossed_nats_deflated_is_handed_on_as_it_travelled(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        payload = json_rows(600_000)  # ~38 MB: deflated for NATS
        assert len(payload) > 30 * MIB
        token = gateway_token("enrollment:write")
        response, wire = await echo(http, token, payload, "gzip, deflate")
        assert response.headers["content-encoding"] == "deflate"
        assert len(wire) < len(payload) // 3
        assert zlib.decompress(wire) == payload
        # a client that takes gzip only gets gzip
        response, wire = await echo(http, token, payload, "gzip")
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(wire) == payload
        # and one that asks for nothing gets the bytes as the service sent them
        response, wire = await echo(http, token, payload, "identity")
        assert "content-encoding" not in response.headers
        assert response.headers["vary"] == "Accept-Encoding"
        assert wire == payload

    async def test_small_binary_and_tagged_answers_are_left_alone(
        self, http: httpx.AsyncClient, gateway_token: Any
    ) -> None:
        token = gateway_token("enrollment:write")
        small = json_rows(50)
        response, wire = await echo(http, token, small, "gzip, deflate")
        assert "content-encoding" not in response.headers
        assert "vary" not in response.headers
        assert wire == small
        binary = random.Random(3).randbytes(2 * MIB)
        response, wire = await echo(http, token, binary, "gzip", "application/octet-stream")
        assert "content-encoding" not in response.headers
        assert wire == binary
        for size in (65_536, 3 * MIB):  # one message, and deflated across NATS
            request = http.build_request(
                "GET",
                "/enrollment/v1/tagged",
                params={"size": size},
                headers=auth(gateway_token("enrollment:read"), **{"Accept-Encoding": "deflate"}),
            )
            tagged = await http.send(request)
            assert tagged.headers["etag"] == '"v7"'  # a strong validator, unchanged
            assert "content-encoding" not in tagged.headers
            assert len(tagged.json()["filler"]) == size
