"""The domain model: value objects, the ``Office`` aggregate and its events."""
