//! The results table of `bench/run.sh`, in Markdown, from the JSON lines the script collected.
//!
//! Each line is `{"kind": K, "server": "baseline"|"hookpit", "data": {...}}` where `data` is
//! what a subcommand printed: `saturation`, `rate` (1,000 req/s) and `half` (half the measured
//! capacity) hold a load report, `fill` a count-mode report, `idle` and `full` a memory
//! reading, `disk` `{bytes, messages}`, `inbox` page timings.

use std::fmt::Write as _;

use serde_json::Value;

/// One collected line.
struct Line {
    kind: String,
    server: String,
    data: Value,
}

fn parse(text: &str) -> Vec<Line> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|line| Line {
            kind: line["kind"].as_str().unwrap_or_default().to_owned(),
            server: line["server"].as_str().unwrap_or_default().to_owned(),
            data: line["data"].clone(),
        })
        .collect()
}

/// The last line of one kind and server (single measurements: memory, disk, fill).
fn find<'a>(lines: &'a [Line], kind: &str, server: &str) -> Option<&'a Value> {
    lines
        .iter()
        .filter(|l| l.kind == kind && l.server == server)
        .map(|l| &l.data)
        .next_back()
}

/// The median run (by `field`) of the repeated measurements of one kind, server and scenario:
/// one noisy run on a shared machine does not decide the figure.
fn median<'a>(
    lines: &'a [Line],
    kind: &str,
    server: &str,
    scenario: &str,
    field: &str,
) -> Option<&'a Value> {
    let mut runs: Vec<&Value> = lines
        .iter()
        .filter(|l| l.kind == kind && l.server == server && l.data["scenario"] == scenario)
        .map(|l| &l.data)
        .collect();
    runs.sort_by(|a, b| {
        let key = |v: &Value| v.get(field).and_then(Value::as_f64).unwrap_or(f64::MAX);
        key(a).total_cmp(&key(b))
    });
    runs.get(runs.len().saturating_sub(1) / 2).copied()
}

fn number(value: Option<&Value>, field: &str) -> Option<f64> {
    value?.get(field)?.as_f64()
}

fn mib(kib: Option<f64>) -> String {
    kib.map_or_else(|| "—".to_owned(), |kib| format!("{:.1} MiB", kib / 1024.0))
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

/// The Markdown tables for the collected `text`.
pub fn render(text: &str) -> String {
    let lines = parse(text);
    let mut out = String::new();
    let mut scenarios: Vec<String> = Vec::new();
    for line in lines.iter().filter(|l| l.kind == "saturation") {
        if let Some(name) = line.data["scenario"].as_str()
            && !scenarios.iter().any(|s| s == name)
        {
            scenarios.push(name.to_owned());
        }
    }
    out.push_str(
        "| scenario | baseline req/s | Hookpit req/s | ratio | Hookpit p50 / p99 (service p99) at \
         1,000 req/s, ms | baseline p50 / p99 (service p99), ms | p50 / p99 at half the capacity, ms, \
         Hookpit / baseline | server CPU µs per request, Hookpit / baseline | Hookpit errors |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for scenario in &scenarios {
        let saturation =
            |server: &str| median(&lines, "saturation", server, scenario, "throughput");
        let rate = |server: &str| median(&lines, "rate", server, scenario, "p99_ms");
        let base = number(saturation("baseline"), "throughput");
        let hook = number(saturation("hookpit"), "throughput");
        let ratio = match (base, hook) {
            (Some(b), Some(h)) if b > 0.0 => format!("{:.0}%", h / b * 100.0),
            _ => "—".to_owned(),
        };
        let latency = |server: &str| {
            match rate(server) {
                Some(r) if r.get("skipped").is_some() => {
                    format!("not run: {}", r["skipped"].as_str().unwrap_or("overloaded"))
                }
                Some(r) => {
                    // Below 1,000 req/s of capacity the script offers half the capacity instead.
                    let offered = number(Some(r), "offered_rate")
                        .filter(|rate| (*rate - 1000.0).abs() > 0.5)
                        .map(|rate| format!(" at {rate:.0}/s"))
                        .unwrap_or_default();
                    format!(
                        "{} / {} ({}){offered}",
                        ms(number(Some(r), "p50_ms")),
                        ms(number(Some(r), "p99_ms")),
                        ms(number(Some(r), "service_p99_ms")),
                    )
                }
                None => "—".to_owned(),
            }
        };
        // A server below 1,000 req/s of capacity was measured at half of it already (`rate`).
        let at_half = |server: &str| {
            let below_1000 = rate(server).filter(|r| {
                number(Some(r), "offered_rate").is_some_and(|rate| (rate - 1000.0).abs() > 0.5)
            });
            let half = median(&lines, "half", server, scenario, "p99_ms").or(below_1000);
            half.map_or("—".to_owned(), |r| {
                format!(
                    "{} / {} at {:.0}/s",
                    ms(number(Some(r), "p50_ms")),
                    ms(number(Some(r), "p99_ms")),
                    number(Some(r), "offered_rate").unwrap_or(0.0),
                )
            })
        };
        // Errors of every run, not only the median ones.
        let errors: f64 = lines
            .iter()
            .filter(|l| l.server == "hookpit" && l.data["scenario"] == scenario.as_str())
            .filter_map(|l| number(Some(&l.data), "errors"))
            .sum();
        let cpu = |server: &str| {
            saturation(server)
                .and_then(|r| r.pointer("/cpu/server_us_per_request")?.as_f64())
                .map_or("—".to_owned(), |us| format!("{us:.0}"))
        };
        let _ = writeln!(
            out,
            "| {scenario} | {} | {} | {ratio} | {} | {} | {} · {} | {} / {} | {errors:.0} |",
            base.map_or("—".to_owned(), |v| format!("{v:.0}")),
            hook.map_or("—".to_owned(), |v| format!("{v:.0}")),
            latency("hookpit"),
            latency("baseline"),
            at_half("hookpit"),
            at_half("baseline"),
            cpu("hookpit"),
            cpu("baseline"),
        );
    }

    out.push_str("\n| measure | Hookpit | baseline |\n|---|---:|---:|\n");
    let idle = |server| number(find(&lines, "idle", server), "rss_kib");
    let _ = writeln!(
        out,
        "| idle RSS | {} | {} |",
        mib(idle("hookpit")),
        mib(idle("baseline"))
    );
    let fill = find(&lines, "fill", "hookpit");
    let stored = number(fill, "ok").unwrap_or(0.0);
    if let Some(full) = find(&lines, "full", "hookpit") {
        let _ = writeln!(
            out,
            "| RSS after storing {stored:.0} messages (peak) | {} ({}) | |",
            mib(number(Some(full), "rss_kib")),
            mib(number(Some(full), "peak_kib")),
        );
    }
    if let Some(fill) = fill {
        let _ = writeln!(
            out,
            "| fill: {stored:.0} text messages, 64 connections | {:.0} req/s, {} errors | |",
            number(Some(fill), "throughput").unwrap_or(0.0),
            number(Some(fill), "errors").unwrap_or(0.0),
        );
    }
    for (kind, label) in [
        ("disk", "bytes on disk per message"),
        ("disk-closed", "after shutdown checkpoint"),
    ] {
        if let Some(disk) = find(&lines, kind, "hookpit") {
            let bytes = number(Some(disk), "bytes").unwrap_or(0.0);
            let messages = number(Some(disk), "messages").unwrap_or(0.0).max(1.0);
            let _ = writeln!(
                out,
                "| {label} | {:.0} B ({:.0} MiB total) | |",
                bytes / messages,
                bytes / 1_048_576.0
            );
        }
    }
    for line in lines.iter().filter(|l| l.kind.starts_with("inbox")) {
        let d = &line.data;
        let _ = writeln!(
            out,
            "| {} `{}` ({} messages): first / median / max of {} (ms) | {} / {} / {} | |",
            line.kind,
            d["path"].as_str().unwrap_or_default(),
            d["messages"],
            d["repeats"],
            ms(number(Some(d), "first_ms")),
            ms(number(Some(d), "median_ms")),
            ms(number(Some(d), "max_ms")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_throughput_ratios_and_latencies() {
        let text = r#"{"kind":"saturation","server":"baseline","data":{"scenario":"text","throughput":20000.0,"errors":0}}
{"kind":"saturation","server":"hookpit","data":{"scenario":"text","throughput":12000.0,"errors":0,"cpu":{"server_us_per_request":81.2}}}
{"kind":"saturation","server":"hookpit","data":{"scenario":"text","throughput":3000.0,"errors":1}}
{"kind":"saturation","server":"hookpit","data":{"scenario":"text","throughput":13000.0,"errors":0}}
{"kind":"rate","server":"hookpit","data":{"scenario":"text","p50_ms":0.41,"p99_ms":1.5,"service_p99_ms":0.9,"errors":2}}
{"kind":"rate","server":"baseline","data":{"scenario":"text","skipped":"saturates at 900/s"}}
{"kind":"half","server":"hookpit","data":{"scenario":"text","offered_rate":6500.0,"p50_ms":0.8,"p99_ms":4.25,"errors":0}}
{"kind":"idle","server":"hookpit","data":{"rss_kib":10240,"peak_kib":10240}}
{"kind":"disk","server":"hookpit","data":{"bytes":1000000,"messages":1000}}
not json
"#;
        let table = render(text);
        assert!(
            table.contains(
                "| text | 20000 | 12000 | 60% | 0.41 / 1.50 (0.90) | not run: saturates at 900/s | 0.80 / 4.25 at 6500/s · — | 81 / — | 3 |"
            ),
            "{table}"
        );
        assert!(table.contains("| idle RSS | 10.0 MiB | — |"), "{table}");
        assert!(
            table.contains("| bytes on disk per message | 1000 B (1 MiB total) | |"),
            "{table}"
        );
    }
}
