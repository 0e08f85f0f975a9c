//! Diagnosing a capture while it is written: `qcd diagnose --follow`.
//!
//! [`follow`] reads a [`Source`] as data arrives (a pipe, a FIFO, standard
//! input, or a regular file that grows, like `tail -f`) on a thread of its
//! own, feeds the engine in follow mode ([`Engine::follow`]) and hands each
//! IKE SA's verdict to the caller the moment it is final; when no packet
//! comes, wall-clock time moves the packets' clock on, so an outage followed
//! by total silence is still judged. At the end of the stream, or when the
//! caller raises `stop` (SIGINT, SIGTERM), the SAs still open are judged as
//! file mode judges them and handed out too: every IKE SA gets exactly one
//! verdict.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capture::{
    CaptureError, Counters, Event, IkeDatagram, ReadOptions, Source, Timestamp, Warning,
};
use crate::ikecrypto::KeyTable;

use super::engine::{Engine, Options};
use super::input::{Feed, WarningLog};
use super::model::SaReport;

/// How [`follow`] waits.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    /// How often, while no packet arrives, the clock is moved on by
    /// wall-clock time and `stop` is looked at (and how often a growing
    /// regular file is checked for more).
    pub poll: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            poll: Duration::from_millis(100),
        }
    }
}

/// Why following ended early.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The caller's output failed (e.g. the reader of a pipe went away).
    #[error("cannot write a verdict: {0}")]
    Output(#[source] io::Error),
}

/// The end of [`follow`]: what file mode's [`super::CaptureDiagnosis`]
/// says besides the reports, which were handed out already.
#[derive(Debug)]
pub struct Followed {
    pub warnings: WarningLog,
    /// The capture itself was damaged (e.g. it ends inside a record).
    pub damaged: bool,
    pub ike_messages: u64,
    pub esp_packets: u64,
    /// IKE SAs judged (reports handed out).
    pub reports: usize,
    /// Of them, judged before the end of the stream.
    pub early: usize,
    /// `stop` was raised before the stream ended.
    pub interrupted: bool,
    /// Packets that reached an IKE SA after its verdict was out (ignored).
    pub after_verdict: u64,
}

/// What the reading thread hands over.
enum Msg {
    Ike {
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        payload: Vec<u8>,
    },
    Esp {
        frame: u64,
        time: Option<Timestamp>,
        src: SocketAddr,
        dst: SocketAddr,
        spi: u32,
    },
    Icmp {
        frame: u64,
        time: Option<Timestamp>,
        src: std::net::IpAddr,
        error: crate::capture::icmp::IcmpError,
    },
    Warning(Warning),
    End {
        damaged: bool,
        counters: Counters,
    },
    Failed(CaptureError),
}

/// Follows `source` (see the module documentation), calling `emit` with
/// each verdict as it becomes final and with the rest at the end. `reader`
/// from [`super::reader_options`]. Returns once the stream ended or `stop`
/// was raised; an error from `emit` ends it at once.
pub fn follow(
    source: &Source,
    reader: ReadOptions,
    keys: Option<&KeyTable>,
    opts: &Options<'_>,
    fopts: FollowOptions,
    stop: &AtomicBool,
    mut emit: impl FnMut(SaReport) -> io::Result<()>,
) -> Result<Followed, FollowError> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Msg>>(16);
    // Raised when this function returns, so a followed file stops waiting.
    let done = Arc::new(AtomicBool::new(false));
    {
        let source = source.clone();
        let done = done.clone();
        let poll = fopts.poll;
        // Not joined: a read blocked on a pipe whose writer is still there
        // must not keep an interrupted run from ending.
        std::thread::spawn(move || read_events(&source, reader, done, poll, tx));
    }
    let ended = drive(&rx, keys, opts, fopts, stop, &mut emit);
    done.store(true, Ordering::Relaxed);
    ended
}

/// [`follow`] on a reader that is already open, in this thread and without
/// the wall clock: the clock is the packets' time alone, as when a finished
/// capture is replayed through a pipe. Tests and the fuzz target hold it to
/// file mode.
pub fn follow_reader(
    mut reader: crate::capture::CaptureReader<'_>,
    keys: Option<&KeyTable>,
    opts: &Options<'_>,
    mut emit: impl FnMut(SaReport) -> io::Result<()>,
) -> io::Result<Followed> {
    let mut feed = Feed::new(Engine::follow(opts), keys);
    let mut reports = 0;
    while let Some(event) = reader.next_event() {
        let packet = !matches!(event, Event::Warning(_));
        feed.event(event);
        if packet {
            feed.engine.advance(feed.last);
        }
        for r in feed.engine.take_released() {
            reports += 1;
            emit(r)?;
        }
    }
    let early = reports;
    let after_verdict = feed.engine.after_verdict();
    let (ike_messages, esp_packets) = (feed.ike_messages, feed.esp_packets);
    let diagnosis = feed.finish(reader.damaged(), reader.counters());
    for r in diagnosis.reports {
        reports += 1;
        emit(r)?;
    }
    Ok(Followed {
        warnings: diagnosis.warnings,
        damaged: reader.damaged(),
        ike_messages,
        esp_packets,
        reports,
        early,
        interrupted: false,
        after_verdict,
    })
}

/// Events handed over at most this many at a time; a batch also goes as
/// soon as the reader is about to wait for input, so nothing decided waits
/// in it.
const BATCH: usize = 512;

/// The batch being filled, shared with the input wrapper that sends it
/// before each read.
type Pending = std::rc::Rc<std::cell::RefCell<Vec<Msg>>>;

/// The input, sending what was read so far before it may block.
struct SendBeforeRead<R> {
    inner: R,
    pending: Pending,
    tx: mpsc::SyncSender<Vec<Msg>>,
}

impl<R: io::Read> io::Read for SendBeforeRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        if !batch.is_empty() && self.tx.send(batch).is_err() {
            // Nobody listens any more: end the input.
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

fn read_events(
    source: &Source,
    reader: ReadOptions,
    done: Arc<AtomicBool>,
    poll: Duration,
    tx: mpsc::SyncSender<Vec<Msg>>,
) {
    let pending = Pending::default();
    let wrap = |inner: Box<dyn io::Read>| SendBeforeRead {
        inner,
        pending: pending.clone(),
        tx: tx.clone(),
    };
    let mut r = match source.open_follow_with(reader, done, poll, wrap) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(vec![Msg::Failed(e)]);
            return;
        }
    };
    while let Some(event) = r.next_event() {
        let msg = match event {
            Event::Ike(IkeDatagram {
                frame,
                time,
                src,
                dst,
                payload,
                ..
            }) => Msg::Ike {
                frame,
                time,
                src,
                dst,
                payload: payload.into_owned(),
            },
            Event::Esp {
                frame,
                time,
                src,
                dst,
                spi,
                ..
            } => Msg::Esp {
                frame,
                time,
                src,
                dst,
                spi,
            },
            Event::Icmp {
                frame,
                time,
                src,
                error,
                ..
            } => Msg::Icmp {
                frame,
                time,
                src,
                error,
            },
            Event::Warning(w) => Msg::Warning(w),
        };
        let full = {
            let mut p = pending.borrow_mut();
            p.push(msg);
            p.len() >= BATCH
        };
        if full {
            let batch = std::mem::take(&mut *pending.borrow_mut());
            if tx.send(batch).is_err() {
                return;
            }
        }
    }
    let mut last = std::mem::take(&mut *pending.borrow_mut());
    last.push(Msg::End {
        damaged: r.damaged(),
        counters: r.counters(),
    });
    let _ = tx.send(last);
}

fn drive(
    rx: &mpsc::Receiver<Vec<Msg>>,
    keys: Option<&KeyTable>,
    opts: &Options<'_>,
    fopts: FollowOptions,
    stop: &AtomicBool,
    emit: &mut impl FnMut(SaReport) -> io::Result<()>,
) -> Result<Followed, FollowError> {
    let mut feed = Feed::new(Engine::follow(opts), keys);
    let mut arrived: Option<Instant> = None;
    let mut damaged = false;
    let mut counters = Counters::default();
    let mut interrupted = false;
    let mut reports = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let batch = match rx.recv_timeout(fopts.poll) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => {
                // No packet: the packets' clock runs on with the wall clock.
                if let Some(at) = arrived {
                    feed.engine.advance(feed.last + at.elapsed());
                }
                Vec::new()
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut ended = false;
        for msg in batch {
            match msg {
                Msg::Ike {
                    frame,
                    time,
                    src,
                    dst,
                    payload,
                } => {
                    feed.ike(frame, time, src, dst, &payload);
                    arrived = Some(Instant::now());
                    feed.engine.advance(feed.last);
                }
                Msg::Esp {
                    frame,
                    time,
                    src,
                    dst,
                    spi,
                } => {
                    feed.esp(frame, time, src, dst, spi);
                    arrived = Some(Instant::now());
                    feed.engine.advance(feed.last);
                }
                Msg::Icmp {
                    frame,
                    time,
                    src,
                    error,
                } => {
                    feed.icmp(frame, time, src, error);
                    arrived = Some(Instant::now());
                    feed.engine.advance(feed.last);
                }
                Msg::Warning(w) => feed.warning(&w),
                Msg::End {
                    damaged: d,
                    counters: c,
                } => {
                    damaged = d;
                    counters = c;
                    ended = true;
                }
                Msg::Failed(e) => return Err(e.into()),
            }
            for r in feed.engine.take_released() {
                reports += 1;
                emit(r).map_err(FollowError::Output)?;
            }
        }
        for r in feed.engine.take_released() {
            reports += 1;
            emit(r).map_err(FollowError::Output)?;
        }
        if ended {
            break;
        }
    }
    let early = reports;
    let after_verdict = feed.engine.after_verdict();
    let (ike_messages, esp_packets) = (feed.ike_messages, feed.esp_packets);
    let diagnosis = feed.finish(damaged, counters);
    for r in diagnosis.reports {
        reports += 1;
        emit(r).map_err(FollowError::Output)?;
    }
    Ok(Followed {
        warnings: diagnosis.warnings,
        damaged,
        ike_messages,
        esp_packets,
        reports,
        early,
        interrupted,
        after_verdict,
    })
}
