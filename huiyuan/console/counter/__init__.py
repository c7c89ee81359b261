"""Counter pages: cards and their holders, recharge and refund, quick consumption and its
receipt, points, tiers, and the member page's money sections.

Thin views in the console's way: parse the form, check the permission with ``require``,
call one service, render. A service's ``DomainError`` is shown on the form and nothing is
written. Every money form carries an idempotency key (see ``forms``).

One module per noun; ``urls`` names the views. The member page's money sections are
registered by ``member_sections`` when the URLs are loaded.
"""
