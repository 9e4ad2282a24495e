//! The built-in processes: what a network is made of without writing device
//! code. Each is generic over its message type `T` and the core's mesh `M`.
//!
//! How they end (explicitly, in their own code; nothing propagates behind
//! a process's back):
//! - when an input is closed and drained, a process closes its outputs and
//!   returns: closing a pipeline's source shuts the whole pipeline down in
//!   order, losing nothing;
//! - when any of its channels is poisoned, it poisons all its other ends and
//!   returns: poison spreads through a network and stops it.
//!
//! Result: `value` = messages it handled, `aux` = how its stream ended
//! ([`ENDED_BY_CLOSE`] or [`ENDED_BY_POISON`]) unless a kind says otherwise.

use super::{Outcome, Proc, ProcessError};
use crate::alt::{Alt, Guard, Timeout};
use crate::channel::{Payload, Receiver, RecvError, Sender, TryRecvError};
use crate::mesh::Mesh;
use crate::message::Scalar;
use core::future::Future;

/// `aux` of a process whose input was closed.
pub const ENDED_BY_CLOSE: u64 = 0;
/// `aux` of a process stopped by poison.
pub const ENDED_BY_POISON: u64 = 1;

pub(super) fn ended(handled: u64, why: RecvError) -> Result<Outcome, ProcessError> {
    Ok(Outcome {
        value: handled,
        aux: match why {
            RecvError::Closed => ENDED_BY_CLOSE,
            RecvError::Poisoned => ENDED_BY_POISON,
        },
        ticks: 0,
    })
}

/// Shuts down after input `why` ended: closes or poisons `outputs`.
pub(super) fn pass_on<T: ?Sized + Payload, M: Mesh>(why: RecvError, outputs: &mut [Sender<T, M>]) {
    for out in outputs.iter_mut() {
        match why {
            RecvError::Closed => out.close(),
            RecvError::Poisoned => out.poison(),
        }
    }
}

/// Every read end of `p`, up to `N` (the registry caps each kind's arity).
fn all_inputs<T: Scalar, M: Mesh, const N: usize>(
    p: &Proc<M>,
) -> Result<heapless::Vec<Receiver<T, M>, N>, ProcessError> {
    let mut inputs = heapless::Vec::new();
    for i in 0..p.inputs() {
        if inputs.push(p.input::<T>(i)?).is_err() {
            return Err(ProcessError::MissingEnd { input: true, index: i });
        }
    }
    Ok(inputs)
}

/// Every write end of `p`, up to `N`.
fn all_outputs<T: Scalar, M: Mesh, const N: usize>(
    p: &Proc<M>,
) -> Result<heapless::Vec<Sender<T, M>, N>, ProcessError> {
    let mut outputs = heapless::Vec::new();
    for i in 0..p.outputs() {
        if outputs.push(p.output::<T>(i)?).is_err() {
            return Err(ProcessError::MissingEnd { input: false, index: i });
        }
    }
    Ok(outputs)
}

/// Fair-selects among the `open` inputs; `None` once none is open.
async fn select_open<T: Scalar, M: Mesh>(
    alt: &mut Alt<M>,
    inputs: &[Receiver<T, M>],
    open: &[bool; 8],
) -> Option<usize> {
    let mut guards: heapless::Vec<Guard<'_>, 8> = inputs
        .iter()
        .zip(open)
        .map(|(input, &is_open)| Guard::new(input).when(is_open))
        .collect();
    alt.fair_select(&mut guards).await.ok()
}

/// Outputs its input plus one until the input ends.
pub(super) async fn succ<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    map(p, None, |x: T| x.succ()).await
}

/// The one-input, one-output loop behind `id`, `succ` and `prefix`: sends
/// `first` if given, then `f` of every input until the input ends.
async fn map<T: Scalar, M: Mesh>(p: Proc<M>, first: Option<T>, f: impl Fn(T) -> T) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = [p.output::<T>(0)?];
    if let Some(first) = first {
        if output[0].send(first).await.is_err() {
            input.poison();
            return ended(0, RecvError::Poisoned);
        }
    }
    let mut handled = 0;
    loop {
        let x = match input.recv().await {
            Ok(x) => x,
            Err(why) => {
                pass_on(why, &mut output);
                return ended(handled, why);
            }
        };
        if output[0].send(f(x)).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Outputs `value` (param 0), then copies its input to its output until the input ends.
pub(super) async fn prefix<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let first = T::from_i64(p.param(0));
    map(p, Some(first), |x: T| x).await
}

/// Reads a value and outputs it on every output in turn (the sequential
/// delta of commstime) until the input ends. Up to four outputs.
pub(super) async fn delta<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut outputs: heapless::Vec<Sender<T, M>, 4> = all_outputs(&p)?;
    let mut handled = 0;
    loop {
        let x = match input.recv().await {
            Ok(x) => x,
            Err(why) => {
                pass_on(why, &mut outputs);
                return ended(handled, why);
            }
        };
        for i in 0..outputs.len() {
            if outputs[i].send(x).await.is_err() {
                input.poison();
                pass_on(RecvError::Poisoned, &mut outputs);
                return ended(handled, RecvError::Poisoned);
            }
        }
        handled += 1;
    }
}

/// Reads `warmup` (param 1) values, then times `count` (param 0) reads, then
/// poisons its input when `poison` (param 2) is non-zero (shutting down the
/// network that fed it, as commstime's consumer does).
///
/// With a negative count it reads until the input ends. Result: value = the
/// number of timed values, aux = their wrapping sum (as `i64` bits), ticks =
/// the ticks the timed reads took. It ends early, without error, when its
/// input is closed or poisoned.
pub(super) async fn consume<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<[T]>(0)?;
    // SAFETY: the one call for this process.
    let buf = unsafe { p.scratch::<T>(input.len())? };
    let count = p.param(0);
    let warmup = p.param(1);
    if warmup < 0 {
        return Err(ProcessError::BadParam { index: 1 });
    }
    let mesh = p.mesh();
    let mut n: u64 = 0;
    let mut sum: i64 = 0;
    let mut start = mesh.now_ticks();
    for _ in 0..warmup {
        if input.recv_into(buf).await.is_err() {
            break;
        }
        start = mesh.now_ticks();
    }
    while count < 0 || n < count as u64 {
        match input.recv_into(buf).await {
            Ok(()) => {
                for x in buf.iter() {
                    sum = sum.wrapping_add(x.to_i64());
                }
                n += 1;
            }
            Err(_) => break,
        }
    }
    let ticks = mesh.now_ticks().wrapping_sub(start);
    if p.param(2) != 0 {
        input.poison();
    }
    Ok(Outcome {
        value: n,
        aux: sum as u64,
        ticks,
    })
}

/// Outputs `count` (param 1) values counting up from `start` (param 0), then
/// closes its output. A negative count runs until the channel is poisoned.
/// Result: value = the number of values sent.
pub(super) async fn generate<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut output = p.output::<T>(0)?;
    let count = p.param(1);
    let mut x = T::from_i64(p.param(0));
    let mut sent: u64 = 0;
    while count < 0 || sent < count as u64 {
        if output.send(x).await.is_err() {
            return ended(sent, RecvError::Poisoned);
        }
        x = x.succ();
        sent += 1;
    }
    output.close();
    ended(sent, RecvError::Closed)
}

/// One stage of the prime sieve pipeline: the first value it reads is its
/// prime; it forwards every later value that prime does not divide until
/// its input ends, then closes its output. Result: value = its prime (0 if
/// the stream was empty), aux = how many multiples it struck out.
pub(super) async fn sieve<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = [p.output::<T>(0)?];
    let prime = match input.recv().await {
        Ok(x) => x.to_i64(),
        Err(why) => {
            pass_on(why, &mut output);
            return Ok(Outcome::default());
        }
    };
    if prime <= 0 {
        input.poison();
        pass_on(RecvError::Poisoned, &mut output);
        return Err(ProcessError::BadParam { index: 0 });
    }
    let mut struck: u64 = 0;
    loop {
        let x = match input.recv().await {
            Ok(x) => x,
            Err(why) => {
                pass_on(why, &mut output);
                break;
            }
        };
        if x.to_i64() % prime == 0 {
            struck += 1;
        } else if output[0].send(x).await.is_err() {
            input.poison();
            break;
        }
    }
    Ok(Outcome {
        value: prime as u64,
        aux: struck,
        ticks: 0,
    })
}

/// Merges its inputs (up to eight) fairly onto its output: among inputs with
/// a message waiting, the one served longest ago goes first, so a busy input
/// cannot starve the others. Closes its output once every input is closed;
/// poison on any channel poisons them all. Result: value = messages merged.
pub(super) async fn merge<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut inputs: heapless::Vec<Receiver<T, M>, 8> = all_inputs(&p)?;
    let mut output = [p.output::<T>(0)?];
    let mut open = [true; 8];
    let mut alt = Alt::new(p.mesh());
    let mut handled = 0;
    let poisoned = |inputs: &mut heapless::Vec<Receiver<T, M>, 8>, output: &mut [Sender<T, M>; 1]| {
        for input in inputs.iter_mut() {
            input.poison();
        }
        pass_on(RecvError::Poisoned, output);
    };
    loop {
        let chosen = match select_open(&mut alt, &inputs, &open).await {
            Some(i) => i,
            // Every input closed.
            None => {
                pass_on(RecvError::Closed, &mut output);
                return ended(handled, RecvError::Closed);
            }
        };
        match inputs[chosen].try_recv() {
            Ok(x) => {
                if output[0].send(x).await.is_err() {
                    poisoned(&mut inputs, &mut output);
                    return ended(handled, RecvError::Poisoned);
                }
                handled += 1;
            }
            Err(TryRecvError::Closed) => open[chosen] = false,
            Err(TryRecvError::Poisoned) => {
                poisoned(&mut inputs, &mut output);
                return ended(handled, RecvError::Poisoned);
            }
            // A chosen input is ready; nothing else reads it.
            Err(TryRecvError::Empty) => {}
        }
    }
}

/// Reads one value from each of its two inputs and outputs their sum, until
/// either input ends. Result: value = sums sent.
pub(super) async fn plus<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut a = p.input::<T>(0)?;
    let mut b = p.input::<T>(1)?;
    let mut output = [p.output::<T>(0)?];
    let mut handled = 0;
    loop {
        let x = match a.recv().await {
            Ok(x) => x,
            Err(why) => {
                if why == RecvError::Poisoned {
                    b.poison();
                }
                pass_on(why, &mut output);
                return ended(handled, why);
            }
        };
        let y = match b.recv().await {
            Ok(y) => y,
            Err(why) => {
                if why == RecvError::Poisoned {
                    a.poison();
                }
                pass_on(why, &mut output);
                return ended(handled, why);
            }
        };
        if output[0].send(x.plus(y)).await.is_err() {
            a.poison();
            b.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Drops the first value of its input, then copies the rest to its output
/// until the input ends. Result: value = messages copied.
pub(super) async fn tail<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = [p.output::<T>(0)?];
    if let Err(why) = input.recv().await {
        pass_on(why, &mut output);
        return ended(0, why);
    }
    let mut handled = 0;
    loop {
        let x = match input.recv().await {
            Ok(x) => x,
            Err(why) => {
                pass_on(why, &mut output);
                return ended(handled, why);
            }
        };
        if output[0].send(x).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// The reader of the Stressed Alt benchmark: fair-selects `selects` (param 0)
/// times over its inputs (up to eight), counting what each delivers, then
/// poisons them all when `poison` (param 1) is non-zero. Result: value =
/// messages received, aux = the largest deviation of one input's count from
/// the mean, in parts per million of the mean (fairness), ticks = the time
/// the selects took.
pub(super) async fn alt_count<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut inputs: heapless::Vec<Receiver<T, M>, 8> = all_inputs(&p)?;
    let selects = p.param(0);
    if selects < 0 {
        return Err(ProcessError::BadParam { index: 0 });
    }
    let mesh = p.mesh();
    let mut counts = [0u64; 8];
    let mut open = [true; 8];
    let mut alt = Alt::new(mesh);
    let start = mesh.now_ticks();
    let mut received = 0u64;
    while received < selects as u64 {
        let chosen = match select_open(&mut alt, &inputs, &open).await {
            Some(i) => i,
            None => break,
        };
        match inputs[chosen].try_recv() {
            Ok(_) => {
                counts[chosen] += 1;
                received += 1;
            }
            Err(TryRecvError::Empty) => {}
            Err(_) => open[chosen] = false,
        }
    }
    let ticks = mesh.now_ticks().wrapping_sub(start);
    if p.param(1) != 0 {
        for input in inputs.iter_mut() {
            input.poison();
        }
    }
    let n = inputs.len().max(1) as u64;
    let mean = received / n;
    let deviation_ppm = if mean == 0 {
        0
    } else {
        counts[..inputs.len()]
            .iter()
            .map(|&c| c.abs_diff(mean) * 1_000_000 / mean)
            .max()
            .unwrap_or(0)
    };
    Ok(Outcome {
        value: received,
        aux: deviation_ppm,
        ticks,
    })
}

/// Reads a value and outputs it on every output at once (the parallel delta):
/// the sends to all outputs are in flight together and complete in any
/// order, so one slow reader does not hold up the others. Up to four
/// outputs, until the input ends.
pub(super) async fn delta_par<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut outputs: heapless::Vec<Sender<T, M>, 4> = all_outputs(&p)?;
    let mut handled = 0;
    loop {
        let x = match input.recv().await {
            Ok(x) => x,
            Err(why) => {
                pass_on(why, &mut outputs);
                return ended(handled, why);
            }
        };
        let poisoned = {
            let mut sends: heapless::Vec<_, 4> = outputs.iter_mut().map(|out| Some(out.send(x))).collect();
            // Poll every send until all have completed; each is its own future.
            core::future::poll_fn(|cx| {
                let mut pending = false;
                let mut poisoned = false;
                for slot in sends.iter_mut() {
                    if let Some(send) = slot {
                        match core::pin::Pin::new(send).poll(cx) {
                            core::task::Poll::Ready(result) => {
                                poisoned |= result.is_err();
                                *slot = None;
                            }
                            core::task::Poll::Pending => pending = true,
                        }
                    }
                }
                if pending {
                    core::task::Poll::Pending
                } else {
                    core::task::Poll::Ready(poisoned)
                }
            })
            .await
        };
        if poisoned {
            input.poison();
            pass_on(RecvError::Poisoned, &mut outputs);
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Multiplexes its inputs (up to eight) onto one output, JCSP's `Multiplex`:
/// it fair-selects an input and outputs that input's index, then its value,
/// so a `demux` at the other end can give every value back to its own
/// channel. Closes its output once every input is closed.
pub(super) async fn mux<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut inputs: heapless::Vec<Receiver<T, M>, 8> = all_inputs(&p)?;
    let mut output = [p.output::<T>(0)?];
    let mut open = [true; 8];
    let mut alt = Alt::new(p.mesh());
    let mut handled = 0;
    loop {
        let chosen = match select_open(&mut alt, &inputs, &open).await {
            Some(i) => i,
            None => {
                pass_on(RecvError::Closed, &mut output);
                return ended(handled, RecvError::Closed);
            }
        };
        match inputs[chosen].try_recv() {
            Ok(x) => {
                let sent = match output[0].send(T::from_i64(chosen as i64)).await {
                    Ok(()) => output[0].send(x).await,
                    Err(e) => Err(e),
                };
                if sent.is_err() {
                    for input in inputs.iter_mut() {
                        input.poison();
                    }
                    return ended(handled, RecvError::Poisoned);
                }
                handled += 1;
            }
            Err(TryRecvError::Closed) => open[chosen] = false,
            Err(TryRecvError::Poisoned) => {
                for input in inputs.iter_mut() {
                    input.poison();
                }
                pass_on(RecvError::Poisoned, &mut output);
                return ended(handled, RecvError::Poisoned);
            }
            Err(TryRecvError::Empty) => {}
        }
    }
}

/// The other end of `mux` (JCSP's `Demultiplex`): reads an index, then a
/// value, and sends the value on output `index` (up to eight outputs).
/// Fails on an index out of range. Closes every output when its input ends.
pub(super) async fn demux<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut outputs: heapless::Vec<Sender<T, M>, 8> = all_outputs(&p)?;
    let mut handled = 0;
    loop {
        let pair = match input.recv().await {
            Ok(index) => input.recv().await.map(|x| (index, x)),
            Err(e) => Err(e),
        };
        let (index, x) = match pair {
            Ok(pair) => pair,
            Err(why) => {
                pass_on(why, &mut outputs);
                return ended(handled, why);
            }
        };
        let index = index.to_i64();
        if index < 0 || index as usize >= outputs.len() {
            input.poison();
            pass_on(RecvError::Poisoned, &mut outputs);
            return Err(ProcessError::BadParam { index: 0 });
        }
        if outputs[index as usize].send(x).await.is_err() {
            input.poison();
            pass_on(RecvError::Poisoned, &mut outputs);
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}

/// Forwards its input to its output while messages keep coming: when none
/// arrives for `timeout_us` (param 0) microseconds of the core's clock, it
/// poisons both its channels, stopping the network around it (a failure
/// detector; a timeout guard in an alternation with its input). Closes its
/// output when its input is closed. Result: value = messages forwarded, aux
/// = how it ended (1 if it timed out or was poisoned).
pub(super) async fn watchdog<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let mut input = p.input::<T>(0)?;
    let mut output = [p.output::<T>(0)?];
    let timeout_us = p.param(0);
    if timeout_us <= 0 {
        return Err(ProcessError::BadParam { index: 0 });
    }
    let mesh = p.mesh();
    let period = (timeout_us as u64).saturating_mul(mesh.ticks_per_second()) / 1_000_000;
    let mut alt = Alt::new(mesh);
    let mut handled = 0;
    loop {
        let timeout = Timeout::after(mesh, period.max(1));
        let chosen = alt.pri_select(&mut [Guard::new(&input), Guard::new(&timeout)]).await;
        if chosen != Ok(0) {
            // Nothing arrived in time.
            input.poison();
            pass_on(RecvError::Poisoned, &mut output);
            return ended(handled, RecvError::Poisoned);
        }
        let x = match input.try_recv() {
            Ok(x) => x,
            Err(TryRecvError::Empty) => continue,
            Err(TryRecvError::Closed) => {
                pass_on(RecvError::Closed, &mut output);
                return ended(handled, RecvError::Closed);
            }
            Err(TryRecvError::Poisoned) => {
                pass_on(RecvError::Poisoned, &mut output);
                return ended(handled, RecvError::Poisoned);
            }
        };
        if output[0].send(x).await.is_err() {
            input.poison();
            return ended(handled, RecvError::Poisoned);
        }
        handled += 1;
    }
}
