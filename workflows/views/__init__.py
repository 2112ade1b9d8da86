"""Pages of the workflows app (server-rendered; htmx for partial updates)."""
