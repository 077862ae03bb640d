"""Per-process caches that rebuild as soon as their data changes, in any process, and never after a rollback."""

from __future__ import annotations

import pytest
from django.db import transaction

from tanfang.core import generations
from tanfang.core.generations import Cached, bump, current
from tanfang.core.models import Generation

pytestmark = pytest.mark.django_db


class Counter:
    def __init__(self) -> None:
        self.builds = 0

    def __call__(self) -> int:
        self.builds += 1
        return self.builds


def test_a_missing_token_is_created_and_then_stays_the_same():
    assert not Generation.objects.filter(name="things").exists()

    first = current("things")

    assert current("things") == first == Generation.objects.get(name="things").token


def test_a_cached_value_is_kept_until_its_data_changes():
    build = Counter()
    cache = Cached("things", build)

    assert (cache.get(), cache.get()) == (1, 1)
    bump("things")
    assert (cache.get(), cache.get()) == (2, 2)
    assert build.builds == 2


def test_a_change_elsewhere_is_seen_without_a_signal_in_this_process():
    build = Counter()
    cache = Cached("things", build)
    cache.get()

    Generation.objects.filter(name="things").update(token=12345)  # as another process's bump would

    assert cache.get() == 2


def test_a_value_built_inside_a_rolled_back_change_is_not_served_afterwards():
    build = Counter()
    cache = Cached("things", build)
    cache.get()
    before = current("things")

    with pytest.raises(RuntimeError), transaction.atomic():
        bump("things")
        assert cache.get() == 2  # built from data that is about to vanish
        raise RuntimeError

    assert current("things") == before
    assert cache.get() == 3


def test_tokens_are_random_so_a_later_change_never_repeats_an_earlier_one(monkeypatch):
    seen = set()
    for _ in range(50):
        bump("things")
        seen.add(current("things"))
    assert len(seen) == 50
    assert generations._new_token() != generations._new_token()
