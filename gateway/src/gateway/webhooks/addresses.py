"""Where a webhook may go (SSRF): the host's addresses are resolved and checked when the
subscription is made, and again on every connection — a name that resolved to a public address
then may point at the bureau's own network later (DNS rebinding), so the delivery client
connects only to the addresses it has just checked (`GuardedBackend`), keeping the host name
for TLS (SNI and the certificate) and the Host header."""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx

from gateway.webhooks import rules
from gateway.webhooks.rules import Address, Network, Target
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, InvalidInput

USER_AGENT = "Junheng-Webhooks/1 (+https://www.standardwebhooks.com/)"


async def resolve(host: str, port: int, *, timeout: float) -> list[Address]:
    """The host's addresses (an IP literal is its own); OSError or TimeoutError when the name
    does not resolve in time."""
    literal = rules.ip_literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout
    )
    found: dict[Address, None] = {}
    for *_, sockaddr in infos:
        found[ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])] = None
    return list(found)


async def check_target(target: Target, allowed: Sequence[Network], *, timeout: float) -> None:
    """422 naming `url` when the host does not resolve (`webhook_host_resolves`) or one of its
    addresses is not public (`webhook_public_address`)."""
    try:
        addresses = await resolve(target.host, target.port, timeout=timeout)
    except (OSError, TimeoutError, UnicodeError):
        raise InvalidInput(
            t("回调地址的主机名无法解析", "the webhook URL's host does not resolve"),
            FieldError(
                "url",
                "webhook_host_resolves",
                t(f"{target.host} 没有地址", f"{target.host} has no address"),
            ),
        ) from None
    for address in addresses:
        reason = rules.refused_because(address, allowed)
        if reason is not None:
            raise rules.public_address_error(target.host, address, reason)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to checked addresses of the host."""

    def __init__(self, allowed: Sequence[Network], *, dns_timeout: float) -> None:
        self.allowed, self.dns_timeout = tuple(allowed), dns_timeout
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port, timeout=timeout or self.dns_timeout)
        except (OSError, TimeoutError, UnicodeError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve") from error
        for address in addresses:
            reason = rules.refused_because(address, self.allowed)
            if reason is not None:
                raise httpcore.ConnectError(f"address not allowed: {host} → {address} is {reason}")
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are never sent to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def delivery_client(
    allowed: Sequence[Network], *, timeout: float, max_connections: int
) -> httpx.AsyncClient:
    """The HTTP client deliveries use: checked addresses only, no redirects followed, no proxy
    or credentials from the environment, `timeout` for connecting and for each read."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx 0.28 takes no network backend; its pool is replaced by one that has ours
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(allowed, dns_timeout=timeout),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )
