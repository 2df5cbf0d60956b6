"""Test support: real nats-server, real PostgreSQL and SQLite, migrated by the real chain."""
