//! The upload form: `multer` (axum's `Multipart`) over any body with a fixed boundary, choosing
//! the file part as the server does, and the chosen bytes through `validate_upload`.
//!
//! It mirrors `Form::read` in `crates/server/src/webhook/upload.rs` without depending on the
//! server: the part named `media` wins, else the first part with a filename; a malformed form
//! is 44001 there. The body is fed to `multer` twice, whole and in small chunks (as a slow
//! sender's body arrives), and both must choose the same part. The chosen bytes are validated
//! as each upload type, and validating the size and head (what the server keeps of a part it
//! streams to disk) must answer as validating all of them.
#![no_main]

use std::convert::Infallible;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use hookpit_protocol::upload::{head_bytes_needed, validate_upload};
use hookpit_protocol::{MediaKind, validate_upload_parts};
use libfuzzer_sys::fuzz_target;

/// The boundary of the seeds; the fuzzer learns it from them.
const BOUNDARY: &str = "hookpit-fuzz";

/// What the server makes of a form.
#[derive(Debug, PartialEq, Eq)]
enum Form {
    /// `multer` refused it (44001 in the server).
    Malformed,
    /// No part named `media` and none with a filename (44001).
    NoFile,
    /// The part the server would store.
    Chosen {
        name: String,
        filename: Option<String>,
        content_type: Option<String>,
        bytes: Vec<u8>,
    },
}

fuzz_target!(|body: &[u8]| {
    let body = Bytes::copy_from_slice(body);
    let whole = read_form(vec![body.clone()]);
    let chunk = 1 + body.len() % 16;
    let pieces = (0..body.len())
        .step_by(chunk)
        .map(|start| body.slice(start..body.len().min(start + chunk)))
        .collect();
    assert_eq!(read_form(pieces), whole, "chunks of {chunk} bytes");
    if let Form::Chosen { bytes, .. } = whole {
        for kind in MediaKind::ALL {
            let head = &bytes[..head_bytes_needed(kind)
                .unwrap_or(bytes.len())
                .min(bytes.len())];
            assert_eq!(
                validate_upload_parts(kind, bytes.len(), head),
                validate_upload(kind, &bytes),
                "{kind:?}"
            );
        }
    }
});

/// `Form::read` of the server, on a body that arrives as `chunks`.
fn read_form(chunks: Vec<Bytes>) -> Form {
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<Bytes, Infallible>));
    let mut multipart = multer::Multipart::new(stream, BOUNDARY);
    let mut chosen: Option<Form> = None;
    loop {
        let field = match block_on(multipart.next_field()) {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return Form::Malformed,
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let wanted = match &chosen {
            // A later `media` part wins over an earlier part that only had a filename.
            Some(Form::Chosen { name: chosen, .. }) => name == "media" && chosen != "media",
            _ => name == "media" || filename.is_some(),
        };
        let mut field = field;
        let mut bytes = Vec::new();
        loop {
            match block_on(field.chunk()) {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => return Form::Malformed,
            }
        }
        if wanted {
            chosen = Some(Form::Chosen {
                name,
                filename,
                content_type,
                bytes,
            });
        }
    }
    chosen.unwrap_or(Form::NoFile)
}

/// Runs a future over a stream that is always ready, so it never waits.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("multer waited on a body that was all there"),
    }
}
