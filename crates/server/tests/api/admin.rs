//! Helpers for calling `/api/v1` from tests: JSON in, status and JSON out.

use reqwest::Method;
use serde_json::Value;

use crate::support::TestServer;

/// An API answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `code` of an error body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    }
}

/// Calls the API with an optional JSON body (sent as raw text, so tests can send broken JSON).
pub async fn call(server: &TestServer, method: Method, path: &str, body: Option<&str>) -> Answer {
    let mut request = server
        .http
        .request(method, server.url(&format!("/api/v1{path}")));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(server: &TestServer, path: &str) -> Answer {
    call(server, Method::GET, path, None).await
}

pub async fn post(server: &TestServer, path: &str, body: &Value) -> Answer {
    call(server, Method::POST, path, Some(&body.to_string())).await
}

pub async fn patch(server: &TestServer, path: &str, body: &Value) -> Answer {
    call(server, Method::PATCH, path, Some(&body.to_string())).await
}

pub async fn put(server: &TestServer, path: &str) -> Answer {
    call(server, Method::PUT, path, None).await
}

pub async fn delete(server: &TestServer, path: &str) -> Answer {
    call(server, Method::DELETE, path, None).await
}

/// The message items of a `GET /messages` answer.
pub fn items(answer: &Answer) -> Vec<Value> {
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["messages"]
        .as_array()
        .expect("messages array")
        .clone()
}

/// The `text.content` of each item.
pub fn texts(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            item["content"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Sends a text (errcode 0 expected) through the demo bot.
pub async fn send_text(server: &TestServer, chatid: Option<&str>, content: &str) {
    let reply = server.send(&crate::support::text(chatid, content)).await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);
}
