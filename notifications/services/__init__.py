"""Everything in ``notifications`` that writes: the outbox and its delivery.

``notify`` writes the rows inside the caller's transaction; after commit the
web deliveries are attempted at once in-process, e-mail and SMS either inline
(embedded default) or through Celery (production). Whatever fails stays in
the outbox and ``deliveries_run`` retries it with exponential backoff.
"""

from .delivery import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    backoff,
    deliver,
    deliveries_retry,
    deliveries_run,
    send_fresh,
    web_group,
)
from .outbox import (
    FAST_PATH_GRACE,
    Message,
    Recipient,
    broadcast_after_commit,
    notify,
    notify_many,
)
from .reading import notification_mark_all_read, notification_mark_read

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "FAST_PATH_GRACE",
    "MAX_ATTEMPTS",
    "Message",
    "Recipient",
    "backoff",
    "broadcast_after_commit",
    "deliver",
    "deliveries_retry",
    "deliveries_run",
    "notification_mark_all_read",
    "notification_mark_read",
    "notify",
    "notify_many",
    "send_fresh",
    "web_group",
]
