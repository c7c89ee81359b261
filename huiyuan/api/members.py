"""Member endpoints (placeholder router; filled in by the API work)."""

from ninja import Router

router = Router(tags=["members"])
