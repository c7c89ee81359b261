"""Worker tasks of care: sending, campaigns, automatic care rules."""

from __future__ import annotations

from django_tasks import task

from huiyuan.care.sending import deliveries_send, delivery_send


@task()
def send_delivery(delivery_id: int) -> str:
    """Send one delivery now (it is skipped when another worker holds it)."""
    return delivery_send(delivery_id)


@task()
def send_deliveries() -> dict[str, int]:
    """Send every delivery that is due (deferred, retried, or whose task was lost)."""
    return deliveries_send()


@task()
def run_campaign(campaign_id: int) -> dict[str, int]:
    """Run (or resume) a DM campaign to its end."""
    from huiyuan.care.campaigns import campaign_run

    campaign = campaign_run(campaign_id)
    return {"done": campaign.done, "total": campaign.total}


@task()
def run_care_rules() -> dict[str, int]:
    """The daily automatic care: birthdays, anniversaries, expiry reminders, tier warnings."""
    from huiyuan.care.rules import care_rules_run

    return care_rules_run()


@task()
def resume_campaigns() -> list[int]:
    """Hand stalled campaigns (their worker died) to a worker again."""
    from huiyuan.care.campaigns import campaigns_resume_stalled

    return campaigns_resume_stalled()
