"""Channels between Python processes: rendezvous and buffers, ends,
iteration, close and poison."""

import pytest
from conftest import T

import ecsp


@ecsp.process
def produce(out, values, close=True):
    for v in values:
        out(v)
    if close:
        ecsp.close(out)


@ecsp.process
def collect(inp):
    return list(inp)


def test_rendezvous_delivers_every_value_in_order():
    ch = ecsp.Channel()
    _, got = ecsp.Parallel(produce(ch.writer(), range(1000)), collect(ch.reader()), timeout=T)
    assert got == list(range(1000))


def test_write_and_read_methods_are_the_calls():
    ch = ecsp.Channel()

    @ecsp.process
    def writer(out):
        out.write("a")
        out("b")

    @ecsp.process
    def reader(inp):
        return [inp.read(), inp()]

    assert ecsp.Parallel(writer(ch.writer()), reader(ch.reader()), timeout=T) == [None, ["a", "b"]]


def test_rendezvous_write_waits_for_the_reader():
    ch, log = ecsp.Channel(), []

    @ecsp.process
    def writer(out):
        out(1)
        log.append("write returned")

    @ecsp.process
    def reader(inp, ticker):
        ticker()  # let the writer run first: it must block
        log.append("reading")
        return inp()

    tick = ecsp.Channel()
    ecsp.Parallel(writer(ch.writer()), reader(ch.reader(), tick.reader()), produce(tick.writer(), [0], False), timeout=T)
    assert log == ["reading", "write returned"]


def test_buffered_channel_holds_values_without_a_reader():
    ch = ecsp.Channel(buffer=3)

    @ecsp.process
    def fill(out):
        for i in range(3):
            out(i)  # never blocks: there is room
        return "filled"

    w = ch.writer()
    assert ecsp.Parallel(fill(w), timeout=T) == ["filled"]
    _, got = ecsp.Parallel(produce(w, [], True), collect(ch.reader()), timeout=T)
    assert got == [0, 1, 2]


def test_close_drains_the_buffer_before_readers_see_closed():
    ch = ecsp.Channel(buffer=8)
    _, got = ecsp.Parallel(produce(ch.writer(), range(5)), collect(ch.reader()), timeout=T)
    assert got == [0, 1, 2, 3, 4]


def test_channel_closes_when_every_writer_has_closed():
    ch = ecsp.Channel()
    w1, w2 = ch.writer(), ch.writer()
    results = ecsp.Parallel(produce(w1, [1, 2]), produce(w2, [3, 4]), collect(ch.reader()), timeout=T)
    assert sorted(results[2]) == [1, 2, 3, 4]


def test_read_after_close_raises_channel_closed():
    ch = ecsp.Channel()

    @ecsp.process
    def reader(inp):
        inp()
        with pytest.raises(ecsp.ChannelClosed, match=ch.name):
            inp()
        return "saw closed"

    assert ecsp.Parallel(produce(ch.writer(), [1]), reader(ch.reader()), timeout=T)[1] == "saw closed"


def test_a_closed_end_refuses_writes():
    ch = ecsp.Channel(buffer=1)
    w = ch.writer()
    w.close()
    assert w.closed
    with pytest.raises(ecsp.ChannelClosed, match="write end"):
        w(1)


def test_closing_every_reader_makes_writes_raise_closed():
    ch = ecsp.Channel()

    @ecsp.process
    def writer(out):
        with pytest.raises(ecsp.ChannelClosed):
            out(1)
        return "refused"

    @ecsp.process
    def quitter(inp):
        ecsp.close(inp)

    assert ecsp.Parallel(writer(ch.writer()), quitter(ch.reader()), timeout=T)[0] == "refused"


def test_poison_wakes_a_blocked_reader_and_writer():
    a, b, stop = ecsp.Channel(), ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def blocked_reader(inp):
        with pytest.raises(ecsp.ChannelPoisoned):
            inp()
        return "reader woke"

    @ecsp.process
    def blocked_writer(out):
        with pytest.raises(ecsp.ChannelPoisoned):
            out(1)
        return "writer woke"

    @ecsp.process
    def poisoner(x, y):
        ecsp.poison(x, y)

    results = ecsp.Parallel(
        blocked_reader(a.reader()), blocked_writer(b.writer()), poisoner(a.writer(), b.reader()), timeout=T
    )
    assert results[:2] == ["reader woke", "writer woke"]
    del stop


def test_poison_is_immediate_even_with_values_buffered():
    ch = ecsp.Channel(buffer=4)

    @ecsp.process
    def writer(out):
        out(1)
        out(2)
        out.poison()

    @ecsp.process
    def reader(inp):
        with pytest.raises(ecsp.ChannelPoisoned):
            inp()
        return "poisoned"

    assert ecsp.Sequence(writer(ch.writer()), reader(ch.reader()), timeout=T) == [None, "poisoned"]


def test_iteration_stops_at_poison():
    ch = ecsp.Channel()

    @ecsp.process
    def writer(out):
        out(1)
        out(2)
        ecsp.poison(out)

    assert ecsp.Parallel(writer(ch.writer()), collect(ch.reader()), timeout=T)[1] == [1, 2]


def test_poison_spreads_through_a_pipeline():
    """A process that lets ChannelPoisoned escape poisons all its ends."""
    chans = [ecsp.Channel() for _ in range(5)]

    @ecsp.process
    def stage(inp, out):
        while True:
            out(inp() + 1)

    @ecsp.process
    def source(out):
        for i in range(10):
            out(i)
        ecsp.poison(out)

    @ecsp.process
    def sink(inp):
        return list(inp)

    stages = [stage(chans[i].reader(), chans[i + 1].writer()) for i in range(4)]
    results = ecsp.Parallel(source(chans[0].writer()), *stages, sink(chans[4].reader()), timeout=T)
    assert results[-1] == [i + 4 for i in range(10)]


def test_closed_spreads_down_a_pipeline():
    """A process that lets ChannelClosed escape closes its write ends."""
    a, b = ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def double(inp, out):
        while True:
            out(2 * inp())

    results = ecsp.Parallel(produce(a.writer(), [1, 2, 3]), double(a.reader(), b.writer()), collect(b.reader()), timeout=T)
    assert results[2] == [2, 4, 6]


def test_poison_and_close_race():
    """Poison and close arriving together: every process still ends, and
    the reader sees only values that were written, in order."""
    for seed in range(50):
        with ecsp.Chip(seed=seed):
            ch = ecsp.Channel(buffer=seed % 3)

            @ecsp.process
            def writer(out):
                for i in range(20):
                    out(i)
                out.close()

            @ecsp.process
            def poisoner(end):
                end.poison()

            results = ecsp.Parallel(writer(ch.writer()), collect(ch.reader()), poisoner(ch.writer()), timeout=T)
            got = results[1]
            assert got == list(range(len(got)))


def test_channel_arguments_are_checked():
    with pytest.raises(ValueError, match="buffer"):
        ecsp.Channel(buffer=-1)
    with pytest.raises(ValueError, match="dtype"):
        ecsp.Channel(dtype="complex")
    with pytest.raises(ValueError, match="4096"):
        ecsp.Channel(dtype="f64[1000]")
    with pytest.raises(ValueError, match="4096"):
        ecsp.Bytes(5000)
    assert ecsp.Channel(dtype=ecsp.Bytes(16)).dtype == "bytes:16"
    assert ecsp.Channel(dtype="f32[64]").dtype == "f32[64]"
    for d in ("i32", "u32", "f32", "i64", "f64"):
        assert ecsp.Channel(dtype=d).dtype == d


def test_blocking_outside_a_process_is_an_error():
    ch = ecsp.Channel()
    with pytest.raises(ecsp.Error, match="outside a process"):
        ch.reader()()


def test_ends_are_not_processes():
    with pytest.raises(TypeError, match="processes"):
        ecsp.Parallel(ecsp.Channel().reader())
