"""The pure rules of webhooks: URLs, addresses, event types, who receives what, the retry
schedule, and the Standard Webhooks signature."""

import ipaddress
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from gateway.webhooks import rules
from gateway.webhooks.rules import Subscriber
from junheng_kit.problems import Forbidden, InvalidInput

KNOWN = {"enrollment.admission.confirmed", "staffing.teacher.moved"}


def field_rules(error: InvalidInput | Forbidden) -> list[tuple[str, str]]:
    return [(e.field, e.rule) for e in error.errors]


class TestUrls:
    def test_https_with_a_host_is_accepted_and_defaults_its_port(self) -> None:
        target = rules.parse_url("https://Hooks.Example.org/junheng?x=1", environment="prod")
        assert target == rules.Target("https", "hooks.example.org", 443)

    def test_plain_http_is_refused_outside_dev_and_test(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.parse_url("http://hooks.example.org/in", environment="prod")
        assert field_rules(refused.value) == [("url", "webhook_https")]
        assert rules.parse_url("http://127.0.0.1:9000/in", environment="test").port == 9000

    @pytest.mark.parametrize(
        "url",
        [
            "https://user:pass@hooks.example.org/",
            "https:///no-host",
            "https://hooks.example.org/#fragment",
            "https://hooks.example.org:99999/",
            "https://hooks.example.org/a b",
        ],
    )
    def test_credentials_fragments_bad_ports_and_spaces_are_refused(self, url: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.parse_url(url, environment="test")
        assert field_rules(refused.value) == [("url", "webhook_url_format")]

    def test_another_scheme_is_refused_as_not_https(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.parse_url("ftp://hooks.example.org/", environment="dev")
        assert field_rules(refused.value) == [("url", "webhook_https")]


class TestAddresses:
    @pytest.mark.parametrize(
        ("address", "reason"),
        [
            ("127.0.0.1", "loopback"),
            ("::1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.9", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),  # the cloud's metadata service
            ("fe80::1", "link-local"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("240.0.0.1", "reserved"),
            ("100.64.0.1", "not public"),  # carrier-grade NAT
            ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
            ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ],
    )
    def test_what_is_not_public_is_refused_with_its_kind(self, address: str, reason: str) -> None:
        assert rules.refused_because(ipaddress.ip_address(address)) == reason

    def test_public_addresses_pass(self) -> None:
        assert rules.refused_because(ipaddress.ip_address("202.96.128.86")) is None
        assert rules.refused_because(ipaddress.ip_address("2400:3200::1")) is None

    def test_an_operator_may_open_a_network(self) -> None:
        allowed = [ipaddress.ip_network("10.20.0.0/16")]
        assert rules.refused_because(ipaddress.ip_address("10.20.3.4"), allowed) is None
        assert rules.refused_because(ipaddress.ip_address("10.21.3.4"), allowed) == "private"


class TestEventTypes:
    def test_known_types_of_readable_producers_are_kept_once_sorted(self) -> None:
        kept = rules.check_event_types(
            ["staffing.teacher.moved", "enrollment.admission.confirmed", "staffing.teacher.moved"],
            known=KNOWN,
            scopes={"enrollment:read", "staffing:read"},
        )
        assert kept == ["enrollment.admission.confirmed", "staffing.teacher.moved"]

    def test_none_given_is_422(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.check_event_types([], known=KNOWN, scopes={"enrollment:read"})
        assert field_rules(refused.value) == [("event_types", "event_types_required")]

    def test_an_unknown_type_is_422_naming_its_place(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            rules.check_event_types(
                ["enrollment.admission.confirmed", "enrollment.child.born"],
                known=KNOWN,
                scopes={"enrollment:read"},
            )
        assert field_rules(refused.value) == [("event_types.1", "event_type_known")]

    def test_a_type_of_a_producer_the_client_cannot_read_is_403_naming_the_scope(self) -> None:
        with pytest.raises(Forbidden) as refused:
            rules.check_event_types(
                ["staffing.teacher.moved"], known=KNOWN, scopes={"enrollment:read"}
            )
        assert [(e.field, e.rule, e.message) for e in refused.value.errors] == [
            ("event_types.0", "scope_required", "staffing:read")
        ]


class TestWhoReceives:
    SUBSCRIBER = Subscriber(
        event_types=frozenset({"enrollment.admission.confirmed"}),
        jurisdiction=("150602",),
        client_scopes=frozenset({"enrollment:read"}),
        client_jurisdiction=("1506",),
    )

    def test_a_listed_type_in_its_jurisdiction(self) -> None:
        assert rules.receives(self.SUBSCRIBER, "enrollment.admission.confirmed", "150602")

    def test_not_another_county_nor_another_type(self) -> None:
        assert not rules.receives(self.SUBSCRIBER, "enrollment.admission.confirmed", "150627")
        assert not rules.receives(self.SUBSCRIBER, "enrollment.school.updated", "150602")

    def test_not_once_the_client_lost_the_producers_read_scope(self) -> None:
        narrowed = Subscriber(
            self.SUBSCRIBER.event_types,
            self.SUBSCRIBER.jurisdiction,
            frozenset({"enrollment:write"}),
            self.SUBSCRIBER.client_jurisdiction,
        )
        assert not rules.receives(narrowed, "enrollment.admission.confirmed", "150602")


class TestPublished:
    def test_reads_the_envelope(self) -> None:
        body = b'{"id": "e1", "type": "enrollment.school.updated", "jurisdiction": "150602"}'
        assert rules.read_published(body) == rules.Published(
            "e1", "enrollment.school.updated", "150602"
        )

    @pytest.mark.parametrize(
        "body", [b"not json", b"[1]", b'{"id": "e1", "type": "x"}', b'{"id": 7, "type": "x"}']
    )
    def test_anything_else_is_none(self, body: bytes) -> None:
        assert rules.read_published(body) is None


class TestRetrySchedule:
    def test_waits_as_long_as_it_has_failed_between_the_base_and_the_cap(self) -> None:
        """First attempt at 0 s; then the delivery has failed for 0, 5, 10, 20 … s: the
        attempts start at 0, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120 s, then every
        3600 s (no jitter: factor 1)."""
        starts = [0.0]
        while len(starts) < 15:
            starts.append(
                starts[-1] + rules.retry_delay(starts[-1], base_s=5, cap_s=3600, jitter=1.0)
            )
        assert starts == [0, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 8720, 12320,
                          15920]  # fmt: skip
        # 34 attempts within the 24 h window: 12 up to 5120 s, then 22 hourly ones before 86400
        within_a_day = 12 + len(range(8720, 86400, 3600))
        assert within_a_day == 34

    def test_jitter_scales_the_wait(self) -> None:
        assert rules.retry_delay(100, base_s=5, cap_s=3600, jitter=0.8) == pytest.approx(80)

    def test_a_delivery_gives_up_and_a_subscription_is_disabled_after_their_windows(self) -> None:
        start = datetime(2026, 12, 9, tzinfo=UTC)
        day = timedelta(hours=24)
        assert not rules.gives_up(start, start + day - timedelta(seconds=1), day)
        assert rules.gives_up(start, start + day, day)
        assert rules.disables(start, start + day, day)


class TestSharing:
    def test_at_most_a_few_per_subscription_counting_those_in_flight(self) -> None:
        a, b = UUID(int=1), UUID(int=2)
        due = [(UUID(int=10 + i), a) for i in range(5)] + [(UUID(int=20), b)]
        chosen = rules.share(due, busy={a: 2}, per_subscription=3, limit=10)
        assert chosen == [UUID(int=10), UUID(int=20)]
        assert rules.share(due, busy={}, per_subscription=3, limit=2) == [
            UUID(int=10),
            UUID(int=11),
        ]


class TestSignature:
    def test_matches_the_standard_webhooks_example(self) -> None:
        """The example of the Standard Webhooks specification (secret, id, timestamp, body →
        signature), as its reference libraries test it."""
        signature = rules.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    def test_a_new_secret_is_whsec_and_base64_of_the_key(self) -> None:
        assert rules.new_secret(bytes(range(32))) == (
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        )
