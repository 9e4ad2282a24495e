"""The Python kernels of ``python -m ecsp.bench kernels``: the jobs of the
hand-written C kernels of ``ecsp bench kernels``, written as a user would
in Python.

Their annotations are ecsp's kernel types (``In[f32[64]]``), which a static
type checker does not know as types: this module is not type-checked."""

# mypy: ignore-errors

from ._core import poison
from ._kernel import kernel
from ._kernel import now as ecsp_now
from ._ktypes import In, Out, array, f32, u32
from .exceptions import KernelFailure

#: A row of the Mandelbrot picture is 64 points (the C kernels' WIDTH).
WIDTH = 64
VEC = 64


@kernel(forever=True)
def py_square(x: In[f32[VEC]], out: Out[f32[VEC]]):
    """squares every element of f32[64] vectors"""
    for v in x:
        r = array(f32, VEC)
        for i in range(VEC):
            r[i] = v[i] * v[i]
        out.write(r)


@kernel(forever=True)
def py_mandel(rows: In[f32[4]], out: Out[f32[WIDTH + 1]], iterations: int = 64):
    """escape counts of a row of points"""
    for row in rows:
        x0 = row[0]
        y = row[1]
        dx = row[2]
        counts = array(f32, WIDTH + 1)
        counts[0] = row[3]
        for i in range(WIDTH):
            cr = x0 + dx * i
            zr = f32(0)
            zi = f32(0)
            n = 0
            while n < iterations:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4:
                    break
                zi = zr * zi * 2 + y
                zr = zr2 - zi2 + cr
                n += 1
            counts[i + 1] = n
        out.write(counts)


@kernel(forever=True)
def py_prefix(inp: In[u32], out: Out[u32], value: u32 = 0):
    """outputs value, then copies"""
    out.write(value)
    for v in inp:
        out.write(v)


@kernel(forever=True)
def py_delta(inp: In[u32], a: Out[u32], b: Out[u32]):
    """copies to both outputs in turn"""
    for v in inp:
        a.write(v)
        b.write(v)


@kernel(forever=True)
def py_succ(inp: In[u32], out: Out[u32]):
    """outputs its input plus one"""
    for v in inp:
        out.write(v + 1)


@kernel
def py_consume(inp: In[u32], count: int, warmup: int):
    """times count reads after warmup, checks their sum, poisons"""
    for _ in range(warmup):
        inp.read()
    began = ecsp_now()
    total = 0
    for k in range(count):
        total += inp.read() - warmup - k
    ticks = ecsp_now() - began
    if total != 0:
        raise KernelFailure("commstime's values came out of order")
    poison(inp)
    return ticks
