//! A bare upload endpoint over raw TCP that reads the request body at the pace a test sets: as
//! fast as it can, slowly, or not at all after a point. Hookpit reads as fast as it can, so the
//! no-progress rule of uploads is tested against this.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

/// How the stub reads a request body.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// As fast as the connection delivers, then answers.
    Full,
    /// `bytes` at a time with a pause of `every` between reads, then answers.
    Slow { bytes: usize, every: Duration },
    /// Reads the first `bytes` of the body, then nothing more, and never answers.
    StopAfter(usize),
}

/// The stub's address and what it received.
pub struct Stub {
    pub base: String,
    /// Body bytes read so far, over all connections.
    pub received: Arc<AtomicU64>,
}

impl Stub {
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::SeqCst)
    }
}

/// The upload reply the stub gives.
const REPLY: &str = r#"{"errcode":0,"errmsg":"ok","type":"file","media_id":"stub-media","created_at":"1700000000"}"#;

/// Starts a stub on `127.0.0.1:0` that answers every connection at `pace`.
pub async fn start(pace: Pace) -> Stub {
    let socket = TcpSocket::new_v4().unwrap();
    // A fixed receive buffer (the kernel's own grows to 32 MiB and would take a whole body the
    // stub does not read); tiny for a stalled reader, but not for the others, as a tiny window
    // makes loopback TCP crawl in bursts.
    let buffer = match pace {
        Pace::StopAfter(_) => 16 * 1024,
        Pace::Full | Pace::Slow { .. } => 256 * 1024,
    };
    socket.set_recv_buffer_size(buffer).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(16).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, pace, Arc::clone(&counter)));
        }
    });
    Stub { base, received }
}

async fn serve(mut stream: TcpStream, pace: Pace, received: Arc<AtomicU64>) {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read_exact(&mut byte).await.is_err() {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: u64 = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("the upload has a Content-Length");
    let (step, pause, stop) = match pace {
        Pace::Full => (64 * 1024, Duration::ZERO, None),
        Pace::Slow { bytes, every } => (bytes, every, None),
        Pace::StopAfter(bytes) => (bytes.clamp(1, 64 * 1024), Duration::ZERO, Some(bytes)),
    };
    let mut buffer = vec![0_u8; step];
    let mut left = length;
    let mut read = 0_usize;
    while left > 0 {
        if stop.is_some_and(|stop| read >= stop) {
            // Keep the connection open, reading nothing: a stalled peer.
            std::future::pending::<()>().await;
        }
        let want = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let Ok(n) = stream.read(&mut buffer[..want]).await else {
            return;
        };
        if n == 0 {
            return;
        }
        read += n;
        left -= n as u64;
        received.fetch_add(n as u64, Ordering::SeqCst);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{REPLY}",
        REPLY.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
}

/// Writes a file of `size` bytes whose every byte depends on its offset (so that a chunk sent
/// twice or out of order shows), a MiB at a time so that writing it costs no memory.
pub fn patterned_file(path: &std::path::Path, size: usize) {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut chunk = Vec::with_capacity(1 << 20);
    let mut offset = 0;
    while offset < size {
        chunk.clear();
        let end = size.min(offset + (1 << 20));
        chunk.extend((offset..end).map(pattern));
        file.write_all(&chunk).unwrap();
        offset = end;
    }
    file.flush().unwrap();
}

/// The byte at `offset` of a [`patterned_file`]: 251 is prime, so it never lines up with chunk
/// sizes.
pub fn pattern(offset: usize) -> u8 {
    u8::try_from(offset % 251).unwrap_or_default()
}
