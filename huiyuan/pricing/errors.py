"""The one error the engine raises: a refusal with a stable code and the numbers behind it.

The engine knows no Django and no translations: the checkout service maps ``code`` to a
``ValidationFailed``/``Conflict`` with a translated message, or shows
``render_error_zh(error)`` (see ``reasons.py``).
"""

from __future__ import annotations


class PricingError(ValueError):
    """A basket, rule or payment request the engine refuses to price."""

    def __init__(self, code: str, **params: int | str) -> None:
        super().__init__(f"{code}: {params}" if params else code)
        self.code = code
        self.params = params
