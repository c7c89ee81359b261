"""Request (``XIn``) and response (``XOut``) schemas of API v1, one module per domain."""
