//! How fast the splitter cuts a long report (100 KB of markdown with code blocks and tables, and
//! 100 KB of plain Chinese log text) into 4096-byte messages. Run with
//! `cargo bench -p hookpit-client --bench split` (add `-- --quick` for a short run).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hookpit_client::split::{Syntax, split};

/// About 100 KB: headings, prose, a 60-line code block and a 40-row table, repeated.
fn report() -> String {
    let mut section =
        String::from("## 构建报告 build report\n\nSome prose about the run.\n\n```rust\n");
    for i in 0..60 {
        section.push_str(&format!("let value_{i} = compute({i}); // 中文注释\n"));
    }
    section.push_str("```\n\n| host | load | 状态 |\n|---|---|---|\n");
    for i in 0..40 {
        section.push_str(&format!("| web-{i} | 0.{i} | 正常 |\n"));
    }
    section.repeat(100 * 1024 / section.len() + 1)
}

fn log() -> String {
    let line = "【告警】服务 api-gateway 在 prod-sh-1 的 P99 延迟 1200ms 超过阈值 800ms\n";
    line.repeat(100 * 1024 / line.len() + 1)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("split");
    let report = report();
    group.throughput(Throughput::Bytes(report.len() as u64));
    group.bench_function("markdown_100k", |b| {
        b.iter(|| split(black_box(&report), 4096, Syntax::Markdown));
    });
    let log = log();
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.bench_function("text_100k", |b| {
        b.iter(|| split(black_box(&log), 2048, Syntax::Text));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
