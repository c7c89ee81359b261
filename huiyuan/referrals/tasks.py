"""Background tasks of referrals (scheduled daily by ``huiyuan/jobs/scheduler.py``)."""

from __future__ import annotations

from django_tasks import task

from huiyuan.referrals.services import commissions_release_run


@task()
def referral_release() -> dict[str, int]:
    """Release the referral commission whose return window has passed."""
    return commissions_release_run()
