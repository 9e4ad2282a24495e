"""The user-space scheduler, Python channels and alternation.

Python processes are greenlets run by one scheduler per OS thread: a process
that blocks on a channel switches straight to the next runnable process (a
user-space switch, no OS thread, no GIL hand-off), and only when every
Python process is blocked does the scheduler's hub run: it fires due
timers, waits (with the GIL released) for device networks, and reports a
deadlock when nothing can ever wake a process again.

The hot paths, ``Writer.write`` and ``Reader.read``, are written out by hand:
a rendezvous write to a waiting reader hands the value over and makes the
reader runnable without a switch; the writer goes on.

Waiting queues hold either a process (a plain read or write) or an
``_AltEntry`` (one guard of a waiting ``Alt``, or a waiting ``read_many``).
An ``Alt`` that fires takes all its entries out of every queue at once, so
the queues hold only live waiters. A ``read_many`` takes a writer's value
only when it is a message of the batch's array; one that is not stays the
writer's, for the next read.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import deque
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from greenlet import GreenletExit, getcurrent, greenlet  # type: ignore[import-untyped]

from . import _batch
from .exceptions import ChannelClosed, ChannelPoisoned, DeadlockError, Error, TimeoutError

# Channel states (``Channel._state``); zero is open, so the hot path tests one word.
_OPEN = 0
_CLOSED = 1  # every writer retired (or every reader): reads drain the buffer, then raise
_POISONED = 2
_DEVICE = 3  # both ends are held by device processes while a network runs
_HOST = 5  # one side Python processes, the other device processes: a host channel

# Why a blocked process woke (``_Proc.flag``).
_OK = 0
_WOKE_POISONED = 1
_WOKE_CLOSED = 2
_WOKE_ERROR = 3

# Fruitless rounds of host-end retries before the hub sleeps on the chip's
# events. One: measured on a 2-CPU host, every extra round of Python retries
# takes CPU the simulated cores need and slows the stream (4 rounds: no
# better; 16: two to three times slower).
_HOST_SPIN = 1

# Fruitless rounds of retries, each after a short wait on the chip, once the
# chip says it can never move again, before the hub calls it a deadlock: the
# last writes to the host may still be on their way (a deterministic chip
# delivers them in the host's waits, a turn at a time).
_HOST_FINAL_ROUNDS = 3

# Longest single wait of a process waiting alone on a host end (``_Scheduler.wait_alone``):
# as the Rust host's own loops (``ecsp_host::apps::host_bench``), whose waits on the
# chip's event end at the event, or after a millisecond.
_ALONE_WAIT = 0.001

# How long processes may wait alone on host ends before the hub looks again
# (deadlines, device runs, a run that can never move again): as often as
# serve_host looks at the run.
_ALONE_SPAN = 0.01

# Deterministic mode with host channels: looks of the hub, while Python
# processes keep it busy, between two turns of the chip.
_DET_TURN_PERIOD = 16

# Blocks between two looks of the hub while processes stay runnable (it fires
# timers, checks deadlines and device runs).
_HUB_PERIOD = 256

_sched: Optional["_Scheduler"] = None
# The running scheduler's ``ready.append``, kept apart for the hot path.
_push: Callable[[Any], None] = [].append
# Never holds anything: ``_ready_now`` while blocks must go through
# ``block_slow``.
_NONE_READY: Any = deque()
# The hot path's look at who runs next: the running scheduler's ready queue
# while its hub watches nothing (a block switches straight to the next
# process), else ``_NONE_READY`` (a block goes through ``block_slow``). One
# global load and one test instead of three loads; kept by
# ``_Scheduler.watch`` and ``run_processes``.
_ready_now: Any = _NONE_READY


class _Proc(greenlet):
    """A running Python process: a greenlet with its wait state."""

    __slots__ = ("val", "flag", "wait", "name", "group", "ends", "alt_result", "result", "error", "sw")

    def __init__(self, run: Callable[[], None], parent: greenlet, name: str, group: "_Group", ends: list) -> None:
        super().__init__(run, parent)
        self.val: Any = None
        self.flag = _OK
        self.wait: Any = None  # what it blocks on: an end, an Alt, a _Group, or None
        self.name = name
        self.group = group
        self.ends = ends
        self.alt_result: Any = None
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.sw = self.switch  # made once: the hot path queues it


def _current() -> _Proc:
    p = getcurrent()
    if p.__class__ is not _Proc:
        raise Error(
            "this channel operation would block outside a process: "
            "run the code that reads and writes channels in an @ecsp.process under ecsp.Parallel"
        )
    return p


def _block() -> None:
    """Switches away from the current process until something readies it.

    The next runnable process gets the CPU at once; the hub only when none is
    runnable, or, while the hub watches something (a timer, a deadline, a
    device run), every ``_HUB_PERIOD`` blocks (always, in deterministic mode,
    where the hub draws the next process from the seeded generator).
    """
    q = _ready_now
    if q:
        q.popleft()()
    else:
        _sched.block_slow()  # type: ignore[union-attr]


def _wake_flag(end: Any, p: _Proc) -> None:
    """Raises what a blocked operation on ``end`` woke up to."""
    flag = p.flag
    p.flag = _OK
    ch = end._ch
    if flag == _WOKE_POISONED:
        raise ChannelPoisoned(f"channel `{ch.name}` is poisoned")
    if flag == _WOKE_CLOSED:
        raise ChannelClosed(f"channel `{ch.name}` is closed")
    raise p.val


class _Group:
    """The processes of one ``Parallel``: its caller waits until none is left."""

    __slots__ = ("remaining", "procs", "waiter", "failures", "deadline", "timed_out")

    def __init__(self, waiter: Optional[_Proc], deadline: Optional[float]) -> None:
        self.remaining = 0
        self.procs: List[_Proc] = []
        self.waiter = waiter
        self.failures: List[Tuple[int, BaseException]] = []
        self.deadline = deadline
        self.timed_out = False


class _Scheduler:
    """Runs Python processes as greenlets on the thread that made it."""

    __slots__ = (
        "det",
        "rng",
        "ready",
        "period",
        "tick",
        "_watch",
        "hub",
        "live",
        "timers",
        "timer_seq",
        "vtime",
        "groups",
        "devices",
        "seed",
        "abandoned",
        "host_waiters",
        "host_progress",
        "host_seen",
        "host_final",
        "host_mark",
        "host_idle",
        "host_looked",
        "host_retry_at",
        "sessions",
        "alone_mark",
        "alone_until",
    )

    def __init__(self, rng: Optional[random.Random]) -> None:
        self.det = rng is not None
        self.rng = rng
        # Threaded: a deque of bound ``switch`` methods, first come first
        # served. Deterministic: a list, the hub draws from it.
        self.ready: Any = [] if self.det else deque()
        self.period = 1 if self.det else _HUB_PERIOD
        self.tick = self.period
        self._watch = self.det  # see `watch`
        self.hub = getcurrent()
        self.live: Dict[_Proc, None] = {}  # every process started and not ended, in start order
        self.timers: List[Tuple[float, int, "_AltEntry"]] = []
        self.timer_seq = 0
        self.vtime = 0.0  # deterministic mode: virtual seconds
        self.groups: List[_Group] = []
        self.devices: List[Any] = []  # device runs in flight (objects with done() and wait(t))
        self.seed: Optional[int] = None
        self.abandoned: List[_Proc] = []  # processes of nested Parallels that timed out
        # Host channels: processes waiting on a host end retry after chip
        # events; host_progress counts host operations that went through.
        self.host_waiters: List[Any] = []  # processes and Alts (_AltWait)
        self.host_progress = 0
        self.host_seen = -1
        self.host_final = 0  # fruitless rounds since the chip said it can never move again
        self.host_mark = 0  # host_progress when the hub last served host waiters
        self.host_idle = 0  # fruitless rounds of retries in a row
        self.host_looked = 0.0  # when serve_host last looked at the run
        # When busy looks may next retry host waiters (threaded: a time;
        # deterministic: a count of looks).
        self.host_retry_at = 0.0
        self.sessions: List[Any] = []  # device sessions with host channels in flight
        # Waits alone on host ends (alone_budget): host_progress when the
        # hub last served them, and until when they may go on without it.
        self.alone_mark = -1
        self.alone_until = 0.0

    @property
    def watch(self) -> bool:
        """True while the hub must look in every ``period`` blocks even with
        processes runnable: timers, deadlines or device runs to watch, or
        the deterministic mode (where it picks every next process)."""
        return self._watch

    @watch.setter
    def watch(self, value: bool) -> None:
        global _ready_now
        self._watch = value
        if self is _sched:
            _ready_now = _NONE_READY if value else self.ready

    # -- time -----------------------------------------------------------------
    def now(self) -> float:
        return self.vtime if self.det else time.monotonic()

    def block_slow(self) -> None:
        """``_block`` while the hub watches: every ``period`` blocks, the hub."""
        self.tick -= 1
        if self.ready and self.tick > 0:
            self.ready.popleft()()
        else:
            self.hub.switch()

    def rewatch(self) -> None:
        self.watch = (
            self.det
            or bool(self.timers or self.devices or self.host_waiters)
            or any(g.deadline is not None for g in self.groups)
        )

    def retry_host(self) -> None:
        """Readies every process waiting on a host end: each tries again (an
        Alt looks at its guards again, unless another guard fired it)."""
        for w in self.host_waiters:
            if w.__class__ is _AltWait:
                if w.waiting:
                    w.fire(_RETRY_ENTRY, None, _OK)
            else:
                self.make_ready(w)
        self.host_waiters.clear()

    def serve_host(self, group: _Group) -> None:
        """Nothing is ready and processes wait on host ends: let them retry
        at once if a host operation went through since their last try, or
        for a short spin; then wait (without the GIL) for the chip to do
        something. Every 10 ms of waiting (every wait, in deterministic
        mode) it looks at the run: a device failure raises, and when the
        chip can never move again (every device process finished, or the
        deterministic simulator stalled) and one more round of retries does
        nothing, it is a deadlock."""
        self.alone_mark = self.host_progress
        self.alone_until = time.monotonic() + _ALONE_SPAN
        if self.host_progress != self.host_mark:
            # Something went through since the hub last served: the chip is
            # not finished with the host yet.
            self.host_mark = self.host_progress
            self.host_final = 0
        if self.host_progress != self.host_seen:
            self.host_seen = self.host_progress
            self.host_idle = 0
            self.retry_host()
            return
        self.host_idle += 1
        if self.host_idle < _HOST_SPIN:
            self.retry_host()
            return
        self.host_idle = 0
        now = time.monotonic()
        if self.det or now - self.host_looked >= 0.01 or self.host_final:
            self.host_looked = now
            states = [sess.progress() for sess in self.sessions]  # a device failure raises here
            if states and all(st != 0 for st in states) and not self.can_wake():
                if self.host_final >= _HOST_FINAL_ROUNDS:
                    raise self.host_deadlock(group, states)
                self.host_final += 1
                # Writes still on their way to the host land in a wait
                # (a deterministic chip steps only there): one short wait,
                # then one last round of retries.
                self.chip_wait(0.005)
                self.retry_host()
                return
        self.host_final = 0
        d = self.next_wait()
        self.chip_wait(0.02 if d is None else min(0.02, d))
        self.check_time()
        self.retry_host()

    def alone_budget(self) -> float:
        """Seconds a process that waits on a host end may wait for the
        chip right where it is, without a trip through the hub: while no
        other process could run meanwhile (none ready, no other host
        waiter, no timer or device run to watch, not deterministic), while
        something goes through (a host operation since the hub last
        served), until ``_ALONE_SPAN`` after the hub last served; else 0 (it
        waits through the hub, which then looks at deadlines and at a run
        that can never move again). A process streaming to or from the
        device then pays what the Rust host's own loop pays."""
        if self.ready or self.host_waiters or self.timers or self.devices or self.det:
            return 0.0
        if self.host_progress == self.alone_mark:
            return 0.0
        return max(0.0, self.alone_until - time.monotonic())

    def wait_alone(self, session: Any) -> bool:
        """One wait of at most ``_ALONE_WAIT`` for ``session``'s chip right
        here, when ``alone_budget`` allows; true when it waited (the caller
        tries again)."""
        budget = self.alone_budget()
        if budget:
            session.wait_event(min(budget, _ALONE_WAIT))
        return bool(budget)

    def chip_wait(self, seconds: float) -> None:
        """Waits (without the GIL) for the chip of the first session to do
        something, at most ``seconds``. A deterministic chip steps only in
        this wait, a turn at a time, and a turn ends by itself: it gets up
        to a second (cutting it short would let the host's clock into the
        schedule), less only before a Parallel's wall-clock deadline."""
        if not self.sessions:
            return
        if self.det:
            d = self.wall_deadline()
            seconds = 1.0 if d is None else max(0.0, min(1.0, d - time.monotonic()))
        self.sessions[0].wait_event(seconds)

    def can_wake(self) -> bool:
        """True when a timer or a nested Parallel's deadline may still wake
        a process: then nothing is a deadlock yet."""
        return bool(self.timers) or any(
            g.deadline is not None and g.waiter is not None and not g.timed_out for g in self.groups
        )

    def host_deadlock(self, group: _Group, states: List[int]) -> BaseException:
        err = self.deadlock(group)
        if not isinstance(err, DeadlockError):
            return err
        for sess, st in zip(self.sessions, states):
            if st == 2:
                dev = sess.deadlock()
                report = dict(err.report)
                report["blocked"] = report["blocked"] + dev.report["blocked"]
                report["cycle"] = report["cycle"] or dev.report["cycle"]
                report["text"] = f"{report['text']}; on the device: {dev.report['text']}"
                return DeadlockError(report["text"], report=report)
        return err

    def add_timer(self, deadline: float, entry: "_AltEntry") -> None:
        self.watch = True
        self.timer_seq += 1
        heapq.heappush(self.timers, (deadline, self.timer_seq, entry))

    def fire_timers(self, now: float) -> None:
        timers = self.timers
        while timers and timers[0][0] <= now:
            _, _, entry = heapq.heappop(timers)
            if entry.alt.waiting:
                entry.alt.fire(entry, None, _OK)

    # -- processes --------------------------------------------------------------
    def spawn(self, group: _Group, index: int, fn: Callable, args: tuple, kwargs: dict, name: str, ends: list) -> None:
        def run() -> None:
            p = getcurrent()
            try:
                p.result = fn(*args, **kwargs)
            except ChannelPoisoned:
                for end in p.ends:
                    end._ch._poison()
            except ChannelClosed:
                for end in p.ends:
                    if end.__class__ is Writer:
                        end._close()
            except (GreenletExit, KeyboardInterrupt, SystemExit):
                # Ctrl-C or an exit stops the whole Parallel at once: the
                # hub (this greenlet's parent) gets it, and ends the rest.
                raise
            except BaseException as e:  # noqa: BLE001 - a process's failure goes to its Parallel
                p.error = e
                group.failures.append((index, e))
                # Shut the rest down, as a device network does: poison what it held.
                for end in p.ends:
                    end._ch._poison()
            finally:
                self.live.pop(p, None)
                group.remaining -= 1
                if group.remaining == 0 and group.waiter is not None:
                    self.make_ready(group.waiter)

        p = _Proc(run, self.hub, name, group, ends)
        group.procs.append(p)
        group.remaining += 1
        self.live[p] = None
        self.ready.append(p.sw)

    def make_ready(self, p: _Proc) -> None:
        self.ready.append(p.sw)

    # -- the hub ------------------------------------------------------------------
    def run_group(self, group: _Group) -> None:
        """Runs processes until ``group`` is done (top-level Parallel: the hub)."""
        ready = self.ready
        while group.remaining:
            self.tick = self.period
            self.rewatch()
            if ready:
                if self.det:
                    i = self.rng.randrange(len(ready))  # type: ignore[union-attr]
                    ready[i], ready[-1] = ready[-1], ready[i]
                    ready.pop()()
                else:
                    ready.popleft()()
                if self.timers or self.groups_with_deadlines():
                    self.check_time()
                if self.host_waiters and ready:
                    # Others keep running: the host waiters try again every
                    # millisecond (not at every look: retried waiters would
                    # keep the queue busy and starve serve_host, whose
                    # wait_event is where a deterministic chip steps).
                    # Deterministic mode counts looks instead: the
                    # schedule must not depend on the host's clock.
                    if self.det:
                        # A deterministic chip steps only in the host's
                        # waits: a turn now and then keeps it going while
                        # Python processes are busy.
                        self.host_retry_at += 1
                        due = self.host_retry_at % _DET_TURN_PERIOD == 0
                        if due:
                            self.chip_wait(0.0)
                    else:
                        now = time.monotonic()
                        due = now >= self.host_retry_at
                        if due:
                            self.host_retry_at = now + 0.001
                    if due:
                        self.retry_host()
                continue
            # Nothing can run: host channels, time, devices, or a deadlock.
            if self.host_waiters:
                self.serve_host(group)
                continue
            if self.devices:
                self.wait_devices()
                continue
            # Only a timer or a nested Parallel's deadline can wake a process
            # now; the top level's own deadline cannot, so without those
            # this is a deadlock, reported at once rather than at the deadline.
            if self.timers or any(g.deadline is not None and g.waiter is not None for g in self.groups):
                if self.check_time():
                    continue
                self.sleep_until_next()
                continue
            raise self.deadlock(group)

    def wait_devices(self) -> None:
        """Waits (without the GIL) for a device run a process waits on, at
        most until the next deadline; readies the processes whose run ended."""
        d = self.next_wait()
        self.devices[0][0].wait(0.05 if d is None else min(0.05, d))
        for item in list(self.devices):
            run, proc = item
            if run.done():
                self.devices.remove(item)
                self.make_ready(proc)
        self.check_time()

    def groups_with_deadlines(self) -> bool:
        return any(g.deadline is not None for g in self.groups)

    def check_time(self) -> bool:
        """Fires due timers (on the scheduler's clock, virtual in
        deterministic mode) and Parallel deadlines (always on the wall
        clock: they guard against hangs); true when a process became ready."""
        before = len(self.ready)
        if self.timers:
            self.fire_timers(self.now())
        wall = time.monotonic()
        for g in self.groups:
            if g.deadline is not None and wall >= g.deadline and not g.timed_out and g.remaining:
                g.timed_out = True
                if g.waiter is not None:
                    g.waiter.flag = _WOKE_ERROR
                    g.waiter.val = _timeout_error(g)
                    self.make_ready(g.waiter)
                    # Its processes are abandoned: they no longer count as live.
                    for p in g.procs:
                        if self.live.pop(p, 0) is None:
                            self.abandoned.append(p)
                else:
                    raise _timeout_error(g)
        return len(self.ready) > before

    def wall_deadline(self) -> Optional[float]:
        ds = [g.deadline for g in self.groups if g.deadline is not None and not g.timed_out and g.remaining]
        return min(ds) if ds else None

    def next_wait(self) -> Optional[float]:
        """Wall-clock seconds until the next timer or deadline, if any
        (a virtual timer counts as due now)."""
        waits = []
        d = self.wall_deadline()
        if d is not None:
            waits.append(d - time.monotonic())
        if self.timers:
            waits.append(0.0 if self.det else self.timers[0][0] - time.monotonic())
        return max(0.0, min(waits)) if waits else None

    def sleep_until_next(self) -> None:
        if self.det and self.timers:
            # Virtual time jumps to the next timer when nothing else can happen.
            self.vtime = max(self.vtime, self.timers[0][0])
        else:
            wait = self.next_wait()
            if wait:
                time.sleep(wait)
        self.check_time()

    def shutdown(self) -> None:
        """Ends the processes a failed, deadlocked or timed-out Parallel left
        blocked: takes them out of every channel queue (so the channels can
        be used again) and kills them (their ``finally`` blocks run now,
        not at some later garbage collection)."""
        left = list(dict.fromkeys(p for p in [*self.abandoned, *self.live] if not p.dead))
        if not left:
            return
        doomed = set(left)
        for p in left:
            for end in p.ends:
                ch = end.channel
                for q in (ch._rq, ch._wq):
                    for w in list(q):
                        if w in doomed or (w.__class__ is _AltEntry and w.alt.proc in doomed):
                            q.remove(w)
        self.timers = [t for t in self.timers if t[2].alt.proc not in doomed]
        heapq.heapify(self.timers)
        self.ready.clear()
        self.host_waiters = [
            w for w in self.host_waiters if (w.proc if w.__class__ is _AltWait else w) not in doomed
        ]
        for p in left:
            if not p.dead:
                try:
                    p.throw(GreenletExit)
                except BaseException:  # noqa: BLE001 - its Parallel already failed
                    pass
        self.ready.clear()

    def deadlock(self, group: _Group) -> BaseException:
        if group.failures:
            return min(group.failures, key=lambda f: f[0])[1]
        blocked = []
        waits_for: Dict[_Proc, List[Tuple[_Proc, str, str]]] = {}
        holders: Dict[Any, List[Tuple[_Proc, Any]]] = {}
        for p in self.live:
            for end in p.ends:
                holders.setdefault(end.channel, []).append((p, end))
        # A plain read or write leaves its process in the channel's queue only.
        on: Dict[_Proc, Tuple[Any, str]] = {}
        for ch in holders:
            for side, q in (("read", ch._rq), ("write", ch._wq)):
                for w in q:
                    if w.__class__ is _Proc:
                        on[w] = (ch, side)
                    elif w.alt.__class__ is _BatchWait:
                        on[w.alt.proc] = (ch, side)
        for p in self.live:
            w = p.wait
            channel = None
            if p in on:
                ch, side = on[p]
                channel = (ch.name, side)
                words = f"waits to {side} channel `{ch.name}`"
                other = Writer if side == "read" else Reader
                waits_for[p] = [(q, ch.name, side) for q, e in holders.get(ch, []) if q is not p and isinstance(e, other)]
            elif isinstance(w, _HostEnd):
                channel = (w.ch.name, w.side)
                words = f"waits to {w.side} channel `{w.ch.name}`, whose other end device processes hold"
            elif isinstance(w, Alt):
                names = ", ".join(
                    f"`{(g[0] if isinstance(g, tuple) else g).channel.name}`"
                    for g in w._guards
                    if isinstance(g, (Reader, tuple))
                )
                words = f"waits in an Alt over {names}" if names else "waits in an Alt"
            elif isinstance(w, _Group):
                words = "waits for its Parallel's processes to finish"
            elif isinstance(w, str):
                words = f"waits for {w}"
            else:
                words = "waits on a channel it was not given as an argument"
            blocked.append({"process": p.name, "core": None, "waits": words, "channel": channel})
        cycle = _find_cycle(list(self.live), waits_for)
        parts = [f"`{b['process']}` {b['waits']}" for b in blocked]
        text = "deadlock: no process can ever run again; blocked: " + "; ".join(parts)
        if cycle:
            text += "; cycle: " + " -> ".join(
                f"`{a}` waits to {side} `{ch}` {'from' if side == 'read' else 'to'} `{b}`" for a, ch, side, b in cycle
            ) + f" -> `{cycle[0][0]}`"
        if self.seed is not None:
            text += f"; seed {self.seed}: replay with ecsp.Chip(mode='deterministic', seed={self.seed})"
        report = {"blocked": blocked, "cycle": cycle, "seed": self.seed, "text": text}
        return DeadlockError(text, report=report)


def _timeout_error(g: _Group) -> TimeoutError:
    still = ", ".join(f"`{p.name}`" for p in g.procs if not p.dead)
    return TimeoutError(f"the Parallel did not finish within its timeout; still running: {still}")


def _find_cycle(procs: List[_Proc], edges: Dict[_Proc, List[Tuple[_Proc, str, str]]]) -> List[Tuple[str, str, str, str]]:
    """A cycle of waits, as (process, channel, side, peer) links, or []."""
    colour: Dict[_Proc, int] = {}
    for root in procs:
        if colour.get(root):
            continue
        path: List[Tuple[_Proc, int]] = [(root, 0)]
        colour[root] = 1
        while path:
            node, i = path[-1]
            out = edges.get(node, [])
            if i < len(out):
                path[-1] = (node, i + 1)
                to = out[i][0]
                c = colour.get(to, 0)
                if c == 0:
                    colour[to] = 1
                    path.append((to, 0))
                elif c == 1:
                    nodes = [n for n, _ in path]
                    at = nodes.index(to)
                    links = []
                    for j, (n, k) in enumerate(path[at:]):
                        peer, ch, side = edges[n][k - 1]
                        links.append((n.name, ch, side, peer.name))
                    return links
            else:
                colour[node] = 2
                path.pop()
    return []


def run_processes(
    entries: List[Tuple[int, Callable, tuple, dict, str, list]],
    timeout: Optional[float],
    rng_seed: Optional[Tuple[random.Random, int]],
    sessions: Sequence[Any] = (),
) -> List[Any]:
    """Runs Python processes to the end; returns their results by index.

    Called from a process, it runs them on the current scheduler (a nested
    Parallel); from plain code, it makes a scheduler and is its hub.
    """
    global _sched, _push, _ready_now
    s = _sched
    me = getcurrent()
    nested = s is not None and me.__class__ is _Proc
    if s is not None and not nested:
        raise Error(
            "an ecsp.Parallel is already running: ecsp runs one top-level Parallel at a time in a Python "
            "program (its processes share one scheduler); call Parallel from inside a process to nest it"
        )
    if not nested:
        s = _Scheduler(rng_seed[0] if rng_seed else None)
        s.seed = rng_seed[1] if rng_seed else None
    assert s is not None
    deadline = None if timeout is None else time.monotonic() + timeout
    group = _Group(me if nested else None, deadline)
    for index, fn, args, kwargs, name, ends in entries:
        s.spawn(group, index, fn, args, kwargs, name, ends)
    s.groups.append(group)
    s.sessions.extend(sessions)
    if deadline is not None:
        s.watch = True
    try:
        if nested:
            me.wait = group
            if group.remaining:
                _block()
                me.wait = None
                if me.flag:
                    flag, me.flag = me.flag, _OK
                    if flag == _WOKE_ERROR:
                        raise me.val
        else:
            _sched, _push = s, s.ready.append
            s.watch = s.watch  # publishes _ready_now
            try:
                s.run_group(group)
            finally:
                try:
                    s.shutdown()
                finally:
                    _sched, _push, _ready_now = None, [].append, _NONE_READY
    finally:
        s.groups.remove(group)
        for sess in sessions:
            s.sessions.remove(sess)
    if group.failures:
        raise min(group.failures, key=lambda f: f[0])[1]
    return [p.result for p in group.procs]


class _HostEnd:
    """The host's end of a host channel (one side Python processes, the
    other device processes), used by the Python processes on its side.

    An operation tries the Rust host end; when it cannot go through now,
    the process waits among the scheduler's host waiters and tries again
    after the chip did something (or at the hub's next look)."""

    __slots__ = ("ch", "tx", "rx", "pack", "unpack", "writers", "side", "rendezvous", "session")

    def __init__(self, ch: Any, tx: Any, rx: Any, writers: List[Any], session: Any) -> None:
        from .dtypes import codec

        self.ch = ch
        self.tx = tx
        self.rx = rx
        self.session = session  # the device session it belongs to: its chip's events
        self.pack, self.unpack = codec(ch.dtype, ch.name)
        self.writers = list(writers)
        self.side = "write" if tx is not None else "read"
        self.rendezvous = ch.buffer == 0

    def _wait(self) -> None:
        p = getcurrent()
        if p.__class__ is not _Proc:
            _current()
        s = _sched
        assert s is not None
        if s.wait_alone(self.session):
            return
        p.wait = self
        s.host_waiters.append(p)
        # It just tried: nothing that went through before this is news to
        # it (the hub retries at once only after some other host operation).
        s.host_seen = s.host_progress
        s.watch = True
        _block()
        p.wait = None

    def _failed(self, code: int, done: Optional[int] = None) -> None:
        """Raises for the outcome ``code`` (2 poisoned, 3 closed); ``done``:
        a batch's messages that went before, for its error."""
        if code == 2:
            raise ChannelPoisoned(f"channel `{self.ch.name}` is poisoned", done=done)
        raise ChannelClosed(f"channel `{self.ch.name}` is closed", done=done)

    def write(self, value: Any) -> None:
        tx = self.tx
        if tx is None:
            raise Error(
                f"channel `{self.ch.name}`: device processes write it and Python processes read it, "
                "so a Python process cannot write it"
            )
        data = self.pack(value)
        while True:
            code = tx.try_send(data)
            if code == 0:
                break
            if code != 1:
                self._failed(code)
            self._wait()
        _sched.host_progress += 1  # type: ignore[union-attr]
        if self.rendezvous:
            self._delivered(tx)

    def _delivered(self, tx: Any, sent: Optional[int] = None) -> None:
        """Waits until the device reader took every message sent: where a
        write on a rendezvous host channel completes. ``sent``: a batch's
        messages sent, of which all but the last went through if it fails."""
        while True:
            code = tx.delivered()
            if code == 0:
                break
            if code != 1:
                self._failed(code, None if sent is None else sent - 1)
            self._wait()
        _sched.host_progress += 1  # type: ignore[union-attr]

    def write_many(self, data: Any, n: int) -> int:
        """Sends the ``n`` messages of ``data`` (a C-contiguous buffer of
        whole messages) in order: each try sends as many as go without a
        wait, straight from ``data``; in between, the process waits as
        ``write`` does. Returns ``n``; on a rendezvous it returns once the
        reader took the last one."""
        tx = self.tx
        if tx is None:
            self.write(None)  # raises: device processes write this channel
        sent = 0
        s = _sched
        assert s is not None
        while sent < n:
            k = tx.try_send_many(data, sent, s.alone_budget())
            if k > 0:
                sent += k
                _sched.host_progress += 1  # type: ignore[union-attr]
            elif k == 0:
                self._wait()
            else:
                # On a rendezvous the last message sent went only if the
                # reader took it before the poison (a close delivers it).
                if -k == 2 and self.rendezvous and sent and tx.delivered() != 0:
                    sent -= 1
                self._failed(-k, sent)
        if self.rendezvous and n:
            self._delivered(tx, n)
        return n

    def read(self) -> Any:
        rx = self.rx
        if rx is None:
            raise Error(
                f"channel `{self.ch.name}`: Python processes write it and device processes read it, "
                "so a Python process cannot read it"
            )
        while True:
            code, data = rx.try_recv()
            if code == 0:
                _sched.host_progress += 1  # type: ignore[union-attr]
                return self.unpack(data)
            if code != 1:
                self._failed(code)
            self._wait()

    def read_many(self, target: Any, got: int, n: int) -> int:
        """Receives messages into rows ``got`` to ``n`` of ``target`` (a
        writable, C-contiguous array of whole messages), in order, straight
        into its memory, never more than ``n``: each try takes what is
        waiting now, and in between the process waits as ``read`` does.
        Returns how many rows are filled: ``n``, fewer only when the
        channel was closed (and drained) first."""
        rx = self.rx
        if rx is None:
            self.read()  # raises: Python processes write this channel
        s = _sched
        assert s is not None
        while got < n:
            k = rx.try_recv_many(target, got, n - got, s.alone_budget())
            if k > 0:
                got += k
                _sched.host_progress += 1  # type: ignore[union-attr]
            elif k == 0:
                self._wait()
            elif k == -3:
                break
            else:
                self._failed(-k, got)
        return got

    def poll_read(self) -> Any:
        """For an Alt: the message waiting now, taken, or ``_NOTHING`` when
        none is; poison or a close raises, as for ``read``."""
        rx = self.rx
        if rx is None:
            self.read()  # raises: Python processes write this channel
        code, data = rx.try_recv()
        if code == 1:
            return _NOTHING
        if code:
            self._failed(code)
        if _sched is not None:
            _sched.host_progress += 1
        return self.unpack(data)

    def offer(self, value: Any) -> bool:
        """For an Alt's output guard: sends ``value`` if that needs no wait."""
        if self.tx is None or self.rendezvous:
            raise Error(
                f"channel `{self.ch.name}`: an output guard on a channel to device processes needs a buffer "
                "(ecsp.Channel(buffer=n)), as on the device"
                if self.tx is not None
                else f"channel `{self.ch.name}`: device processes write it, so it cannot be an output guard"
            )
        code = self.tx.try_send(self.pack(value))
        if code == 1:
            return False
        if code:
            self._failed(code)
        if _sched is not None:
            _sched.host_progress += 1
        return True

    def poison(self) -> None:
        (self.tx if self.tx is not None else self.rx).poison()
        if _sched is not None:
            _sched.host_progress += 1

    def retire(self, end: Any) -> None:
        """A Python writer closed its end; the last one closes the host's."""
        if end in self.writers:
            self.writers.remove(end)
            if not self.writers and self.tx is not None:
                self.tx.close()
                if _sched is not None:
                    _sched.host_progress += 1


def wait_device(run: Any) -> None:
    """Waits for a device run to end: inside a process, by blocking it
    while the others run; outside, on the spot (without the GIL)."""
    s = _sched
    me = getcurrent()
    if s is not None and me.__class__ is _Proc:
        if not run.done():
            me.wait = "a device network"
            s.devices.append((run, me))
            s.watch = True
            _block()
            me.wait = None
    else:
        # Short waits: Ctrl-C gets through between them, and a run whose end
        # raised no event is seen at once.
        while not run.done():
            run.wait(0.05)


# -- channels ----------------------------------------------------------------------


class _AltEntry:
    """One guard of a waiting Alt, queued on its channel (or as a timer)."""

    __slots__ = ("alt", "guard", "queue", "value")

    def __init__(self, alt: "_AltWait", guard: Any, queue: Any, value: Any) -> None:
        self.alt = alt
        self.guard = guard
        self.queue = queue
        self.value = value


class _AltWait:
    """An Alt's wait: the process, its entries; ``fire`` completes it."""

    __slots__ = ("proc", "entries", "waiting")

    def __init__(self, proc: _Proc) -> None:
        self.proc = proc
        self.entries: List[_AltEntry] = []
        self.waiting = True

    def fire(self, entry: _AltEntry, value: Any, flag: int) -> bool:
        """Completes the Alt with ``entry``'s guard (and the value a writer
        hands it); true: it took the value."""
        self.waiting = False
        for e in self.entries:
            if e is not entry and e.queue is not None:
                e.queue.remove(e)
        p = self.proc
        p.alt_result = (entry.guard, value)
        p.flag = flag
        _sched.make_ready(p)  # type: ignore[union-attr]
        return True


class _BatchWait(_AltWait):
    """A ``read_many`` waiting on a channel between Python processes: its
    one entry waits among the channel's readers as an Alt's guard does.

    A writer's value is taken only when ``pack`` makes a message of it: the
    process wakes with the message's bytes in ``val``. A value that is no
    message is refused (``fire`` returns false): it stays the writer's,
    which goes on to the next waiting reader, the buffer, or waits itself,
    so the next read gets it; the process wakes with None in ``val`` and
    looks at the channel again, where it meets the value and raises.
    """

    __slots__ = ("pack",)

    def __init__(self, proc: _Proc, pack: Callable[[Any], bytes]) -> None:
        super().__init__(proc)
        self.pack = pack

    def fire(self, entry: _AltEntry, value: Any, flag: int) -> bool:
        taken = True
        if not flag:
            try:
                value = self.pack(value)
            except Exception:  # noqa: BLE001 - the batch meets the value again and raises it there
                value, taken = None, False
        self.waiting = False
        p = self.proc
        p.val = value
        p.flag = flag
        _sched.make_ready(p)  # type: ignore[union-attr]
        return taken


class _Retry:
    """What an Alt waiting on a host channel wakes to when the hub lets host
    waiters try again: it looks at its guards once more."""

    __slots__ = ()


_RETRY = _Retry()
_RETRY_ENTRY = _AltEntry(None, _RETRY, None, None)  # type: ignore[arg-type]

# What a host end's poll_read returns when no message waits.
_NOTHING = object()


def _hand(rq: Any, value: Any) -> bool:
    """Hands ``value`` to the first reader waiting in ``rq`` that takes it
    (every one but a ``read_many`` it is no message for, which wakes to
    look again); false when none did. ``_write`` does the same, written out."""
    while rq:
        r = rq.popleft()
        if r.__class__ is _Proc:
            r.val = value
            _push(r.sw)
            return True
        if r.alt.fire(r, value, _OK):
            return True
    return False


def _take_writer(w: Any) -> Any:
    """Takes the value of a waiting writer (a process or an Alt's entry) and readies it."""
    if w.__class__ is _Proc:
        _push(w.sw)
        return w.val
    w.alt.fire(w, None, _OK)
    return w.value


class Channel:
    """A channel: Python processes and device processes talk over it.

    ``buffer=0`` (the default) is the CSP rendezvous: a write completes when
    a reader has taken the value. ``buffer=n`` holds up to n values.
    ``dtype`` is the message type the channel carries when it runs between
    device processes: "i32" (the default), "u32", "f32", "i64" or "f64".
    Between Python processes a channel passes Python objects as they are.

    Any number of processes may hold its ends (``reader()``, ``writer()``):
    each value goes to exactly one reader.
    """

    __slots__ = ("name", "dtype", "buffer", "_state", "_rq", "_wq", "_buf", "_nw", "_nr", "_host", "__weakref__")

    _count = 0

    def __init__(self, buffer: int = 0, dtype: Any = "i32", name: Optional[str] = None) -> None:
        from .dtypes import check_dtype

        if not isinstance(buffer, int) or isinstance(buffer, bool) or buffer < 0:
            raise ValueError(f"Channel buffer must be an int >= 0, got {buffer!r}")
        self.dtype = check_dtype(dtype)
        Channel._count += 1
        self.name = name if name is not None else f"ch{Channel._count}"
        self.buffer = buffer
        self._state = _OPEN
        self._rq: deque = deque()
        self._wq: deque = deque()
        self._buf: deque = deque()
        self._nw = 0  # write ends made and not closed
        self._nr = 0  # read ends made and not closed
        self._host: Any = None  # the host's end while it is a host channel (_HOST)

    def __repr__(self) -> str:
        return f"Channel(name={self.name!r}, buffer={self.buffer}, dtype={self.dtype!r})"

    def reader(self) -> "Reader":
        """A new read end."""
        self._nr += 1
        return Reader(self)

    def writer(self) -> "Writer":
        """A new write end."""
        self._nw += 1
        return Writer(self)

    # -- shutdown ------------------------------------------------------------------
    def _poison(self) -> None:
        if self._state == _HOST:
            self._host.poison()
            return
        if self._state == _POISONED or self._state == _DEVICE:
            return
        self._state = _POISONED
        self._buf.clear()
        self._wake_all(_WOKE_POISONED)

    def _wake_all(self, flag: int) -> None:
        for q in (self._rq, self._wq):
            while q:
                w = q.popleft()
                if w.__class__ is _Proc:
                    w.flag = flag
                    _sched.make_ready(w)  # type: ignore[union-attr]
                else:
                    w.queue = None
                    w.alt.fire(w, None, flag)

    def _retire_writer(self, end: Any = None) -> None:
        if self._state == _HOST:
            self._host.retire(end)
        self._nw -= 1
        if self._nw <= 0 and self._state == _OPEN:
            self._state = _CLOSED
            # Readers wait only on an empty buffer: nothing more will come.
            self._wake_all(_WOKE_CLOSED)

    def _retire_reader(self) -> None:
        self._nr -= 1
        if self._nr <= 0 and self._state == _OPEN:
            self._state = _CLOSED
            self._buf.clear()
            self._wake_all(_WOKE_CLOSED)

    def _slow_read(self, end: Any) -> Any:
        """A read from a channel that is not open: a host channel's read,
        or the error that says why not."""
        if self._state == _HOST:
            return self._host.read()
        self._refuse()

    def _slow_write(self, end: Any, value: Any) -> None:
        """A write to a channel that is not open: a host channel's write,
        or the error that says why not."""
        if self._state == _HOST:
            return self._host.write(value)  # type: ignore[no-any-return]
        self._refuse()

    def _refuse(self, done: Optional[int] = None) -> None:
        """Raises for an operation on a channel that is not open (``done``:
        a batch's messages that went before, for its error)."""
        st = self._state
        if st == _POISONED:
            raise ChannelPoisoned(f"channel `{self.name}` is poisoned", done=done)
        if st == _CLOSED:
            raise ChannelClosed(f"channel `{self.name}` is closed", done=done)
        if st == _DEVICE:
            raise Error(
                f"channel `{self.name}` runs between device processes in a running network: "
                "Python code cannot use its ends until that network ends"
            )


class _Retired:
    """What a closed end points at instead of its channel: every operation
    through it is refused, with one test on the hot path (``_state``)."""

    __slots__ = ("real", "side", "name")

    # Empty and refusing: the hot paths read these as they read a Channel's.
    _state = 4
    _buf: Any = ()
    _rq: Any = ()
    _wq: Any = ()
    buffer = 0

    def __init__(self, real: Channel, side: str) -> None:
        self.real = real
        self.side = side
        self.name = real.name

    def _poison(self) -> None:
        self.real._poison()

    def _slow_read(self, end: Any) -> Any:
        self._refuse()

    def _slow_write(self, end: Any, value: Any) -> None:
        self._refuse()

    def _refuse(self, done: Optional[int] = None) -> None:
        raise ChannelClosed(f"this {self.side} end of channel `{self.name}` is closed", done=done)


def _read(end: "Reader", getcurrent: Any = getcurrent, _Proc: Any = _Proc) -> Any:
    ch: Any = end._ch
    buf = ch._buf
    if buf:
        v = buf.popleft()
        if ch._wq:
            buf.append(_take_writer(ch._wq.popleft()))
        return v
    wq = ch._wq
    if wq:
        w = wq.popleft()
        if w.__class__ is _Proc:
            _push(w.sw)
            return w.val
        w.alt.fire(w, None, _OK)
        return w.value
    if ch._state:
        return ch._slow_read(end)
    p = getcurrent()
    if p.__class__ is not _Proc:
        _current()
    ch._rq.append(p)
    q = _ready_now  # _block(), written out
    if q:
        q.popleft()()
    else:
        _sched.block_slow()  # type: ignore[union-attr]
    if p.flag:
        _wake_flag(end, p)
    return p.val


def _write(end: "Writer", value: Any, getcurrent: Any = getcurrent, _Proc: Any = _Proc) -> None:
    ch: Any = end._ch
    if ch._state:
        return ch._slow_write(end, value)  # type: ignore[no-any-return]
    rq = ch._rq
    while rq:  # _hand, written out
        r = rq.popleft()
        if r.__class__ is _Proc:
            r.val = value
            _push(r.sw)
            return
        if r.alt.fire(r, value, _OK):
            return
        # A read_many refused it (no message of its array): the next reader
        # may take it, else it waits as if no reader had come.
    if ch.buffer and len(ch._buf) < ch.buffer:  # a rendezvous skips the len()
        ch._buf.append(value)
        return
    p = getcurrent()
    if p.__class__ is not _Proc:
        _current()
    p.val = value
    ch._wq.append(p)
    q = _ready_now  # _block(), written out
    if q:
        q.popleft()()
    else:
        _sched.block_slow()  # type: ignore[union-attr]
    if p.flag:
        _wake_flag(end, p)


def read_batch(
    end: "Reader",
    view: memoryview,
    size: int,
    n: int,
    pack: Callable[[Any], bytes],
    unfit: Callable[[Any, BaseException, int], BaseException],
) -> int:
    """``read_many`` from Python processes: reads values into the
    ``size``-byte slots of ``view`` (bytes), each packed by ``pack``, until
    ``n`` came or the channel closed; returns how many came. On a host
    channel it reads what waits on the Python side (values a Python writer
    left in the buffer) and returns when nothing more does, for the host
    end to go on.

    A value is taken only once it packs: one that does not raises ``unfit(value,
    error, how many came)`` and stays on the channel, the next read's. Poison
    raises ChannelPoisoned, a close before the first value ChannelClosed,
    each with ``done``: how many came.
    """
    got = 0
    while got < n:
        ch: Any = end._ch
        if ch._buf:
            v = ch._buf[0]
        elif ch._wq:
            w = ch._wq[0]
            v = w.val if w.__class__ is _Proc else w.value
        elif ch._state == _HOST:
            return got
        elif ch._state:
            if ch._state == _CLOSED and got:
                return got
            ch._refuse(got)
            return got
        else:
            # Nothing waits: wait among the readers for a writer's value.
            p = _current()
            wait = _BatchWait(p, pack)
            entry = _AltEntry(wait, end, ch._rq, None)
            wait.entries.append(entry)
            ch._rq.append(entry)
            _block()
            data, p.val = p.val, None
            if p.flag:
                p.flag = _OK
                continue  # poisoned or closed: the channel says which
            if data is not None:
                view[got * size : (got + 1) * size] = data
                got += 1
            continue  # else a writer's value it refused: now it waits on the channel
        try:
            data = pack(v)
        except (TypeError, ValueError, OverflowError) as e:
            raise unfit(v, e, got) from None
        _read(end)  # takes v: no other process ran since the look
        view[got * size : (got + 1) * size] = data
        got += 1
    return got


# The ends are ``functools.partial`` objects bound to themselves: calling an
# end (``out(v)``, ``inp()``) goes straight from C to ``_write``/``_read``,
# which saves the ``__call__`` slot lookup of a plain class on every message.


class Reader(partial):
    """The read end of a channel.

    ``end()`` and ``end.read()`` read one value (blocking until a writer
    has one); iterating yields values until the channel is closed (and
    drained) or poisoned. As an ``Alt`` guard it is ready when a value is.
    """

    __slots__ = ("_ch",)
    _ch: Any  # its Channel, or a _Retired once the end is closed

    def __new__(cls, ch: Channel) -> "Reader":
        self = partial.__new__(cls, _read)
        self.__setstate__((_read, (self,), None, None))  # type: ignore[attr-defined]
        self._ch = ch
        return self

    read = _read
    read.__doc__ = "Reads one value; raises ChannelPoisoned or ChannelClosed."

    @property
    def channel(self) -> Channel:
        """The channel this end belongs to."""
        ch = self._ch
        return ch.real if ch.__class__ is _Retired else ch  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        """True once this end is closed."""
        return self._ch.__class__ is _Retired

    def __repr__(self) -> str:
        return f"<read end of {self._ch.name}>"

    def __reduce__(self) -> Any:
        raise TypeError("channel ends cannot be pickled")

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                yield _read(self)
        except (ChannelClosed, ChannelPoisoned):
            return

    def read_many(self, n: Optional[int] = None, *, out: Any = None) -> Any:
        """Reads ``n`` values into a new numpy array, or fills ``out`` (a
        C-contiguous numpy array of the channel's dtype); returns the array
        of the values read (``out``'s first rows, a view, when it is given).

        The array is laid out as the channel's messages: shape ``(n,)`` for
        a scalar dtype ("i32": int32 values), ``(n, k)`` for a vector
        ("f32[k]") or raw bytes (``Bytes(k)``: uint8). It blocks, letting
        other processes run, until all ``n`` have come, and reads no value
        beyond them. On a channel from device processes they land in the
        array's memory as they arrive, with no copy in between.

        Fewer than ``n`` come back only when the channel is closed (and
        drained) first; closed before the first raises ChannelClosed, and
        poison raises ChannelPoisoned, whose ``done`` says how many values
        came before it: they are the first rows of ``out`` (give ``out`` to
        keep them). A wrong ``out`` raises TypeError (element type) or
        ValueError (shape), naming the channel and the array it takes.
        Between Python processes each value is packed as a write to a
        device process would pack it, and taken only then: a value that is
        no message of the dtype (such a channel carries any object) raises
        TypeError or ValueError naming the channel, its dtype and the
        value, and stays on the channel for the next read; the error's
        ``done`` is how many messages came before it, ``received`` the
        array of them (``out``'s first rows when given). Needs numpy.

        Example::

            block = inp.read_many(1000)          # shape (1000,) or (1000, k)
            buf = numpy.empty((64, 256), numpy.float32)
            rows = inp.read_many(out=buf)        # buf[:len(rows)]
        """
        return _batch.read_many(self, n, out)

    def poison(self) -> None:
        """Poisons the channel: every end of it raises ChannelPoisoned from now on."""
        self._ch._poison()

    def close(self) -> None:
        """Retires this reader; when every reader has, writes raise ChannelClosed."""
        ch = self._ch
        if ch.__class__ is not _Retired:
            self._ch = _Retired(ch, "read")
            ch._retire_reader()

    _close = close


class Writer(partial):
    """The write end of a channel.

    ``end(v)`` and ``end.write(v)`` write one value: on a rendezvous channel
    they return once a reader has taken it. ``(end, value)`` is an output
    guard in an ``Alt``.
    """

    __slots__ = ("_ch",)
    _ch: Any  # its Channel, or a _Retired once the end is closed

    def __new__(cls, ch: Channel) -> "Writer":
        self = partial.__new__(cls, _write)
        self.__setstate__((_write, (self,), None, None))  # type: ignore[attr-defined]
        self._ch = ch
        return self

    write = _write
    write.__doc__ = "Writes one value; raises ChannelPoisoned or ChannelClosed."

    @property
    def channel(self) -> Channel:
        """The channel this end belongs to."""
        ch = self._ch
        return ch.real if ch.__class__ is _Retired else ch  # type: ignore[no-any-return]

    @property
    def closed(self) -> bool:
        """True once this end is closed."""
        return self._ch.__class__ is _Retired

    def __repr__(self) -> str:
        return f"<write end of {self._ch.name}>"

    def __reduce__(self) -> Any:
        raise TypeError("channel ends cannot be pickled")

    def write_many(self, values: Any) -> int:
        """Writes every message of ``values``, in order, as that many
        ``write`` calls would, and returns how many.

        ``values`` is a numpy array (or any object with the buffer
        protocol) laid out as the channel's messages: shape ``(n,)`` for a
        scalar dtype ("i32": int32 values), ``(n, k)`` for a vector
        ("f32[k]"), ``(n, k)`` uint8 or ``n*k`` bytes for ``Bytes(k)``; or
        any iterable of messages, each as ``write`` takes it. It blocks,
        letting other processes run, until every message is written (on a
        rendezvous, until the reader took the last). To device processes
        the messages go straight from the array's memory, many per step.

        Poison raises ChannelPoisoned and a closed channel ChannelClosed,
        as for ``write``; their ``done`` says how many messages, from the
        first, were written before it (on a rendezvous, taken by a reader;
        with a buffer, put in it), so ``values[done:]`` did not go. An
        array of another element type raises TypeError, one of another
        shape ValueError, naming the channel and the array it takes;
        nothing is written then. Between Python processes a reader
        receives ints or floats, a memoryview per vector, bytes per raw
        message (copies: later changes to the array do not reach it).

        Example::

            out.write_many(numpy.arange(1000, dtype=numpy.int32))   # an "i32" channel
            out.write_many(numpy.zeros((64, 256), numpy.float32))  # an "f32[256]" channel
        """
        return _batch.write_many(self, values)

    def poison(self) -> None:
        """Poisons the channel: every end of it raises ChannelPoisoned from now on."""
        self._ch._poison()

    def close(self) -> None:
        """Retires this writer; when every writer has, readers drain what is
        buffered and then raise ChannelClosed (nothing is lost)."""
        ch = self._ch
        if ch.__class__ is not _Retired:
            self._ch = _Retired(ch, "write")
            ch._retire_writer(self)

    _close = close


def poison(*ends: Any) -> None:
    """Poisons the channels of ``ends`` (read or write ends, or channels)."""
    for e in ends:
        _channel_of(e)._poison()


def close(*ends: Any) -> None:
    """Closes ``ends``: a write end retires its writer (when every writer
    has, readers see ChannelClosed after the buffer drains); a read end
    retires its reader (when every reader has, writers see ChannelClosed)."""
    for e in ends:
        if isinstance(e, (Reader, Writer)):
            e.close()
        else:
            raise TypeError(f"ecsp.close takes channel ends (reader() or writer()), got {e!r}")


def _channel_of(e: Any) -> Channel:
    if isinstance(e, (Reader, Writer)):
        return e.channel
    if isinstance(e, Channel):
        return e
    raise TypeError(f"expected a channel end or a channel, got {e!r}")


# -- alternation ----------------------------------------------------------------------


class Skip:
    """A guard that is always ready: an Alt with a Skip never blocks."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Skip()"


class Timeout:
    """A guard that becomes ready ``seconds`` after the select starts.

    In deterministic mode the seconds are virtual: time jumps to the
    deadline when no process can run, so a run replays exactly.
    """

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        if not isinstance(seconds, (int, float)) or seconds != seconds or seconds < 0:
            raise ValueError(f"Timeout seconds must be a number >= 0, got {seconds!r}")
        self.seconds = float(seconds)

    def __repr__(self) -> str:
        return f"Timeout({self.seconds})"


class Alt:
    """A choice between guards: read ends (ready when a value is),
    ``(write_end, value)`` output guards (ready when a reader or buffer room
    is), ``Skip()`` and ``Timeout(seconds)``.

    ``select()`` picks any ready guard (at random: the seeded generator in
    deterministic mode), ``pri_select()`` the first ready one in order,
    ``fair_select()`` the first ready one after the last it chose. Each
    returns ``(guard, value)``: the value read for a read end, else None.
    A guard on a poisoned channel raises ChannelPoisoned; a read guard on a
    closed, drained channel raises ChannelClosed. Each takes ``when``, one
    boolean pre-condition per guard: a guard whose pre-condition is false
    is left out of that choice.
    """

    __slots__ = ("_guards", "_last", "_when")

    def __init__(self, *guards: Any) -> None:
        if not guards:
            raise ValueError("Alt needs at least one guard")
        checked: List[Any] = []
        for g in guards:
            if isinstance(g, (Reader, Skip, Timeout)):
                checked.append(g)
            elif isinstance(g, tuple) and len(g) == 2 and isinstance(g[0], Writer):
                checked.append(g)
            elif isinstance(g, Writer):
                raise TypeError(f"an output guard is a (write end, value) pair: Alt(({g!r}, value)), not {g!r}")
            else:
                raise TypeError(
                    f"Alt guards are read ends, (write end, value) pairs, ecsp.Skip() and ecsp.Timeout(s); got {g!r}"
                )
        self._guards: Tuple[Any, ...] = tuple(checked)
        self._last = -1
        self._when: Optional[Tuple[bool, ...]] = None

    def select(self, when: Optional[Sequence[bool]] = None) -> Tuple[Any, Any]:
        """Chooses any ready guard; blocks until one is. ``when``, one bool
        per guard, leaves out the guards whose pre-condition is false."""
        s = _sched
        rng = s.rng if s is not None and s.rng is not None else random
        n = len(self._guards)
        return self._choose(rng.randrange(n), when)

    def pri_select(self, when: Optional[Sequence[bool]] = None) -> Tuple[Any, Any]:
        """Chooses the first ready guard in order; blocks until one is.
        ``when`` as for ``select``."""
        return self._choose(0, when)

    def fair_select(self, when: Optional[Sequence[bool]] = None) -> Tuple[Any, Any]:
        """Chooses the first ready guard after the last one chosen, so no
        ready guard waits more than one turn per other guard. ``when`` as
        for ``select``."""
        return self._choose((self._last + 1) % len(self._guards), when)

    def _choose(self, start: int, when: Optional[Sequence[bool]]) -> Tuple[Any, Any]:
        if when is not None:
            when = tuple(bool(w) for w in when)
            if len(when) != len(self._guards):
                raise ValueError(f"when has {len(when)} pre-conditions for {len(self._guards)} guards: give one per guard")
        self._when = when
        deadlines: Optional[Dict[int, float]] = None  # Timeout guards', fixed at the first wait
        while True:
            chosen = self._scan(start, deadlines)
            if chosen is not None:
                return chosen
            if deadlines is None:
                now = _sched.now() if _sched is not None else time.monotonic()
                deadlines = {i: now + g.seconds for i, g in enumerate(self._guards) if g.__class__ is Timeout}
                if when is not None and not any(when):
                    raise Error("every guard of this Alt has a false pre-condition and none is a Skip: it would wait forever")
            chosen = self._wait(deadlines)
            if chosen is not None:
                return chosen
            # A guard on a host channel may be ready now: look again.

    def _scan(self, start: int, deadlines: Optional[Dict[int, float]]) -> Optional[Tuple[Any, Any]]:
        """The first ready guard from ``start`` on, taken; else None."""
        guards = self._guards
        n = len(guards)
        skip = None
        when = self._when
        for k in range(n):
            i = (start + k) % n
            if when is not None and not when[i]:
                continue
            g = guards[i]
            if g.__class__ is Reader:
                ch = g._ch
                if ch._state == _HOST and not (ch._buf or ch._wq):
                    # Nothing left on the Python side: the device's next message.
                    value = ch._host.poll_read()
                    if value is not _NOTHING:
                        self._last = i
                        return g, value
                elif ch._buf or ch._wq or ch._state:
                    self._last = i
                    return g, g.read()
            elif g.__class__ is tuple:
                w, value = g
                ch = w._ch
                if ch._state == _HOST:
                    if ch._host.offer(value):
                        self._last = i
                        return w, None
                elif len(ch._buf) < ch.buffer or ch._state:
                    self._last = i
                    w.write(value)
                    return w, None
                elif ch._rq and _hand(ch._rq, value):
                    # A rendezvous: ready only if a reader takes the value
                    # (a read_many takes only a message of its array).
                    self._last = i
                    return w, None
            elif g.__class__ is Skip:
                if skip is None:
                    skip = i
            elif g.seconds <= 0 if deadlines is None else _sched is not None and _sched.now() >= deadlines[i]:
                self._last = i
                return g, None
        if skip is not None:
            self._last = skip
            return guards[skip], None
        return None

    def _wait(self, deadlines: Dict[int, float]) -> Optional[Tuple[Any, Any]]:
        """Waits for a guard; None when a host guard should be looked at again."""
        p = _current()
        s = _sched
        assert s is not None
        wait = _AltWait(p)
        host = False
        when = self._when
        for i, g in enumerate(self._guards):
            if when is not None and not when[i]:
                continue
            if g.__class__ is Reader:
                if g._ch._state == _HOST:
                    host = True
                    continue
                e = _AltEntry(wait, g, g._ch._rq, None)
                g._ch._rq.append(e)
            elif g.__class__ is tuple:
                if g[0]._ch._state == _HOST:
                    host = True
                    continue
                e = _AltEntry(wait, g[0], g[0]._ch._wq, g[1])
                g[0]._ch._wq.append(e)
            else:
                e = _AltEntry(wait, g, None, None)
                s.add_timer(deadlines[i], e)
            wait.entries.append(e)
        if host:
            s.host_waiters.append(wait)
            s.host_seen = s.host_progress
            s.watch = True
        p.wait = self
        _block()
        p.wait = None
        guard, value = p.alt_result
        p.alt_result = None
        if guard is _RETRY:
            return None
        self._last = self._guards.index(guard) if guard in self._guards else self._index_of_output(guard)
        if p.flag:
            flag, p.flag = p.flag, _OK
            name = guard._ch.name
            if flag == _WOKE_POISONED:
                raise ChannelPoisoned(f"channel `{name}` is poisoned")
            raise ChannelClosed(f"channel `{name}` is closed")
        return guard, value

    def _index_of_output(self, w: Any) -> int:
        for i, g in enumerate(self._guards):
            if g.__class__ is tuple and g[0] is w:
                return i
        return -1
