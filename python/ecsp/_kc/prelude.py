"""The C functions generated kernels call where Python's meaning differs
from C's (floor division, modulo, checked indexes and divisions): each is
written into a kernel's file only when the kernel uses it."""

from __future__ import annotations

from typing import Dict

from .. import _ktypes as T

PRELUDE: Dict[str, str] = {
    "index": """/* Python's a[i]: i may count from the end; outside the array the kernel fails. */
static inline int32_t ecsp_py_index(int64_t i, int32_t n, const char *where)
{
    int64_t k = i < 0 ? i + n : i;
    if (k < 0 || k >= n)
        ecsp_fail_value(where, i);
    return (int32_t)k;
}""",
}

for _t in ("i32", "i64"):
    _c = T.SCALARS[_t].ctype
    PRELUDE[f"floordiv_{_t}"] = f"""/* Python's // on {_t}: rounds toward minus infinity. */
static inline {_c} ecsp_py_floordiv_{_t}({_c} a, {_c} b, const char *where)
{{
    if (b == 0)
        ecsp_fail(where);
    {_c} q = a / b;
    return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}}"""
    PRELUDE[f"mod_{_t}"] = f"""/* Python's % on {_t}: the sign of the divisor. */
static inline {_c} ecsp_py_mod_{_t}({_c} a, {_c} b, const char *where)
{{
    if (b == 0)
        ecsp_fail(where);
    {_c} r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}}"""
PRELUDE["floordiv_u32"] = """static inline uint32_t ecsp_py_floordiv_u32(uint32_t a, uint32_t b, const char *where)
{
    if (b == 0)
        ecsp_fail(where);
    return a / b;
}"""
PRELUDE["mod_u32"] = """static inline uint32_t ecsp_py_mod_u32(uint32_t a, uint32_t b, const char *where)
{
    if (b == 0)
        ecsp_fail(where);
    return a % b;
}"""
for _t, _f in (("f32", "f"), ("f64", "")):
    _c = T.SCALARS[_t].ctype
    PRELUDE[f"floordiv_{_t}"] = f"""/* Python's // on {_t}, as CPython computes it (float_floor_div). */
static inline {_c} ecsp_py_floordiv_{_t}({_c} a, {_c} b, const char *where)
{{
    if (b == 0)
        ecsp_fail(where);
    {_c} mod = fmod{_f}(a, b);
    {_c} div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0)))
        div -= 1;
    if (div == 0)
        return __builtin_copysign{_f}(0, a / b);
    {_c} fl = floor{_f}(div);
    return div - fl > 0.5{'f' if _f else ''} ? fl + 1 : fl;
}}"""
    PRELUDE[f"mod_{_t}"] = f"""/* Python's % on {_t}: the sign of the divisor, as CPython computes it. */
static inline {_c} ecsp_py_mod_{_t}({_c} a, {_c} b, const char *where)
{{
    if (b == 0)
        ecsp_fail(where);
    {_c} r = fmod{_f}(a, b);
    if (r == 0)
        return __builtin_copysign{_f}(0, b);
    return (r < 0) != (b < 0) ? r + b : r;
}}"""
    PRELUDE[f"div_{_t}"] = f"""static inline {_c} ecsp_py_div_{_t}({_c} a, {_c} b, const char *where)
{{
    if (b == 0)
        ecsp_fail(where);
    return a / b;
}}"""

NEEDS_MATH = {"floordiv_f32", "floordiv_f64", "mod_f32", "mod_f64"}

# Math with Python's errors: what a domain or range error raises in Python
# fails the kernel, naming the Python line.
for _t, _f in (("f32", "f"), ("f64", "")):
    _c = T.SCALARS[_t].ctype
    for _fn, _bad in (
        ("sqrt", "x < 0"),
        ("log", "x <= 0"),
        ("sin", "__builtin_isinf(x)"),
        ("cos", "__builtin_isinf(x)"),
    ):
        PRELUDE[f"{_fn}_{_t}"] = f"""static inline {_c} ecsp_py_{_fn}_{_t}({_c} x, const char *where)
{{
    if ({_bad})
        ecsp_fail(where);
    return {_fn}{_f}(x);
}}"""
    PRELUDE[f"exp_{_t}"] = f"""static inline {_c} ecsp_py_exp_{_t}({_c} x, const char *where)
{{
    {_c} r = exp{_f}(x);
    if (__builtin_isinf(r) && !__builtin_isinf(x))
        ecsp_fail(where);
    return r;
}}"""
    for _fn in ("floor", "ceil"):
        PRELUDE[f"{_fn}_{_t}"] = f"""/* Python's math.{_fn}: an int, here an i32. */
static inline int32_t ecsp_py_{_fn}_{_t}({_c} x, const char *where)
{{
    {_c} r = {_fn}{_f}(x);
    if (!(r >= -2147483648.0{_f} && r < 2147483648.0{_f}))
        ecsp_fail(where);
    return (int32_t)r;
}}"""

#: What each math function's failure says, as Python says it.
MATH_ERRORS = {
    "sqrt": "ValueError: math domain error",
    "log": "ValueError: math domain error",
    "sin": "ValueError: math domain error",
    "cos": "ValueError: math domain error",
    "exp": "OverflowError: math range error",
    "floor": "ValueError or OverflowError: not an i32",
    "ceil": "ValueError or OverflowError: not an i32",
}
