"""Alternation: select, pri_select, fair_select over input guards, output
guards, Skip and Timeout."""

import collections

import pytest
from conftest import T

import ecsp


@ecsp.process
def send(out, values):
    for v in values:
        out(v)


def test_select_returns_the_ready_guard_and_its_value():
    a, b = ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def chooser(x, y):
        alt = ecsp.Alt(x, y)
        got = []
        for _ in range(2):
            guard, value = alt.select()
            got.append((guard is x, value))
        return sorted(got)

    results = ecsp.Parallel(send(a.writer(), ["from a"]), send(b.writer(), ["from b"]), chooser(a.reader(), b.reader()), timeout=T)
    assert results[2] == [(False, "from b"), (True, "from a")]


def test_pri_select_prefers_the_first_ready_guard():
    a, b = ecsp.Channel(buffer=5), ecsp.Channel(buffer=5)
    wa, wb = a.writer(), b.writer()
    for i in range(3):
        wa(("a", i))
        wb(("b", i))

    @ecsp.process
    def chooser(x, y):
        alt = ecsp.Alt(x, y)
        return [alt.pri_select()[1][0] for _ in range(6)]

    assert ecsp.Parallel(chooser(a.reader(), b.reader()), timeout=T) == [["a", "a", "a", "b", "b", "b"]]


def test_fair_select_serves_every_ready_guard_in_turn():
    chans = [ecsp.Channel() for _ in range(4)]

    @ecsp.process
    def flood(out, tag):
        try:
            while True:
                out(tag)
        except ecsp.ChannelPoisoned:
            pass

    @ecsp.process
    def judge(ins):
        alt = ecsp.Alt(*ins)
        counts = collections.Counter(alt.fair_select()[1] for _ in range(400))
        ecsp.poison(*ins)
        return counts

    results = ecsp.Parallel(
        [flood(c.writer(), i) for i, c in enumerate(chans)], judge([c.reader() for c in chans]), timeout=T
    )
    assert results[-1] == {0: 100, 1: 100, 2: 100, 3: 100}


def test_skip_makes_select_poll():
    a = ecsp.Channel()

    @ecsp.process
    def poller(x):
        guard, value = ecsp.Alt(x, ecsp.Skip()).pri_select()
        return isinstance(guard, ecsp.Skip), value

    assert ecsp.Parallel(poller(a.reader()), timeout=T) == [(True, None)]


def test_timeout_guard_fires_when_nothing_else_is_ready():
    a = ecsp.Channel()

    @ecsp.process
    def waiter(x):
        guard, _ = ecsp.Alt(x, ecsp.Timeout(0.02)).select()
        return type(guard).__name__

    assert ecsp.Parallel(waiter(a.reader()), timeout=T) == ["Timeout"]


def test_timeout_guard_loses_to_a_value_that_arrives():
    a = ecsp.Channel()

    @ecsp.process
    def waiter(x):
        return ecsp.Alt(x, ecsp.Timeout(10)).select()[1]

    assert ecsp.Parallel(send(a.writer(), [42]), waiter(a.reader()), timeout=T)[1] == 42


def test_deterministic_timeouts_use_virtual_time(det_chip):
    @ecsp.process
    def sleeper():
        ecsp.Alt(ecsp.Timeout(1000)).select()  # a thousand virtual seconds
        return "woke"

    assert ecsp.Parallel(sleeper(), timeout=T) == ["woke"]


def test_output_guard_on_a_buffered_channel():
    a = ecsp.Channel(buffer=1)
    b = ecsp.Channel()

    @ecsp.process
    def chooser(out, inp):
        guard, _ = ecsp.Alt((out, "sent"), inp).pri_select()
        return guard is out

    assert ecsp.Parallel(chooser(a.writer(), b.reader()), timeout=T) == [True]
    ch_reader = a.reader()

    @ecsp.process
    def read_one(inp):
        return inp()

    assert ecsp.Parallel(read_one(ch_reader), timeout=T) == ["sent"]


def test_output_guard_meets_a_waiting_alt():
    """Two Alts on the two ends of one rendezvous channel meet."""
    ch = ecsp.Channel()
    other = ecsp.Channel()

    @ecsp.process
    def offer(out, never):
        guard, _ = ecsp.Alt((out, 7), never).select()
        return guard is out

    @ecsp.process
    def take(inp, never):
        return ecsp.Alt(inp, never).select()[1]

    o1, o2 = other.reader(), ecsp.Channel().reader()
    assert ecsp.Parallel(offer(ch.writer(), o1), take(ch.reader(), o2), timeout=T) == [True, 7]


def test_alt_on_a_poisoned_channel_raises():
    a, b = ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def chooser(x, y):
        with pytest.raises(ecsp.ChannelPoisoned):
            ecsp.Alt(x, y).select()
        return "raised"

    @ecsp.process
    def poisoner(end):
        end.poison()

    assert ecsp.Parallel(chooser(a.reader(), b.reader()), poisoner(a.writer()), timeout=T)[0] == "raised"


def test_alt_guards_are_checked():
    ch = ecsp.Channel()
    with pytest.raises(TypeError, match="output guard"):
        ecsp.Alt(ch.writer())
    with pytest.raises(TypeError, match="guards"):
        ecsp.Alt("nonsense")
    with pytest.raises(ValueError, match="at least one"):
        ecsp.Alt()
    with pytest.raises(ValueError, match="seconds"):
        ecsp.Timeout(-1)


def test_preconditions_leave_guards_out():
    a, b = ecsp.Channel(buffer=2), ecsp.Channel(buffer=2)
    wa, wb = a.writer(), b.writer()
    wa("a")
    wb("b")

    @ecsp.process
    def chooser(x, y):
        alt = ecsp.Alt(x, y)
        first = alt.pri_select(when=[False, True])[1]  # x is ready but left out
        second = alt.pri_select(when=[True, True])[1]
        with pytest.raises(ecsp.Error, match="false pre-condition"):
            alt.select(when=[False, False])
        with pytest.raises(ValueError, match="one per guard"):
            alt.select(when=[True])
        skip_guard, _ = ecsp.Alt(x, ecsp.Skip()).pri_select(when=[False, True])
        return first, second, isinstance(skip_guard, ecsp.Skip)

    assert ecsp.Parallel(chooser(a.reader(), b.reader()), timeout=T) == [("b", "a", True)]


def test_a_bounded_buffer_process_with_preconditions():
    """The classic: accept input only while there is room, offer output only
    while there is something to send."""
    inp, out = ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def bounded_buffer(i, o, size):
        held = collections.deque()
        closed = False
        while not closed or held:
            alt = ecsp.Alt(i, (o, held[0] if held else None))
            try:
                guard, value = alt.fair_select(when=[not closed and len(held) < size, bool(held)])
            except ecsp.ChannelClosed:
                closed = True
                continue
            if guard is i:
                held.append(value)
            else:
                held.popleft()
        ecsp.close(o)

    @ecsp.process
    def sink(i):
        return list(i)

    @ecsp.process
    def source(o):
        for v in range(50):
            o(v)
        ecsp.close(o)

    results = ecsp.Parallel(source(inp.writer()), bounded_buffer(inp.reader(), out.writer(), 3), sink(out.reader()), timeout=T)
    assert results[2] == list(range(50))
