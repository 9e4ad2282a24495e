"""The examples' Python kernels: the Mandelbrot farm with Python-kernel
workers agrees with numpy and with the built-in workers; commstime of four
Python kernels runs its loops (small sizes: these are not benchmarks)."""

import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(120)
def test_a_farm_of_python_kernel_workers_agrees_with_numpy_and_the_built_in():
    np = pytest.importorskip("numpy")
    mandelbrot = load("mandelbrot")
    image, rows = mandelbrot.mandelbrot(40, 20, 30, worker="python")
    assert np.array_equal(image, mandelbrot.reference(40, 20, (-2.2, 0.8, -1.2, 1.2), 30))
    builtin, _ = mandelbrot.mandelbrot(40, 20, 30)
    assert np.array_equal(image, builtin)
    assert sum(rows) == 20
    assert "ECSP_KERNEL(mandel_row_40" in mandelbrot.python_worker(40).c_source


@pytest.mark.timeout(120)
def test_commstime_of_four_python_kernels():
    commstime = load("commstime")
    out = commstime.kernels_commstime(2000)
    assert out["ns_per_comm"] > 0 and out["iterations"] == 2000
