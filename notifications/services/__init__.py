"""Everything in ``notifications`` that writes: the outbox and its delivery.

``notify`` writes the rows inside the caller's transaction; after commit the
web deliveries are attempted at once in-process (bounded, behind a circuit
breaker), e-mail and SMS either inline (embedded default) or by the delivery
runs (production: nothing is published to a broker from a request). Whatever
fails stays in the outbox and ``deliveries_run`` retries it until it is sent
or expires.
"""

from .delivery import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    PROBE_EVERY,
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
    "PROBE_EVERY",
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
