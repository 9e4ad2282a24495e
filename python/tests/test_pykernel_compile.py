"""The compiler of Python kernels (@ecsp.kernel), construct by construct:
the C it writes, and the error (file, line, construct, fix) for what a core
cannot run. Nothing here runs a network."""

import math
import re

import pytest

import ecsp
from ecsp import In, Out, f32, f64, i32, i64, u32

N = 8
GAIN = 2.5


def body(k):
    """The kernel's body: the C between its declaration's braces."""
    src = k.c_source
    return src[src.index("{", src.index("ECSP_KERNEL")) :]


def compile_error(fn, match):
    with pytest.raises(ecsp.CompileError, match=match) as e:
        ecsp.kernel(fn).c_source
    return e.value


# ---- declarations ----


@ecsp.kernel
def saxpy(x: In[f32[64]], y: In[f32[64]], out: Out[f32[64]], a: float = 2.0):
    """a*x + y over vectors of 64 floats"""
    for xv in x:
        yv = y.read()
        r = ecsp.array(f32, 64)
        for i in range(64):
            r[i] = a * xv[i] + yv[i]
        out.write(r)
    ecsp.close(out)


def test_the_issue_example_compiles_to_a_declared_kernel():
    src = saxpy.c_source
    assert "#include <ecsp/kernel.h>" in src
    assert re.search(
        r'ECSP_KERNEL\(saxpy, "a\*x \+ y over vectors of 64 floats",\s+IN\(x, f32, 64\), IN\(y, f32, 64\), '
        r"OUT\(out, f32, 64\), PARAM\(a, f64, 2.0\), STACK\(\d+\)\)",
        src,
    ), src
    b = body(saxpy)
    assert "float xv[64];" in b and "float r[64];" in b
    assert "while (ecsp_read(x, xv)) {" in b
    assert "if (!ecsp_read(y, yv))\n            return;" in b
    # The loop index is proved in range: no check; f64 * f32 + f32 computed in double, stored as float.
    assert "for (i = 0; i < 64; i++) {" in b
    assert "r[i] = (float)((a * xv[i]) + yv[i]);" in b
    assert "ecsp_write(out, r);" in b and "ecsp_close(out);" in b
    assert "ecsp_py_index" not in src
    # The loop writes every element of r before anything reads it: no zeroing.
    assert "memset" not in b
    assert saxpy.ports == [("in", "x", "f32[64]"), ("in", "y", "f32[64]"), ("out", "out", "f32[64]")]
    assert saxpy.params == [("a", "f64", 2.0)]
    assert saxpy.stack >= 3 * 256  # its three arrays, at least


@ecsp.kernel(name="ints", stack=2048, forever=True)
def typed_params(inp: In[i32], out: Out[u32], n: int, k: u32 = 7, big: i64 = -5, f: f32 = 0.25, on: bool = True):
    v = inp.read()
    out.write(k)


def test_parameters_map_python_types_and_keep_defaults():
    src = typed_params.c_source
    assert (
        'ECSP_KERNEL(ints, "Python kernel typed_params", IN(inp, i32), OUT(out, u32), PARAM(n, i32), '
        "PARAM(k, u32, 7), PARAM(big, i64, -5), PARAM(f, f32, 0.25), PARAM(on, bool, 1), STACK(2048), FOREVER)"
    ) in " ".join(src.split()), src
    assert typed_params.name == "ints" and typed_params.stack == 2048
    assert "ecsp_write(out, &k);" in src


# ---- types and promotion ----


@ecsp.kernel
def promotion(x: In[i32], y: In[u32], z: In[f32], out: Out[f64]):
    a = x.read()
    b = y.read()
    c = z.read()
    mixed = a + b  # i32 with u32: i64, as numpy
    real = a * c  # int with f32: f32
    half = b / 2  # true division: f64
    weak = c * 2  # a literal takes the other operand's type
    widen = c * 0.5  # f32 with a float literal: f32
    out.write(mixed + real + half + weak + widen)


def test_promotion_follows_the_written_rules():
    b = body(promotion)
    # C would add i32 and u32 as u32: the conversion is spelled out.
    assert "int64_t mixed = 0;" in b and "mixed = (int64_t)a + (int64_t)b;" in b
    assert "float real = 0;" in b and "real = a * c;" in b
    assert "double half = 0;" in b and "half = b / 2.0;" in b
    assert "float weak = 0;" in b and "weak = c * 2.0f;" in b
    assert "float widen = 0;" in b and "widen = c * 0.5f;" in b


@ecsp.kernel
def floors(x: In[i32], out: Out[i32]):
    a = x.read()
    out.write(a // 3 + a % -4 + -7 // 2)


def test_floor_division_and_modulo_keep_python_meaning():
    src = floors.c_source
    assert "static inline int32_t ecsp_py_floordiv_i32" in src and "static inline int32_t ecsp_py_mod_i32" in src
    # -7 // 2 is folded as Python folds it.
    assert "+ -4" in src
    assert 'ecsp_py_floordiv_i32(a, 3, "test_pykernel_compile.py:' in src


@ecsp.kernel
def math_calls(x: In[f32], y: In[f64], out: Out[f64]):
    a = x.read()
    b = y.read()
    out.write(math.sqrt(a) + math.exp(b) + math.log(a) + math.sin(b) + math.cos(a) + math.floor(a) + math.ceil(b))
    out.write(abs(a) + abs(-3) + min(a, 1) + max(b, a, 2.0) + a**2 + b**0.5 + GAIN * math.pi)


def test_math_uses_single_precision_for_f32_and_fails_as_python_does():
    src = math_calls.c_source
    assert "#include <math.h>" in src
    # Checked: a domain or range error fails the kernel naming the line.
    for f in ("ecsp_py_sqrt_f32(a, ", "ecsp_py_exp_f64(b, ", "ecsp_py_log_f32(a, ", "ecsp_py_sin_f64(b, ",
              "ecsp_py_cos_f32(a, ", "ecsp_py_floor_f32(a, ", "ecsp_py_ceil_f64(b, "):
        assert f in src, f
    assert "ValueError: math domain error" in src and "OverflowError: math range error" in src
    assert "    if (x < 0)\n        ecsp_fail(where);\n    return sqrtf(x);" in src
    assert "fabsf(a)" in src and "pow(b, 0.5)" in src and "(a * a)" in src
    assert repr(GAIN * math.pi) in src or repr(GAIN) in src
    bare = ecsp.kernel(math_calls.fn, name="math_bare", checks=False).c_source
    for f in ("sqrtf(a)", "exp(b)", "logf(a)", "sin(b)", "cosf(a)", "(int32_t)floorf(a)", "(int32_t)ceil(b)"):
        assert f in bare, f
    assert "ecsp_py_" not in bare


# ---- control flow ----


@ecsp.kernel
def control(x: In[i32], out: Out[i32], n: int = 10):
    total = 0
    i = 0
    while i < n:
        i += 1
        if i % 2 == 0:
            continue
        elif i > 7:
            break
        else:
            total += i
    for j in range(n - 1, -1, -2):
        total += j
    for v in x:
        if v < 0 and not (v == -1 or v == -2):
            raise ecsp.KernelFailure(f"negative input {v}")
        assert v != 13, "unlucky"
        total = total + v if v > 0 else total
    out.write(total)
    return total


def test_control_flow_reads_as_written():
    b = body(control)
    assert "while (i < n) {" in b and "continue;" in b and "break;" in b
    assert "} else if (i > 7) {" in b and "} else {" in b
    assert "for (j = n - 1; j > -1; j -= 2) {" in b
    assert "while (ecsp_read(x, &v)) {" in b
    assert 'ecsp_fail_value("negative input (test_pykernel_compile.py:' in b
    assert 'ecsp_fail("assertion failed: unlucky (test_pykernel_compile.py:' in b
    assert "ecsp_result_int(total);" in b


# ---- arrays and indexes ----


@ecsp.kernel
def indexes(x: In[f32[N]], out: Out[f32[N]], k: int = 0):
    v = x.read()
    w = ecsp.array(f32, N)
    w[:] = v
    w[:] = 0
    w[:] = v
    w[-1] = v[0]
    for i in range(1, N - 1):
        w[i] = v[i - 1] + v[i + 1]
    w[k] = 1.0
    w[k % N] += 2
    out.write(w)


def test_indexes_are_checked_unless_proved():
    b = body(indexes)
    assert "__builtin_memset(w, 0, sizeof w);" in b  # a new array is zeros, as in Python
    assert "__builtin_memcpy(w, v, sizeof(float) * 8);" in b
    assert "w[7] = v[0];" in b
    assert "w[i] = v[i - 1] + v[i + 1];" in b
    assert 'w[ecsp_py_index(k, 8, "test_pykernel_compile.py:' in b and "IndexError: w has 8 elements" in b
    # k % N is within 0..N-1: no check.
    assert "w[ecsp_k" in b or "ecsp_py_mod_i32(k, 8" in b
    unchecked = ecsp.kernel(indexes.fn, name="indexes_fast", checks=False)
    assert "ecsp_py_index" not in unchecked.c_source


def test_a_constant_index_outside_the_array_is_a_compile_error():
    def k(x: In[f32[4]]):
        v = x.read()
        v[4] = 0.0

    e = compile_error(k, r"index 4 is outside an array of 4")
    assert e.line > 0 and e.path.endswith("test_pykernel_compile.py")


# ---- helpers ----


@ecsp.kernel_helper
def dot(a: f32[N], b: f32[N]) -> f32:
    s = f32(0)
    for i in range(N):
        s += a[i] * b[i]
    return s


@ecsp.kernel_helper
def norm(a: f32[N]) -> f32:
    return math.sqrt(dot(a, a))


@ecsp.kernel
def uses_helpers(x: In[f32[N]], out: Out[f32]):
    for v in x:
        out.write(norm(v))


def test_helpers_become_static_functions_in_call_order():
    src = uses_helpers.c_source
    assert src.index("static float dot(float *a, float *b)") < src.index("static float norm(float *a)")
    assert "s = 0.0f;" in src
    assert "return ecsp_py_sqrt_f32(dot(a, a), " in src
    assert dot(ecsp.array(f32, N), ecsp.array(f32, N)) == 0  # on the host, the plain function


@ecsp.kernel_helper
def ping(n: int) -> int:
    return pong(n - 1) if n > 0 else 0


@ecsp.kernel_helper
def pong(n: int) -> int:
    return ping(n)


def test_recursion_is_refused():
    def k(out: Out[i32]):
        out.write(ping(3))

    compile_error(k, r"recursion \(ping -> pong -> ping\): a core's stack is fixed")


# ---- Alt ----


@ecsp.kernel
def merge(a: In[i32], b: In[f32[4]], out: Out[f64], limit: int = 5):
    alt = ecsp.Alt(a, b, ecsp.Timeout(0.001))
    n = 0
    while n < limit:
        g, v = alt.pri_select(when=[True, n > 1, True])
        if g is a:
            out.write(v)
        elif g is b:
            out.write(v[0] + v[3])
        else:
            n += 1


def test_alt_compiles_to_a_select_with_one_value_per_guard_type():
    b = body(merge)
    assert (
        "g = ECSP_PRI_SELECT(ecsp_when(1, ecsp_on_read(a, &v_a)), ecsp_when(n > 1, ecsp_on_read(b, v_b)), "
        "ecsp_when(1, ecsp_on_timeout(ecsp_us(UINT64_C(1000)))));" in b
    ), b
    assert "if (g == 0 && ecsp_closed(a))\n            return;" in b
    assert "if (g == 0) {" in b and "} else if (g == 1) {" in b
    assert "ecsp_write(out, &ecsp_v)" in b or "double ecsp_v = v_a;" in b
    assert "v_b[0] + v_b[3]" in b


def test_an_alt_value_of_several_types_is_used_inside_its_guard_branch():
    def k(a: In[i32], b: In[f32], out: Out[i32]):
        alt = ecsp.Alt(a, b)
        g, v = alt.select()
        out.write(v)

    compile_error(k, r"`v` holds what the Alt read, whose type depends on the guard chosen")


# ---- errors: each names the file, the line, the construct and a fix ----


def _errors():
    def growing_list(out: Out[i32]):
        xs = []  # noqa: F841

    def rebinds_type(out: Out[i32]):
        n = 0
        n = 0.5  # noqa: F841

    def float_into_int(x: In[f32], out: Out[i32]):
        v = x.read()
        out.write(v)

    def writes_a_reader(x: In[i32]):
        x.write(1)

    def reads_a_writer(out: Out[i32]):
        v = out.read()  # noqa: F841

    def unknown(out: Out[i32]):
        out.write(nowhere)  # noqa: F821

    def unannotated(x):
        pass

    def tries(out: Out[i32]):
        try:
            pass
        except Exception:
            pass

    def prints(out: Out[i32]):
        print(1)

    def rebinds_array(x: In[f32[4]], out: Out[f32[4]]):
        v = x.read()
        w = v  # noqa: F841

    def read_in_expression(x: In[i32], out: Out[i32]):
        while x.read() > 0:
            pass

    def and_on_ints(x: In[i32], out: Out[i32]):
        v = x.read()
        if v and 1:
            pass

    def wrong_array(x: In[f32[4]], out: Out[f32[8]]):
        v = x.read()
        out.write(v)

    def python_function(out: Out[i32]):
        out.write(helper_without_decorator(1))

    def closes_reader(x: In[i32]):
        x.close()

    def dict_use(out: Out[i32]):
        d = {}  # noqa: F841

    def string_value(out: Out[i32]):
        s = "no"  # noqa: F841

    def assigns_loop_index(out: Out[i32]):
        for i in range(3):
            i = 5  # noqa: F841

    return [
        (growing_list, r"`\[\]`: lists cannot grow on a core: use ecsp.array\(f32, N\)"),
        (rebinds_type, r"`n` is i32 \(from line \d+\): this is a float: convert it with int\(...\) or i32\(...\)"),
        (float_into_int, r"`out` carries i32: this is f32: a real does not become an integer by itself"),
        (writes_a_reader, r"`x` is a read end \(In\[...\]\): it cannot be written"),
        (reads_a_writer, r"`out` is a write end \(Out\[...\]\): it cannot be read"),
        (unknown, r"unknown name `nowhere`"),
        (unannotated, r"parameter `x` needs an annotation: In\[...\] or Out\[...\]"),
        (tries, r"a core has no exceptions to catch"),
        (prints, r"a core cannot print: send the value to the host over a channel"),
        (rebinds_array, r"arrays are not rebound on a core .* copy it with w\[:\] = v"),
        (read_in_expression, r"once for a whole loop: read into a variable first, in a statement of its own: v = x.read\(\)"),
        (and_on_ints, r"`and` and `or` take bools on a core"),
        (wrong_array, r"`out` carries f32\[8\], this array is f32\[4\]"),
        (python_function, r"plain Python function: decorate it with @ecsp.kernel_helper"),
        (closes_reader, r"a kernel closes only its write ends"),
        (dict_use, r"dicts cannot live on a core"),
        (string_value, r"a core has no strings"),
        (assigns_loop_index, r"the loop assigns its own index `i`"),
    ]


def helper_without_decorator(n):
    return n


@pytest.mark.parametrize("fn,match", _errors(), ids=lambda v: getattr(v, "__name__", ""))
def test_what_a_core_cannot_run_is_a_compile_error_naming_file_line_and_fix(fn, match):
    e = compile_error(fn, match)
    assert isinstance(e, ecsp.Error)
    assert e.path.endswith("test_pykernel_compile.py")
    lines, first = __import__("inspect").getsourcelines(fn)
    assert first <= e.line < first + len(lines), (e.line, first)
    assert str(e).startswith(f"{e.path}:{e.line}: in kernel `{fn.__name__}`")


def test_bad_annotations_and_options_are_named():
    with pytest.raises(TypeError, match=r"In\[...\] takes a channel's message type"):
        In[str]
    with pytest.raises(ValueError, match=r"stack is a number of bytes >= 256"):
        ecsp.kernel(stack=10)(saxpy.fn)
    with pytest.raises(TypeError, match="already compiled for a core"):
        ecsp.kernel(saxpy)


def test_host_conversions_match_a_core():
    assert i32(2**31) == -(2**31) and u32(-1) == 2**32 - 1 and i64(2**63) == -(2**63)
    assert f32(0.1) != 0.1 and abs(f32(0.1) - 0.1) < 1e-8 and f64(1) == 1.0
    a = ecsp.array(f32, 3)
    assert list(a) == [0.0, 0.0, 0.0] and a.itemsize == 4
    assert repr(f32[64]) == "f32[64]" and f32[64].dtype == "f32[64]" and ecsp.u8[16].dtype == "bytes:16"


INCLUDE = __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "device", "c", "include")


def test_every_kernel_here_is_c_the_host_compiler_takes_without_a_warning(tmp_path):
    import shutil
    import subprocess

    cc = __import__("os").environ.get("CC") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    kernels = [v for v in globals().values() if isinstance(v, ecsp.PyKernel)]
    kernels.append(ecsp.kernel(indexes.fn, name="indexes_fast", checks=False))
    assert len(kernels) >= 9
    for k in kernels:
        path = tmp_path / f"{k.name}.c"
        path.write_text(k.c_source)
        out = subprocess.run(
            [cc, "-std=gnu11", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
             "-Wno-unused-but-set-variable", "-fwrapv", "-I", INCLUDE, str(path)],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, f"{k.name}:\n{out.stderr}\n{k.c_source}"


def _zeroes(fn):
    return "__builtin_memset" in ecsp.kernel(fn).c_source


def test_a_new_array_is_not_zeroed_when_every_element_is_written_before_any_read():
    def rows(x: In[f32[4]], out: Out[f32[N + 1]]):
        for row in x:
            counts = ecsp.array(f32, N + 1)
            counts[0] = row[3]
            for i in range(N):
                n = 0
                while n < 10:
                    if n > i:
                        break
                    n += 1
                counts[i + 1] = n
            out.write(counts)

    def conditional(x: In[f32[4]], out: Out[f32[N]]):
        for row in x:
            r = ecsp.array(f32, N)
            for i in range(N):
                if row[0] > 0:
                    r[i] = 1.0
            out.write(r)

    def breaks(x: In[f32[4]], out: Out[f32[N]]):
        for row in x:
            r = ecsp.array(f32, N)
            for i in range(N):
                r[i] = 1.0
                if row[0] > i:
                    break
            out.write(r)

    def reads_first(x: In[f32[4]], out: Out[f32[N]]):
        for row in x:
            r = ecsp.array(f32, N)
            for i in range(N):
                r[i] = r[(i + 1) % N] + 1.0
            out.write(r)

    def misses_one(x: In[f32[4]], out: Out[f32[N]]):
        for row in x:
            r = ecsp.array(f32, N)
            for i in range(1, N):
                r[i] = 1.0
            out.write(r)

    assert not _zeroes(rows)
    for fn in (conditional, breaks, reads_first, misses_one):
        assert _zeroes(fn), fn.__name__


@ecsp.kernel
def pycsp_style(inp: In[i32], out: Out[i32]):
    v = inp()
    out(v + inp())
    inp()


def test_ends_called_as_pycsp_calls_them_read_and_write():
    b = body(pycsp_style)
    assert "if (!ecsp_read(inp, &v))" in b
    assert b.count("ecsp_read(inp,") == 3
    assert "ecsp_write(out, &ecsp_v)" in b


@ecsp.kernel_helper
def third(x: f32) -> f32:
    return x / 3


def test_a_helper_on_the_host_gives_its_annotated_type():
    assert third(1.0) == f32(1.0 / 3) and third(1.0) != 1.0 / 3


def test_two_dimensional_arrays_are_refused_with_the_one_dimensional_way():
    def k(x: In[f32[16]]):
        v = x.read()
        w = v[1][2]  # noqa: F841

    compile_error(k, r"arrays are one-dimensional on a core: index a\[i \* N \+ j\]")

    def k2(out: Out[i32]):
        a = ecsp.array(f32, 4, 4)  # noqa: F841

    compile_error(k2, r"arrays are one-dimensional on a core \(ecsp.array\(f32, M \* N\)")
