//! Creates what a scenario needs in Hookpit through its admin API (`/api/v1`): a member user,
//! the groups, and a bot sitting in them with a fresh key.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::http::{Connection, Outgoing, Target};

/// A bot created for a run.
#[derive(Debug, Clone)]
pub struct BenchBot {
    pub key: String,
    /// The groups it sits in, in creation order.
    pub groups: Vec<String>,
}

const MEMBER: &str = "hookpit-bench";

/// Creates `groups` groups and a bot in all of them.
///
/// # Errors
/// The server refused a call (the error names it and quotes the answer).
pub async fn create_bot(target: &Target, name: &str, groups: usize) -> anyhow::Result<BenchBot> {
    let mut connection = Connection::open(target).await?;
    // The member may exist from an earlier run against the same store: 409 is fine.
    let user = json!({"userid": MEMBER, "name": "Bench", "mobile": ""});
    call(&mut connection, "/api/v1/users", &user, &[200, 201, 409]).await?;
    let mut chatids = Vec::with_capacity(groups);
    for index in 0..groups {
        let group = json!({"name": format!("{name} {index}"), "members": [MEMBER]});
        let created = call(&mut connection, "/api/v1/groups", &group, &[200, 201]).await?;
        let chatid = created
            .get("chatid")
            .and_then(Value::as_str)
            .with_context(|| format!("POST /api/v1/groups answered without a chatid: {created}"))?;
        chatids.push(chatid.to_owned());
    }
    let key = format!("bench-{name}-{:016x}", fastrand::u64(..));
    let bot = json!({"name": format!("bench {name}"), "key": key, "chats": chatids});
    let created = call(&mut connection, "/api/v1/bots", &bot, &[200, 201]).await?;
    let key = created
        .get("key")
        .and_then(Value::as_str)
        .with_context(|| format!("POST /api/v1/bots answered without a key: {created}"))?;
    Ok(BenchBot {
        key: key.to_owned(),
        groups: chatids,
    })
}

async fn call(
    connection: &mut Connection,
    path: &str,
    body: &Value,
    accepted: &[u16],
) -> anyhow::Result<Value> {
    let incoming = connection
        .send(&Outgoing::post_json(path, body.to_string()))
        .await
        .with_context(|| format!("POST {path}"))?;
    let status = incoming.status.as_u16();
    if !accepted.contains(&status) {
        bail!(
            "POST {path} answered {status}: {}",
            String::from_utf8_lossy(&incoming.body)
        );
    }
    Ok(serde_json::from_slice(&incoming.body).unwrap_or(Value::Null))
}
