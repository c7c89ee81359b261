"""Password rules on change: the current password first, then at least 8 characters, not a
common password, not all digits; a long passphrase of any characters is fine."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from huiyuan.audit.models import AuditEvent
from huiyuan.core.errors import ValidationFailed
from huiyuan.core.permissions import Role
from huiyuan.stores.services import staff_change_password

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak", ["short7!", "password", "12345678901", "qwertyuiop"])
def test_weak_new_passwords_are_refused_and_nothing_changes(staff, actors, weak) -> None:
    cashier = staff[Role.CASHIER]
    with pytest.raises(ValidationFailed) as refused:
        staff_change_password(
            actor=actors[Role.CASHIER], staff=cashier, old_password=PASSWORD, new_password=weak
        )
    assert (refused.value.code, refused.value.field) == ("weak_password", "new_password")
    cashier.refresh_from_db()
    assert cashier.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="staff.password_changed").exists()


def test_a_long_passphrase_of_any_characters_is_accepted(staff, actors) -> None:
    cashier = staff[Role.CASHIER]
    phrase = "门店收银 tuesday-雨天 " * 4 + "🙂"  # 70+ characters, spaces and emoji
    staff_change_password(
        actor=actors[Role.CASHIER], staff=cashier, old_password=PASSWORD, new_password=phrase
    )
    cashier.refresh_from_db()
    assert cashier.check_password(phrase)
    assert not cashier.check_password(phrase[:64])  # not truncated: checked exactly as typed
