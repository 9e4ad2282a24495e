"""``python -m ecsp.bench kernels`` runs every job three ways and says
what it measured (tiny sizes: this is not the benchmark itself)."""

import json
import subprocess
import sys

import pytest


@pytest.mark.timeout(300)
def test_python_m_ecsp_bench_kernels_times_every_job_three_ways():
    out = subprocess.run(
        [sys.executable, "-m", "ecsp.bench", "kernels", "--messages", "200", "--rounds", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [j["job"] for j in doc["jobs"]] == ["map square f32[64]", "mandel f32[64]", "commstime"]
    for j in doc["jobs"]:
        assert set(j["best"]) == {"built-in", "C kernel", "Python kernel"}, j
        assert all(v > 0 for v in j["best"].values()), j
        assert j["python_over_c"] == pytest.approx(j["best"]["Python kernel"] / j["best"]["C kernel"])
    contenders = doc["commstime"]["contenders"]
    assert set(contenders) == {"Python kernels", "Python processes"}
    assert doc["compile"]["python_to_c_ms"] > 0 and doc["compile"]["cold_run_ms"] > 0
    assert doc["code"] is None


def test_bad_options_are_named():
    out = subprocess.run(
        [sys.executable, "-m", "ecsp.bench", "kernels", "--against", "jcsp"], capture_output=True, text=True, timeout=100
    )
    assert out.returncode == 2 and "--against jcsp: pycsp" in out.stderr
