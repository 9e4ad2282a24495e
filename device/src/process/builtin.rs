//! The built-in processes: what a network is made of without writing device
//! code. Each is generic over its message type `T` and the core's mesh `M`.
//!
//! Until channels can be closed, the streaming kinds (`generate`, `sieve`,
//! `consume` with a negative count) use the value 0 as an end-of-stream
//! marker; the classic CSP kinds (`id`, `succ`, `prefix`, `delta`) run
//! forever, like their occam originals.

use super::{Outcome, Proc, ProcessError};
use crate::mesh::Mesh;
use crate::message::Scalar;

/// Copies its input to its output, forever.
pub(super) async fn id<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = p.output::<T>(0)?;
    loop {
        let x = input.recv().await;
        output.send(x).await;
    }
}

/// Outputs its input plus one, forever.
pub(super) async fn succ<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = p.output::<T>(0)?;
    loop {
        let x = input.recv().await;
        output.send(x.succ()).await;
    }
}

/// Outputs `value` (param 0), then copies its input to its output, forever.
pub(super) async fn prefix<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = p.output::<T>(0)?;
    output.send(T::from_i64(p.param(0))).await;
    loop {
        let x = input.recv().await;
        output.send(x).await;
    }
}

/// Reads a value and outputs it on every output in turn (the sequential
/// delta of commstime), forever. Up to four outputs.
pub(super) async fn delta<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut first = p.output::<T>(0)?;
    let mut rest: heapless::Vec<_, 3> = heapless::Vec::new();
    for i in 1..p.outputs() {
        // The registry caps delta at four outputs, so this never overflows.
        if rest.push(p.output::<T>(i)?).is_err() {
            return Err(ProcessError::MissingEnd { input: false, index: i });
        }
    }
    loop {
        let x = input.recv().await;
        first.send(x).await;
        for out in rest.iter_mut() {
            out.send(x).await;
        }
    }
}

/// Reads `warmup` (param 1) values, then times `count` (param 0) reads.
///
/// With a negative count it reads until the end marker 0. Result: value = the
/// number of timed values, aux = their wrapping sum (as `i64` bits), ticks =
/// the ticks the timed reads took.
pub(super) async fn consume<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let count = p.param(0);
    let warmup = p.param(1);
    if warmup < 0 {
        return Err(ProcessError::BadParam { index: 1 });
    }
    for _ in 0..warmup {
        input.recv().await;
    }
    let mesh = p.mesh();
    let start = mesh.now_ticks();
    let mut n: u64 = 0;
    let mut sum: i64 = 0;
    if count >= 0 {
        for _ in 0..count {
            let x = input.recv().await;
            sum = sum.wrapping_add(x.to_i64());
        }
        n = count as u64;
    } else {
        loop {
            let x = input.recv().await;
            if x == T::from_i64(0) {
                break;
            }
            sum = sum.wrapping_add(x.to_i64());
            n += 1;
        }
    }
    let ticks = mesh.now_ticks().wrapping_sub(start);
    Ok(Outcome {
        value: n,
        aux: sum as u64,
        ticks,
    })
}

/// Outputs `count` (param 1) values counting up from `start` (param 0), then
/// the end marker 0 when param 2 is non-zero. A negative count runs forever.
/// Result: value = the number of values sent (marker excluded).
pub(super) async fn generate<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut output = p.output::<T>(0)?;
    let start = p.param(0);
    let count = p.param(1);
    let mut x = T::from_i64(start);
    let mut sent: u64 = 0;
    while count < 0 || sent < count as u64 {
        output.send(x).await;
        x = x.succ();
        sent += 1;
    }
    if p.param(2) != 0 {
        output.send(T::from_i64(0)).await;
    }
    Ok(Outcome {
        value: sent,
        aux: 0,
        ticks: 0,
    })
}

/// One stage of the prime sieve pipeline: the first value it reads is its
/// prime; it forwards every later value that prime does not divide, until the
/// end marker 0, which it forwards before returning. Result: value = its
/// prime (0 if the stream was empty), aux = how many multiples it struck out.
pub(super) async fn sieve<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = p.output::<T>(0)?;
    let prime = input.recv().await.to_i64();
    let mut struck: u64 = 0;
    if prime != 0 {
        if prime < 0 {
            return Err(ProcessError::BadParam { index: 0 });
        }
        loop {
            let x = input.recv().await;
            let v = x.to_i64();
            if v == 0 {
                break;
            }
            if v % prime == 0 {
                struck += 1;
            } else {
                output.send(x).await;
            }
        }
    }
    output.send(T::from_i64(0)).await;
    Ok(Outcome {
        value: prime as u64,
        aux: struck,
        ticks: 0,
    })
}
