"""Creating tiers: a code and a level belong to one tier."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_taken_code_or_level_is_refused_in_words_and_adds_nothing(owner):
    from huiyuan.core.errors import Conflict
    from huiyuan.tiers.models import Tier
    from huiyuan.tiers.services import tier_create

    tier_create(actor=owner, code="jade", name="翡翠", level=7)
    before = Tier.objects.count()
    with pytest.raises(Conflict) as taken_code:
        tier_create(actor=owner, code="jade", name="翡翠二", level=8)
    with pytest.raises(Conflict) as taken_level:
        tier_create(actor=owner, code="opal", name="欧泊", level=7)
    assert (taken_code.value.code, taken_code.value.field) == ("tier_code_taken", "code")
    assert (taken_level.value.code, taken_level.value.field) == ("tier_level_taken", "level")
    assert Tier.objects.count() == before
