"""The web layer: server-rendered pages, the JSON API under /api/v1 and webhook receivers under /hooks."""
