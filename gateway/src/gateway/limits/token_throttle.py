"""Throttling of `POST /oauth/token` before the client secret is hashed.

A wrong secret costs ~0.35 s of argon2 CPU, so attempts are counted before the hash runs, in the
shared limiter (all replicas together):
- per source address, every attempt (default 30 a minute);
- per client id, failed attempts (default 10 a minute): one is reserved before the hash and
  given back when the secret was right, so concurrent guesses cannot outrun the count.
Over either limit the answer is 429 at once and argon2 does not run. Unknown client ids are
counted like known ones (and cost the decoy hash when not throttled): the throttle says nothing
about which client ids exist.
"""

import ipaddress
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from ipaddress import IPv4Network, IPv6Network

from gateway.limits import rules
from gateway.limits.rules import Decision, Policy
from gateway.limits.shared import SharedLimiter
from junheng_kit.problems import DomainError, FieldError, TooManyRequests

FAILURES_POLICY = "token-failures"
ADDRESSES_POLICY = "token-address"
IPV6_PREFIX = 64  # one subscriber gets a whole /64: count it as one address

Network = IPv4Network | IPv6Network


def per_minute(name: str, count: int) -> Policy:
    return Policy(name, rate_per_second=count / 60, burst=count)


def source_address(
    peer: str | None, forwarded_for: Sequence[str], trusted_proxies: Sequence[Network]
) -> str:
    """The address a token request came from: the socket peer, or, when the peer is a trusted
    proxy, the right-most address of X-Forwarded-For that is not one (entries further left
    were written by the client and prove nothing). IPv6 addresses count by their /64."""
    if peer is None:
        return "unknown"
    address = _parsed(peer)
    if address is None:
        return peer
    if trusted_proxies and _is_trusted(address, trusted_proxies):
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        for hop in reversed([h for h in hops if h]):
            forwarded = _parsed(hop)
            if forwarded is None:  # not an address: stop at the last proxy that vouched
                break
            address = forwarded
            if not _is_trusted(forwarded, trusted_proxies):
                break
    if address.version == 6:
        return str(IPv6Network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def _parsed(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:  # dual-stack sockets
        return address.ipv4_mapped
    return address


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]
) -> bool:
    return any(address in network for network in trusted)


class TokenThrottle:
    def __init__(
        self,
        limiter: SharedLimiter,
        *,
        failures: Policy,
        attempts: Policy,
        trusted_proxies: Sequence[Network],
    ) -> None:
        self.limiter = limiter
        self.failures = failures  # per client id, failed attempts
        self.attempts = attempts  # per source address, every attempt
        self.trusted_proxies = tuple(trusted_proxies)

    def source_address(self, peer: str | None, forwarded_for: Sequence[str]) -> str:
        return source_address(peer, forwarded_for, self.trusted_proxies)

    @asynccontextmanager
    async def attempt(self, *, client_id: str, address: str) -> AsyncIterator[dict[str, str]]:
        """Around the secret check: 429 before it when over a limit; the attempt counts, and a
        failure (any error raised inside) keeps the client's reserved failure. Yields the
        RateLimit fields for the answer."""
        by_address = await self.limiter.acquire(self.attempts, address)
        if not by_address.allowed:
            raise _throttled(
                self.attempts,
                by_address,
                "too many token requests from this address; retry later",
                FieldError("address", "token_attempts_per_address"),
            )
        by_client = await self.limiter.acquire(self.failures, client_id)
        if not by_client.allowed:
            raise _throttled(
                self.failures,
                by_client,
                "too many failed token requests for this client id; retry later",
                FieldError("client_id", "token_failures_per_client"),
            )
        fields = rate_limit_fields(self.attempts, by_address)
        try:
            yield fields
        except DomainError as error:
            error.headers.update(fields)
            raise
        self.limiter.release(self.failures, client_id)  # authenticated: not a failure


def rate_limit_fields(policy: Policy, decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Policy": rules.policy_field(policy),
        "RateLimit": rules.limit_field(policy, decision),
    }


def _throttled(
    policy: Policy, decision: Decision, detail: str, error: FieldError
) -> TooManyRequests:
    return TooManyRequests(
        detail,
        error,
        headers={
            "Retry-After": str(decision.reset_seconds),
            **rate_limit_fields(policy, decision),
        },
    )
