"""Teacher statistics per school section, kept from staffing's events (a read model)."""
