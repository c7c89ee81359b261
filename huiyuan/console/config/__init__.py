"""Configuration and report pages: card types, stored value, points, earn rules, tiers,
enterprise batch recharge, the prepaid-balance (预收款) and points-liability reports.

Each view checks its permission itself, lets a form parse the input (yuan and 折 in the
forms, fen and ‰ inside), calls one service and renders. A service's refusal
(``DomainError``) becomes a form error or a message; nothing is written.

One module per noun, its forms in ``forms`` under the same name; ``urls`` names the views.
"""
