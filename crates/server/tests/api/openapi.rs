//! The OpenAPI contract of `/api/v1` (`/api/v1/openapi.json`) against the router that serves
//! it, and the docs page (`/api/v1/docs/`).
//!
//! Both directions are checked on a running server. Router → contract: every path written in
//! the server's source (`.route("...")`, `.nest(...)`, `#[utoipa::path(path = "...")]`, in any
//! file) is asked of `/api/v1` with each method; what the router answers with anything but its
//! fallbacks is a real route, and must be in the contract. Contract → router: every documented
//! operation answers, with one of its documented statuses and content types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hookpit_server::store::{DEMO_BLACKBOARD, DEMO_BOT_ID, DEMO_GROUP};
use reqwest::Method;
use serde_json::Value;

use crate::admin::{get, send_text};
use crate::support::{PNG_1X1, TestServer};

/// The methods a route can be documented with (HEAD and OPTIONS come with GET and CORS).
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The docs page's own routes: the viewer of the contract, not part of it.
const DOCS_VIEWER: [&str; 3] = ["/api/v1/docs", "/api/v1/docs/", "/api/v1/docs/{*file}"];

/// The contract as served.
async fn contract(server: &TestServer) -> Value {
    let answer = get(server, "/openapi.json").await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.header("content-type"), "application/json");
    answer.body
}

/// Every documented operation: (METHOD, path template).
fn operations(contract: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in contract["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

/// Whether the concrete `path` is an instance of `template` (`{name}` stands for one segment).
fn instance_of(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// A path written in the source, where.
#[derive(Debug, Clone)]
struct Written {
    path: String,
    at: String,
}

/// Every route path the source names: the first argument of `.route(`, `.route_service(`,
/// `.nest(` and `.nest_service(`, and the `path = "..."` of `#[utoipa::path(...)]`. A route whose
/// path is not a literal cannot be checked, so it is an error (except the inbox's file table,
/// whose paths are all outside `/api/v1`).
fn written_paths(source: &str, file: &str) -> Result<Vec<Written>, String> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            for (index, _) in code.match_indices(call) {
                let rest = source[offset + index + call.len()..].trim_start();
                let at = format!("{file}:{}", source[..offset + index].lines().count());
                match rest.strip_prefix('"').and_then(|rest| rest.split_once('"')) {
                    Some((path, _)) => found.push(Written {
                        path: path.to_owned(),
                        at,
                    }),
                    None if file.ends_with("api/ui.rs") => {}
                    None => return Err(format!("{at}: a route whose path is not a literal")),
                }
            }
        }
        offset += line.len() + 1;
    }
    let mut rest = source;
    while let Some(start) = rest.find("#[utoipa::path(") {
        rest = &rest[start..];
        let end = rest.find(")]").unwrap_or(rest.len());
        if let Some((_, after)) = rest[..end].split_once("path = \"")
            && let Some((path, _)) = after.split_once('"')
        {
            found.push(Written {
                path: path.to_owned(),
                at: file.to_owned(),
            });
        }
        rest = &rest[end..];
    }
    Ok(found)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The answer of a fallback: not a route.
fn is_fallback(status: u16, body: &Value) -> bool {
    (status == 404 && body["message"] == "no such API route")
        || (status == 405 && body["code"] == "method_not_allowed")
}

#[test]
fn the_source_scan_finds_routes_nests_and_documented_paths() {
    let source = r#"
        Router::new()
            .route("/a/{id}", get(a).post(b))
            // .route("/commented", get(c))
            .route(
                "/b",
                delete(d),
            )
            .nest("/c", inner);
        #[utoipa::path(get, path = "/d/{x}", tag = "t")]
    "#;
    let paths: Vec<String> = written_paths(source, "src/x.rs")
        .unwrap()
        .into_iter()
        .map(|written| written.path)
        .collect();
    assert_eq!(paths, ["/a/{id}", "/b", "/c", "/d/{x}"]);
    assert!(written_paths(".route(PATH, get(a))", "src/api/users.rs").is_err());
    assert!(written_paths(".route(path, get(a))", "src/api/ui.rs").is_ok());
}

#[tokio::test]
async fn every_route_the_router_serves_under_api_v1_is_in_the_contract() {
    let server = TestServer::start().await;
    let documented = operations(&contract(&server).await);
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut written = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("source");
        let name = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(file)
            .display()
            .to_string();
        written.extend(written_paths(&source, &name).unwrap_or_else(|error| panic!("{error}")));
    }
    assert!(written.len() > 50, "the scan found only {written:?}");
    let mut undocumented = BTreeMap::new();
    for Written { path, at } in &written {
        let absolute = if path.starts_with("/api/v1") {
            path.clone()
        } else {
            format!("/api/v1{path}")
        };
        if DOCS_VIEWER.contains(&absolute.as_str()) {
            continue;
        }
        // Every parameter a valid-looking value; `timeout_ms` keeps a long-poll short.
        let concrete: String = absolute
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS {
            let response = server
                .http
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    server.url(&format!("{concrete}?timeout_ms=1")),
                )
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let streaming = response.headers().get("content-type")
                == Some(&reqwest::header::HeaderValue::from_static(
                    "text/event-stream",
                ));
            // An event stream never ends: its head is all there is to read.
            let body = if streaming {
                Value::Null
            } else {
                let text = response.text().await.expect("body");
                serde_json::from_str(&text).unwrap_or(Value::Null)
            };
            if is_fallback(status, &body) {
                continue;
            }
            let known = documented
                .iter()
                .any(|(m, template)| m == method && instance_of(template, &concrete));
            if !known {
                undocumented
                    .entry(format!("{method} {absolute}"))
                    .or_insert_with(|| at.clone());
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "served under /api/v1 but missing from the contract (register each with \
         `.routes(routes!(handler))` and a `#[utoipa::path(...)]` on the handler, see \
         api/openapi.rs): {undocumented:#?}"
    );
}

/// A value for each path parameter that names something that exists, where one does.
struct Fixtures {
    userid: String,
    message_id: String,
    media_id: String,
}

impl Fixtures {
    async fn make(server: &TestServer) -> Fixtures {
        send_text(server, Some(DEMO_GROUP), "hello").await;
        let messages = get(server, "/messages?limit=1").await;
        let users = get(server, "/users").await;
        Fixtures {
            userid: users.body["users"][0]["userid"]
                .as_str()
                .expect("a demo user")
                .to_owned(),
            message_id: messages.body["messages"][0]["id"].to_string(),
            media_id: server.upload_file("a.png", PNG_1X1).await,
        }
    }

    fn path(&self, template: &str) -> String {
        let on_messages = template.starts_with("/api/v1/messages/");
        template
            .split('/')
            .map(|segment| match segment {
                "{userid}" => self.userid.clone(),
                "{chatid}" if template.ends_with("/posts") => DEMO_BLACKBOARD.to_owned(),
                "{chatid}" => DEMO_GROUP.to_owned(),
                "{bot_id}" => DEMO_BOT_ID.to_owned(),
                "{media_id}" => self.media_id.clone(),
                "{id}" if on_messages => self.message_id.clone(),
                other if other.starts_with('{') => "1".to_owned(),
                other => other.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[tokio::test]
async fn every_documented_operation_answers_with_a_documented_status_and_type() {
    let server = TestServer::start().await;
    let contract = contract(&server).await;
    let fixtures = Fixtures::make(&server).await;
    // Deletions last, the deepest paths first, so that each call finds what it names.
    let mut calls: Vec<(&String, &String, &Value)> = contract["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(template, item)| {
            let operations = item.as_object().unwrap();
            operations
                .iter()
                .map(move |(method, operation)| (template, method, operation))
        })
        .collect();
    calls.sort_by_key(|(template, method, _)| {
        (*method == "delete", std::cmp::Reverse(template.len()))
    });
    let mut wrong = Vec::new();
    for (template, method, operation) in calls {
        {
            let mut url = server.url(&fixtures.path(template));
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if parameters.iter().any(|p| p["name"] == "timeout_ms") {
                url.push_str("?timeout_ms=1");
            }
            let mut request = server.http.request(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                url,
            );
            if operation.get("requestBody").is_some() {
                // `{}`: every body lacks a required field or changes nothing.
                request = request
                    .header("content-type", "application/json")
                    .body("{}");
            }
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let content_type = response.headers().get("content-type").map(|value| {
                value
                    .to_str()
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned()
            });
            let body = if content_type.as_deref() == Some("text/event-stream") {
                String::new()
            } else {
                response.text().await.expect("body")
            };
            let label = format!("{} {template}", method.to_uppercase());
            let Some(documented) = operation["responses"].get(status.to_string()) else {
                wrong.push(format!("{label}: undocumented status {status}: {body}"));
                continue;
            };
            match (documented.get("content"), content_type) {
                (Some(content), Some(actual)) if content.get(&actual).is_none() => {
                    wrong.push(format!("{label} {status}: undocumented type {actual}"));
                }
                (Some(_), None) => wrong.push(format!("{label} {status}: no content type")),
                (None, _) if !body.is_empty() => {
                    wrong.push(format!("{label} {status}: a body where none is documented"));
                }
                _ => {}
            }
            if status >= 400 {
                let error: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                assert!(
                    error["code"].is_string() && error["message"].is_string(),
                    "{label}: {body}"
                );
                assert_ne!(error["message"], "no such API route", "{label}");
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The value at a local `$ref` (`#/components/schemas/Name`), if it exists.
fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_contract_is_a_complete_openapi_3_document() {
    let server = TestServer::start().await;
    let document = contract(&server).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        document["openapi"]
    );
    assert!(document["info"]["title"].is_string());

    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(refs.len() > 100, "{}", refs.len());
    for reference in &refs {
        assert!(
            resolve(&document, reference).is_some(),
            "{reference} does not resolve"
        );
    }

    let tags: BTreeSet<&str> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let label = format!("{method} {path}");
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(operation_ids.insert(id.to_owned()), "{label}: {id} twice");
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{label} has no summary");
            let tag = operation["tags"][0].as_str().unwrap_or_default();
            assert!(tags.contains(tag), "{label}: tag {tag:?}");
            let declared: BTreeSet<&str> = operation["parameters"]
                .as_array()
                .map(|parameters| {
                    parameters
                        .iter()
                        .filter(|p| p["in"] == "path" && p["required"] == true)
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(declared, in_path, "{label}: path parameters");
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{label}: no success answer"
            );
            for (status, response) in responses {
                assert!(response["description"].is_string(), "{label} {status}");
                if status.starts_with('4') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{label} {status}"
                    );
                }
            }
        }
    }

    // The message item and the callback log entry, field by field.
    let schema = |name: &str| &document["components"]["schemas"][name];
    let item = schema("MessageItem");
    for field in [
        "id",
        "request_id",
        "bot",
        "from",
        "chatid",
        "chat_type",
        "post_id",
        "msgtype",
        "content",
        "visible_to",
        "mentions",
        "created_at",
        "html",
        "lints",
        "chosen",
    ] {
        assert!(
            item["properties"].get(field).is_some(),
            "MessageItem.{field}"
        );
    }
    let required: Vec<&str> = item["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    for optional in ["bot", "post_id", "chosen"] {
        assert!(!required.contains(&optional), "MessageItem.{optional}");
    }
    let callback = schema("CallbackView");
    for field in ["attempts", "request", "response", "reply", "status"] {
        assert!(
            callback["properties"].get(field).is_some(),
            "CallbackView.{field}"
        );
    }
    let events = &document["paths"]["/api/v1/events"]["get"];
    assert!(
        events["responses"]["200"]["content"]
            .get("text/event-stream")
            .is_some()
    );
    // Every event the stream sends (`.event("name")` in its source) is described.
    let stream = include_str!("../../src/api/events.rs");
    let sent: Vec<&str> = stream
        .split(".event(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(sent.len() >= 4, "{sent:?}");
    let description = events["description"].as_str().unwrap();
    for event in sent {
        assert!(description.contains(&format!("- `{event}`")), "{event}");
    }
    let download = &document["paths"]["/api/v1/media/{media_id}"]["get"]["responses"]["200"];
    assert_eq!(
        download["content"]["application/octet-stream"]["schema"]["format"],
        "binary"
    );
}

#[tokio::test]
async fn the_docs_page_and_its_files_are_served_under_their_own_policy() {
    let server = TestServer::start().await;
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/api/v1/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 308);
    assert_eq!(redirect.headers()["location"], "/api/v1/docs/");

    let page = server
        .http
        .get(server.url("/api/v1/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        page.headers()["content-security-policy"],
        hookpit_server::api::openapi::DOCS_POLICY
    );
    let html = page.text().await.unwrap();
    let assets: Vec<&str> = html
        .split(['"'])
        .filter(|part| {
            [".js", ".css", ".png"]
                .iter()
                .any(|ext| part.ends_with(ext))
        })
        .collect();
    assert!(assets.len() >= 5, "{assets:?}");
    for asset in assets {
        let name = asset.trim_start_matches("./");
        let response = server
            .http
            .get(server.url(&format!("/api/v1/docs/{name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{name}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = match name.rsplit('.').next().unwrap() {
            "js" => "javascript",
            "css" => "text/css",
            _ => "image/png",
        };
        assert!(content_type.contains(expected), "{name}: {content_type}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{name}");
    }
    let initializer = server
        .http
        .get(server.url("/api/v1/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("\"url\": \"/api/v1/openapi.json\""),
        "{initializer}"
    );
    // Nothing may reach another host (Swagger UI's online validator).
    assert!(
        initializer.contains("\"validatorUrl\": \"none\""),
        "{initializer}"
    );

    let missing = get(&server, "/docs/nope.js").await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
}

#[tokio::test]
async fn with_a_token_the_docs_page_is_public_and_the_contract_is_not() {
    const TOKEN: &str = "s3cret-token";
    let server = TestServer::start_with(|config| config.admin_token = Some(TOKEN.to_owned())).await;
    for path in ["/api/v1/docs/", "/api/v1/docs/swagger-ui-bundle.js"] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    assert_eq!(get(&server, "/openapi.json").await.status, 401);
    let with_token = server
        .http
        .get(server.url("/api/v1/openapi.json"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status().as_u16(), 200);
    // The docs page's "Explore" box takes the contract's URL with the token in it.
    let in_query = server
        .http
        .get(server.url(&format!("/api/v1/openapi.json?access_token={TOKEN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(in_query.status().as_u16(), 200);
}
