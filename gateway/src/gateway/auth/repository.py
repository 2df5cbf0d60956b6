from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.models import Client


@dataclass
class ClientRepository:
    session: AsyncSession

    def add(self, client: Client) -> None:
        self.session.add(client)

    async def find(self, client_id: str) -> Client | None:
        return await self.session.get(Client, client_id)

    async def lock(self, client_id: str) -> Client | None:
        """The client, locked for the caller's transaction (FOR UPDATE on PostgreSQL): two
        operators rotating one client's secret at once do not both print a working secret."""
        return await self.session.scalar(
            select(Client).where(Client.client_id == client_id).with_for_update()
        )

    async def all(self) -> list[Client]:
        return list(await self.session.scalars(select(Client).order_by(Client.created_at)))
