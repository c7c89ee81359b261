"""Activity services: every write of the activities app (see each module's docstring)."""

from huiyuan.activities.services.activities import (
    ActivityInput,
    activity_cancel,
    activity_create,
    activity_end,
    activity_publish,
    activity_update,
)
from huiyuan.activities.services.signups import (
    signup_attend,
    signup_cancel,
    signup_create,
    signup_release,
)

__all__ = [
    "ActivityInput",
    "activity_cancel",
    "activity_create",
    "activity_end",
    "activity_publish",
    "activity_update",
    "signup_attend",
    "signup_cancel",
    "signup_create",
    "signup_release",
]
