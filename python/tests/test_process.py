"""Processes, Parallel and Sequence: results, failures, deadlocks,
timeouts, nesting, and deterministic replay."""

import pytest
from conftest import T

import ecsp


@ecsp.process
def square(x):
    return x * x


@ecsp.process
def echo(inp, out, n):
    for _ in range(n):
        out(inp())


@ecsp.process
def produce(out, values):
    for v in values:
        out(v)
    ecsp.close(out)


@ecsp.process
def collect(inp):
    return list(inp)


def test_parallel_returns_results_in_argument_order():
    assert ecsp.Parallel(square(1), square(2), square(3), timeout=T) == [1, 4, 9]


def test_parallel_takes_lists_of_processes():
    assert ecsp.Parallel([square(i) for i in range(5)], timeout=T) == [0, 1, 4, 9, 16]


def test_sequence_runs_one_after_another():
    log = []

    @ecsp.process
    def step(i):
        log.append(i)
        return i

    assert ecsp.Sequence(step(1), step(2), step(3), timeout=T) == [1, 2, 3]
    assert log == [1, 2, 3]


def test_a_process_is_a_plain_function_underneath():
    p = square(7)
    assert isinstance(p, ecsp.Process)
    assert p.name == "square"
    assert square.__name__ == "square"


def test_nested_parallel_inside_a_process():
    a, b = ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def pipeline(inp, out):
        mid = ecsp.Channel()
        ecsp.Parallel(echo(inp, mid.writer(), 3), echo(mid.reader(), out, 3))
        ecsp.close(out)
        return "inner done"

    results = ecsp.Parallel(produce(a.writer(), [1, 2, 3]), pipeline(a.reader(), b.writer()), collect(b.reader()), timeout=T)
    assert results[1:] == ["inner done", [1, 2, 3]]


def test_first_failure_is_reraised_and_its_channels_poisoned():
    ch = ecsp.Channel()
    ended = []

    @ecsp.process
    def bad(inp):
        inp()
        raise ValueError("bad input")

    @ecsp.process
    def feeder(out):
        try:
            for i in range(10):
                out(i)
        except ecsp.ChannelPoisoned:
            ended.append("feeder saw poison")
            raise

    with pytest.raises(ValueError, match="bad input"):
        ecsp.Parallel(feeder(ch.writer()), bad(ch.reader()), timeout=T)
    assert ended == ["feeder saw poison"]


def test_failures_are_reported_in_argument_order():
    @ecsp.process
    def fail(msg):
        raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="first"):
        ecsp.Parallel(square(1), fail("first"), fail("second"), timeout=T)


def test_a_deadlock_raises_instead_of_hanging():
    a, b = ecsp.Channel(name="a"), ecsp.Channel(name="b")

    @ecsp.process
    def left(inp, out):
        inp()
        out(1)

    @ecsp.process
    def right(inp, out):
        inp()
        out(1)

    with pytest.raises(ecsp.DeadlockError) as info:
        ecsp.Parallel(left(a.reader(), b.writer()), right(b.reader(), a.writer()), timeout=T)
    report = info.value.report
    assert {b["process"] for b in report["blocked"]} == {"left", "right"}
    assert {b["channel"] for b in report["blocked"]} == {("a", "read"), ("b", "read")}
    assert sorted(link[0] for link in report["cycle"]) == ["left", "right"]
    assert "left" in str(info.value) and "cycle" in str(info.value)


def test_deadlock_on_a_write_nobody_reads():
    ch = ecsp.Channel(name="nowhere")

    @ecsp.process
    def lonely(out):
        out(1)

    with pytest.raises(ecsp.DeadlockError, match="waits to write channel `nowhere`"):
        ecsp.Parallel(lonely(ch.writer()), timeout=T)


def test_timeout_raises_ecsp_timeout_error():
    @ecsp.process
    def sleeper():
        ecsp.Alt(ecsp.Timeout(30)).select()

    with pytest.raises(ecsp.TimeoutError, match="sleeper") as info:
        ecsp.Parallel(sleeper(), timeout=0.1)
    assert isinstance(info.value, ecsp.Error) and isinstance(info.value, TimeoutError)


def test_timeout_stops_a_busy_ping_pong():
    a, b = ecsp.Channel(), ecsp.Channel()

    @ecsp.process
    def ping(inp, out):
        while True:
            out(1)
            inp()

    @ecsp.process
    def pong(inp, out):
        while True:
            inp()
            out(1)

    with pytest.raises(ecsp.TimeoutError):
        ecsp.Parallel(ping(b.reader(), a.writer()), pong(a.reader(), b.writer()), timeout=0.2)


def test_nested_timeout_is_raised_in_the_calling_process():
    @ecsp.process
    def waits_forever(inp):
        inp()

    @ecsp.process
    def parent():
        ch = ecsp.Channel()
        try:
            ecsp.Parallel(waits_forever(ch.reader()), timeout=0.05)
        except ecsp.TimeoutError:
            return "caught"

    assert ecsp.Parallel(parent(), timeout=T) == ["caught"]


def _trace(seed):
    """The order in which three writers get through to one reader."""
    with ecsp.Chip(seed=seed):
        ch = ecsp.Channel()

        @ecsp.process
        def writer(out, name):
            for i in range(5):
                out((name, i))

        @ecsp.process
        def reader(inp):
            return [inp() for _ in range(15)]

        return ecsp.Parallel(
            writer(ch.writer(), "a"), writer(ch.writer(), "b"), writer(ch.writer(), "c"), reader(ch.reader()), timeout=T
        )[3]


def test_deterministic_mode_replays_a_seed():
    assert _trace(7) == _trace(7)
    traces = {tuple(_trace(s)) for s in range(10)}
    assert len(traces) > 1, "different seeds should give different schedules"


def test_deterministic_chip_draws_and_keeps_a_seed():
    chip = ecsp.Chip(mode="deterministic")
    assert isinstance(chip.seed, int)
    assert ecsp.Chip(seed=3).mode == "deterministic"


def test_deterministic_deadlock_report_names_the_seed():
    a = ecsp.Channel()

    @ecsp.process
    def stuck(inp):
        inp()

    with ecsp.Chip(seed=99):
        with pytest.raises(ecsp.DeadlockError, match="seed=99") as info:
            ecsp.Parallel(stuck(a.reader()), timeout=T)
    assert info.value.report["seed"] == 99


def test_parallel_checks_its_timeout():
    with pytest.raises(ValueError, match="timeout"):
        ecsp.Parallel(square(1), timeout=-1)


def test_after_a_deadlock_the_stuck_processes_end_and_channels_work_again():
    ch = ecsp.Channel()
    cleaned = []

    @ecsp.process
    def stuck(inp):
        try:
            inp()
        finally:
            cleaned.append("finally ran")

    with pytest.raises(ecsp.DeadlockError):
        ecsp.Parallel(stuck(ch.reader()), timeout=T)
    assert cleaned == ["finally ran"]

    @ecsp.process
    def reader(inp):
        return inp()

    @ecsp.process
    def writer(out):
        out("again")

    assert ecsp.Parallel(writer(ch.writer()), reader(ch.reader()), timeout=T) == [None, "again"]
