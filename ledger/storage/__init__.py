"""Storage backends, one module each: the events, the request-id index and the read model.

A backend is chosen by the database URL (``LEDGER_DATABASE_URL``) and built by the library's
own mechanism: ``PERSISTENCE_MODULE`` names the backend's factory (an ``InfrastructureFactory``
subclass, ``ledger.storage.factory.LedgerFactory``), which constructs its recorder and view.
Importing this package loads no backend: the library resolves the topic when asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.settings import Settings

__all__ = ["FACTORIES", "environment"]

# Backend (the database URL's scheme) → its factory's topic.
FACTORIES = {
    "memory": "ledger.storage.memory:MemoryFactory",
    "sqlite": "ledger.storage.sqlite:SQLiteLedgerFactory",
    "postgres": "ledger.storage.postgres:PostgresLedgerFactory",
}


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The ``eventsourcing`` settings for the database ``settings`` names (the library takes
    no URLs), with ``extra`` settings (``CREATE_TABLE="no"`` to write nothing)."""
    backend, keys = settings.database()
    return {"PERSISTENCE_MODULE": FACTORIES[backend], **keys, **extra}
