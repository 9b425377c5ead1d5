"""The engine's parts on their own: the SimPy adapter, the queues, the batched draws.

Each part is exercised without the engine, against what it promises: the loop
runs callbacks and SimPy's own events in time order (ties in the order they
were scheduled, arrivals first), merges the arrival feed and reloads it when an
event asks, and merges the completion calendar (ties: arrivals, then heap
events, then completions in the order they were filed); the queues are FIFO
with lazy deletion; a buffered stream returns exactly the generator's values
in order; the journey records' views are renewed when a day's journeys open.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelopt.simulation._adapter import ArrivalFeed, Completions, EventLoop
from channelopt.simulation._queues import (
    F_ARRIVAL,
    F_STATE,
    GONE,
    IN_SERVICE,
    WAITING,
    Queues,
    new_contact,
)
from channelopt.simulation._random import Buffer
from channelopt.simulation._recorder import Recorder


@settings(max_examples=50, deadline=None)
@given(
    events=st.lists(st.floats(0.0, 100.0, allow_nan=False), max_size=40),
    arrivals=st.lists(st.floats(0.0, 100.0, allow_nan=False), max_size=40),
)
def test_the_loop_runs_events_and_arrivals_in_time_order(events, arrivals):
    # reference: one sorted list with arrivals before events at equal times and
    # events at equal times in the order they were scheduled
    loop = EventLoop()
    schedule = loop.scheduler()
    seen = []
    feed = ArrivalFeed(lambda t, c, slot, j, w, p: seen.append(("arrival", t, j)))
    arrivals = sorted(arrivals)
    feed.load(arrivals, [0] * len(arrivals), [0] * len(arrivals), 10, [0.0] * len(arrivals),
              [0.0] * len(arrivals))  # fmt: skip
    for k, t in enumerate(events):
        schedule(t, lambda now, v: seen.append(("event", now, v)), k)
    loop.run(200.0, feed)
    expected = sorted(
        [((t, 0, k), ("arrival", t, 10 + k)) for k, t in enumerate(arrivals)]
        + [((t, 1, k), ("event", t, k)) for k, t in enumerate(events)]
    )
    assert seen == [x for _, x in expected]
    assert loop.env.now == 200.0


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(st.integers(0, 30).map(float), max_size=30),
    arrivals=st.lists(st.integers(0, 30).map(float), max_size=30),
    done=st.lists(st.integers(0, 40).map(float), max_size=40),
)
def test_the_loop_merges_the_completion_calendar_in_time_order(events, arrivals, done):
    # integer times, so that ties between and within the three sources are common;
    # reference: one sorted list keyed by (time, source, order of filing), where
    # completions at 30 or later are not run and stay pending
    loop = EventLoop()
    schedule = loop.scheduler()
    seen = []
    feed = ArrivalFeed(lambda t, c, slot, j, w, p: seen.append(("arrival", t, j)))
    arrivals = sorted(arrivals)
    n = len(arrivals)
    feed.load(arrivals, [0] * n, [0] * n, 0, [0.0] * n, [0.0] * n)
    for k, t in enumerate(events):
        schedule(t, lambda now, v: seen.append(("event", now, v)), k)
    completions = Completions(lambda now, v: seen.append(("done", now, v)))
    for k, t in enumerate(done):
        completions.add(t, k)
    loop.run(30.0, feed, completions)
    expected = sorted(
        [((t, 0, k), ("arrival", t, k)) for k, t in enumerate(arrivals)]
        + [((t, 1, k), ("event", t, k)) for k, t in enumerate(events) if t < 30.0]
        + [((t, 2, k), ("done", t, k)) for k, t in enumerate(done) if t < 30.0]
    )
    assert seen == [x for _, x in expected]
    later = sorted((t, k) for k, t in enumerate(done) if t >= 30.0)
    assert len(completions) == len(later)
    assert sorted((t, v) for t, v in completions.pending()) == later


def test_completions_filed_while_running_and_ties_in_filing_order():
    # a completion may file another one, at the same time (it runs after the
    # ones already filed for that time) or later
    loop = EventLoop()
    seen = []

    def done(now, v):
        seen.append((now, v))
        if v == "a":
            completions.add(now, "c")  # same time: after "b", filed earlier
            completions.add(now + 1.0, "d")

    completions = Completions(done)
    completions.add(5.0, "a")
    completions.add(5.0, "b")
    completions.add(6.0, "e")  # ties with "d": filed first, runs first
    loop.run(100.0, ArrivalFeed(lambda *a: None), completions)
    assert seen == [(5.0, "a"), (5.0, "b"), (5.0, "c"), (6.0, "e"), (6.0, "d")]
    assert len(completions) == 0 and not completions.items and not completions.more


def test_the_loop_stops_before_until_and_keeps_later_events():
    loop = EventLoop()
    schedule = loop.scheduler()
    seen: list[float] = []

    def record(now, value):
        seen.append(now)

    def boundary(now, value):  # an event that schedules another
        seen.append(now)
        schedule(now + 10.0, boundary, None)

    schedule(0.0, boundary, None)
    schedule(35.0, record, "late")
    schedule(5.0, record, "early")
    loop.run(30.0, ArrivalFeed(lambda *a: None))
    assert seen == [0.0, 5.0, 10.0, 20.0]
    assert sorted(t for t, _ in loop.pending(record)) == [35.0]
    assert [t for t, _ in loop.pending(boundary)] == [30.0]


def test_an_event_reloads_the_feed_and_simpy_events_run_in_the_loop():
    loop = EventLoop()
    schedule = loop.scheduler()
    seen = []
    feed = ArrivalFeed(lambda t, c, slot, j, w, p: seen.append((t, c, slot, j, w, p)))

    def boundary(now, g):
        base = g * 10.0
        feed.load([base + 1.0, base + 2.0], [g, g], [g * 3, g * 3], 5 * g, [7.0, 8.0], [0.5, 0.6])
        if g < 2:
            schedule((g + 1) * 10.0, boundary, g + 1)

    schedule(0.0, boundary, 0)
    timeout = loop.env.timeout(15.0)  # a SimPy event on the same heap and clock
    timeout.callbacks.append(lambda ev: seen.append(("simpy", loop.env.now)))
    loop.run(30.0, feed)
    assert seen == [
        (1.0, 0, 0, 0, 7.0, 0.5),
        (2.0, 0, 0, 1, 8.0, 0.6),
        (11.0, 1, 3, 5, 7.0, 0.5),
        (12.0, 1, 3, 6, 8.0, 0.6),
        ("simpy", 15.0),
        (21.0, 2, 6, 10, 7.0, 0.5),
        (22.0, 2, 6, 11, 8.0, 0.6),
    ]


def test_queues_are_fifo_with_lazy_deletion():
    expired = []
    queues = Queues(2, lambda contact, now: expired.append((contact[0], now)))
    a = new_contact(0, 0, 1.0, 0, 100.0, 5.0, False)
    b = new_contact(1, 0, 2.0, 0, 3.0, 5.0, False)  # leaves at 3
    c = new_contact(2, 0, 4.0, 0, 100.0, 5.0, False)
    for x in (a, b, c):
        queues.push(x)
    assert queues.waiting == [3, 0] and queues.in_system == [3, 0]
    assert queues.head(0, 5.0) is a
    assert queues.pop_head(0) is a and a[F_STATE] == IN_SERVICE
    assert queues.waiting[0] == 2 and queues.in_system[0] == 3  # a is in service
    # b's leave time passed: expired at the head, c is next
    assert queues.head(0, 5.0) is c
    assert expired == [(1, 5.0)] and b[F_STATE] == GONE
    assert queues.waiting[0] == 1 and queues.in_system[0] == 2
    queues.leave(c)  # c leaves (e.g. a timer): marked, dropped when it reaches the head
    assert queues.head(0, 6.0) is None and queues.q[0] == type(queues.q[0])()
    assert queues.head(1, 0.0) is None


def test_queues_drain_and_remaining():
    queues = Queues(1, lambda contact, now: None)
    xs = [new_contact(j, 0, float(j), 0, math.inf, 1.0, False) for j in range(4)]
    for x in xs:
        queues.push(x)
    queues.leave(xs[1])
    assert queues.remaining() == [xs[0], xs[2], xs[3]]
    out = queues.drain(0)
    assert out == [xs[0], xs[2], xs[3]]
    assert all(x[F_STATE] != WAITING for x in xs) and queues.waiting == [0]
    assert [x[F_ARRIVAL] for x in out] == [0.0, 2.0, 3.0]


@settings(max_examples=20, deadline=None)
@given(n=st.integers(0, 40_000), seed=st.integers(0, 2**32 - 1))
def test_a_buffer_serves_the_generator_values_in_order(n, seed):
    expected = np.random.default_rng(seed).random(n + 1)
    u = Buffer(np.random.default_rng(seed).random)
    got = [u.next() for _ in range(n)] + [u()]
    assert np.array_equal(np.asarray(got), expected)


def test_journey_records_are_written_through_views_renewed_with_each_day():
    rec = Recorder(G=2, C=2, P=1, L=1800.0)
    assert rec.new_journeys(np.array([1.0, 2.0]), np.array([0, 1])) == 0
    first_day = rec.j_end
    rec.j_end[1] = 5.0
    rec.j_wait[0] += 3.0
    assert rec.new_journeys(np.array([1900.0]), np.array([1])) == 2
    # the arrays grew: the first day's view is released, so a stale holder fails loudly
    with pytest.raises(ValueError, match="released"):
        first_day[0] = 1.0
    rec.end_journey(2, 2000.0, 1)
    _counters, journeys = rec.arrays()
    np.testing.assert_array_equal(journeys["end"], [np.nan, 5.0, 2000.0])
    np.testing.assert_array_equal(journeys["total_wait"], [3.0, 0.0, 0.0])
    np.testing.assert_array_equal(journeys["resolved"], [False, False, True])
    np.testing.assert_array_equal(journeys["mask"], [1, 2, 2])
    # released for good: the records are emptied as they are converted
    assert len(rec._store["j_end"]) == 0
