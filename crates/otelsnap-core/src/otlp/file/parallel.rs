//! Reading many files on several threads with the result of reading them one after another.
//!
//! Worker threads decode (decompress, parse, and whatever `prepare` does) whole files, each
//! into a bounded channel of its own; the calling thread takes the channels in file order, so
//! the consumer sees exactly the sequence of a sequential read, whichever file finishes first.
//! That is what keeps a session built from a set of files byte-identical to one built from the
//! same files read in order: the analysis itself runs on one thread, in one order.
//!
//! A consumed item goes back to the worker that decoded it, to be dropped there: a decoded
//! request is thousands of small allocations, and freeing them on the allocating thread keeps
//! the allocator's thread-local fast path.
//!
//! Memory stays bounded: a worker claims a file only while it is fewer than `2 × jobs` files
//! ahead of the consumer, and each file's channel holds at most `CHANNEL_DEPTH` decoded
//! requests, a worker waiting when its channel is full. No deadlock: files are claimed in
//! order, so the file the consumer waits on is always claimed by a worker that can proceed.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::{BadInput, FileError, FileOptions, FileReport, read_path};
use crate::otlp::{OtlpRequest, Refusal};

/// Decoded requests a file's channel holds before its worker waits.
const CHANNEL_DEPTH: usize = 16;

/// One entry of a file, in the file's order.
#[derive(Debug)]
pub enum Item<T> {
    /// A request, as `prepare` turned it.
    Request(T),
    /// A skipped line, document or message.
    Bad(BadInput),
}

enum Msg<T> {
    /// An item, and the worker that decoded it.
    Item(Item<T>, usize),
    Done(Result<FileReport, FileError>),
}

/// Reads `files` (`-` is stdin) with up to `jobs` threads, handing `consume` each file's items
/// (its index, then the item, lent: it is dropped on the thread that decoded it) in file order and then `finished` its report: the same calls in
/// the same order whatever `jobs` is and whichever file is decoded first. `prepare` runs on
/// the reading threads. Stops at the first file that cannot be read, with its error.
pub fn read_paths<T: Send>(
    files: &[String],
    opts: &FileOptions,
    jobs: usize,
    prepare: &(dyn Fn(OtlpRequest) -> T + Sync),
    consume: &mut dyn FnMut(usize, &Item<T>),
    finished: &mut dyn FnMut(usize, &FileReport),
) -> Result<(), FileError> {
    let jobs = jobs.clamp(1, files.len().max(1));
    if jobs == 1 {
        return read_sequentially(files, opts, prepare, consume, finished);
    }
    let mut senders = Vec::with_capacity(files.len());
    let mut receivers = Vec::with_capacity(files.len());
    for _ in files {
        let (tx, rx) = sync_channel(CHANNEL_DEPTH);
        senders.push(Mutex::new(Some(tx)));
        receivers.push(rx);
    }
    let shared = Shared {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
        window: 2 * jobs,
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
        // Stop the workers: no new file, and a full channel's send fails once its receiver
        // is gone (that refusal ends the file being read).
        shared.lock().cancelled = true;
        shared.wake.notify_all();
        drop(receivers);
        drop(returns);
        result
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
    /// Files the consumer has taken whole.
    consumed: usize,
    cancelled: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    window: usize,
    total: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few counters, consistent after any panic: poisoning is ignored.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next file to read, waiting while the reading is `window` files ahead; `None` when
    /// there is none left or reading was cancelled.
    fn claim(&self) -> Option<usize> {
        let mut st = self.lock();
        loop {
            if st.cancelled || st.next >= self.total {
                return None;
            }
            if st.next < st.consumed + self.window {
                st.next += 1;
                return Some(st.next - 1);
            }
            st = self.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

fn worker<T: Send>(
    w: usize,
    back: Receiver<Item<T>>,
    shared: &Shared,
    senders: &[Mutex<Option<SyncSender<Msg<T>>>>],
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
        let result = read_path(
            &files[i],
            opts,
            &mut |req| {
                recycle();
                tx.send(Msg::Item(Item::Request(prepare(req)), w))
                    .map_err(|_| Refusal::Stopping)
            },
            &mut |bad| {
                // A failed send means the consumer has stopped; the request path ends the file.
                let _ = tx.send(Msg::Item(Item::Bad(bad.clone()), w));
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
        loop {
            match rx.recv() {
                Ok(Msg::Item(item, w)) => {
                    consume(i, &item);
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
        shared.lock().consumed = i + 1;
        shared.wake.notify_all();
    }
    Ok(())
}
