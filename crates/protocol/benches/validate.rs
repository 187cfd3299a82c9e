//! How long `parse_send` takes on a typical 1 KB text and a 1 KB markdown message (target: well
//! under 10 µs each). Run with `cargo bench -p hookpit-protocol --bench validate`.

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

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_send");
    for (name, body) in [("text_1kb", text_body()), ("markdown_1kb", markdown_body())] {
        assert!(parse_send(&body).is_ok(), "{name} must be valid");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse_send(black_box(&body))));
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
