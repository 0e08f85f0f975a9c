//! Follow mode: releasing an IKE SA's verdict while the stream is still
//! open, and dropping the SA's records once it is out.
//!
//! File mode judges every IKE SA at the end of the capture. Following a live
//! capture, [`Engine::follow`] also judges an SA as soon as more packets can
//! no longer change its verdict under the same rules, so each SA still gets
//! exactly one verdict, the one file mode gives:
//!
//! - **Quiet.** Neither side of the SA sent anything (IKE or ESP) for the
//!   settle horizon, twice `--silence`. Every judgement that depends on
//!   where the capture ends compares the end with a message of the SA
//!   (`end - t < silence`), so once the SA has been quiet that long its
//!   judgement no longer moves with the clock. A verdict that names a failure
//!   is released then; so is a healthy SA that was rekeyed or deleted (later
//!   evidence concerns its successor, or falls after its Delete). A healthy
//!   SA still in use stays until the end of the stream (it is checked again,
//!   at doubling intervals); so does `not-rekeyed`, which a later new IKE
//!   SA from the taker would turn into `recovered`.
//! - **Superseded.** An SA with an INVALID_SPI, INVALID_IKE_SPI or QCD_TOKEN
//!   on it is judged again when a new IKE SA between the same hosts has its
//!   IKE_SA_INIT answered: the taker's new IKE SA is what decides
//!   `recovered` (and what ends the old SA's story for every failed
//!   verdict), so the line comes with the answer, not after the horizon. An
//!   unanswered IKE_SA_INIT (a stray attempt, a probe) recovers nothing.
//!
//! Both rest on the SA's own packets having ended; a packet that still
//! reaches a released SA (a late retransmission) is counted
//! ([`Engine::after_verdict`]) and otherwise ignored. The clock is the
//! packets' time; [`Engine::advance`] moves it on when no packet comes (the
//! caller passes the wall-clock time elapsed since the last one).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::UNIX_EPOCH;

use super::*;

/// What the SAs judged after a released one read of it.
pub(super) struct Done {
    pub(super) spis: SpiPair,
    pub(super) start: SystemTime,
    pub(super) first_frame: u64,
    pub(super) starts_with_init: bool,
    pub(super) initiator: Option<SocketAddr>,
    pub(super) undecrypted_ccsa: Option<(u64, SystemTime)>,
    pub(super) replaced: bool,
    /// Where the index holds it, until [`LINGER`] after its release.
    hosts: HostPair,
}

/// Follow-mode bookkeeping.
pub(super) struct Settle {
    /// How long an SA must be quiet before its verdict is final.
    horizon: Duration,
    /// The packets' clock, moved on by wall-clock time between packets.
    clock: Option<SystemTime>,
    /// When to look at an SA again (deadline, SA, times found still open).
    due: BinaryHeap<Reverse<(SystemTime, SaId, u8)>>,
    /// Open SAs with QCD evidence on them, by host pair.
    alarmed: Map<HostPair, Vec<SaId>>,
    ready: VecDeque<SaReport>,
    released: usize,
    after_verdict: u64,
    /// Released SAs by release time, forgotten [`LINGER`] later.
    tombs: VecDeque<(SystemTime, SaId)>,
}

/// How long the index remembers a released SA: packets with its SPIs (late
/// retransmissions) are ignored until then, and start a new IKE SA after.
/// What is left of it then is its SPIs (24 bytes), so a day of 1,000 peers
/// rekeying every hour keeps about 0.6 MB more than its first hour.
pub const LINGER: Duration = Duration::from_secs(600);

/// Checks of a healthy SA in use back off up to 2^12 horizons apart.
const MAX_BACKOFF: u8 = 12;

impl<'a> Engine<'a> {
    /// An engine for a stream that is still being written: verdicts come out
    /// of [`Engine::take_released`] as soon as they are final (see the
    /// module documentation), the rest from [`Engine::finish`].
    pub fn follow(opts: &'a Options<'a>) -> Engine<'a> {
        let mut engine = Engine::new(opts);
        engine.settle = Some(Box::new(Settle {
            horizon: opts.silence.saturating_mul(2).max(Duration::from_millis(1)),
            clock: None,
            due: BinaryHeap::new(),
            alarmed: Map::default(),
            ready: VecDeque::new(),
            released: 0,
            after_verdict: 0,
            tombs: VecDeque::new(),
        }));
        engine
    }

    pub(super) fn is_released(&self, sa: SaId) -> bool {
        matches!(self.sas.get(sa), Some(Slot::Done(_) | Slot::Gone(_)))
    }

    /// IKE SAs judged and handed out before the end.
    pub(super) fn released(&self) -> usize {
        self.settle.as_ref().map_or(0, |s| s.released)
    }

    /// Packets that reached an IKE SA after its verdict was released.
    pub fn after_verdict(&self) -> u64 {
        self.settle.as_ref().map_or(0, |s| s.after_verdict)
    }

    /// The verdicts released so far, in the order they became final.
    pub fn take_released(&mut self) -> impl Iterator<Item = SaReport> + '_ {
        self.settle
            .as_mut()
            .map(|s| s.ready.drain(..))
            .into_iter()
            .flatten()
    }

    /// Moves the clock to `now` (never back) and releases every SA whose
    /// verdict is final by then. Call it after each packet with the packet's
    /// time, and while no packet comes with the last packet's time plus the
    /// wall-clock time since it arrived.
    pub fn advance(&mut self, now: SystemTime) {
        let Some(settle) = self.settle.as_mut() else {
            return;
        };
        let clock = settle.clock.map_or(now, |c| c.max(now));
        settle.clock = Some(clock);
        while let Some(&(t, sa)) = settle.tombs.front() {
            if since(clock, t) < LINGER.max(settle.horizon) {
                break;
            }
            settle.tombs.pop_front();
            if let Slot::Done(d) = &self.sas[sa] {
                self.index.forget(sa, d.spis, d.hosts, d.start);
                self.sas[sa] = Slot::Gone(d.spis);
            }
        }
        loop {
            let Some(settle) = self.settle.as_mut() else {
                return;
            };
            match settle.due.peek() {
                Some(Reverse((t, _, _))) if *t <= clock => {}
                _ => return,
            }
            let Some(Reverse((_, sa, checks))) = settle.due.pop() else {
                return;
            };
            self.quiet_check(sa, checks, clock);
        }
    }

    /// A packet for `sa` arrived after its verdict was released.
    pub(super) fn count_after_verdict(&mut self) {
        if let Some(s) = self.settle.as_mut() {
            s.after_verdict += 1;
        }
    }

    /// A new IKE SA `sa` started between `hosts`.
    pub(super) fn started(&mut self, sa: SaId, time: SystemTime) {
        let Some(settle) = self.settle.as_mut() else {
            return;
        };
        let horizon = settle.horizon;
        settle.due.push(Reverse((time + horizon, sa, 0)));
    }

    /// The new IKE SA `sa` between `hosts` had its IKE_SA_INIT answered:
    /// the SAs with QCD evidence between the same hosts are judged now and
    /// the decided ones released. Not at the new SA's first packet: an
    /// unanswered IKE_SA_INIT recovers nothing (a stray attempt, a probe),
    /// so file mode's verdict is only known once the answer came.
    pub(super) fn answered(&mut self, sa: SaId, hosts: HostPair, frame: u64, time: SystemTime) {
        let Some(settle) = self.settle.as_mut() else {
            return;
        };
        let Some(old) = settle
            .alarmed
            .get(&hosts)
            .filter(|v| !v.is_empty())
            .cloned()
        else {
            return;
        };
        let clock = settle.clock.map_or(time, |c| c.max(time));
        for o in old.into_iter().filter(|&o| o != sa) {
            let report = self.judge_now(o, (frame, clock));
            let decided = report.outage.is_some()
                && !matches!(
                    report.verdict,
                    Verdict::Healthy | Verdict::Inconclusive | Verdict::NotRekeyed
                )
                && self.new_sa_settled(&report, clock);
            if decided {
                self.release(o, report);
            }
        }
    }

    /// QCD evidence (INVALID_SPI, INVALID_IKE_SPI, QCD_TOKEN) reached `sa`.
    pub(super) fn alarm(&mut self, sa: SaId, hosts: HostPair) {
        if let Some(settle) = self.settle.as_mut() {
            let list = settle.alarmed.entry(hosts).or_default();
            if !list.contains(&sa) {
                list.push(sa);
            }
        }
    }

    /// The time of the last packet of either side of `sa`.
    fn last_activity(&self, sa: SaId) -> Option<SystemTime> {
        match &self.sas[sa] {
            Slot::Lone(l) => Some(l.time),
            Slot::Full(s) => s
                .last
                .iter()
                .flatten()
                .map(|l| l.time)
                .max()
                .or(Some(s.start)),
            Slot::Done(_) | Slot::Gone(_) => None,
        }
    }

    fn quiet_check(&mut self, sa: SaId, checks: u8, clock: SystemTime) {
        let Some(last) = self.last_activity(sa) else {
            return;
        };
        let Some(settle) = self.settle.as_mut() else {
            return;
        };
        let horizon = settle.horizon;
        if since(clock, last) < horizon {
            settle.due.push(Reverse((last + horizon, sa, checks)));
            return;
        }
        let frame = self.last.map_or(0, |l| l.0);
        let report = self.judge_now(sa, (frame, clock));
        let release = match report.verdict {
            Verdict::Healthy => report.replaced_by.is_some() || self.closed(sa, (frame, clock)),
            Verdict::NotRekeyed => false,
            // An attempt within a recovery waits for the reconnect, as
            // file mode sees it (engine/attempts.rs).
            Verdict::NotEstablished if report.recovery_of.is_none() => {
                let lone = self.expanded(sa);
                let waits = self.attempt_waits(sa, clock);
                if let Some(l) = lone {
                    self.sas[sa] = l;
                }
                !waits
            }
            _ => self.new_sa_settled(&report, clock),
        };
        if release {
            self.release(sa, report);
        } else if let Some(settle) = self.settle.as_mut() {
            let n = checks.saturating_add(1).min(MAX_BACKOFF);
            let wait = horizon.saturating_mul(1u32 << n);
            settle.due.push(Reverse((clock + wait, sa, n)));
        }
    }

    /// Whether the new IKE SA a verdict names (if any) can no longer change
    /// it: answered, or quiet for longer than `--silence`. A new IKE SA
    /// counts while its set-up may still be in progress; one that is never
    /// answered (a stray attempt, a probe) stops counting, and file mode
    /// judges by the end of the capture.
    fn new_sa_settled(&self, report: &SaReport, clock: SystemTime) -> bool {
        let Some(named) = report.new_sa.as_deref() else {
            return true;
        };
        let mut parts = named.split(' ').map(Spi::parse);
        let (Some(Ok(initiator)), Some(Ok(responder))) = (parts.next(), parts.next()) else {
            return true;
        };
        let Some(n) = self.index.find(SpiPair {
            initiator,
            responder,
        }) else {
            return true;
        };
        let slot = &self.sas[n];
        let answered = slot
            .state()
            .is_some_and(|st| st.recs().iter().any(|q| q.m.response));
        let quiet = self
            .last_activity(n)
            .is_none_or(|last| since(clock, last) >= self.opts.silence);
        answered || quiet
    }

    /// Whether a decrypted Delete closed `sa`.
    fn closed(&mut self, sa: SaId, end: (u64, SystemTime)) -> bool {
        let lone = self.expanded(sa);
        let closed = Judge::new(self, sa, Some(end)).closed().is_some();
        if let Some(l) = lone {
            self.sas[sa] = l;
        }
        closed
    }

    /// Gives a lone request its whole state for a judgement; returns the
    /// lone slot to put back.
    fn expanded(&mut self, sa: SaId) -> Option<Slot> {
        match &self.sas[sa] {
            Slot::Lone(l) => {
                let whole = Slot::Full(Box::new(l.expand()));
                Some(std::mem::replace(&mut self.sas[sa], whole))
            }
            _ => None,
        }
    }

    /// `sa` judged as if the capture ended at `end`.
    fn judge_now(&mut self, sa: SaId, end: (u64, SystemTime)) -> SaReport {
        let lone = self.expanded(sa);
        let report = Judge::new(self, sa, Some(end)).run();
        if let Some(l) = lone {
            self.sas[sa] = l;
        }
        report
    }

    /// Hands `report` out and keeps of `sa` only what others read of it.
    fn release(&mut self, sa: SaId, report: SaReport) {
        let slot = &self.sas[sa];
        let hosts = match slot {
            Slot::Full(s) => s.hosts,
            Slot::Lone(l) => HostPair::new(l.src.ip(), l.dst.ip()),
            Slot::Done(_) | Slot::Gone(_) => return,
        };
        let done = Done {
            spis: slot.spis(),
            start: slot.start(),
            first_frame: slot.first_frame(),
            starts_with_init: slot.starts_with_init(),
            initiator: slot.initiator(),
            undecrypted_ccsa: slot.undecrypted_ccsa(),
            replaced: slot.is_replaced(),
            hosts,
        };
        self.sas[sa] = Slot::Done(Box::new(done));
        let Some(settle) = self.settle.as_mut() else {
            return;
        };
        if let Some(list) = settle.alarmed.get_mut(&hosts) {
            list.retain(|&s| s != sa);
            if list.is_empty() {
                settle.alarmed.remove(&hosts);
            }
        }
        settle
            .tombs
            .push_back((settle.clock.unwrap_or(UNIX_EPOCH), sa));
        settle.released += 1;
        settle.ready.push_back(report);
    }
}
