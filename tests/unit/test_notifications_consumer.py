"""Pieces of the notification socket that need no database."""

from __future__ import annotations

from channels.layers import InMemoryChannelLayer

from notifications.consumers import EMBEDDED_POLL_SECONDS, NotificationConsumer, poll_seconds
from notifications.selectors import Audience


def test_polling_is_automatic_only_for_a_process_local_layer(settings):
    settings.NOTIFICATIONS_POLL_SECONDS = None
    assert poll_seconds(InMemoryChannelLayer()) == EMBEDDED_POLL_SECONDS
    assert poll_seconds(object()) == 0  # e.g. channels_redis: pushes cross processes
    settings.NOTIFICATIONS_POLL_SECONDS = 2
    assert poll_seconds(object()) == 2
    settings.NOTIFICATIONS_POLL_SECONDS = 0
    assert poll_seconds(InMemoryChannelLayer()) == 0


def test_groups_of_an_audience():
    assert Audience(user_id=7).groups == ["user.7"]
    assert Audience(user_id=7, unit_id=3, centre_ids=(1, 2), staff=True).groups == [
        "user.7",
        "unit.3",
        "centre.1",
        "centre.2",
    ]


def test_an_id_is_sent_once_even_after_the_memory_is_folded():
    consumer = NotificationConsumer()
    consumer.seen, consumer.floor = set(), 0
    consumer.SEEN_MAX = 10
    assert [consumer._first_time(i) for i in (5, 3, 5, 3)] == [True, True, False, False]
    for i in range(100, 120):
        assert consumer._first_time(i)
    assert len(consumer.seen) <= 10
    assert consumer.floor > 5
    assert not consumer._first_time(5)  # folded into the floor: still never twice
    assert not consumer._first_time(119)
    assert consumer._first_time(120)
