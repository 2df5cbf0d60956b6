"""The change feed (junheng_kit.changes) on a real service and a real nats-server: evaluation's
published events, in order, for the caller's jurisdiction, with signed cursors (issue 18).

The test run's nats-server keeps every test's events: each test works in a school year of its
own and reads the feed to its end, following the cursors."""

from typing import Any

from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth, eventually

CLASS_SIZES = "evaluation.class_sizes.changed"


async def page(client: AsyncClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/changes", params=params, headers=headers)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


async def to_the_end(
    client: AsyncClient, headers: dict[str, str], **params: Any
) -> tuple[list[dict[str, Any]], str | None]:
    """Every item of the feed, page after page, and the last cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = await page(client, headers, **params, **({"after": cursor} if cursor else {}))
        items += body["items"]
        cursor = body["next_cursor"]
        if body["caught_up"]:
            return items, cursor


async def publish_two_versions(
    client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]], year: int
) -> None:
    resources = await client.put(
        f"/v1/school-resources/150602/{year}", json={"schools": county}, headers=writer
    )
    assert resources.status_code == 200
    for pupils in (40, 57):
        one = {"school_code": "2115060001", "level": "primary", "grade": 1, "name": "1班"}
        body = {"classes": [{**one, "pupils": pupils}]}
        stored = await client.put(f"/v1/school-classes/150602/{year}", json=body, headers=writer)
        assert stored.status_code == 200


async def of_year(
    client: AsyncClient, headers: dict[str, str], year: int, count: int
) -> tuple[list[dict[str, Any]], str | None]:
    async def read() -> tuple[list[dict[str, Any]], str | None] | None:
        items, cursor = await to_the_end(client, headers, type=CLASS_SIZES)
        mine = [i for i in items if i["subject"] == f"150602/{year}"]
        return (mine, cursor) if len(mine) >= count else None

    found: tuple[list[dict[str, Any]], str | None] = await eventually(read)
    return found


def year_of(base: int, backend: str) -> int:
    """A school year of the test's own (the sqlite and postgresql runs share the nats-server)."""
    return base + (0 if backend == "sqlite" else 20)


class TestChangeFeed:
    async def test_the_published_events_come_in_order_and_the_cursor_moves_on(
        self,
        live_client: AsyncClient,
        token: TokenFactory,
        county: list[dict[str, Any]],
        backend: str,
    ) -> None:
        writer = auth(token("evaluation:read", "evaluation:write"))
        await publish_two_versions(live_client, writer, county, year := year_of(2031, backend))

        items, cursor = await of_year(live_client, writer, year, 2)

        assert [item["data"]["version"] for item in items] == [1, 2]
        assert (items[0]["type"], items[0]["jurisdiction"]) == (CLASS_SIZES, "150602")
        assert items[0]["sequence"] < items[1]["sequence"]
        after = await page(live_client, writer, after=cursor, type=CLASS_SIZES)
        assert (after["items"], after["next_cursor"], after["caught_up"]) == ([], cursor, True)

    async def test_a_small_page_continues_where_it_stopped(
        self,
        live_client: AsyncClient,
        token: TokenFactory,
        county: list[dict[str, Any]],
        backend: str,
    ) -> None:
        writer = auth(token("evaluation:read", "evaluation:write"))
        await publish_two_versions(live_client, writer, county, year := year_of(2032, backend))
        items, _ = await of_year(live_client, writer, year, 2)
        before = items[0]["sequence"] - 1
        start = await page(live_client, writer, type=CLASS_SIZES)  # a cursor to rewind from
        assert start["next_cursor"] is not None

        seen: list[int] = []
        cursor: str | None = None
        body: dict[str, Any] = {"caught_up": False}
        while not body["caught_up"]:
            params = {"limit": 1, "type": CLASS_SIZES, **({"after": cursor} if cursor else {})}
            body = await page(live_client, writer, **params)
            assert len(body["items"]) <= 1
            seen += [i["sequence"] for i in body["items"] if i["sequence"] > before]
            cursor = body["next_cursor"]

        assert seen == [items[0]["sequence"], items[1]["sequence"]]

    async def test_another_countys_client_sees_none_of_it(
        self,
        live_client: AsyncClient,
        token: TokenFactory,
        county: list[dict[str, Any]],
        backend: str,
    ) -> None:
        writer = auth(token("evaluation:read", "evaluation:write"))
        await publish_two_versions(live_client, writer, county, year := year_of(2033, backend))
        await of_year(live_client, writer, year, 2)
        tongyu = auth(token("evaluation:read", jurisdiction=("220822",)))

        items, _ = await to_the_end(live_client, tongyu)

        assert [i for i in items if i["jurisdiction"] != "220822"] == []
        assert not any(i["subject"] == f"150602/{year}" for i in items)

    async def test_a_cursor_of_another_client_or_forged_is_refused(
        self,
        live_client: AsyncClient,
        token: TokenFactory,
        county: list[dict[str, Any]],
        backend: str,
    ) -> None:
        writer = auth(token("evaluation:read", "evaluation:write"))
        await publish_two_versions(live_client, writer, county, year := year_of(2034, backend))
        _, cursor = await of_year(live_client, writer, year, 1)
        other = auth(token("evaluation:read", subject="another-app"))

        stolen = await live_client.get("/v1/changes", params={"after": cursor}, headers=other)
        forged = await live_client.get(
            "/v1/changes", params={"after": "ZXZhbHVhdGlvbjow.AAAA"}, headers=writer
        )

        for response in (stolen, forged):
            assert response.status_code == 422
            assert response.json()["errors"][0]["rule"] == "cursor_invalid"
