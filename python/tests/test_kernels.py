"""Users' C kernels from Python: ecsp.kernel_file gives kinds usable like
ecsp.device, on the simulator; Python processes, built-ins and kernels
share channels."""

import os

import pytest

import ecsp

KERNELS = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "kernels")


def kernels(name):
    return ecsp.kernel_file(os.path.join(KERNELS, name))


def test_a_kernel_file_says_what_it_declares():
    kf = kernels("double.c")
    assert list(kf.kernels) == ["double_it"]
    k = kf.double_it
    assert k.summary == "doubles every value of its input until it closes"
    assert k.ports == [("in", "x", "u32"), ("out", "y", "u32")]
    assert k.params == [("offset", "i32", 0)]
    assert k.stack == 512 and not k.forever
    assert kf["double_it"] is k
    with pytest.raises(AttributeError, match="declares no kernel `triple`; it declares: double_it"):
        kf.triple
    api = kernels("api.c")
    assert "fair_merge" in api.kernels and "barrier_ring" in api.kernels
    with pytest.raises(ecsp.Error, match="declares 11 kernels"):
        api()


@ecsp.process
def produce(out, n):
    for i in range(1, n + 1):
        out.write(i)
    ecsp.close(out)


@ecsp.process
def collect(inp):
    return list(inp)


@pytest.mark.parametrize("seed", [None, 1, 2])
def test_python_processes_and_a_kernel_share_channels(seed):
    double = kernels("double.c")
    with ecsp.Chip(seed=seed) if seed is not None else ecsp.Chip():
        a = ecsp.Channel(dtype="u32")
        b = ecsp.Channel(dtype="u32", buffer=2)
        results = ecsp.Parallel(
            produce(a.writer(), 50),
            double(a.reader(), b.writer(), offset=3, core=(1, 2)),
            collect(b.reader()),
            timeout=30,
        )
    assert results[2] == [2 * v + 3 for v in range(1, 51)]
    assert results[1].result == 50 and results[1].core == (1, 2)


def test_kernels_and_built_ins_together_with_a_float_result():
    api = kernels("api.c")
    with ecsp.Chip():
        o = ecsp.Channel(dtype="f64")
        results = ecsp.Parallel(
            api.all_params(o.writer(), e=1.5, g=False),
            collect(o.reader()),
            timeout=30,
        )
    want = -2 + 3_000_000_000 - 5_000_000_000 + 7 + 1.5 + 0.25
    assert results[0].result == want and results[1] == [want]


def test_a_kernel_s_failure_is_a_process_error_with_its_message():
    api = kernels("api.c")
    with ecsp.Chip():
        a = ecsp.Channel(dtype="u32")
        with pytest.raises(ecsp.ProcessError, match=r"kernel `checker` failed: value above the limit: \(11\)"):
            ecsp.Parallel(ecsp.device("generate", a.writer(), start=1, count=20), api.checker(a.reader()), timeout=30)


def test_mistakes_are_named(tmp_path):
    api = kernels("api.c")
    a = ecsp.Channel(dtype="u32")
    with pytest.raises(ecsp.Error, match="unknown parameter `offst`; double_it takes: offset \\(i32\\)"):
        kernels("double.c").double_it(a.reader(), offst=1)
    with pytest.raises(ecsp.Error, match="parameter `n` takes a number or a bool"):
        api.needs_n(a.reader(), n="three")
    with ecsp.Chip():
        f = ecsp.Channel(dtype="f32")
        with pytest.raises(ecsp.Error, match="port `in` \\(an input\\) takes f32\\[16\\] but channel"):
            ecsp.Parallel(api.scale_vec(f.reader(), f.writer()), timeout=10)
        b = ecsp.Channel(dtype="u32")
        with pytest.raises(ecsp.Error, match="parameter `n` \\(i32\\) has no default"):
            ecsp.Parallel(api.needs_n(b.reader()), produce(b.writer(), 3), timeout=10)
    path = tmp_path / "k.c"
    path.write_text('ECSP_KERNEL(k, "s", IN(x, float)) {}\n')
    with pytest.raises(ecsp.Error, match=r"k\.c:1: kernel `k`: port `x` has dtype `float`"):
        ecsp.kernel_file(path)
