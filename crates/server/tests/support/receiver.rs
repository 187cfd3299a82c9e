//! A bot's callback receiver for tests, built on the SDK's `callback` module: it answers WeCom's
//! URL verification, decrypts and records every callback, and answers each POST as told (no
//! reply, a passive reply, an error status, garbage, a huge body, or slowly).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hookpit_client::CallbackHandler;
use hookpit_protocol::callback::{Callback, CallbackFormat, CallbackQuery, PassiveReply};
use tokio::sync::Notify;

/// A token and EncodingAESKey the tests configure (the spec's test vector's).
pub const TOKEN: &str = "QDG6eK";
pub const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

/// How the receiver answers one POST.
#[derive(Debug, Clone)]
pub enum Answer {
    /// HTTP 200, empty body: delivered, no reply.
    Nothing,
    /// HTTP 200 with this passive reply, encrypted.
    Reply(PassiveReply),
    /// This status, empty body.
    Status(u16),
    /// HTTP 200 with this body as is.
    Raw(String),
    /// Waits this long, then answers nothing.
    Slowly(Duration),
}

/// One POST as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub query: String,
    pub body: String,
    pub callback: Callback,
}

struct Shared {
    handler: CallbackHandler,
    answers: Mutex<VecDeque<Answer>>,
    received: Mutex<Vec<Received>>,
    /// What the verification GET answers instead of the plaintext, if set.
    verification: Mutex<Option<(u16, String)>>,
    arrived: Notify,
}

/// A running receiver.
pub struct Receiver {
    /// The callback URL to configure (with `robot_callback_format` for JSON).
    pub url: String,
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Receiver {
    /// A receiver on `127.0.0.1:0` in `format`.
    pub async fn start(format: CallbackFormat) -> Receiver {
        let handler = CallbackHandler::new(TOKEN, KEY)
            .expect("the test credentials are valid")
            .format(format);
        let shared = Arc::new(Shared {
            handler,
            answers: Mutex::new(VecDeque::new()),
            received: Mutex::new(Vec::new()),
            verification: Mutex::new(None),
            arrived: Notify::new(),
        });
        let app = axum::Router::new()
            .route("/cb", get(verify).post(receive))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let url = match format {
            CallbackFormat::Json => format!("http://{addr}/cb?robot_callback_format=json"),
            CallbackFormat::Xml => format!("http://{addr}/cb"),
        };
        Receiver { url, addr, shared }
    }

    /// The next POSTs answer these, in order (then [`Answer::Nothing`]).
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.answers.lock().unwrap().extend(answers);
    }

    /// The verification GET answers `status` and `body` instead of the plaintext.
    pub fn verify_wrongly(&self, status: u16, body: &str) {
        *self.shared.verification.lock().unwrap() = Some((status, body.to_owned()));
    }

    /// Every POST so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `count` POSTs have arrived (at most 10 s); returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.shared.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "only {} of {count} callbacks arrived",
                    self.received().len()
                );
            }
        }
    }
}

async fn verify(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    if let Some((status, body)) = shared.verification.lock().unwrap().clone() {
        return (StatusCode::from_u16(status).unwrap(), body).into_response();
    }
    let Ok(query) = CallbackQuery::parse(&query.unwrap_or_default()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match shared.handler.verify_url(&query) {
        Ok(plaintext) => plaintext.into_response(),
        Err(error) => (StatusCode::FORBIDDEN, error.to_string()).into_response(),
    }
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let raw_query = query.unwrap_or_default();
    let Ok(query) = CallbackQuery::parse(&raw_query) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let callback = match shared.handler.parse(&query, &body) {
        Ok(callback) => callback,
        Err(error) => return (StatusCode::FORBIDDEN, error.to_string()).into_response(),
    };
    shared.received.lock().unwrap().push(Received {
        query: raw_query,
        body: String::from_utf8_lossy(&body).into_owned(),
        callback,
    });
    shared.arrived.notify_waiters();
    let answer = shared
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer::Nothing);
    match answer {
        Answer::Nothing => StatusCode::OK.into_response(),
        Answer::Reply(reply) => match shared.handler.reply_to(&query, reply) {
            Ok(body) => body.into_response(),
            Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        },
        Answer::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
        Answer::Raw(body) => body.into_response(),
        Answer::Slowly(wait) => {
            tokio::time::sleep(wait).await;
            StatusCode::OK.into_response()
        }
    }
}
