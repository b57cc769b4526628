//! Reading many files on several threads with the result of reading them one after another.
//!
//! Worker threads decode (decompress, parse, and whatever `prepare` does) whole files, each
//! into a channel of its own; the calling thread takes the channels in file order, so the
//! consumer sees exactly the sequence of a sequential read, whichever file finishes first.
//! That is what keeps a session built from a set of files byte-identical to one built from the
//! same files read in order: the analysis itself runs on one thread, in one order.
//!
//! A consumed item goes back to the worker that decoded it, to be dropped there: a decoded
//! request is thousands of small allocations, and freeing them on the allocating thread keeps
//! the allocator's thread-local fast path.
//!
//! Memory stays bounded by bytes, not by a count per file: every item in flight is charged to
//! one budget shared by all files ([`READ_AHEAD_BYTES`], a request charged [`DECODED_FACTOR`]
//! times its protobuf-encoded size, an estimate of its decoded size), and released when the
//! consumer has taken it. A worker whose item does not fit waits, so workers decode far ahead
//! of a slow consumer (a count per file made a worker stop after a few requests of a file the
//! consumer had not reached yet) without holding more than the budget. Two exceptions keep
//! every read going, each adding at most one request to the bound: an item of the file the
//! consumer is waiting on goes through when none of that file's items is in flight, and an
//! item goes through when nothing at all is in flight (a request larger than the whole budget).
//! No deadlock: files are claimed in order, so the file the consumer waits on is always claimed
//! by a worker that can proceed, by the first exception.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use prost::Message as _;

use super::{BadInput, FileError, FileOptions, FileReport, read_path};
use crate::otlp::{OtlpRequest, Refusal};

/// Bytes of decoded requests in flight across all files before a reading thread waits.
/// 32 MiB, not more: with 256 MiB the reading threads held most of a 1.2 M-point set decoded at
/// once and a 2-thread decode cost 70% more CPU than the former bound of 16 requests per file,
/// same run (BENCHMARKS.md, issue #15).
pub const READ_AHEAD_BYTES: usize = 32 * 1024 * 1024;

/// A decoded request's charge per byte of its protobuf encoding: the prost types hold every
/// string in its own allocation and every attribute in a struct of several words, so the
/// decoded form takes a few times the encoded one.
pub const DECODED_FACTOR: usize = 4;

/// What a skipped entry is charged beyond its text: its struct and allocations.
const BAD_OVERHEAD: usize = 128;

/// One entry of a file, in the file's order.
#[derive(Debug)]
pub enum Item<T> {
    /// A request, as `prepare` turned it.
    Request(T),
    /// A skipped line, document or message.
    Bad(BadInput),
}

enum Msg<T> {
    /// An item, the worker that decoded it, and what it was charged.
    Item(Item<T>, usize, usize),
    Done(Result<FileReport, FileError>),
}

/// Reads `files` (`-` is stdin) with up to `jobs` threads, handing `consume` each file's items
/// (its index, then the item, lent: it is dropped on the thread that decoded it) in file order
/// and then `finished` its report: the same calls in the same order whatever `jobs` is and
/// whichever file is decoded first. `prepare` runs on the reading threads. Decoded requests
/// read ahead are bounded by `READ_AHEAD_BYTES` (see the module's doc). Stops at the first
/// file that cannot be read, with its error.
pub fn read_paths<T: Send>(
    files: &[String],
    opts: &FileOptions,
    jobs: usize,
    prepare: &(dyn Fn(OtlpRequest) -> T + Sync),
    consume: &mut dyn FnMut(usize, &Item<T>),
    finished: &mut dyn FnMut(usize, &FileReport),
) -> Result<(), FileError> {
    read_paths_within(
        files,
        opts,
        jobs,
        READ_AHEAD_BYTES,
        prepare,
        consume,
        finished,
    )
    .map(|_| ())
}

/// [`read_paths`] with a budget of `budget` bytes; returns the most that was charged at once.
pub(super) fn read_paths_within<T: Send>(
    files: &[String],
    opts: &FileOptions,
    jobs: usize,
    budget: usize,
    prepare: &(dyn Fn(OtlpRequest) -> T + Sync),
    consume: &mut dyn FnMut(usize, &Item<T>),
    finished: &mut dyn FnMut(usize, &FileReport),
) -> Result<usize, FileError> {
    let jobs = jobs.clamp(1, files.len().max(1));
    if jobs == 1 {
        return read_sequentially(files, opts, prepare, consume, finished).map(|()| 0);
    }
    let mut senders = Vec::with_capacity(files.len());
    let mut receivers = Vec::with_capacity(files.len());
    for _ in files {
        // Unbounded: the shared budget bounds what all of them hold.
        let (tx, rx) = channel();
        senders.push(Mutex::new(Some(tx)));
        receivers.push(rx);
    }
    let shared = Shared {
        state: Mutex::new(State {
            per_file: vec![0; files.len()],
            ..State::default()
        }),
        wake: Condvar::new(),
        budget,
        total: files.len(),
    };
    let mut returns = Vec::with_capacity(jobs);
    let mut returned = Vec::with_capacity(jobs);
    for _ in 0..jobs {
        let (tx, rx) = channel();
        returns.push(tx);
        returned.push(rx);
    }
    std::thread::scope(|scope| {
        for (w, back) in returned.into_iter().enumerate() {
            let (shared, senders) = (&shared, &senders);
            scope.spawn(move || worker(w, back, shared, senders, files, opts, prepare));
        }
        let result = consume_in_order(&shared, &receivers, &returns, files, consume, finished);
        // Stop the workers: no new file, no wait for the budget, and a send fails once its
        // receiver is gone (that refusal ends the file being read).
        shared.lock().cancelled = true;
        shared.wake.notify_all();
        drop(receivers);
        drop(returns);
        result.map(|()| shared.lock().peak)
    })
}

fn read_sequentially<T>(
    files: &[String],
    opts: &FileOptions,
    prepare: &(dyn Fn(OtlpRequest) -> T + Sync),
    consume: &mut dyn FnMut(usize, &Item<T>),
    finished: &mut dyn FnMut(usize, &FileReport),
) -> Result<(), FileError> {
    for (i, file) in files.iter().enumerate() {
        // Both callbacks feed `consume`, one at a time.
        let consume = std::cell::RefCell::new(&mut *consume);
        let report = read_path(
            file,
            opts,
            &mut |req| {
                (consume.borrow_mut())(i, &Item::Request(prepare(req)));
                Ok(())
            },
            &mut |bad| (consume.borrow_mut())(i, &Item::Bad(bad.clone())),
        )?;
        finished(i, &report);
    }
    Ok(())
}

#[derive(Default)]
struct State {
    /// The next file to claim.
    next: usize,
    /// The file the consumer is taking (files before it are taken whole).
    head: usize,
    /// Bytes charged for items handed over and not yet taken, all files.
    charged: usize,
    /// Bytes charged per file (only the head's is looked at by `charge`).
    per_file: Vec<usize>,
    /// The most `charged` has been.
    peak: usize,
    cancelled: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    budget: usize,
    total: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters, consistent after any panic: poisoning is ignored.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next file to read; `None` when there is none left or reading was cancelled.
    fn claim(&self) -> Option<usize> {
        let mut st = self.lock();
        if st.cancelled || st.next >= self.total {
            return None;
        }
        st.next += 1;
        Some(st.next - 1)
    }

    /// Charges `cost` for an item of `file`, waiting until it fits (see the module's doc);
    /// `false` when reading was cancelled.
    fn charge(&self, file: usize, cost: usize) -> bool {
        let mut st = self.lock();
        loop {
            if st.cancelled {
                return false;
            }
            let fits = st.charged + cost <= self.budget
                || st.charged == 0
                || (file == st.head && st.per_file[file] == 0);
            if fits {
                st.charged += cost;
                st.per_file[file] += cost;
                st.peak = st.peak.max(st.charged);
                return true;
            }
            st = self.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn release(&self, file: usize, cost: usize) {
        let mut st = self.lock();
        st.charged -= cost;
        st.per_file[file] -= cost;
        drop(st);
        self.wake.notify_all();
    }
}

/// What an item is charged against the budget.
pub(super) fn cost_of(req: &OtlpRequest) -> usize {
    let encoded = match req {
        OtlpRequest::Metrics(r) => r.encoded_len(),
        OtlpRequest::Traces(r) => r.encoded_len(),
        OtlpRequest::Logs(r) => r.encoded_len(),
    };
    encoded.saturating_mul(DECODED_FACTOR).max(1)
}

fn worker<T: Send>(
    w: usize,
    back: Receiver<Item<T>>,
    shared: &Shared,
    senders: &[Mutex<Option<Sender<Msg<T>>>>],
    files: &[String],
    opts: &FileOptions,
    prepare: &(dyn Fn(OtlpRequest) -> T + Sync),
) {
    while let Some(i) = shared.claim() {
        // Taken out, so the sender is dropped when this file ends, even by a panic: the
        // consumer then sees the channel close instead of waiting forever.
        let tx = senders[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(tx) = tx else { return };
        // Drops what the consumer has handed back (see the module's doc).
        let recycle = || while back.try_recv().is_ok() {};
        let send = |item: Item<T>, cost: usize| {
            recycle();
            if !shared.charge(i, cost) {
                return Err(Refusal::Stopping);
            }
            tx.send(Msg::Item(item, w, cost)).map_err(|_| {
                shared.release(i, cost);
                Refusal::Stopping
            })
        };
        let result = read_path(
            &files[i],
            opts,
            &mut |req| {
                let cost = cost_of(&req);
                send(Item::Request(prepare(req)), cost)
            },
            &mut |bad| {
                let cost = BAD_OVERHEAD + bad.location.len() + bad.reason.len();
                // A failed send means the consumer has stopped; the request path ends the file.
                let _ = send(Item::Bad(bad.clone()), cost);
            },
        );
        recycle();
        if tx.send(Msg::Done(result)).is_err() {
            return;
        }
    }
}

fn consume_in_order<T>(
    shared: &Shared,
    receivers: &[Receiver<Msg<T>>],
    returns: &[Sender<Item<T>>],
    files: &[String],
    consume: &mut dyn FnMut(usize, &Item<T>),
    finished: &mut dyn FnMut(usize, &FileReport),
) -> Result<(), FileError> {
    for (i, rx) in receivers.iter().enumerate() {
        {
            shared.lock().head = i;
            // A worker of this file waiting for the budget may now go ahead.
            shared.wake.notify_all();
        }
        loop {
            match rx.recv() {
                Ok(Msg::Item(item, w, cost)) => {
                    consume(i, &item);
                    shared.release(i, cost);
                    // A worker that has ended gives the item back; it is dropped here then.
                    let _ = returns[w].send(item);
                }
                Ok(Msg::Done(Ok(report))) => {
                    finished(i, &report);
                    break;
                }
                Ok(Msg::Done(Err(e))) => return Err(e),
                Err(_) => {
                    return Err(FileError::Io {
                        path: files[i].clone(),
                        source: std::io::Error::other("its reading thread stopped"),
                    });
                }
            }
        }
    }
    Ok(())
}
