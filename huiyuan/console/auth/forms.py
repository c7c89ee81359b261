"""Forms of the sign-in pages (the password form is ``console.forms.LoginForm``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A code from the authenticator app (6 digits) or, on the sign-in step, a backup code."""

    code = forms.CharField(label=_("Verification code"), max_length=32, strip=True)
