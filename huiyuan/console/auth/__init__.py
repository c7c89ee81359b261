"""Staff sign-in for the console: password, account lockout and address delay (django-axes),
the second factor for owner and HQ roles (django-otp), and the staff page's unlock and
reset. The rules themselves live in ``huiyuan.stores.signin`` and ``huiyuan.stores.two_factor``.
"""
