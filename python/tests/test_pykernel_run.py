"""Python kernels (@ecsp.kernel) running on simulated cores: the same
function as a kernel and as a Python process gives the same answers
(property-based, hypothesis), failures name the Python line, and Python
kernels share channels with Python processes, C kernels and built-ins."""

import array
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ecsp
from ecsp import In, Out, f32, f64, i32, i64, u32

from conftest import T

KERNELS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "kernels")
N = 16

# Each example runs a network on the simulator: forty examples per
# property keeps the suite's time in bounds while covering signs, zeros and
# extremes (hypothesis tries those first).
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ecsp.process
def feed(out, values, dtype_code=None, close=True):
    for v in values:
        out.write(array.array(dtype_code, v) if dtype_code else v)
    if close:
        ecsp.close(out)


@ecsp.process
def collect(inp):
    return [list(v) if isinstance(v, (memoryview, array.array)) else v for v in inp]


def both(make, inputs, outputs, chip_seed=None, **params):
    """Runs ``make`` as a kernel and as a Python process over the same
    inputs: ((results, outputs) of the kernel, of the process).
    ``inputs``: (dtype, values, array code or None); ``outputs``: dtypes."""
    runs = []
    for as_kernel in (True, False):
        ins = [ecsp.Channel(dtype=d) for d, _, _ in inputs]
        outs = [ecsp.Channel(dtype=d) for d in outputs]
        ends = [c.reader() for c in ins] + [c.writer() for c in outs]
        proc = make(*ends, **params) if as_kernel else make.process(*ends, **params)
        procs = [feed(c.writer(), vals, code) for c, (_, vals, code) in zip(ins, inputs)]
        procs += [proc] + [collect(c.reader()) for c in outs]
        if chip_seed is not None and as_kernel:
            with ecsp.Chip(seed=chip_seed):
                res = ecsp.Parallel(*procs, timeout=T)
        else:
            res = ecsp.Parallel(*procs, timeout=T)
        mine = res[len(inputs)]
        runs.append((mine.result if as_kernel else mine, res[len(inputs) + 1 :]))
    return runs


# ---- the example ----


@ecsp.kernel
def saxpy(x: In[f32[64]], y: In[f32[64]], out: Out[f32[64]], a: float = 2.0):
    for xv in x:  # stops when x is closed
        yv = y.read()
        r = ecsp.array(f32, 64)
        for i in range(64):
            r[i] = a * xv[i] + yv[i]
        out.write(r)
    ecsp.close(out)


floats = st.floats(-1e6, 1e6, allow_nan=False, width=32)
vec64 = st.lists(floats, min_size=64, max_size=64)


@PROPERTY
@given(xs=st.lists(vec64, min_size=0, max_size=4), ys=st.data(), a=st.floats(-100, 100, allow_nan=False))
def test_saxpy_as_a_kernel_and_as_a_process_agree(xs, ys, a):
    yv = [ys.draw(vec64) for _ in xs]
    (k_res, (k_out,)), (p_res, (p_out,)) = both(
        saxpy, [("f32[64]", xs, "f"), ("f32[64]", yv, "f")], ["f32[64]"], a=a
    )
    assert len(k_out) == len(p_out) == len(xs)
    for kv, pv in zip(k_out, p_out):
        # The core computes a*x + y in double and rounds once to float, as
        # the Python process's array.array('f') stores it.
        assert kv == pv


# ---- integers keep Python's meaning ----


@ecsp.kernel
def int_ops(x: In[i32], y: In[i32], out: Out[i64]):
    for a in x:
        b = y.read()
        if b == 0:
            out.write(a * 3 - 7)
            continue
        q = a // b
        r = a % b
        s = (a << 2) ^ (b & 0xFF) | (a >> 3)
        t = -a if a < 0 else ~a
        m = max(a, b, 5) - min(a, -b)
        out.write(q)
        out.write(r)
        out.write(s)
        out.write(t)
        out.write(m)
        out.write(abs(a) // 3 + a**2 % 11)


ints = st.integers(-(2**15), 2**15)


@PROPERTY
@given(pairs=st.lists(st.tuples(ints, ints), max_size=8))
def test_integer_arithmetic_agrees_with_python(pairs):
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    (_, (k_out,)), (_, (p_out,)) = both(int_ops, [("i32", xs, None), ("i32", ys, None)], ["i64"])
    assert k_out == p_out


# ---- reals, math and helpers ----


@ecsp.kernel_helper
def poly(x: f64, n: int) -> f64:
    acc = 0.0
    for k in range(n):
        acc = acc * x + (k + 1)
    return acc


@ecsp.kernel
def reals(x: In[f64], out: Out[f64], degree: int = 4):
    for v in x:
        out.write(math.floor(v) + math.ceil(v) + v // 2.5 + v % 2.5)
        out.write(math.sqrt(abs(v)) + math.exp(min(v, 10.0)) + math.sin(v) * math.cos(v))
        out.write(math.log(abs(v) + 1) + poly(v, degree) + v / 3)


@PROPERTY
@given(xs=st.lists(st.floats(-1e3, 1e3, allow_nan=False), max_size=6))
def test_reals_math_and_helpers_agree_with_python(xs):
    (_, (k_out,)), (_, (p_out,)) = both(reals, [("f64", xs, None)], ["f64"], degree=5)
    assert len(k_out) == len(p_out)
    for kv, pv in zip(k_out, p_out):
        assert kv == pytest.approx(pv, rel=1e-12, abs=1e-12)


# ---- an Alt, a result and the clock ----


@ecsp.kernel
def merge_two(a: In[i32], b: In[f32[4]], out: Out[f64]):
    alt = ecsp.Alt(a, b)
    n = 0
    began = ecsp.now()
    while n < 12:
        g, v = alt.fair_select()
        if g is a:
            out.write(v)
        elif g is b:
            out.write(v[0] + v[3])
        n += 1
    assert ecsp.now() >= began
    return n


def test_an_alt_merges_guards_of_two_types():
    a = ecsp.Channel(dtype="i32")
    b = ecsp.Channel(dtype="f32[4]")
    o = ecsp.Channel(dtype="f64")
    # The feeders do not close: a closed, drained read guard ends an Alt's
    # process (ChannelClosed), on a core as in Python.
    res = ecsp.Parallel(
        feed(a.writer(), list(range(6)), close=False),
        feed(b.writer(), [[float(i), 0, 0, 0.5] for i in range(6)], "f", close=False),
        merge_two(a.reader(), b.reader(), o.writer()),
        collect(o.reader()),
        timeout=T,
    )
    assert res[2].result == 12 and res[2].finished
    got = sorted(res[3])
    assert got == sorted([float(i) for i in range(6)] + [i + 0.5 for i in range(6)])


@ecsp.kernel
def waits(tick: In[i32], out: Out[i32]):
    alt = ecsp.Alt(tick, ecsp.Timeout(0.002))
    timeouts = 0
    seen = 0
    while seen < 3:
        g, v = alt.pri_select()
        if g is tick:
            seen += 1
            out.write(v)
        else:
            timeouts += 1
    return timeouts


@ecsp.process
def slow_ticks(out, n):
    import time

    for i in range(n):
        time.sleep(0.01)
        out.write(i)
    ecsp.close(out)


def test_a_timeout_guard_fires_while_nothing_comes():
    t, o = ecsp.Channel(dtype="i32"), ecsp.Channel(dtype="i32")
    res = ecsp.Parallel(slow_ticks(t.writer(), 3), waits(t.reader(), o.writer()), collect(o.reader()), timeout=T)
    assert res[2] == [0, 1, 2]
    assert res[1].result >= 1


# ---- failures name the Python line ----


@ecsp.kernel
def indexer(x: In[i32], out: Out[f32]):
    table = ecsp.array(f32, 8)
    for i in range(8):
        table[i] = i * 1.5
    for k in x:
        out.write(table[k])


def _line_of(fn, text):
    import inspect

    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_an_index_outside_an_array_fails_naming_the_python_line():
    x, o = ecsp.Channel(dtype="i32"), ecsp.Channel(dtype="f32")
    line = _line_of(indexer.fn, "out.write(table[k])")
    with pytest.raises(
        ecsp.ProcessError,
        match=rf"kernel `indexer` failed: test_pykernel_run.py:{line}: IndexError: table has 8 elements, the index was \(9\)",
    ):
        ecsp.Parallel(feed(x.writer(), [1, -1, 9]), indexer(x.reader(), o.writer()), collect(o.reader()), timeout=T)
    # Negative indexes count from the end, as in Python.
    x, o = ecsp.Channel(dtype="i32"), ecsp.Channel(dtype="f32")
    res = ecsp.Parallel(feed(x.writer(), [1, -1, -8]), indexer(x.reader(), o.writer()), collect(o.reader()), timeout=T)
    assert res[2] == [1.5, 10.5, 0.0]


@ecsp.kernel
def divider(x: In[i32], out: Out[i32]):
    for v in x:
        if v > 100:
            raise ecsp.KernelFailure(f"too large: {v}")
        out.write(100 // v)


@ecsp.kernel
def rooter(x: In[f64], out: Out[f64]):
    for v in x:
        out.write(math.sqrt(v) + math.log(v + 1))


def test_math_errors_fail_as_python_raises_them():
    line = _line_of(rooter.fn, "math.sqrt(v)")
    x, o = ecsp.Channel(dtype="f64"), ecsp.Channel(dtype="f64")
    with pytest.raises(ecsp.ProcessError, match=rf"test_pykernel_run.py:{line}: ValueError: math domain error"):
        ecsp.Parallel(feed(x.writer(), [4.0, -1.0]), rooter(x.reader(), o.writer()), collect(o.reader()), timeout=T)
    x, o = ecsp.Channel(dtype="f64"), ecsp.Channel(dtype="f64")
    # The same function as a Python process raises Python's own error.
    with pytest.raises(ValueError, match="math domain error"):
        ecsp.Parallel(feed(x.writer(), [-1.0]), rooter.process(x.reader(), o.writer()), collect(o.reader()), timeout=T)


def test_division_by_zero_and_a_kernel_failure_are_reported():
    line = _line_of(divider.fn, "out.write(100 // v)")
    for values, match in (
        ([5, 0], rf"kernel `divider` failed: test_pykernel_run.py:{line}: ZeroDivisionError"),
        ([5, 101], r"kernel `divider` failed: too large: \(test_pykernel_run.py:\d+\): \(101\)"),
    ):
        x, o = ecsp.Channel(dtype="i32"), ecsp.Channel(dtype="i32")
        with pytest.raises(ecsp.ProcessError, match=match):
            ecsp.Parallel(feed(x.writer(), values), divider(x.reader(), o.writer()), collect(o.reader()), timeout=T)


# ---- with everything else, in both modes ----


@ecsp.kernel(forever=True)
def py_prefix(inp: In[u32], out: Out[u32], value: ecsp.u32 = 0):
    out.write(value)
    for v in inp:
        out.write(v)


@ecsp.kernel(forever=True)
def py_delta(inp: In[u32], a: Out[u32], b: Out[u32]):
    for v in inp:
        a.write(v)
        b.write(v)


@ecsp.kernel(forever=True)
def py_succ(inp: In[u32], out: Out[u32]):
    for v in inp:
        out.write(v + 1)


@ecsp.kernel
def py_consume(inp: In[u32], count: int):
    total = i64(0)
    for i in range(count):
        total += inp.read()
    ecsp.poison(inp)
    return total


@pytest.mark.parametrize("seed", [None, 3, 4])
def test_commstime_of_four_python_kernels(seed):
    chans = [ecsp.Channel(dtype="u32") for _ in range(4)]
    a, b, c, d = chans
    n = 500
    procs = [
        py_prefix(c.reader(), a.writer()),
        py_delta(a.reader(), b.writer(), d.writer()),
        py_succ(b.reader(), c.writer()),
        py_consume(d.reader(), count=n),
    ]
    if seed is None:
        res = ecsp.Parallel(*procs, timeout=T)
    else:
        with ecsp.Chip(seed=seed):
            res = ecsp.Parallel(*procs, timeout=T)
    assert res[3].result == n * (n - 1) // 2


def test_python_kernels_c_kernels_built_ins_and_processes_share_channels():
    double = ecsp.kernel_file(os.path.join(KERNELS, "double.c"))
    a, b, c, d = (ecsp.Channel(dtype="u32") for _ in range(4))
    res = ecsp.Parallel(
        feed(a.writer(), list(range(1, 21))),
        double(a.reader(), b.writer(), offset=1),
        py_succ(b.reader(), c.writer(), core=(2, 2)),
        ecsp.device("succ", c.reader(), d.writer()),
        collect(d.reader()),
        timeout=T,
    )
    assert res[4] == [2 * v + 1 + 2 for v in range(1, 21)]
    assert res[2].core == (2, 2)


def test_bad_calls_are_named():
    a = ecsp.Channel(dtype="u32")
    b = ecsp.Channel(dtype="u32")
    with pytest.raises(ecsp.Error, match=r"port `inp` \(In\[u32\]\) takes a read end"):
        py_succ(a.writer(), b.writer())
    with pytest.raises(ecsp.Error, match="unknown parameter `valu`"):
        py_prefix(a.reader(), b.writer(), valu=3)
    c = ecsp.Channel(dtype="f32")
    d = ecsp.Channel(dtype="u32")
    with pytest.raises(ecsp.Error, match=r"port `inp` .*takes u32 but channel"):
        ecsp.Parallel(feed(c.writer(), [1.0]), py_succ(c.reader(), d.writer()), collect(d.reader()), timeout=T)


def test_a_kernel_is_compiled_once_and_cached():
    assert saxpy.path == saxpy.path and os.path.exists(saxpy.path)
    with open(saxpy.path) as f:
        assert f.read() == saxpy.c_source
    again = ecsp.kernel(saxpy.fn)
    assert again.path == saxpy.path


@ecsp.kernel
def tagger(out: Out[i32], tag: int, n: int = 5):
    for i in range(n):
        out.write(tag * 100 + i)


@pytest.mark.parametrize("seed", [None, 5])
def test_python_kernels_share_any_to_one_and_one_to_any_channels(seed):
    # Three kernels write one channel (any-to-one) read by a Python process;
    # a built-in feeds two kernels reading one channel (one-to-any).
    many = ecsp.Channel(dtype="i32", buffer=2)
    feed_ch, outs = ecsp.Channel(dtype="u32"), ecsp.Channel(dtype="u32", buffer=4)
    procs = [tagger(many.writer(), tag=t) for t in (1, 2, 3)]
    procs += [collect(many.reader())]
    procs += [ecsp.device("generate", feed_ch.writer(), start=0, count=40), py_succ(feed_ch.reader(), outs.writer()),
              py_succ(feed_ch.reader(), outs.writer()), collect(outs.reader())]
    if seed is None:
        res = ecsp.Parallel(*procs, timeout=T)
    else:
        with ecsp.Chip(seed=seed):
            res = ecsp.Parallel(*procs, timeout=T)
    assert sorted(res[3]) == sorted(t * 100 + i for t in (1, 2, 3) for i in range(5))
    for t in (1, 2, 3):
        assert [v for v in res[3] if v // 100 == t] == [t * 100 + i for i in range(5)]
    assert sorted(res[7]) == [v + 1 for v in range(40)]


@ecsp.kernel
def two_messages(out: Out[f32[4]]):
    e = ecsp.array(f32, 4)
    for k in range(4):
        e[k] = 1.0
    out.write(e)
    for k in range(4):
        e[k] = 2.0
    out(e)


def test_a_message_is_its_value_when_written_as_a_process_too():
    # On a core a write sends the bytes; the same function as a Python
    # process sends a copy of the array, so changing it after does not
    # change what was sent.
    runs = []
    for make in (two_messages, two_messages.process):
        o = ecsp.Channel(dtype="f32[4]", buffer=2)
        res = ecsp.Parallel(make(o.writer()), collect(o.reader()), timeout=T)
        runs.append(res[1])
    assert runs[0] == runs[1] == [[1.0] * 4, [2.0] * 4]


@ecsp.kernel
def py_barrier_ring(prev: In[u32], nxt: Out[u32], phase: ecsp.Barrier, rounds: int = 4, first: bool = False):
    total = i64(0)
    for i in range(rounds):
        phase.sync()
        if first:
            nxt.write(i)
            got = prev.read()
        else:
            got = prev.read()
            nxt.write(got)
        total += got
    return total


@pytest.mark.parametrize("seed", [None, 7])
@pytest.mark.parametrize("wand", [False, True])
def test_barriers_join_python_kernels_and_c_kernels(seed, wand):
    api = ecsp.kernel_file(os.path.join(KERNELS, "api.c"))
    assert py_barrier_ring.barriers == ["phase"]
    assert "BARRIER(phase)" in py_barrier_ring.c_source and "ecsp_sync(phase);" in py_barrier_ring.c_source
    n, rounds = 4, 5
    ring = [ecsp.Channel(dtype="u32") for _ in range(n)]
    phase = ecsp.Barrier("phase", wand=wand)
    procs = []
    for k in range(n):
        make = py_barrier_ring if k % 2 == 0 else api.barrier_ring
        procs.append(make(ring[k].reader(), ring[(k + 1) % n].writer(), phase, rounds=rounds, first=k == 0))
    if seed is None:
        res = ecsp.Parallel(*procs, timeout=T)
    else:
        with ecsp.Chip(seed=seed):
            res = ecsp.Parallel(*procs, timeout=T)
    assert [r.result for r in res] == [sum(range(rounds))] * n


def test_barriers_are_checked_when_given():
    a, b = ecsp.Channel(dtype="u32"), ecsp.Channel(dtype="u32")
    with pytest.raises(ecsp.Error, match="`phase` is a barrier: pass an ecsp.Barrier there"):
        py_barrier_ring(a.reader(), b.writer(), a.reader())
    api = ecsp.kernel_file(os.path.join(KERNELS, "api.c"))
    with pytest.raises(ecsp.Error, match=r"given 0 barriers, it takes 1 \(phase\)"):
        api.barrier_ring(a.reader(), b.writer())

    @ecsp.process
    def holds(bar):
        pass

    with pytest.raises(ecsp.Error, match="barriers join device processes only"):
        ecsp.Parallel(holds(ecsp.Barrier()), timeout=T)
