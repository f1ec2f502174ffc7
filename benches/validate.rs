//! `cargo bench --bench validate`: time of validating a Flink SQL script with Flink's own
//! planner through flinkdeck's SQL helper JVM, for Flink 2.3.0 and 1.20.5: the helper's start,
//! the first validation in a fresh JVM, and repeated validations of the same and of a changed
//! script (the JVM is reused, as the editor does). Flink comes from `scripts/flink-local.sh
//! install`; no cluster is needed.
//!
//! Numbers go to stdout; no assertion on them (speed goals live in benchmarks, not tests).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use flinkdeck::sqltools::SqlHelper;

const SCRIPT: &str = "CREATE TABLE orders (id BIGINT, amount DECIMAL(10, 2), ts TIMESTAMP(3),\n  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND\n) WITH ('connector' = 'datagen');\nCREATE TABLE totals (w_end TIMESTAMP(3), total DECIMAL(20, 2)) WITH ('connector' = 'blackhole');\nINSERT INTO totals\nSELECT window_end, SUM(amount) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '10' SECOND))\nGROUP BY window_start, window_end;\n";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("FLINKDECK_BENCH_RUNS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(20);
    let cache = tempfile::tempdir().expect("tempdir");
    let rt = common::rt();
    for version in common::VERSIONS {
        let home = common::flink_home(version);
        // Build the helper jar outside the measurement (cached per version in real use).
        rt.block_on(async {
            let h = SqlHelper::start(&home, version, cache.path(), &[])
                .await
                .expect("helper");
            h.shutdown().await;
        });
        let t = Instant::now();
        let mut helper = rt
            .block_on(SqlHelper::start(&home, version, cache.path(), &[]))
            .expect("helper");
        let start = t.elapsed();
        let t = Instant::now();
        let problems = rt.block_on(helper.validate(SCRIPT)).expect("validate");
        let first = t.elapsed();
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        let same: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                rt.block_on(helper.validate(SCRIPT)).expect("validate");
                t.elapsed()
            })
            .collect();
        let changed: Vec<Duration> = (0..runs)
            .map(|i| {
                let script = SCRIPT.replace("'10' SECOND", &format!("'{}' SECOND", 10 + i));
                let t = Instant::now();
                rt.block_on(helper.validate(&script)).expect("validate");
                t.elapsed()
            })
            .collect();
        println!("Flink {version}: SQL validation with the planner ({runs} runs each)");
        println!("  helper JVM start            {start:>10.2?}");
        println!("  first validation            {first:>10.2?}");
        println!(
            "  repeated, same script       median {:>10.2?}",
            median(same)
        );
        println!(
            "  repeated, changed script    median {:>10.2?}",
            median(changed)
        );
        rt.block_on(helper.shutdown());
    }
}
