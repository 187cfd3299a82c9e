//! The workspace CRUD of `/api/v1`: users, groups, blackboards and posts, bots, membership,
//! subscription and single chats; and the error shape for bad input.

use hookpit_server::store::{DEMO_BLACKBOARD, DEMO_BOT_ID, DEMO_GROUP, DEMO_POST};
use reqwest::Method;
use serde_json::json;

use crate::admin::{call, delete, get, patch, post, put};
use crate::support::{TestServer, text};

#[tokio::test]
async fn a_user_round_trips_through_create_read_update_and_delete() {
    let server = TestServer::start().await;
    let created = post(
        &server,
        "/users",
        &json!({"userid": "zhao", "name": "赵六", "mobile": "13900000000"}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        created.body,
        json!({"userid": "zhao", "name": "赵六", "mobile": "13900000000"})
    );

    let listed = get(&server, "/users").await;
    let ids: Vec<&str> = listed.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userid"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["lisi", "wangqing", "zhangsan", "zhao"]);

    let changed = patch(&server, "/users/zhao", &json!({"name": "赵老六"})).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body["name"], "赵老六");
    assert_eq!(changed.body["mobile"], "13900000000");
    assert_eq!(get(&server, "/users/zhao").await.body["name"], "赵老六");

    assert_eq!(delete(&server, "/users/zhao").await.status, 204);
    let gone = get(&server, "/users/zhao").await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body,
        json!({"code": "not_found", "message": "user zhao not found"})
    );
}

#[tokio::test]
async fn a_duplicate_user_is_a_409_conflict() {
    let server = TestServer::start().await;
    let again = post(
        &server,
        "/users",
        &json!({"userid": "lisi", "name": "又一个李四"}),
    )
    .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "conflict");
}

#[tokio::test]
async fn unknown_fields_are_a_400_naming_the_field() {
    let server = TestServer::start().await;
    let answer = post(&server, "/users", &json!({"userid": "x", "nmae": "typo"})).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.code(), "bad_request");
    let message = answer.body["message"].as_str().unwrap();
    assert!(message.contains("unknown field `nmae`"), "{message}");
}

#[tokio::test]
async fn broken_json_is_a_400_and_a_missing_content_type_a_415() {
    let server = TestServer::start().await;
    let broken = call(&server, Method::POST, "/users", Some("{\"userid\": ")).await;
    assert_eq!(broken.status, 400);
    assert_eq!(broken.code(), "bad_request");

    let response = server
        .http
        .post(server.url("/api/v1/users"))
        .body(r#"{"userid":"a","name":"A"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unsupported_media_type");
}

#[tokio::test]
async fn an_unknown_api_route_is_a_json_404() {
    let server = TestServer::start().await;
    let answer = get(&server, "/nothing/here").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.code(), "not_found");
}

#[tokio::test]
async fn a_group_is_created_with_a_generated_id_renamed_and_deleted() {
    let server = TestServer::start().await;
    let created = post(
        &server,
        "/groups",
        &json!({"name": "值班群", "members": ["lisi", "zhangsan"]}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let chatid = created.body["chatid"].as_str().unwrap().to_owned();
    assert!(chatid.starts_with("wrk"), "{chatid}");
    assert_eq!(created.body["kind"], "group");
    assert_eq!(created.body["members"], json!(["lisi", "zhangsan"]));
    assert_eq!(created.body["unread"], 0);

    let renamed = patch(
        &server,
        &format!("/chats/{chatid}"),
        &json!({"name": "夜班群", "members": ["wangqing"]}),
    )
    .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "夜班群");
    assert_eq!(renamed.body["members"], json!(["wangqing"]));

    assert_eq!(
        delete(&server, &format!("/chats/{chatid}")).await.status,
        204
    );
    assert_eq!(get(&server, &format!("/chats/{chatid}")).await.status, 404);
}

#[tokio::test]
async fn a_chat_with_unknown_members_is_refused() {
    let server = TestServer::start().await;
    let answer = post(
        &server,
        "/groups",
        &json!({"name": "g", "members": ["nobody"]}),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.body["message"].as_str().unwrap().contains("nobody"));
}

#[tokio::test]
async fn the_chat_list_filters_by_kind_and_refuses_unknown_kinds() {
    let server = TestServer::start().await;
    let boards = get(&server, "/chats?kind=blackboard").await;
    let ids: Vec<&str> = boards.body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chatid"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [DEMO_BLACKBOARD]);
    assert_eq!(get(&server, "/chats?kind=channel").await.status, 400);
}

#[tokio::test]
async fn blackboard_posts_are_listed_with_their_reply_counts() {
    let server = TestServer::start().await;
    let created = post(
        &server,
        &format!("/chats/{DEMO_BLACKBOARD}/posts"),
        &json!({"title": "周报"}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let new_post = created.body["post_id"].as_str().unwrap().to_owned();
    let reply = server
        .send(&json!({"chatid": DEMO_BLACKBOARD, "post_id": DEMO_POST, "msgtype": "text", "text": {"content": "回复"}}).to_string())
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);

    let posts = get(&server, &format!("/chats/{DEMO_BLACKBOARD}/posts")).await;
    assert_eq!(posts.status, 200);
    let posts = posts.body["posts"].as_array().unwrap().clone();
    let count = |id: &str| {
        posts
            .iter()
            .find(|p| p["post_id"] == id)
            .map(|p| p["reply_count"].clone())
    };
    assert_eq!(count(DEMO_POST), Some(json!(1)));
    assert_eq!(count(&new_post), Some(json!(0)));

    // A group has no posts.
    assert_eq!(
        get(&server, &format!("/chats/{DEMO_GROUP}/posts"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_new_bot_gets_a_key_and_urls_that_work() {
    let server = TestServer::start().await;
    let created = post(
        &server,
        "/bots",
        &json!({"name": "发布机器人", "chats": [DEMO_GROUP]}),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let key = created.body["key"].as_str().unwrap().to_owned();
    let url = created.body["webhook_url"].as_str().unwrap().to_owned();
    assert_eq!(url, server.url(&format!("/cgi-bin/webhook/send?key={key}")));
    assert!(
        created.body["upload_url"]
            .as_str()
            .unwrap()
            .contains("/cgi-bin/webhook/upload_media?key=")
    );
    assert_eq!(created.body["chats"], json!([DEMO_GROUP]));

    let reply = server
        .post_raw(&url, text(None, "hello").into_bytes(), "application/json")
        .await;
    assert_eq!(reply.errcode(), 0, "{}", reply.text);

    let id = created.body["id"].as_str().unwrap();
    let renamed = patch(&server, &format!("/bots/{id}"), &json!({"name": "改名了"})).await;
    assert_eq!(renamed.body["name"], "改名了");
    assert_eq!(delete(&server, &format!("/bots/{id}")).await.status, 204);
    let refused = server
        .post_raw(&url, text(None, "hello").into_bytes(), "application/json")
        .await;
    assert_eq!(refused.errcode(), 93000);
}

#[tokio::test]
async fn a_bot_with_a_chat_that_does_not_exist_is_a_400() {
    let server = TestServer::start().await;
    let answer = post(
        &server,
        "/bots",
        &json!({"name": "b", "chats": ["wrkNope"]}),
    )
    .await;
    assert_eq!(answer.status, 400, "{:?}", answer.body);
    let bad_key = post(&server, "/bots", &json!({"name": "b", "key": "a b&c"})).await;
    assert_eq!(bad_key.status, 400);
}

#[tokio::test]
async fn bot_membership_decides_where_it_may_send() {
    let server = TestServer::start().await;
    let created = post(&server, "/bots", &json!({"name": "b"})).await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let key = created.body["key"].as_str().unwrap().to_owned();
    let body = text(Some(DEMO_GROUP), "hi");
    assert_eq!(server.send_as(&key, &body).await.errcode(), 93008);

    let joined = put(&server, &format!("/bots/{id}/chats/{DEMO_GROUP}")).await;
    assert_eq!(joined.status, 200, "{:?}", joined.body);
    assert_eq!(joined.body["chats"], json!([DEMO_GROUP]));
    assert_eq!(server.send_as(&key, &body).await.errcode(), 0);

    let left = delete(&server, &format!("/bots/{id}/chats/{DEMO_GROUP}")).await;
    assert_eq!(left.body["chats"], json!([]));
    assert_eq!(server.send_as(&key, &body).await.errcode(), 93008);
}

#[tokio::test]
async fn subscription_scope_lets_a_bot_message_a_user() {
    let server = TestServer::start().await;
    let body = text(Some("lisi"), "hi");
    assert_eq!(server.send(&body).await.errcode(), 93005);
    let subscribed = put(&server, &format!("/bots/{DEMO_BOT_ID}/subscription/lisi")).await;
    assert_eq!(subscribed.status, 200, "{:?}", subscribed.body);
    assert_eq!(subscribed.body["subscription"], json!(["lisi", "zhangsan"]));
    assert_eq!(server.send(&body).await.errcode(), 0);
    delete(&server, &format!("/bots/{DEMO_BOT_ID}/subscription/lisi")).await;
    assert_eq!(server.send(&body).await.errcode(), 93005);
    assert_eq!(
        put(&server, &format!("/bots/{DEMO_BOT_ID}/subscription/nobody"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn opening_a_single_chat_allows_three_messages() {
    let server = TestServer::start().await;
    let opened = post(
        &server,
        &format!("/bots/{DEMO_BOT_ID}/single-chats"),
        &json!({"userid": "lisi"}),
    )
    .await;
    assert_eq!(opened.status, 200, "{:?}", opened.body);
    assert_eq!(opened.body["quota_remaining"], 3);
    assert_eq!(opened.body["userid"], "lisi");
    let body = text(Some("lisi"), "hi");
    for _ in 0..3 {
        assert_eq!(server.send(&body).await.errcode(), 0);
    }
    assert_eq!(server.send(&body).await.errcode(), 93005);

    let singles = get(&server, "/chats?kind=single").await;
    let chat = &singles.body["chats"][0];
    assert_eq!(chat["chatid"], opened.body["chatid"]);
    assert_eq!(chat["members"], json!(["lisi"]));
    assert_eq!(chat["message_count"], 3);
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let server = TestServer::start().await;
    let answer = put(&server, "/users").await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.code(), "method_not_allowed");
}

#[tokio::test]
async fn a_path_that_is_not_utf8_is_a_json_400() {
    let server = TestServer::start().await;
    let answer = get(&server, "/users/%FF%FE").await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.code(), "bad_request");
}

#[tokio::test]
async fn an_oversized_body_is_a_json_413() {
    let server = TestServer::start().await;
    let name = "x".repeat(3 * 1024 * 1024);
    let answer = post(&server, "/users", &json!({"userid": "big", "name": name})).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.code(), "payload_too_large");
}
