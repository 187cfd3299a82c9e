//! The body of an upload: a file streamed from disk (or bytes held in memory) in chunks, the
//! progress of each attempt, and the rule that fails an upload that stops moving.
//!
//! A file is opened again for every attempt and read a chunk at a time as the connection takes
//! it, so a 20 MB upload never sits in memory, let alone once per retry. Its length is known,
//! so the form is sent with a `Content-Length` as WeCom expects.
//!
//! What counts as progress is a chunk taken by the connection: hyper takes the next one only
//! when the previous is written, so a link that stopped moving stops taking chunks (after the
//! socket buffers fill). Once the whole body is taken, part of it may still sit in the kernel's
//! send buffer, draining at the link's pace: the answer is then given the idle time plus the
//! time that buffer takes to drain at the rate seen so far.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use hookpit_protocol::MediaKind;
use hookpit_protocol::upload::{head_bytes_needed, max_bytes, validate_upload_parts};
use tokio::io::AsyncReadExt as _;
use tokio::time::Instant;
use tokio_util::io::ReaderStream;

use super::upload::UploadProgress;
use crate::error::{Error, mask_url};

/// How much is read from disk at a time: a 20 MB file is ~300 reads, and progress moves in
/// steps small enough to watch.
const CHUNK: usize = 64 * 1024;

/// The most a socket's send buffer holds once the body is all taken: Linux's default ceiling
/// (`net.ipv4.tcp_wmem`, 4 MiB), which it grows to on fast paths.
const SEND_BUFFER: u64 = 4 * 1024 * 1024;

/// Told the progress of an upload; see [`UploadProgress`].
pub(super) type OnProgress = Arc<dyn Fn(UploadProgress) + Send + Sync>;

/// Where the bytes of an upload come from.
pub(super) enum Source {
    /// A file, read again for every attempt.
    Path(PathBuf),
    /// Bytes in memory, shared (not copied) by the attempts.
    Memory(Bytes),
}

impl Source {
    /// The body of one attempt and its length; each chunk taken is counted by `tracker` and
    /// told to `on_progress`.
    pub(super) async fn body(
        &self,
        tracker: &Arc<Tracker>,
        on_progress: Option<OnProgress>,
    ) -> Result<(reqwest::Body, u64), Error> {
        let (chunks, total) = match self {
            Source::Path(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|source| read_error(path, source))?;
                let total = file
                    .metadata()
                    .await
                    .map_err(|source| read_error(path, source))?
                    .len();
                // `take`: a file that grows while it is sent must not overrun the length
                // announced in the form.
                let chunks = ReaderStream::with_capacity(file.take(total), CHUNK);
                (chunks.left_stream(), total)
            }
            Source::Memory(bytes) => {
                let total = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                let chunks = (0..bytes.len())
                    .step_by(CHUNK)
                    .map({
                        let bytes = bytes.clone();
                        move |start| Ok(bytes.slice(start..bytes.len().min(start + CHUNK)))
                    })
                    .collect::<Vec<io::Result<Bytes>>>();
                (futures_util::stream::iter(chunks).right_stream(), total)
            }
        };
        tracker.total.store(total, Ordering::Relaxed);
        let tracker = Arc::clone(tracker);
        let counted = chunks.inspect_ok(move |chunk| {
            let sent = tracker.taken(chunk.len());
            if let Some(on_progress) = &on_progress {
                on_progress(UploadProgress { sent, total });
            }
        });
        Ok((reqwest::Body::wrap_stream(counted), total))
    }
}

/// Checks the file at `path` as [`hookpit_protocol::validate_upload`] would, reading only its
/// first bytes (all of a voice, whose duration needs every frame, once it is known to be at
/// most 2 MB).
pub(super) async fn validate_file(kind: MediaKind, path: &Path) -> Result<(), Error> {
    let failed = |source| read_error(path, source);
    let mut file = tokio::fs::File::open(path).await.map_err(failed)?;
    let size = file.metadata().await.map_err(failed)?.len();
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let mut head = Vec::new();
    if size <= max_bytes(kind) {
        let wanted = head_bytes_needed(kind).unwrap_or(size);
        let wanted = u64::try_from(wanted).unwrap_or(u64::MAX);
        (&mut file)
            .take(wanted)
            .read_to_end(&mut head)
            .await
            .map_err(failed)?;
    }
    validate_upload_parts(kind, size, &head).map_err(Error::Invalid)?;
    Ok(())
}

fn read_error(path: &Path, source: io::Error) -> Error {
    Error::Read {
        path: path.to_owned(),
        source,
    }
}

/// The progress of one attempt: bytes taken by the connection, and when the last were.
pub(super) struct Tracker {
    started: Instant,
    /// The body's length, once known.
    total: AtomicU64,
    sent: AtomicU64,
    /// Milliseconds after `started` of the last progress.
    last: AtomicU64,
}

impl Tracker {
    pub(super) fn new() -> Arc<Tracker> {
        Arc::new(Tracker {
            started: Instant::now(),
            total: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            last: AtomicU64::new(0),
        })
    }

    /// Counts `bytes` more as taken, now; returns the total so far.
    fn taken(&self, bytes: usize) -> u64 {
        let millis = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(millis, Ordering::Relaxed);
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        self.sent.fetch_add(bytes, Ordering::Relaxed) + bytes
    }

    /// When the attempt counts as stalled if nothing moves before: `idle` after the last
    /// progress, plus, once the whole body is taken, the time the send buffer may take to drain
    /// at the rate seen (at most as long again as the sending took).
    fn deadline(&self, idle: Duration) -> Instant {
        let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
        let total = self.total.load(Ordering::Relaxed);
        let sent = self.sent.load(Ordering::Relaxed);
        let drain = if total > 0 && sent >= total {
            // The share of the body that may still be buffered, times how long taking it took.
            let buffered = (SEND_BUFFER as f64 / total as f64).min(1.0);
            last.mul_f64(buffered)
        } else {
            Duration::ZERO
        };
        self.started + last + idle + drain
    }
}

/// Runs `attempt` for as long as it makes progress: it fails with [`Error::Stalled`] once
/// `idle` has passed since the start or since the last chunk `tracker` saw taken.
pub(super) async fn within_idle<T>(
    attempt: impl Future<Output = Result<T, Error>>,
    tracker: &Tracker,
    idle: Duration,
    url: &str,
) -> Result<T, Error> {
    let mut attempt = pin!(attempt);
    loop {
        let deadline = tracker.deadline(idle);
        if let Ok(result) = tokio::time::timeout_at(deadline, attempt.as_mut()).await {
            return result;
        }
        // Woken at the deadline: fail only if nothing moved in the meantime.
        if tracker.deadline(idle) <= Instant::now() {
            return Err(Error::Stalled {
                url: mask_url(url),
                idle,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt as _;
    use http_body_util::BodyExt as _;

    use super::*;

    async fn chunks(source: Source) -> (Vec<usize>, Vec<UploadProgress>, u64) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let on_progress: OnProgress = {
            let seen = Arc::clone(&seen);
            Arc::new(move |progress| seen.lock().unwrap().push(progress))
        };
        let tracker = Tracker::new();
        let (body, total) = source.body(&tracker, Some(on_progress)).await.unwrap();
        let mut stream = body.into_data_stream();
        let mut sizes = Vec::new();
        while let Some(chunk) = stream.next().await {
            sizes.push(chunk.unwrap().len());
        }
        let seen = seen.lock().unwrap().clone();
        (sizes, seen, total)
    }

    #[tokio::test]
    async fn a_file_is_read_in_chunks_as_the_body_is_taken_and_each_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        std::fs::write(&path, vec![7_u8; 2 * CHUNK + 10]).unwrap();
        let (sizes, seen, total) = chunks(Source::Path(path)).await;
        assert_eq!(sizes, [CHUNK, CHUNK, 10]);
        assert_eq!(total, 2 * 65_536 + 10);
        let sent: Vec<u64> = seen.iter().map(|progress| progress.sent).collect();
        assert_eq!(sent, [65_536, 131_072, 131_082]);
        assert!(seen.iter().all(|progress| progress.total == total));
    }

    #[tokio::test]
    async fn bytes_in_memory_are_cut_into_the_same_chunks_without_copies() {
        let (sizes, _, total) = chunks(Source::Memory(Bytes::from(vec![1_u8; CHUNK + 1]))).await;
        assert_eq!((sizes, total), (vec![CHUNK, 1], 65_537));
    }

    #[tokio::test]
    async fn the_body_is_a_stream_not_a_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.bin");
        std::fs::write(&path, b"hello world").unwrap();
        let (body, _) = Source::Path(path)
            .body(&Tracker::new(), None)
            .await
            .unwrap();
        assert!(body.as_bytes().is_none(), "the file was loaded into memory");
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_fails_only_after_idle_time_without_progress() {
        let tracker = Tracker::new();
        let idle = Duration::from_secs(10);
        // Progress every 6 s for 30 s: longer than `idle` in all, never idle for it.
        let moving = async {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(6)).await;
                tracker.taken(1);
            }
            Ok::<_, Error>("done")
        };
        assert_eq!(
            within_idle(moving, &tracker, idle, "u").await.unwrap(),
            "done"
        );

        let tracker = Tracker::new();
        let stalled = async {
            tracker.total.store(2, Ordering::Relaxed);
            tracker.taken(1);
            std::future::pending::<()>().await;
            Ok::<_, Error>("never")
        };
        let started = Instant::now();
        let error = within_idle(stalled, &tracker, idle, "http://h/?key=secret")
            .await
            .unwrap_err();
        assert_eq!(started.elapsed(), idle);
        assert_eq!(
            error.to_string(),
            "upload to http://h/?key=secr… made no progress for 10s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn once_all_is_taken_the_answer_may_also_wait_for_the_send_buffer_to_drain() {
        let idle = Duration::from_secs(10);
        let answer_after = |wait: Duration| {
            let tracker = Tracker::new();
            tracker.total.store(100, Ordering::Relaxed);
            async move {
                // A body smaller than a send buffer, all taken by 16 s: all of it may still be
                // in the kernel, draining at the pace it was taken, so the answer gets 16 s
                // more than the idle time.
                let sending = async {
                    for _ in 0..2 {
                        tokio::time::sleep(Duration::from_secs(8)).await;
                        tracker.taken(50);
                    }
                    tokio::time::sleep(wait).await;
                    Ok::<_, Error>(())
                };
                within_idle(sending, &tracker, idle, "u").await
            }
        };
        assert!(answer_after(Duration::from_secs(25)).await.is_ok());
        let started = Instant::now();
        let late = answer_after(Duration::from_secs(27)).await;
        assert!(matches!(late, Err(Error::Stalled { .. })), "{late:?}");
        assert_eq!(started.elapsed(), Duration::from_secs(16 + 10 + 16));
    }
}
