"""Device processes from Python: built-in kinds on the simulated chip,
their results, failures, plans that do not fit, and their mixing with
Python processes."""

import pytest
from conftest import T

import ecsp


def pipeline(n, dtype="u32"):
    a, b = ecsp.Channel(dtype=dtype), ecsp.Channel(dtype=dtype)
    return [
        ecsp.device("generate", a.writer(), start=1, count=n),
        ecsp.device("succ", a.reader(), b.writer()),
        ecsp.device("consume", b.reader(), count=-1),
    ]


def test_a_device_pipeline_returns_every_process_result():
    with ecsp.Chip() as chip:
        gen, succ, consume = ecsp.Parallel(pipeline(100), timeout=T)
    assert chip.board == "parallella-16" and chip.shape == (4, 4)
    assert (gen.name, gen.kind, gen.finished, gen.value) == ("generate", "generate", True, 100)
    assert consume.value == 100
    assert consume.aux == sum(range(2, 102))  # 1..100, each plus one
    assert succ.kind == "succ"
    assert len({gen.core, succ.core, consume.core}) == 3  # spread: a core each


def test_without_a_chip_the_default_simulated_chip_runs_it():
    results = ecsp.Parallel(pipeline(10), timeout=T)
    assert results[2].aux == sum(range(2, 12))


def test_packed_placement_and_pins():
    with ecsp.Chip(placement="packed"):
        results = ecsp.Parallel(pipeline(10), timeout=T)
    assert {r.core for r in results} == {(0, 0)}
    a = ecsp.Channel()
    with ecsp.Chip():
        gen, con = ecsp.Parallel(
            ecsp.device("generate", a.writer(), count=5, core=(3, 2)),
            ecsp.device("consume", a.reader(), count=-1, core=(1, 1), name="sink"),
            timeout=T,
        )
    assert (gen.core, con.core, con.name) == ((3, 2), (1, 1), "sink")


def test_vector_kernels():
    a, b, c = ecsp.Channel(dtype="f32[16]"), ecsp.Channel(dtype="f32[16]"), ecsp.Channel(dtype="f32")
    results = ecsp.Parallel(
        ecsp.device("ramp", a.writer(), start=0, count=4),
        ecsp.device("map", a.reader(), b.writer(), fn="square"),
        ecsp.device("reduce", b.reader(), c.writer(), op="sum"),
        ecsp.device("consume", c.reader(), count=-1),
        timeout=T,
    )
    assert results[3].value == 4  # one sum per vector


def test_deterministic_chip_replays_device_runs():
    def run(seed):
        with ecsp.Chip(seed=seed):
            return [(r.value, r.aux) for r in ecsp.Parallel(pipeline(50), timeout=T)]

    assert run(5) == run(5)


def test_device_and_python_processes_run_side_by_side():
    py = ecsp.Channel()

    @ecsp.process
    def count(inp):
        return sum(1 for _ in inp)

    @ecsp.process
    def feed(out):
        for i in range(100):
            out(i)
        ecsp.close(out)

    results = ecsp.Parallel(feed(py.writer()), count(py.reader()), *pipeline(1000), timeout=T)
    assert results[1] == 100
    assert results[4].value == 1000


def test_a_device_process_failure_raises_process_error():
    a = ecsp.Channel()
    with pytest.raises(ecsp.ProcessError) as info:
        ecsp.Parallel(
            ecsp.device("generate", a.writer(), count=10),
            ecsp.device("consume", a.reader(), count=5, warmup=-1, name="bad-consumer", core=(2, 3)),
            timeout=T,
        )
    err = info.value
    assert err.process == "bad-consumer"
    assert err.core == (2, 3)
    assert "bad-consumer" in str(err) and err.message


def test_a_network_that_does_not_fit_raises_plan_error():
    chans = [ecsp.Channel() for _ in range(20)]
    procs = []
    for c in chans:  # forty processes pinned to one core
        procs.append(ecsp.device("generate", c.writer(), count=1, core=(1, 1)))
        procs.append(ecsp.device("consume", c.reader(), count=1, core=(1, 1)))
    with pytest.raises(ecsp.PlanError) as info:
        ecsp.Parallel(procs, timeout=T)
    assert info.value.core == (1, 1)
    assert info.value.bytes_over > 0
    assert "does not fit" in str(info.value)


def test_a_pin_outside_the_chip_raises_plan_error():
    a = ecsp.Channel()
    with pytest.raises(ecsp.PlanError, match="outside"):
        ecsp.Parallel(
            ecsp.device("generate", a.writer(), count=1, core=(9, 9)), ecsp.device("consume", a.reader()), timeout=T
        )


def test_a_device_deadlock_raises_deadlock_error():
    """A ring nobody starts: id and delta wait on each other, the sink on delta."""
    a, b, d = ecsp.Channel(name="a"), ecsp.Channel(name="b"), ecsp.Channel(name="d")
    with ecsp.Chip(seed=1):
        with pytest.raises(ecsp.DeadlockError) as info:
            ecsp.Parallel(
                ecsp.device("id", a.reader(), b.writer()),
                ecsp.device("delta", b.reader(), a.writer(), d.writer()),
                ecsp.device("consume", d.reader(), count=1, name="sink"),
                timeout=T,
            )
    report = info.value.report
    assert report["seed"] == 1
    assert {b["process"] for b in report["blocked"]} == {"id", "delta", "sink"}
    assert {link[0] for link in report["cycle"]} == {"id", "delta"}
    assert "replay with --seed 1" in str(info.value)


def test_a_device_network_that_runs_past_its_timeout():
    a = ecsp.Channel()
    with pytest.raises(ecsp.TimeoutError):
        ecsp.Parallel(
            ecsp.device("generate", a.writer(), count=-1), ecsp.device("consume", a.reader(), count=-1), timeout=0.2
        )


def test_bad_device_processes_are_refused_by_name():
    a = ecsp.Channel()
    with pytest.raises(ecsp.Error, match="unknown device process kind `nope`.*succ"):
        ecsp.device("nope", a.reader())
    with pytest.raises(ecsp.Error, match="unknown parameter `speed`"):
        ecsp.device("generate", a.writer(), speed=3)
    with pytest.raises(ecsp.Error, match="core"):
        ecsp.device("generate", a.writer(), core=(1,))
    with pytest.raises(ecsp.Error, match="no process in this Parallel reads"):
        ecsp.Parallel(ecsp.device("generate", ecsp.Channel(name="dangling").writer(), count=1), timeout=T)
    with pytest.raises(ecsp.Error, match="takes scalars only"):
        v, w = ecsp.Channel(dtype="f32[8]"), ecsp.Channel(dtype="f32[8]")
        ecsp.Parallel(
            ecsp.device("ramp", v.writer(), count=1),
            ecsp.device("succ", v.reader(), w.writer()),
            ecsp.device("consume", w.reader()),
            timeout=T,
        )


@ecsp.process
def feed(out, values, close=True):
    for v in values:
        out(v)
    if close:
        ecsp.close(out)


@ecsp.process
def gather(inp):
    return list(inp)


@pytest.mark.parametrize("seed", [None, 1, 2])
@pytest.mark.parametrize("buffer", [0, 4])
def test_python_to_device_to_python(seed, buffer):
    """A host channel each way: Python feeds a device process, Python reads it."""
    a, b = ecsp.Channel(buffer=buffer), ecsp.Channel(buffer=buffer)
    with ecsp.Chip(seed=seed) if seed is not None else ecsp.Chip():
        results = ecsp.Parallel(
            feed(a.writer(), range(200)), ecsp.device("succ", a.reader(), b.writer()), gather(b.reader()), timeout=T
        )
    assert results[2] == list(range(1, 201))
    assert results[1].finished and results[1].value == 200


def test_every_scalar_dtype_crosses_both_ways():
    for dtype, values in [
        ("i32", [-(2**31), -1, 0, 2**31 - 1]),
        ("u32", [0, 1, 2**32 - 1]),
        ("i64", [-(2**63), 2**63 - 1]),
        ("f32", [0.5, -2.25, 2.0**100]),
        ("f64", [1e300, -0.125]),
    ]:
        a, b = ecsp.Channel(dtype=dtype), ecsp.Channel(dtype=dtype)
        got = ecsp.Parallel(feed(a.writer(), values), ecsp.device("id", a.reader(), b.writer()), gather(b.reader()), timeout=T)[2]
        assert got == values, dtype


def test_vectors_cross_from_sequences_and_buffers():
    import array

    a, b = ecsp.Channel(dtype="f32[4]"), ecsp.Channel(dtype="f32[4]")
    sent = [array.array("f", [1, 2, 3, 4]), [0.5, 1.5, 2.5, 3.5]]
    got = ecsp.Parallel(
        feed(a.writer(), sent), ecsp.device("map", a.reader(), b.writer(), fn="square"), gather(b.reader()), timeout=T
    )[2]
    assert [list(v) for v in got] == [[1, 4, 9, 16], [0.25, 2.25, 6.25, 12.25]]
    assert all(isinstance(v, memoryview) and v.format == "f" for v in got)


def test_a_value_that_does_not_fit_the_dtype_is_refused_by_name():
    a = ecsp.Channel(dtype="u32", name="counts")

    @ecsp.process
    def bad(out):
        out(-1)

    with pytest.raises(ValueError, match="channel `counts` carries u32: -1 does not fit"):
        ecsp.Parallel(bad(a.writer()), ecsp.device("consume", a.reader(), count=-1), timeout=T)
    v = ecsp.Channel(dtype="f32[4]", name="vec")
    with pytest.raises(ValueError, match="channel `vec` carries f32\\[4\\]: a message is 16 bytes"):
        ecsp.Parallel(feed(v.writer(), [b"12345678"]), ecsp.device("consume", v.reader(), count=-1), timeout=T)


def test_the_device_poisons_a_python_writer():
    a = ecsp.Channel()

    @ecsp.process
    def writer(out):
        try:
            for i in range(1000):
                out(i)
        except ecsp.ChannelPoisoned:
            return i

    results = ecsp.Parallel(writer(a.writer()), ecsp.device("consume", a.reader(), count=3, poison=1), timeout=T)
    assert results[0] == 3
    assert results[1].value == 3


def test_python_poisons_a_device_reader():
    a = ecsp.Channel()

    @ecsp.process
    def writer(out):
        out(1)
        out(2)
        ecsp.poison(out)

    results = ecsp.Parallel(writer(a.writer()), ecsp.device("consume", a.reader(), count=-1), timeout=T)
    assert results[1].finished and results[1].value == 2


def test_a_device_failure_stops_python_processes_on_host_channels():
    a = ecsp.Channel()
    with pytest.raises(ecsp.ProcessError, match="out of range") as info:
        ecsp.Parallel(feed(a.writer(), range(100)), ecsp.device("consume", a.reader(), warmup=-1), timeout=T)
    assert info.value.process == "consume"


def test_a_deadlock_across_python_and_the_device_is_reported(det_chip):
    a, b = ecsp.Channel(name="a"), ecsp.Channel(name="b")
    with pytest.raises(ecsp.DeadlockError) as info:
        ecsp.Parallel(
            feed(a.writer(), range(5), close=False),  # never closes: succ waits on, and so does gather
            ecsp.device("succ", a.reader(), b.writer()),
            gather(b.reader()),
            timeout=T,
        )
    blocked = {b["process"] for b in info.value.report["blocked"]}
    assert {"gather", "succ"} <= blocked
    assert "on the device" in str(info.value)


def test_a_channel_with_python_and_device_processes_on_one_side_is_refused():
    ch = ecsp.Channel(name="mixed")
    out = ecsp.Channel()
    with pytest.raises(ecsp.Error, match="channel `mixed` has Python and device processes on one side"):
        ecsp.Parallel(
            ecsp.device("generate", ch.writer(), count=3),
            feed(ch.writer(), [1]),
            ecsp.device("id", ch.reader(), out.writer()),
            gather(out.reader()),
            timeout=T,
        )


def test_kinds_lists_the_registry():
    kinds = ecsp.kinds()
    assert {"id", "succ", "prefix", "delta", "consume", "generate"} <= set(kinds)
    assert kinds["generate"]["params"] == ["start", "count"]
    assert kinds["succ"]["forever"] is True


def test_chip_arguments_are_checked():
    with pytest.raises(ecsp.Error, match="unknown board"):
        ecsp.Chip("parallella-1000")
    with pytest.raises(ecsp.Error, match="seed applies"):
        ecsp.Chip(mode="threaded", seed=1)
    with pytest.raises(ecsp.Error, match="threads applies"):
        ecsp.Chip(mode="deterministic", threads=2)
    with pytest.raises(ecsp.Error, match="placement"):
        ecsp.Chip(placement="random")
    assert ecsp.Chip("parallella-64").shape == (8, 8)


def test_numpy_arrays_cross_without_conversion():
    np = pytest.importorskip("numpy")
    a, b = ecsp.Channel(dtype="f32[64]"), ecsp.Channel(dtype="f32[64]")
    arrays = [np.linspace(0, 1, 64, dtype=np.float32) * k for k in range(5)]
    got = ecsp.Parallel(
        feed(a.writer(), arrays), ecsp.device("map", a.reader(), b.writer(), fn="square"), gather(b.reader()), timeout=T
    )[2]
    views = [np.asarray(v) for v in got]
    for sent, view, mv in zip(arrays, views, got):
        assert view.dtype == np.float32 and np.allclose(view, sent * sent)
        assert np.shares_memory(view, np.asarray(mv))  # a view of the message, not a copy
    with pytest.raises(ValueError, match="a message is 256 bytes"):
        ecsp.Parallel(feed(a.writer(), [np.zeros(10, dtype=np.float32)]), ecsp.device("consume", a.reader()), timeout=T)


@pytest.mark.parametrize("seed", [None, 8])
def test_alt_over_a_host_channel_and_a_python_channel(seed):
    dev, py = ecsp.Channel(name="dev"), ecsp.Channel(name="py")

    @ecsp.process
    def python_side(out):
        for i in range(20):
            out(100 + i)
        ecsp.close(out)

    # The chooser learns which channel closed from the exception's message.
    @ecsp.process
    def chooser(from_device, from_python):
        guards = [from_device, from_python]
        got = {"dev": [], "py": []}
        while guards:
            try:
                guard, value = ecsp.Alt(*guards).fair_select()
            except ecsp.ChannelClosed as e:
                guards = [g for g in guards if f"`{g.channel.name}`" not in str(e)]
                continue
            got[guard.channel.name].append(value)
        return got

    with ecsp.Chip(seed=seed) if seed is not None else ecsp.Chip():
        results = ecsp.Parallel(
            ecsp.device("generate", dev.writer(), start=1, count=30),
            python_side(py.writer()),
            chooser(dev.reader(), py.reader()),
            timeout=T,
        )
    got = results[2]
    assert got["dev"] == list(range(1, 31))
    assert got["py"] == list(range(100, 120))


def test_timeout_guard_beside_a_silent_host_channel():
    dev, stop = ecsp.Channel(name="dev"), ecsp.Channel(name="stop")

    @ecsp.process
    def waiter(inp, quit_):
        guard, _ = ecsp.Alt(inp, ecsp.Timeout(0.05)).select()
        ecsp.poison(quit_)
        return type(guard).__name__

    results = ecsp.Parallel(
        waiter(dev.reader(), stop.writer()),
        ecsp.device("id", stop.reader(), dev.writer()),
        timeout=T,
    )
    assert results[0] == "Timeout"


def test_output_guard_to_a_device_process_on_a_buffered_channel():
    a = ecsp.Channel(buffer=2)

    @ecsp.process
    def offer(out):
        sent = 0
        while sent < 10:
            guard, _ = ecsp.Alt((out, sent)).select()
            sent += 1
        ecsp.close(out)
        return sent

    results = ecsp.Parallel(offer(a.writer()), ecsp.device("consume", a.reader(), count=-1), timeout=T)
    assert results[1].value == 10 and results[1].aux == sum(range(10))
    b = ecsp.Channel()  # rendezvous: refused, as on the device

    @ecsp.process
    def offer_rendezvous(out):
        ecsp.Alt((out, 1)).select()

    with pytest.raises(ecsp.Error, match="needs a buffer"):
        ecsp.Parallel(offer_rendezvous(b.writer()), ecsp.device("consume", b.reader(), count=-1), timeout=T)


def test_a_program_of_python_and_device_processes_replays_from_its_seed():
    def run(seed):
        dev, py = ecsp.Channel(name="dev"), ecsp.Channel(name="py")

        @ecsp.process
        def python_side(out):
            for i in range(200):
                out(1000 + i)
            ecsp.close(out)

        @ecsp.process
        def chooser(a, b):
            order: list = []
            guards = [a, b]
            while guards:
                try:
                    guard, value = ecsp.Alt(*guards).select()
                except ecsp.ChannelClosed as e:
                    guards = [g for g in guards if f"`{g.channel.name}`" not in str(e)]
                    continue
                order.append(value)
            return order

        with ecsp.Chip(seed=seed):
            return ecsp.Parallel(
                ecsp.device("generate", dev.writer(), start=1, count=200),
                python_side(py.writer()),
                chooser(dev.reader(), py.reader()),
                timeout=T,
            )[2]

    first = run(21)
    assert sorted(first) == list(range(1, 201)) + list(range(1000, 1200))
    assert run(21) == first
    assert len({tuple(run(seed)) for seed in (21, 22, 23, 24)}) > 1, "seeds should give different schedules"


def test_a_nested_parallel_with_device_processes_lets_the_others_run():
    ticks = ecsp.Channel()

    @ecsp.process
    def ticker(out):
        for i in range(5):
            ecsp.Alt(ecsp.Timeout(0.01)).select()
            out(i)
        ecsp.close(out)

    @ecsp.process
    def counter(inp):
        return sum(1 for _ in inp)

    @ecsp.process
    def with_device():
        a, b = ecsp.Channel(), ecsp.Channel()
        results = ecsp.Parallel(feed(a.writer(), range(50)), ecsp.device("succ", a.reader(), b.writer()), gather(b.reader()))
        return results[2][-1]

    assert ecsp.Parallel(ticker(ticks.writer()), counter(ticks.reader()), with_device(), timeout=T) == [None, 5, 50]


def test_host_channels_lose_nothing_across_seeds():
    """Python -> succ -> Python over 30 seeds and three buffer sizes: every
    value arrives once, in order, and the run ends (no false deadlock while
    the last writes to the host are still on their way)."""
    for seed in range(30):
        for buffer in (0, 1, 4):
            a, b = ecsp.Channel(buffer=buffer), ecsp.Channel(buffer=buffer)
            with ecsp.Chip(seed=seed):
                got = ecsp.Parallel(
                    feed(a.writer(), range(40)), ecsp.device("succ", a.reader(), b.writer()), gather(b.reader()), timeout=T
                )[2]
            assert got == list(range(1, 41)), (seed, buffer)


def test_waiting_on_the_device_releases_the_gil():
    """While every Python process waits on device processes, another Python
    thread runs: with the interpreter's periodic GIL hand-off turned off, it
    gets the GIL only when ecsp releases it."""
    import sys
    import threading

    ticks = []
    stop = threading.Event()

    def other_thread():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=other_thread)
    a = ecsp.Channel()

    @ecsp.process
    def slow_reader(inp):
        return sum(1 for _ in inp)

    interval = sys.getswitchinterval()
    t.start()
    stop.wait(0.01)
    sys.setswitchinterval(1000.0)
    try:
        before = len(ticks)
        results = ecsp.Parallel(
            ecsp.device("generate", a.writer(), count=20000), slow_reader(a.reader()), timeout=T
        )
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        t.join()
    assert results[1] == 20000
    assert len(ticks) > before
