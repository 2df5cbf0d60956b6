"""No personal data in logs, events or error bodies.

After the PII-heavy traffic of the `seeded` fixture (applications with children's citizen IDs
and names, a pupil roster of 330 children, a teacher, agency lookups, bad input carrying IDs),
every service's log file, every message in the JetStream streams and every 4xx body seen are
scanned for the citizen IDs, the children's names and the aid category codes the agencies
answered. Masked forms (`150602********123X`, `张*`) are what may appear.
"""

import asyncio
from typing import Any

import httpx
import nats
import pytest
from junheng_devtools.system import System

from junheng_contracts import STREAMS
from junheng_kit.logs import mask_citizen_id, mask_name
from junheng_kit.messaging.connection import DLQ_STREAM, connect

from .conftest import Seeded

# the first test starts the session's system: minutes on a busy shared machine
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def stream_messages(system: System) -> list[tuple[str, str]]:
    """(subject, payload) of every message stored in every stream, dead letters included (read
    as the operator: the only identity that may read every stream)."""

    async def read() -> list[tuple[str, str]]:
        assert system.nats is not None
        client = await connect(system.nats.url, "test-pii", **system.nats_options())
        try:
            js = client.jetstream()
            found = []
            for stream in (*STREAMS, DLQ_STREAM):
                try:
                    state = (await js.stream_info(stream)).state
                except nats.js.errors.NotFoundError:
                    continue
                if state.messages == 0:
                    continue
                for sequence in range(max(state.first_seq, 1), state.last_seq + 1):
                    try:
                        message = await js.get_msg(stream, sequence)
                    except nats.js.errors.NotFoundError:
                        continue
                    found.append((str(message.subject), (message.data or b"").decode()))
            return found
        finally:
            await client.close()

    return asyncio.run(read())


def findings(text: str, needles: dict[str, str]) -> list[str]:
    return [label for needle, label in needles.items() if needle in text]


@pytest.fixture(scope="module")
def needles(seeded: Seeded, dongsheng: httpx.Client) -> dict[str, str]:
    """What must not appear, with a label that does not repeat it."""
    found: dict[str, str] = {}
    for citizen_id in seeded.citizen_ids:
        found[citizen_id] = f"citizen id {mask_citizen_id(citizen_id)}"
    for name in seeded.names:
        if len(name) >= 2:  # one character would match any text
            found[name] = f"name {mask_name(name)}"
    return found


@pytest.fixture(scope="module")
def categories(seeded: Seeded) -> set[str]:
    """The aid categories the agencies answered for our pupils (their codes)."""
    assert seeded.categories, "no lookup matched a pupil the simulators hold"
    return seeded.categories


class TestLogs:
    def test_no_service_log_line_holds_a_citizen_id_a_childs_name_or_an_aid_category(
        self, system: System, seeded: Seeded, needles: dict[str, str], categories: set[str]
    ) -> None:
        needles = {**needles, **{f'"{code}"': f"category {code}" for code in categories}}
        logs = sorted((system.var / "logs").glob("*.log"))
        assert {p.stem for p in logs} >= {
            "gateway",
            "enrollment",
            "staffing",
            "assistance",
            "evaluation",
        }
        lines, hits = 0, []
        for path in logs:
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                lines += 1
                hits += [(path.name, number, label) for label in findings(line, needles)]
        assert hits == []
        assert lines >= 100
        print(f"\nPII scan: {lines} log lines in {len(logs)} files")


class TestEvents:
    def test_no_event_holds_a_citizen_id_a_name_or_an_aid_category(
        self, system: System, seeded: Seeded, needles: dict[str, str], categories: set[str]
    ) -> None:
        assert system.nats is not None
        messages = stream_messages(system)
        hits = []
        category_needles = {f'"{code}"': f"category {code}" for code in categories}
        for subject, payload in messages:
            hits += [(subject, label) for label in findings(subject + payload, needles)]
            hits += [(subject, label) for label in findings(payload, category_needles)]
        assert hits == []
        assert len(messages) >= 10
        print(f"\nPII scan: {len(messages)} stream messages, categories {sorted(categories)}")


class TestErrorBodies:
    def test_no_refusal_echoes_personal_data(
        self, seeded: Seeded, needles: dict[str, str], categories: set[str]
    ) -> None:
        hits = []
        for body in seeded.error_bodies:
            hits += findings(body, needles)
        assert hits == []
        assert len(seeded.error_bodies) >= 5
        print(f"\nPII scan: {len(seeded.error_bodies)} error bodies")

    def test_validation_errors_do_not_echo_the_input(
        self, dongsheng: httpx.Client, seeded: Seeded, needles: dict[str, str]
    ) -> None:
        """Each bad-input kind: a citizen ID in a wrong-typed field, in a too-long field, in
        an unknown field; none comes back."""
        citizen_id = sorted(seeded.citizen_ids)[0]
        bodies: list[Any] = [
            {"child": citizen_id},
            {"citizen_id": citizen_id * 3},
            [citizen_id],
        ]
        seen = []
        for path in (
            "/enrollment/v1/applications",
            "/staffing/v1/teachers",
            "/assistance/v1/students",
        ):
            for body in bodies:
                response = dongsheng.post(path, json=body)
                assert 400 <= response.status_code < 500, (path, response.status_code)
                seeded.error_bodies.append(response.text)
                seen += findings(response.text, needles)
        assert seen == []
