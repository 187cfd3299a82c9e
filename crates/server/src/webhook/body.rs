//! Reading a webhook call's body: capped, timed, within the memory budget — and, when the call
//! is refused before its body is read, drained, so the sender always reads its answer.
//!
//! Why drain: a server that answers and closes while the client is still writing makes the
//! client's next write fail (a reset), and ordinary clients (curl, Python's http.client,
//! urllib) then report a broken pipe and never read the errcode. So the rest of the body is
//! read and thrown away, up to [`DRAIN_CAP`] bytes and while the sender keeps sending; past
//! either, the answer goes out with `Connection: close`.
//!
//! Why a budget: each `send` body is held in memory while it is validated and stored, so the
//! bodies held at once are capped in total ([`BodyBudget`]); a call that would go over is
//! refused with WeCom's busy code (-1) instead of growing the process.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most bytes of a refused body read and discarded before the answer goes out with
/// `Connection: close`: above the largest valid upload (20 MB and its form), so every ordinary
/// sender of a valid-sized request reads its errcode.
pub const DRAIN_CAP: usize = 32 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// More bytes than the limit.
    TooLarge,
    /// The sender paused longer than `--body-timeout`.
    TimedOut,
    /// Holding it would exceed the memory budget of bodies (`--body-memory`).
    Busy,
    /// The connection failed mid-body.
    Broken,
}

/// The bytes of bodies held in memory at once, in total.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    permits: Arc<Semaphore>,
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> BodyBudget {
        BodyBudget {
            permits: Arc::new(Semaphore::new(bytes.min(Semaphore::MAX_PERMITS))),
        }
    }

    /// Bytes not held by any body now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

/// A share of the budget, returned when dropped.
#[derive(Debug, Default)]
pub struct Held(Option<OwnedSemaphorePermit>);

impl Held {
    /// Takes `bytes` more of `budget` at once, or fails without waiting.
    fn grow(&mut self, budget: &BodyBudget, bytes: usize) -> Result<(), BodyError> {
        let Ok(bytes) = u32::try_from(bytes) else {
            return Err(BodyError::Busy);
        };
        if bytes == 0 {
            return Ok(());
        }
        let more = Arc::clone(&budget.permits)
            .try_acquire_many_owned(bytes)
            .map_err(|_| BodyError::Busy)?;
        match &mut self.0 {
            Some(held) => held.merge(more),
            None => self.0 = Some(more),
        }
        Ok(())
    }
}

/// A request body read piece by piece, each piece within the idle timeout.
pub struct BodyReader {
    stream: BodyDataStream,
    idle: Duration,
    /// Bytes read so far (kept or discarded).
    read: usize,
    /// The stream has ended (or failed): nothing is left to drain.
    done: bool,
}

impl BodyReader {
    /// Reads `body`, waiting at most `idle` for each piece.
    pub fn new(body: Body, idle: Duration) -> BodyReader {
        BodyReader {
            stream: body.into_data_stream(),
            idle,
            read: 0,
            done: false,
        }
    }

    /// The next piece; `None` at the end.
    async fn next(&mut self) -> Result<Option<Bytes>, BodyError> {
        if self.done {
            return Ok(None);
        }
        match tokio::time::timeout(self.idle, self.stream.next()).await {
            Err(_) => Err(BodyError::TimedOut),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Ok(Some(Err(_))) => {
                self.done = true;
                Err(BodyError::Broken)
            }
            Ok(Some(Ok(chunk))) => {
                self.read = self.read.saturating_add(chunk.len());
                Ok(Some(chunk))
            }
        }
    }

    /// The whole body, if it is at most `limit` bytes and fits `budget`; the share of the
    /// budget it holds comes with it.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] past `limit` (the rest is left for [`BodyReader::drain`]);
    /// [`BodyError::Busy`] when the budget is spent; timeouts and broken connections.
    pub async fn read_all(
        &mut self,
        limit: usize,
        budget: &BodyBudget,
    ) -> Result<(Bytes, Held), BodyError> {
        let mut held = Held::default();
        let mut first: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        while let Some(chunk) = self.next().await? {
            let total = joined.as_ref().map_or(0, BytesMut::len)
                + first.as_ref().map_or(0, Bytes::len)
                + chunk.len();
            if total > limit {
                return Err(BodyError::TooLarge);
            }
            held.grow(budget, chunk.len())?;
            // Most bodies arrive in one piece: keep it without copying.
            match (&mut first, &mut joined) {
                (None, None) => first = Some(chunk),
                (Some(_), None) => {
                    let mut buffer = BytesMut::from(first.take().unwrap_or_default());
                    buffer.extend_from_slice(&chunk);
                    joined = Some(buffer);
                }
                (_, Some(buffer)) => buffer.extend_from_slice(&chunk),
            }
        }
        let body = match joined {
            Some(buffer) => buffer.freeze(),
            None => first.unwrap_or_default(),
        };
        Ok((body, held))
    }

    /// Reads and discards the rest of the body, up to [`DRAIN_CAP`] bytes in all. `true` when
    /// the body ended, so the connection can be kept; `false` when the sender stalled, broke
    /// off or sent too much.
    pub async fn drain(&mut self) -> bool {
        loop {
            if self.read > DRAIN_CAP {
                return false;
            }
            match self.next().await {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }

    /// What is left of the body, for a reader of its own (a multipart parser).
    pub fn into_stream(self) -> BodyDataStream {
        self.stream
    }

    /// Drains the body (see [`BodyReader::drain`]) and, when it could not be read to its end,
    /// marks `response` so that the connection closes after it.
    pub async fn finish(&mut self, mut response: Response) -> Response {
        if !self.drain().await {
            close_after(&mut response);
        }
        response
    }
}

/// Asks hyper to close the connection once `response` is written: what is left of the request
/// cannot be read.
pub fn close_after(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(chunks: Vec<&'static [u8]>) -> Body {
        let stream = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|chunk| Ok::<_, std::io::Error>(Bytes::from_static(chunk))),
        );
        Body::from_stream(stream)
    }

    const IDLE: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_body_in_pieces_is_joined_and_holds_its_size_of_the_budget() {
        let budget = BodyBudget::new(100);
        let mut reader = BodyReader::new(body_of(vec![b"hello ", b"world"]), IDLE);
        let (body, held) = reader.read_all(64, &budget).await.unwrap();
        assert_eq!(&body[..], b"hello world");
        assert_eq!(budget.available(), 89);
        drop(held);
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn a_body_over_the_budget_is_busy_and_gives_back_what_it_took() {
        let budget = BodyBudget::new(8);
        let mut reader = BodyReader::new(body_of(vec![b"hello ", b"world"]), IDLE);
        assert_eq!(
            reader.read_all(64, &budget).await.unwrap_err(),
            BodyError::Busy
        );
        assert_eq!(budget.available(), 8);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_too_large_and_the_rest_drains() {
        let budget = BodyBudget::new(1000);
        let mut reader = BodyReader::new(body_of(vec![b"0123456789", b"abcdef", b"tail"]), IDLE);
        assert_eq!(
            reader.read_all(12, &budget).await.unwrap_err(),
            BodyError::TooLarge
        );
        assert!(reader.drain().await, "the whole body was read");
        assert_eq!(reader.read, 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_sender_that_stalls_times_out() {
        let stream = futures_util::stream::once(async { Ok::<_, std::io::Error>(Bytes::new()) })
            .chain(futures_util::stream::pending());
        let mut reader = BodyReader::new(Body::from_stream(stream), IDLE);
        let budget = BodyBudget::new(10);
        assert_eq!(
            reader.read_all(10, &budget).await.unwrap_err(),
            BodyError::TimedOut
        );
        assert!(!reader.drain().await);
    }
}
