"""``ecsp.Chip(backend="esdk")``: the real chip through the eSDK's e-hal.

The error paths run everywhere; the run on a chip needs an ``ecsp`` built
with the eSDK and a chip to reach (a Parallella's ``/dev/epiphany/mesh0``,
or esim with ``EHAL_TARGET=esim`` and its core simulators started, e.g.
under ``run-esim.sh``), else it says why it skipped."""

import os

import pytest

import ecsp
from ecsp import _ecsp


def why_no_chip():
    """Why the esdk run cannot happen here, or None when it can."""
    if not _ecsp.ESDK:
        return "this ecsp was built without the esdk backend (--features esdk)"
    if not os.environ.get("EHAL_TARGET") and not os.path.exists("/dev/epiphany/mesh0"):
        return "no Epiphany here: neither /dev/epiphany/mesh0 nor EHAL_TARGET (esim) is set"
    return None


def test_backends_say_whether_esdk_is_built_in():
    assert ecsp.backends() == (["sim", "esdk"] if _ecsp.ESDK else ["sim"])


def test_esdk_not_built_in_says_how_to_build_it(monkeypatch):
    # As an ecsp built without the eSDK sees it, whatever this one carries.
    monkeypatch.setattr(_ecsp, "ESDK", False)
    with pytest.raises(ecsp.Error, match=r"not in this build.*--config-settings=build-args=\"--features esdk\""):
        ecsp.Chip(backend="esdk")
    assert ecsp.backends() == ["sim"]


@pytest.mark.skipif(_ecsp.ESDK, reason="this ecsp carries the esdk backend")
def test_the_extension_without_esdk_refuses_to_open_one():
    with pytest.raises(ecsp.Error, match="--features esdk"):
        _ecsp.Chip.esdk("parallella-16")


def test_simulator_options_are_refused_on_silicon():
    # Refused before any chip is touched, so these hold with or without the eSDK.
    with pytest.raises(ecsp.Error, match=r"mode='deterministic' applies to backend='sim' only"):
        ecsp.Chip(backend="esdk", mode="deterministic")
    with pytest.raises(ecsp.Error, match="seed applies to backend='sim' only"):
        ecsp.Chip(backend="esdk", seed=7)
    with pytest.raises(ecsp.Error, match="threads applies to backend='sim' only"):
        ecsp.Chip(backend="esdk", threads=2)
    with pytest.raises(ecsp.Error, match="device_image applies to backend='esdk' only"):
        ecsp.Chip(device_image="ecsp-device.elf")
    with pytest.raises(ecsp.Error, match="unknown backend 'fpga'"):
        ecsp.Chip(backend="fpga")


@ecsp.process
def rows_in(out, jobs):
    out.write_many(jobs)
    ecsp.close(out)


@ecsp.process
def rows_out(inp, n):
    return inp.read_many(n)


@pytest.mark.timeout(600)
@pytest.mark.skipif(why_no_chip() is not None, reason=str(why_no_chip()))
def test_host_channels_drive_device_processes_on_the_chip():
    """One chip per process (e-hal drives one platform; on esim e_finalize
    stops the simulators): whatever the image carries, the plumbing kinds
    (the default) or mandel, its run matches the simulator's."""
    np = pytest.importorskip("numpy")

    def plumbing(chip):
        with chip:
            a, b = ecsp.Channel(dtype="u32"), ecsp.Channel(dtype="u32")
            return ecsp.Parallel(
                rows_in(a.writer(), np.arange(50, dtype=np.uint32)),
                ecsp.device("succ", a.reader(), b.writer()),
                rows_out(b.reader(), 50),
                timeout=300,
            )[2].tolist()

    def mandel(chip):
        with chip:
            jobs, lines = ecsp.Channel(dtype="f32[4]", buffer=2), ecsp.Channel(dtype="f32[9]", buffer=2)
            rows = np.array([[-2.0, -1.0 + 0.5 * r, 0.3, r] for r in range(4)], dtype=np.float32)
            got = ecsp.Parallel(
                rows_in(jobs.writer(), rows),
                ecsp.device("mandel", jobs.reader(), lines.writer(), iterations=20),
                rows_out(lines.reader(), 4),
                timeout=300,
            )[2]
            return sorted(map(tuple, got.tolist()))

    chip = ecsp.Chip(backend="esdk")
    assert chip.backend == "esdk" and chip.shape == (4, 4) and chip.ticks_per_second == 600_000_000
    try:
        got, run = plumbing(chip), plumbing
    except ecsp.PlanError as e:
        assert "ECSP_DEVICE_KINDS" in str(e), e  # the image lacks succ: it was built for mandel
        got, run = mandel(chip), mandel
    assert got == run(ecsp.Chip()), run.__name__
