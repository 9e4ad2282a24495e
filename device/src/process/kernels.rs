//! Numeric kernels over vector messages: what a Python user composes into a
//! data-parallel farm without writing device code. Each is generic over the
//! element type `T` and the core's mesh `M`; a channel's vector length comes
//! from the boot table (a scalar channel is a vector of one).
//!
//! A kernel works in its scratch memory, which the host plans beside its
//! state ([`super::KindSpec::scratch_messages`]): a message is received into
//! it, computed on in place, and sent from it, so a kernel costs one message
//! of SRAM however long its vectors are, and no heap.
//!
//! They end as the scalar built-ins do (see `builtin.rs`): a closed input
//! closes the outputs, poison spreads to every other end. Result: `value` =
//! messages handled, `aux` = how the stream ended.

use super::builtin::{ended, pass_on, ENDED_BY_CLOSE};
use super::{Outcome, Proc, ProcessError};
use crate::channel::RecvError;
use crate::mesh::Mesh;
use crate::message::Scalar;

/// The functions `map` applies, by the index its `fn` parameter holds.
pub const MAP_FNS: &[&str] = &["square", "negate", "abs", "sqrt", "scale", "offset", "affine", "relu"];

/// The element-wise operations of `zip`.
pub const ZIP_OPS: &[&str] = &["add", "sub", "mul", "min", "max"];

/// The folds of `reduce`.
pub const REDUCE_OPS: &[&str] = &["sum", "product", "min", "max", "mean"];

/// Reads a choice parameter: its index into `names`.
fn choice(p: &Proc<impl Mesh>, index: usize, names: &[&str]) -> Result<usize, ProcessError> {
    let v = p.param(index);
    if v >= 0 && (v as usize) < names.len() {
        Ok(v as usize)
    } else {
        Err(ProcessError::BadParam { index: index as u32 })
    }
}

/// A real parameter (the host stores it converted to `T`).
fn real<T: Scalar>(p: &Proc<impl Mesh>, index: usize) -> T {
    T::from_param_bits(p.param(index) as u64)
}

/// Copies its input to its output, scalars or vectors, until the input ends.
pub(super) async fn id<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<[T]>(0)?;
    let mut output = p.output::<[T]>(0)?;
    if input.len() != output.len() {
        return Err(ProcessError::LengthMismatch);
    }
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(input.len())? };
    let mut handled = 0;
    loop {
        if let Err(why) = input.recv_into(buf).await {
            pass_on(why, core::slice::from_mut(&mut output));
            return ended(handled, why);
        }
        if output.send(buf).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Applies `fn` (param 0: an index into [`MAP_FNS`]) with the real constants
/// `a` (param 1) and `b` (param 2) to every element of every input vector.
pub(super) async fn map<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let f = choice(&p, 0, MAP_FNS)?;
    let (a, b) = (real::<T>(&p, 1), real::<T>(&p, 2));
    let mut input = p.input::<[T]>(0)?;
    let mut output = p.output::<[T]>(0)?;
    if input.len() != output.len() {
        return Err(ProcessError::LengthMismatch);
    }
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(input.len())? };
    let apply = |x: T| match f {
        0 => x.times(x),
        1 => x.negate(),
        2 => x.magnitude(),
        3 => x.root(),
        4 => a.times(x),
        5 => x.plus(a),
        6 => a.times(x).plus(b),
        _ => x.greater(T::zero()),
    };
    let mut handled = 0;
    loop {
        if let Err(why) = input.recv_into(buf).await {
            pass_on(why, core::slice::from_mut(&mut output));
            return ended(handled, why);
        }
        for x in buf.iter_mut() {
            *x = apply(*x);
        }
        if output.send(buf).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Reads one vector from each of its two inputs, combines them element by
/// element with `op` (param 0: an index into [`ZIP_OPS`]) and outputs the
/// result. It ends when either input ends: a close closes the output and
/// poisons the other input (nothing more will be read from it, so its
/// writer must not wait for that); poison spreads to both other ends.
pub(super) async fn zip<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let op = choice(&p, 0, ZIP_OPS)?;
    let mut left = p.input::<[T]>(0)?;
    let mut right = p.input::<[T]>(1)?;
    let mut output = p.output::<[T]>(0)?;
    let len = output.len();
    if left.len() != len || right.len() != len {
        return Err(ProcessError::LengthMismatch);
    }
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(2 * len)? };
    let (xs, ys) = buf.split_at_mut(len);
    let mut handled = 0;
    loop {
        let got = match left.recv_into(xs).await {
            Ok(()) => right.recv_into(ys).await.map_err(|why| (why, true)),
            Err(why) => Err((why, false)),
        };
        if let Err((why, right_ended)) = got {
            pass_on(why, core::slice::from_mut(&mut output));
            if right_ended {
                left.poison();
            } else {
                right.poison();
            }
            return ended(handled, why);
        }
        for (x, &y) in xs.iter_mut().zip(ys.iter()) {
            *x = match op {
                0 => x.plus(y),
                1 => x.minus(y),
                2 => x.times(y),
                3 => x.lesser(y),
                _ => x.greater(y),
            };
        }
        if output.send(xs).await.is_err() {
            left.poison();
            right.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Folds every input vector with `op` (param 0: an index into
/// [`REDUCE_OPS`]) and outputs one scalar per vector. `mean` divides the sum
/// by the length (integer division for integers).
pub(super) async fn reduce<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let op = choice(&p, 0, REDUCE_OPS)?;
    let mut input = p.input::<[T]>(0)?;
    let mut output = p.output::<[T]>(0)?;
    if output.len() != 1 {
        return Err(ProcessError::LengthMismatch);
    }
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(input.len())? };
    let len = T::from_i64(buf.len() as i64);
    let mut handled = 0;
    loop {
        if let Err(why) = input.recv_into(buf).await {
            pass_on(why, core::slice::from_mut(&mut output));
            return ended(handled, why);
        }
        let first = buf[0];
        let rest = buf[1..].iter().copied();
        let folded = match op {
            0 => rest.fold(first, T::plus),
            1 => rest.fold(first, T::times),
            2 => rest.fold(first, T::lesser),
            3 => rest.fold(first, T::greater),
            _ => rest.fold(first, T::plus).divide(len),
        };
        if output.send(&[folded]).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Outputs `count` (param 1) vectors, element `i` of vector `k` being
/// `start + k*len + i` (`start`: param 0), then closes its output. Result:
/// `value` = vectors sent.
pub(super) async fn ramp<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let start = p.param(0);
    let count = p.param(1);
    if count < 0 {
        return Err(ProcessError::BadParam { index: 1 });
    }
    let mut output = p.output::<[T]>(0)?;
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(output.len())? };
    let len = buf.len() as i64;
    for k in 0..count {
        for (i, x) in buf.iter_mut().enumerate() {
            *x = T::from_i64(start.wrapping_add(k.wrapping_mul(len)).wrapping_add(i as i64));
        }
        if output.send(buf).await.is_err() {
            return Ok(Outcome {
                value: k as u64,
                aux: super::builtin::ENDED_BY_POISON,
                ticks: 0,
            });
        }
    }
    output.close();
    Ok(Outcome {
        value: count as u64,
        aux: ENDED_BY_CLOSE,
        ticks: 0,
    })
}

/// The Mandelbrot kernel of a data-parallel farm: for each input vector
/// `(x0, y, dx, tag)` (at least 4 elements; more are ignored) outputs
/// `(tag, n_0, .., n_{len-2})`, where `n_i` is the number of iterations of
/// `z <- z^2 + c` from 0 before `|z| > 2` for `c = x0 + i*dx + iy`, at most
/// `iterations` (param 0). Floats only: the element type must be f32 or f64.
pub(super) async fn mandel<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let iterations = p.param(0);
    if iterations <= 0 || T::from_f64(0.5) == T::zero() {
        // A positive limit, and a real element type (0.5 must not round to 0).
        return Err(ProcessError::BadParam { index: 0 });
    }
    let mut input = p.input::<[T]>(0)?;
    let mut output = p.output::<[T]>(0)?;
    if input.len() < 4 || output.len() < 2 {
        return Err(ProcessError::LengthMismatch);
    }
    let width = output.len() - 1;
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(input.len().max(output.len()))? };
    let four = T::from_i64(4);
    let mut handled = 0;
    loop {
        if let Err(why) = input.recv_into(&mut buf[..input.len()]).await {
            pass_on(why, core::slice::from_mut(&mut output));
            return ended(handled, why);
        }
        let (x0, y, dx, tag) = (buf[0], buf[1], buf[2], buf[3]);
        buf[0] = tag;
        for i in 0..width {
            let cr = x0.plus(dx.times(T::from_i64(i as i64)));
            let (mut zr, mut zi) = (T::zero(), T::zero());
            let mut n = 0i64;
            while n < iterations {
                let (zr2, zi2) = (zr.times(zr), zi.times(zi));
                if zr2.plus(zi2) > four {
                    break;
                }
                zi = zr.times(zi).times(T::from_i64(2)).plus(y);
                zr = zr2.minus(zi2).plus(cr);
                n += 1;
            }
            buf[1 + i] = T::from_i64(n);
        }
        if output.send(&buf[..output.len()]).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}
