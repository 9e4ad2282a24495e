//! Built-in processes that wait on barriers, and how a process finds its
//! barriers.
//!
//! A process takes part in the barriers the host put it in
//! (`Network::barrier`, `Network::wand_barrier`); [`Proc::barrier`] hands
//! them out in the order they were added to the network.

use super::{Outcome, Proc, ProcessError};
use crate::barrier::{find_record, AnyBarrier};
use crate::channel::TryRecvError;
use crate::mesh::Mesh;
use crate::message::Scalar;

/// How many barriers a built-in kind waits on. A kind waits on exactly
/// this many; the host refuses a network that puts one of its processes in
/// more or fewer (a process of a kind that never waits would hold its
/// barrier shut forever). The registry's [`super::KindSpec`] predates
/// barriers, so the kinds that use them are listed here.
///
/// # Examples
/// ```
/// use ecsp_device::process::barriers_of_kind;
/// assert_eq!(barriers_of_kind("barrier_count"), 1);
/// assert_eq!(barriers_of_kind("id"), 0);
/// ```
pub fn barriers_of_kind(kind: &str) -> u32 {
    match kind {
        "barrier_count" => 1,
        _ => 0,
    }
}

impl<M: Mesh> Proc<M> {
    /// Barrier `index` among those this process takes part in, of either kind.
    ///
    /// Take each barrier once: two handles on one participant would both
    /// signal its partners.
    pub fn barrier(&self, index: u32) -> Result<AnyBarrier<M>, ProcessError> {
        let (record, wand_offset) =
            find_record(&self.mesh, self.task, index).ok_or(ProcessError::MissingBarrier { index })?;
        // SAFETY: (1) the record was planned for this core and checked at
        // boot (`barrier::table_fits`); (2) taken once: every built-in
        // process takes each of its barriers once.
        Ok(unsafe { AnyBarrier::from_record(self.mesh, &record, wand_offset) })
    }
}

/// Waits `rounds` (param 0) times on its barrier 0, passing the episode
/// number around a ring of channels: before episode `e` it sends `e` on its
/// output, after the barrier it reads its input and checks the value is `e`.
/// Wire the ring along the barrier's ranks: output to the next rank, input
/// from the previous one (rank 0 after the last).
///
/// With `check` (param 1) non-zero it also checks the barrier itself after
/// every episode: it reads (remote reads, off the barrier's path) every other
/// participant's arrival counter, which must have reached `e`; and on a
/// dissemination barrier it takes the previous rank's message without
/// waiting, since that message travelled to this core ahead of the
/// previous rank's round-0 flag. Each failed check is a violation.
///
/// Result: value = episodes completed, aux = violations (0 for a correct
/// barrier), ticks = the time the episodes took. A poisoned or closed ring
/// ends it early (value below `rounds`); the other participants then wait
/// forever, as they would for any participant that stops taking part.
pub(super) async fn barrier_count<T: Scalar, M: Mesh>(p: Proc<M>) -> Result<Outcome, ProcessError> {
    let rounds = p.param(0);
    if rounds < 0 {
        return Err(ProcessError::BadParam { index: 0 });
    }
    let check = p.param(1) != 0;
    let mut input = p.input::<T>(0)?;
    let mut output = p.output::<T>(0)?;
    let mut barrier = p.barrier(0)?;
    let mesh = p.mesh();
    let start = mesh.now_ticks();
    let mut violations = 0u64;
    let mut done = 0u64;
    let result = |done, violations, ticks| Outcome {
        value: done,
        aux: violations,
        ticks,
    };
    for e in 1..=rounds {
        if output.send(T::from_i64(e)).await.is_err() {
            input.poison();
            return Ok(result(done, violations, mesh.now_ticks().wrapping_sub(start)));
        }
        barrier.wait().await;
        let mut got = None;
        if check {
            violations += barrier.laggards() as u64;
            if barrier.orders_memory() {
                match input.try_recv() {
                    Ok(x) => got = Some(x),
                    Err(TryRecvError::Empty) => violations += 1,
                    Err(_) => {
                        output.poison();
                        return Ok(result(done, violations, mesh.now_ticks().wrapping_sub(start)));
                    }
                }
            }
        }
        let x = match got {
            Some(x) => x,
            None => match input.recv().await {
                Ok(x) => x,
                Err(_) => {
                    output.poison();
                    return Ok(result(done, violations, mesh.now_ticks().wrapping_sub(start)));
                }
            },
        };
        if x.to_i64() != e {
            violations += 1;
        }
        done += 1;
    }
    output.close();
    Ok(result(done, violations, mesh.now_ticks().wrapping_sub(start)))
}
