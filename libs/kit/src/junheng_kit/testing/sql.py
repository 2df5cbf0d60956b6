"""Plain SQL against a database URL from synchronous test code (a migration test between two
`upgrade` calls, which run alembic synchronously)."""

import asyncio

from sqlalchemy import text

from junheng_kit.db import create_engine


def run_sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run the statements on `url` in one transaction; the rows of the last one."""

    async def go() -> list[tuple[object, ...]]:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                result = None
                for statement in statements:
                    result = await connection.execute(text(statement))
                return [tuple(r) for r in result.all()] if result and result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())
