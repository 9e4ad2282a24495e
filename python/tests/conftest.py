"""Every test runs under pytest-timeout (``timeout`` in pyproject.toml), and
every network in it has a timeout of its own: a hang fails, never stalls."""

import pytest

import ecsp

#: Seconds any one network in these tests may take.
T = 20


@pytest.fixture
def det_chip():
    """A deterministic simulated chip: Python processes and device
    processes run in an order drawn from its seed."""
    with ecsp.Chip(seed=12345) as chip:
        yield chip
