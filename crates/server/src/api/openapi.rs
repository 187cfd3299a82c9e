//! The OpenAPI contract of `/api/v1`, served at `/api/v1/openapi.json`, and its interactive docs
//! (Swagger UI) at `/api/v1/docs/`.
//!
//! The contract is generated from the handlers' own types, and registered with the routes: every
//! module builds its routes with `utoipa-axum`'s `routes!(handler, ...)`, which takes the method
//! and path from the handler's `#[utoipa::path(...)]` (summary: the first line of its doc
//! comment) and adds the operation to the document in the same call. A route and its entry cannot
//! drift. A plain `.route(...)` would bypass the contract: the coverage test
//! (`tests/api/openapi.rs`) asks the running router for every path the source names and fails
//! on any it serves that the contract lacks.
//!
//! What every route shares is added here, once, from the code that causes it ([`contract`]):
//! the guard's 401 and 403, and the 400, 413 and 415 of the JSON body extractor
//! ([`super::error::JsonBody`]) on operations that take a body.
//!
//! The docs page is Swagger UI, embedded in the binary from the zip that
//! `utoipa-swagger-ui-vendored` ships (nothing is fetched at build or run time). Its files hold no
//! data and are served without the admin token, like the inbox's; the contract itself is behind
//! the guard like the rest of `/api/v1`.

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hookpit_protocol::MsgType;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, OpenApi as Document, Ref, RefOr, Response as ResponseObject, ResponseBuilder,
    SecurityRequirement,
};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::Config;

use crate::app::AppState;
use crate::domain::MessageType;

/// Where the contract is served (and where the docs page loads it from).
pub const CONTRACT_PATH: &str = "/api/v1/openapi.json";
/// Where the docs page is served.
pub const DOCS_PATH: &str = "/api/v1/docs/";

/// The policy of the docs page's files, which differs from the inbox's
/// ([`super::ui::CONTENT_SECURITY_POLICY`]) in two places only:
///
/// - `img-src 'self' data:`: Swagger UI's stylesheet draws its icons (the arrows of every
///   select, the lock of "Authorize") as `data:` SVG images. No picture of another host is
///   needed here, so `http: https:` are left out.
/// - `style-src` allows, by its hash ([`LOGO_STYLE`]), the one `<style>` Swagger UI inserts: the
///   colours of its logo, in an inline SVG. Nothing else inline runs or applies; its
///   initializer is a file, so `script-src` stays `'self'`.
///
/// The API's other responses keep the inbox's policy.
pub const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The stylesheet of Swagger UI's logo, whose hash [`DOCS_POLICY`] allows (a test checks that
/// the bundle still inserts exactly this).
pub const LOGO_STYLE: &str =
    ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";

/// The document's frame: what is said once for the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hookpit admin and inbox API",
        description = "The admin and inbox API of Hookpit, a self-hosted stand-in for WeCom's \
            message-push webhook: the workspace (users, chats, bots), the messages bots sent, \
            the refused calls, the callback log and fault injection. The web inbox uses only \
            this API.\n\n\
            JSON in and out with HTTP status codes; every error answers \
            `{\"code\": \"...\", \"message\": \"...\"}` (`ErrorBody`): 400 `bad_request` for \
            bad JSON, unknown fields or bad parameters, 413 over 2 MB, 415 without a JSON \
            `Content-Type`, 404, 405, 409 `conflict`, 503 `unavailable` while the server \
            shuts down, and an opaque 500 `internal`.\n\n\
            Access: without `--admin-token`, loopback callers under a loopback `Host` only (no \
            credentials). With `--admin-token T`, every call needs `Authorization: Bearer T`; \
            GET requests may instead carry `?access_token=T` or the `hookpit_session` cookie \
            that header-authenticated calls set.\n\n\
            The webhook endpoints themselves (`/cgi-bin/webhook/*`) are WeCom's API and answer \
            as WeCom does; they are not part of this document."
    ),
    tags(
        (name = "users", description = "The workspace's members."),
        (name = "chats", description = "Groups, blackboards and single chats; read marks; \
            blackboard posts."),
        (name = "bots", description = "Webhook bots, their chats, subscription scope and \
            single chats."),
        (name = "callbacks", description = "A bot's callback settings and the log of the \
            callbacks sent to it."),
        (name = "people", description = "What people do in the inbox, as API calls: write in \
            a chat, click a markdown button."),
        (name = "messages", description = "The messages bots sent (and people wrote): list, \
            one, long-poll, clear, pictures."),
        (name = "events", description = "The live stream of the inbox (Server-Sent Events)."),
        (name = "rejections", description = "The last refused webhook calls."),
        (name = "media", description = "Uploaded files."),
        (name = "faults", description = "Fault injection: rules that make matching webhook \
            calls fail as WeCom (or a gateway in front of it) fails."),
        (name = "relay", description = "Forwarding a bot's messages to a real WeCom bot, within \
            WeCom's limits and retrying until delivered: the upstream per bot, release and retry \
            of a message, the queues (docs/RELAY.md)."),
        (name = "meta", description = "This document."),
    ),
    modifiers(&Access),
)]
struct Frame;

/// The guard's ways in, as security schemes: none at all on loopback without `--admin-token`,
/// else the bearer token, or (GET only) `?access_token=` or the session cookie.
struct Access;

impl Modify for Access {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`--admin-token`, as `Authorization: Bearer TOKEN`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "`--admin-token` in the query string: GET requests only (EventSource, \
                 `<img>`, downloads).",
            ))),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::guard::COOKIE,
                "The HttpOnly cookie set on answers to header-authenticated calls: GET \
                 requests only.",
            ))),
        );
        let none: [&str; 0] = [];
        document.security = Some(vec![
            // Loopback without --admin-token: no credentials.
            SecurityRequirement::default(),
            SecurityRequirement::new("admin_token", none),
            SecurityRequirement::new("access_token", none),
            SecurityRequirement::new("session_cookie", none),
        ]);
    }
}

/// The routes of this module that belong to the contract: the contract itself.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// The routes of the docs page (relative to `/api/v1`). Not in the contract: they are its
/// viewer, not the API.
pub fn docs_router() -> Router<AppState> {
    Router::new()
        .route("/docs", get(|| async { Redirect::permanent(DOCS_PATH) }))
        .route("/docs/", get(|| async { docs_file(None) }))
        .route(
            "/docs/{*file}",
            get(|Path(file): Path<String>| async move { docs_file(Some(&file)) }),
        )
}

/// Whether `path` is one of the docs page's files (served without the admin token: they hold
/// no data, and the page loads the contract with the caller's own credentials: the session
/// cookie, or `?access_token=` typed into its "Explore" box).
pub fn is_docs_file(path: &str) -> bool {
    path == "/api/v1/docs" || path.starts_with(DOCS_PATH)
}

/// The whole contract of `/api/v1`: the routes' operations under their full paths, in the
/// frame, with what every route shares.
pub fn contract() -> Document {
    let (_, relative) = super::routes().split_for_parts();
    let mut document = Frame::openapi().nest("/api/v1", relative);
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_shared_responses(operation);
        }
    }
    document
}

/// The 4xx answers that do not depend on the handler: the guard's on every route, the JSON
/// body extractor's where there is a body. Then every error answer gets an example with the
/// `code` its status carries.
fn add_shared_responses(operation: &mut Operation) {
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    };
    if operation.request_body.is_some() {
        add(
            "400",
            "Bad input: the body is not valid JSON, has an unknown field, or a value is wrong",
        );
        add("413", "The body is larger than 2 MB");
        add(
            "415",
            "The body is not sent as `Content-Type: application/json`",
        );
    }
    add(
        "401",
        "With `--admin-token`: the token is missing or wrong (`WWW-Authenticate: Bearer`)",
    );
    add(
        "403",
        "Without `--admin-token`: the caller is not on loopback, or the `Host` is not a \
         loopback name",
    );
    for (status, response) in &mut operation.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        let Some(code) = error_code(status) else {
            continue;
        };
        if let Some(content) = response.content.get_mut("application/json")
            && content.example.is_none()
        {
            content.example = Some(serde_json::json!({
                "code": code,
                "message": response.description,
            }));
        }
    }
}

/// The `code` an error status carries (`error.rs`, `guard.rs`, the fallbacks).
fn error_code(status: &str) -> Option<&'static str> {
    Some(match status {
        "400" => "bad_request",
        "401" => "unauthorized",
        "403" => "forbidden",
        "404" => "not_found",
        "405" => "method_not_allowed",
        "409" => "conflict",
        "413" => "payload_too_large",
        "415" => "unsupported_media_type",
        "422" => "verification_failed",
        "503" => "unavailable",
        "500" => "internal",
        _ => return None,
    })
}

fn error_response(description: &str) -> RefOr<ResponseObject> {
    let schema = Ref::from_schema_name(super::error::ErrorBody::name());
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
        .build()
        .into()
}

/// The contract, serialized once.
static CONTRACT: LazyLock<String> = LazyLock::new(|| {
    contract()
        .to_pretty_json()
        .unwrap_or_else(|error| unreachable!("an OpenAPI document always serializes: {error}"))
});

/// This document: the OpenAPI 3.1 contract of `/api/v1`.
///
/// Generated from the handlers' own types; the interactive docs at `/api/v1/docs/` read it.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "get_openapi",
    responses((status = 200, description = "An OpenAPI 3.1 document", body = Value))
)]
async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        CONTRACT.as_str(),
    )
        .into_response()
}

/// Swagger UI's settings: the contract's URL, and nothing that would reach another host.
static DOCS_CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new([CONTRACT_PATH])
            .display_operation_id(true)
            .try_it_out_enabled(false)
            .persist_authorization(false)
            // Swagger UI would otherwise send the document to its online validator.
            .validator_url("none"),
    )
});

/// One of Swagger UI's files (`None`: the page).
fn docs_file(file: Option<&str>) -> Response {
    let not_found = || super::error::ApiError::not_found("no such docs file").into_response();
    let found = match utoipa_swagger_ui::serve(file.unwrap_or(""), Arc::clone(&DOCS_CONFIG)) {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(error) => return super::error::ApiError::internal(error.as_ref()).into_response(),
    };
    let content_type = HeaderValue::from_str(&found.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_POLICY),
            ),
        ],
        found.bytes,
    )
        .into_response()
}

// The bytes of a download, for the contract: the handlers answer an untyped `Response` (the
// file as stored, not JSON), so this type only names its schema (`string`, `binary`). A plain
// comment, not a doc comment: that would become the schema's description.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(Vec<u8>);

/// `msgtype` of a stored message: the send API's nine types, or a person's `mixed`. The type
/// serializes as a plain string (`#[serde(into = "&str")]`), so its schema is written here,
/// from the same list the parser reads ([`MsgType::ALL`]).
impl PartialSchema for MessageType {
    fn schema() -> RefOr<Schema> {
        let names: Vec<&str> = MsgType::ALL
            .iter()
            .map(|msgtype| msgtype.as_str())
            .chain([MessageType::Mixed.as_str()])
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names))
            .description(Some(
                "A message type of the send API, or `mixed` (text and pictures, written by a \
                 person).",
            ))
            .into()
    }
}

impl ToSchema for MessageType {}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::Digest;

    use super::*;

    #[test]
    fn the_docs_policy_allows_the_logo_style_swagger_ui_inserts_and_nothing_else_inline() {
        // The top bar, with the logo, is the standalone preset's.
        let preset = "swagger-ui-standalone-preset.js";
        let preset = utoipa_swagger_ui::serve(preset, Arc::clone(&DOCS_CONFIG))
            .unwrap()
            .expect("the preset is embedded");
        let preset = String::from_utf8_lossy(&preset.bytes);
        assert!(
            preset.contains(LOGO_STYLE),
            "Swagger UI's logo style changed"
        );
        let hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(LOGO_STYLE.as_bytes()));
        assert!(DOCS_POLICY.contains(&format!("'sha256-{hash}'")), "{hash}");
        assert!(!DOCS_POLICY.contains("unsafe-inline"));
        assert!(!DOCS_POLICY.contains("unsafe-eval"));
    }

    #[test]
    fn the_documented_page_limits_are_the_enforced_ones() {
        let document = serde_json::to_value(contract()).unwrap();
        let maximum = |path: &str| {
            let parameters = document["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap_or_else(|| panic!("{path} has parameters"));
            parameters
                .iter()
                .find(|parameter| parameter["name"] == "limit")
                .and_then(|parameter| parameter["schema"]["maximum"].as_u64())
                .unwrap_or_else(|| panic!("{path}: limit has a maximum"))
        };
        assert_eq!(
            maximum("/api/v1/messages"),
            u64::from(super::super::messages::MAX_LIMIT)
        );
        assert_eq!(
            maximum("/api/v1/callbacks"),
            u64::from(crate::callback::log::MAX_LIMIT)
        );
        assert_eq!(
            maximum("/api/v1/rejections"),
            u64::try_from(crate::app::REJECTIONS_KEPT).unwrap()
        );
    }

    #[test]
    fn every_error_answer_has_an_example_with_its_code() {
        let document = serde_json::to_value(contract()).unwrap();
        let operations = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values());
        for operation in operations {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') {
                    let example = &response["content"]["application/json"]["example"];
                    assert_eq!(
                        example["code"].as_str(),
                        error_code(status),
                        "{} {status}",
                        operation["operationId"]
                    );
                }
            }
        }
    }
}
