//! How long `parse_send` takes on a typical 1 KB text, a 1 KB markdown message and the spec's
//! news_notice card (every nested object; target: well under 10 µs each), and how quickly it
//! refuses pathological bodies. Run with
//! `cargo bench -p hookpit-protocol --bench validate` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hookpit_protocol::parse_send;
use serde_json::json;

/// About 1 KB of mixed Chinese and ASCII, like a CI or monitoring alert.
fn alert_text() -> String {
    let line = "【告警】服务 api-gateway 在 prod-sh-1 的 P99 延迟 1200ms 超过阈值 800ms\n";
    line.repeat(1024 / line.len() + 1)
}

fn text_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "chatid": "wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw",
        "msgtype": "text",
        "text": {
            "content": alert_text(),
            "mentioned_list": ["zhangsan", "@all"],
            "mentioned_mobile_list": ["13800001111"]
        }
    }))
    .unwrap_or_default()
}

fn markdown_body() -> Vec<u8> {
    let row = "> 服务：<font color=\"warning\">api-gateway</font> 延迟 **1200ms** [详情](https://grafana.example.com/d/abc)\n";
    serde_json::to_vec(&json!({
        "msgtype": "markdown",
        "markdown": {
            "content": format!("## 生产告警\n{}<@zhangsan>", row.repeat(1024 / row.len() + 1)),
            "attachments": [{
                "callback_id": "ack",
                "actions": [
                    {"name": "ack", "text": "确认", "type": "button", "value": "ack", "replace_text": "已确认"},
                    {"name": "mute", "text": "静默", "type": "button", "value": "mute", "replace_text": "已静默"}
                ]
            }]
        }
    }))
    .unwrap_or_default()
}

/// The spec's news_notice example: every block of a card, so every nested object is visited.
fn card_body() -> Vec<u8> {
    include_bytes!("../tests/examples/spec_news_notice.json").to_vec()
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_send");
    for (name, body) in [
        ("text_1kb", text_body()),
        ("markdown_1kb", markdown_body()),
        ("news_notice_card", card_body()),
    ] {
        assert!(parse_send(&body).is_ok(), "{name} must be valid");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_send(black_box(&body))));
    }
    group.finish();
}

/// Hostile bodies (a 10 MB string, a 100 000-element array, 10 000-deep nesting): each must be
/// refused with an errcode, and this shows how quickly.
fn pathological(c: &mut Criterion) {
    let ten_mb = serde_json::to_vec(
        &json!({"msgtype": "text", "text": {"content": "中".repeat(10 * 1024 * 1024 / 3)}}),
    )
    .unwrap_or_default();
    let huge_array = serde_json::to_vec(&json!({"msgtype": "news", "news": {"articles":
        vec![json!({"title": "t", "url": "u"}); 100_000]}}))
    .unwrap_or_default();
    let deep = format!(
        r#"{{"msgtype":"text","text":{{"content":"x","extra":{}{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    )
    .into_bytes();
    let mut group = c.benchmark_group("parse_send_pathological");
    group.sample_size(10);
    for (name, body, code) in [
        ("string_10mb", ten_mb, 40058),
        ("array_100k", huge_array, 45008),
        ("nesting_10k", deep, 40008),
    ] {
        assert_eq!(
            parse_send(&body).err().map(|e| e.code()),
            Some(code),
            "{name}"
        );
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_send(black_box(&body))));
    }
    group.finish();
}

criterion_group!(benches, validate, pathological);
criterion_main!(benches);
