"""The examples run and compute the right things (small sizes: these are
not benchmarks)."""

import dataclasses
import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(60)
def test_commstime_in_python_and_on_the_device():
    commstime = load("commstime")
    assert commstime.python_commstime(2000, warmup=100) > 0
    out = commstime.device_commstime(2000)
    assert out["ns_per_comm"] > 0


@pytest.mark.timeout(60)
def test_sieve_in_python_and_on_the_device_agree():
    sieve = load("sieve")
    primes = sieve.python_sieve(500)
    assert primes[:5] == [2, 3, 5, 7, 11] and len(primes) == 95
    held, count, total = sieve.device_sieve(500)
    assert len(held) + count == 95
    assert sum(held) + total == sum(primes)


@pytest.mark.timeout(120)
def test_mandelbrot_farm_agrees_with_numpy():
    pytest.importorskip("numpy")
    import numpy as np

    mandelbrot = load("mandelbrot")
    image, rows = mandelbrot.mandelbrot(40, 20, 30)
    assert image.shape == (20, 40) and sum(rows) == 20 and len(rows) == 16
    assert np.array_equal(image, mandelbrot.reference(40, 20, (-2.2, 0.8, -1.2, 1.2), 30))
    assert image.max() == 30 and image.min() < 5  # the set and its outside both show


@pytest.mark.timeout(60)
def test_the_package_readme_examples_run():
    """python/README.md's examples, in order in one namespace, as a reader
    would paste them (their asserts check the results)."""
    pytest.importorskip("numpy")
    import re

    text = (EXAMPLES.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, "python/README.md", "exec"), namespace)


@pytest.mark.timeout(120)
def test_host_throughput_in_batches_beside_rust():
    pytest.importorskip("numpy")
    host_throughput = load("host_throughput")
    for direction, row in zip(("host_to_device", "device_to_host"), host_throughput.measure(256, 500, 16)):
        assert row["direction"] == direction and row["messages"] == 500 and row["ns_per_message"] > 0


@pytest.mark.timeout(120)
def test_python_m_ecsp_bench_host_channel_sets_python_beside_rust():
    pytest.importorskip("numpy")
    import json
    import subprocess
    import sys

    for dtype in ("f32", "bytes"):
        out = subprocess.run(
            [sys.executable, "-m", "ecsp.bench", "host-channel", "--sizes", "4,4096", "--messages", "300", "--rounds", "2",
             "--dtype", dtype, "--json"],
            capture_output=True,
            text=True,
            timeout=100,
            check=True,
        )
        doc = json.loads(out.stdout)
        assert (doc["threads"], doc["idle"]) == (1, "spin")  # the steady defaults
        rows = doc["results"]
        assert [(r["direction"], r["msg_bytes"], r["capacity"]) for r in rows] == [
            ("host_to_device", 4, 16), ("device_to_host", 4, 16), ("host_to_device", 4096, 2), ("device_to_host", 4096, 2)
        ]
        for r in rows:
            assert len(r["rust_runs"]) == len(r["python_runs"]) == 2
            assert r["ratio"] == pytest.approx(r["rust_ns_per_message"] / r["python_ns_per_message"])
            assert r["rust_ns_per_message"] == min(r["rust_runs"]) and r["python_ns_per_message"] == min(r["python_runs"])
            assert r["median_ratio"] == pytest.approx(r["rust_median_ns_per_message"] / r["python_median_ns_per_message"])
    bad = subprocess.run([sys.executable, "-m", "ecsp.bench", "host-channel", "--sizes", "6"], capture_output=True, text=True, timeout=100)
    assert bad.returncode != 0 and "multiple of 4" in bad.stderr


@pytest.mark.timeout(120)
def test_python_m_ecsp_bench_commstime():
    import json
    import subprocess
    import sys

    for extra in ([], ["--device"]):
        out = subprocess.run(
            [sys.executable, "-m", "ecsp.bench", "commstime", "--iterations", "2000", "--json", *extra],
            capture_output=True,
            text=True,
            timeout=100,
            check=True,
        )
        result = json.loads(out.stdout)
        assert result["ns_per_comm"] > 0 and result["iterations"] == 2000
    for style in ("method", "call"):
        out = subprocess.run(
            [sys.executable, "-m", "ecsp.bench", "commstime", "--iterations", "2000", "--style", style, "--json"],
            capture_output=True,
            text=True,
            timeout=100,
            check=True,
        )
        result = json.loads(out.stdout)
        assert result["style"] == style and result["ns_per_comm"] > 0
    bad = subprocess.run([sys.executable, "-m", "ecsp.bench", "commstime", "--iterations", "0"], capture_output=True, text=True, timeout=100)
    assert bad.returncode != 0 and "at least 1" in bad.stderr


@pytest.mark.timeout(120)
def test_commstime_against_the_floor_and_pycsp():
    import json
    import subprocess
    import sys

    from ecsp._baselines import commstime_floor

    # The floor runs the same ring: its figure is a time, and it ends every greenlet.
    assert commstime_floor(500, warmup=10) > 0
    out = subprocess.run(
        [sys.executable, "-m", "ecsp.bench", "commstime", "--iterations", "2000", "--against", "floor", "--rounds", "2",
         "--json"],
        capture_output=True,
        text=True,
        timeout=100,
        check=True,
    )
    side = json.loads(out.stdout)
    assert set(side["contenders"]) == {"ecsp", "ecsp-call", "floor"} and side["rounds"] == 2
    for c in side["contenders"].values():
        assert len(c["runs"]) == 2 and c["ns_per_comm"] == min(c["runs"])
    assert side["ecsp_over"]["floor"] == pytest.approx(
        side["contenders"]["ecsp"]["ns_per_comm"] / side["contenders"]["floor"]["ns_per_comm"]
    )
    bad = subprocess.run(
        [sys.executable, "-m", "ecsp.bench", "commstime", "--against", "jcsp"], capture_output=True, text=True, timeout=100
    )
    assert bad.returncode != 0 and "--against jcsp: 'pycsp' or 'floor'" in bad.stderr
    try:
        import pycsp.greenlets  # noqa: F401
    except ImportError:
        bad = subprocess.run(
            [sys.executable, "-m", "ecsp.bench", "commstime", "--against", "pycsp", "--iterations", "100"],
            capture_output=True,
            text=True,
            timeout=100,
        )
        assert bad.returncode != 0 and "pip install pycsp" in bad.stderr
    else:
        from ecsp._baselines import commstime_pycsp

        assert commstime_pycsp(500, warmup=10) > 0


def run_example(name, *args):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args], capture_output=True, text=True, timeout=200
    )


@pytest.mark.timeout(240)
@pytest.mark.parametrize("seed", [None, 11])
def test_cannon_of_python_kernels_agrees_with_numpy(seed, capsys):
    pytest.importorskip("numpy")
    import numpy as np

    import ecsp

    cannon = load("cannon")
    with ecsp.Chip("parallella-16", seed=seed):
        c, seconds = cannon.cannon(4)
    assert c.shape == (64, 64) and not np.isnan(c).any() and seconds > 0
    capsys.readouterr()
    assert cannon.check(c, 4)
    assert "0 elements outside it" in capsys.readouterr().out
    # The check tells a wrong answer: one element off by far less than an
    # element's size, and a block that never came.
    wrong = c.copy()
    wrong[37, 21] += 1e-4
    assert not cannon.check(wrong, 4)
    assert "1 elements outside it" in capsys.readouterr().out
    wrong = c.copy()
    wrong[16:32, 48:64] = np.nan
    assert not cannon.check(wrong, 4)
    assert "256 elements outside it" in capsys.readouterr().out


@pytest.mark.timeout(240)
def test_cannon_example_exits_0_when_it_agrees():
    pytest.importorskip("numpy")
    out = run_example("cannon", "--seed", "5")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4x4 PEs on 16 cores (sim, seed 5)" in out.stdout
    assert "check: the answer agrees" in out.stdout
    # The same function as sixteen Python processes agrees too.
    out = run_example("cannon", "--python")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "as Python processes" in out.stdout and "check: the answer agrees" in out.stdout
    out = run_example("cannon", "--show-c")
    assert out.returncode == 0 and "ECSP_KERNEL(cannon_pe," in out.stdout and "ecsp_write(a_out, a);" in out.stdout


@pytest.mark.timeout(240)
@pytest.mark.parametrize("seed", [None, 11])
def test_heat_of_python_kernels_agrees_with_numpy(seed, capsys):
    pytest.importorskip("numpy")
    import numpy as np

    import ecsp

    heat = load("heat")
    iterations = heat.ITERATIONS[4]
    with ecsp.Chip("parallella-16", seed=seed):
        plate, did, devices, seconds = heat.heat(4, iterations)
    assert plate.shape == (64, 64) and not np.isnan(plate).any() and did == iterations and seconds > 0
    # 16 tiles, and a wall per border side: 4 per side of the plate.
    assert sorted(d.kind for d in devices) == ["heat_tile"] * 16 + ["heat_wall"] * 16
    assert all(d.core == (int(d.name.split("_")[1]), int(d.name.split("_")[2])) for d in devices)
    capsys.readouterr()
    assert heat.check(plate, did, devices)
    out = capsys.readouterr().out
    assert "0 points outside it" in out and f"{iterations:9d}" in out
    # The check tells a wrong answer: a point off by more than the bound,
    # a tile's last change that is not the plate's, a wall that missed edges.
    wrong = plate.copy()
    wrong[40, 3] += 1e-3
    assert not heat.check(wrong, did, devices)
    assert "1 points outside it" in capsys.readouterr().out
    tile = next(i for i, d in enumerate(devices) if d.kind == "heat_tile")
    bad = list(devices)
    bad[tile] = dataclasses.replace(devices[tile], result=devices[tile].result + 1e-2)
    assert not heat.check(plate, did, bad)
    wall = next(i for i, d in enumerate(devices) if d.kind == "heat_wall")
    bad = list(devices)
    bad[wall] = dataclasses.replace(devices[wall], result=iterations - 1)
    assert not heat.check(plate, did, bad)
    assert f"walls that did not answer {iterations} edges: {devices[wall].name}" in capsys.readouterr().out


@pytest.mark.timeout(240)
def test_heat_example_exits_0_when_it_agrees():
    pytest.importorskip("numpy")
    out = run_example("heat", "--seed", "5", "--iterations", "200")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4x4 tiles and 16 walls on 16 cores (sim, seed 5)" in out.stdout
    assert "200 Jacobi iterations" in out.stdout and "check: the answer agrees" in out.stdout
    out = run_example("heat", "--show-c")
    assert out.returncode == 0 and "ECSP_KERNEL(heat_tile," in out.stdout and "ECSP_KERNEL(heat_wall," in out.stdout
