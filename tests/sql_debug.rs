//! `flinkdeck sql debug` against the real jars of Flink 2.3.0 and 1.20.5 (no cluster needed):
//! sources that would read Kafka or files read datagen instead, sinks that would write to JDBC or
//! files are collected and printed as JSON lines of the sink's schema, within the time limit, and
//! nothing is written anywhere. Also the Rust API's event stream, cancelling, and batch mode.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use flinkdeck::sqltools::{DebugEvent, DebugOptions, SqlHelper};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sql-debug-data")
}

fn config(dir: &Path) -> PathBuf {
    let mut text = format!(
        "[[clusters]]\nname = \"only\"\nkind = \"standalone\"\nurl = \"http://127.0.0.1:{}\"\n",
        closed_port()
    );
    for v in VERSIONS {
        text.push_str(&format!(
            "\n[[flink]]\nversion = \"{v}\"\nhome = \"{}\"\n",
            flink_home(v).display()
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn debug_cli(config: &Path, file: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(bin())
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir())
        .args(["sql", "debug"])
        .arg(file)
        .args(args)
        .env_remove("FLINKDECK_CONFIG")
        .output()
        .expect("run flinkdeck");
    let took = start.elapsed();
    eprintln!(
        "sql debug {args:?}: exit {:?} in {} ms\nstdout:\n{}stderr:\n{}",
        out.status.code(),
        took.as_millis(),
        stdout(&out),
        stderr(&out)
    );
    (out, took)
}

/// A pipeline whose source is Kafka and a file that does not exist, and whose sinks are a JDBC
/// table (an upserting aggregate) and a file.
fn pipeline(dir: &Path) -> (String, PathBuf) {
    let out_dir = dir.join("must-stay-absent");
    let script = format!(
        "\
SET 'execution.checkpointing.interval' = '1s';
CREATE TABLE orders (
  order_id BIGINT,
  customer STRING,
  amount DECIMAL(10, 2),
  kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  ts AS CAST(kafka_ts AS TIMESTAMP(3)),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka.invalid:9092',
  'format' = 'json'
);
CREATE TABLE archive_in (order_id BIGINT, note STRING)
WITH ('connector' = 'filesystem', 'path' = '/nonexistent/flinkdeck/in', 'format' = 'json');
CREATE TABLE per_customer (
  customer STRING,
  orders BIGINT,
  total DECIMAL(12, 2),
  PRIMARY KEY (customer) NOT ENFORCED
) WITH (
  'connector' = 'jdbc',
  'url' = 'jdbc:postgresql://db.invalid:5432/shop',
  'table-name' = 'per_customer'
);
CREATE TABLE archive_out (order_id BIGINT, note STRING, big BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
EXECUTE STATEMENT SET BEGIN
INSERT INTO per_customer SELECT customer, COUNT(*), SUM(amount) FROM orders GROUP BY customer;
INSERT INTO archive_out (order_id, note)
SELECT o.order_id, a.note FROM orders AS o JOIN archive_in AS a ON o.order_id = a.order_id;
INSERT INTO archive_out SELECT order_id, customer, amount > 500 FROM orders;
END;
",
        out_dir.display()
    );
    (script, out_dir)
}

fn debug_run_collects_rows_of_the_sink_schema(version: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path());
    let (script, out_dir) = pipeline(dir.path());
    let file = dir.path().join("pipeline.sql");
    std::fs::write(&file, script).expect("write script");

    let (out, took) = debug_cli(
        &config,
        &file,
        &["--flink", version, "--seconds", "8", "--rows", "40"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Within the limit (plus the JVM and mini-cluster start and stop): a liveness bound.
    assert!(took < Duration::from_secs(90), "took {took:?}");
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.contains("nothing is written to real systems"),
        "first line: {first}"
    );
    assert!(
        err.contains("connector 'kafka' replaced by datagen"),
        "{err}"
    );
    assert!(
        err.contains("connector 'jdbc' replaced by datagen"),
        "{err}"
    );

    let rows: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!rows.is_empty(), "no rows in 8 s");
    assert!(rows.len() <= 40, "{} rows", rows.len());
    let mut sinks = BTreeSet::new();
    for (line, r) in stdout(&out).lines().zip(&rows) {
        let obj = r.as_object().expect("object");
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["kind", "row", "sink"],
            "{line}"
        );
        let kind = r["kind"].as_str().expect("kind");
        assert!(["+I", "-U", "+U", "-D"].contains(&kind), "{line}");
        let sink = r["sink"].as_str().expect("sink");
        sinks.insert(sink.to_string());
        // Columns of the sink's schema, in schema order (checked on the text, since JSON
        // objects have no order once parsed).
        let expected: &[&str] = match sink {
            "per_customer" => &["customer", "orders", "total"],
            "archive_out" => &["order_id", "note", "big"],
            other => panic!("unexpected sink {other}: {line}"),
        };
        let cols: Vec<&String> = r["row"].as_object().expect("row").keys().collect();
        let mut sorted: Vec<&str> = expected.to_vec();
        sorted.sort_unstable();
        assert_eq!(cols, sorted, "{line}");
        let mut pos = 0;
        for c in expected {
            let at = line[pos..]
                .find(&format!("\"{c}\":"))
                .unwrap_or_else(|| panic!("{c} out of order in {line}"));
            pos += at;
        }
        if sink == "per_customer" {
            assert!(
                r["row"]["orders"].as_u64().is_some_and(|n| n >= 1),
                "{line}"
            );
            assert!(r["row"]["customer"].is_string(), "{line}");
        } else {
            assert!(r["row"]["order_id"].is_number(), "{line}");
            assert!(
                r["row"]["big"].is_boolean() || r["row"]["big"].is_null(),
                "{line}"
            );
        }
    }
    assert!(sinks.contains("per_customer"), "{sinks:?}");
    assert!(sinks.contains("archive_out"), "{sinks:?}");
    // Nothing was written where the real sink would have written.
    assert!(!out_dir.exists(), "{} was created", out_dir.display());
}

#[test]
fn debug_run_collects_rows_of_the_sink_schema_2_3() {
    debug_run_collects_rows_of_the_sink_schema(V2);
}

#[test]
fn debug_run_collects_rows_of_the_sink_schema_1_20() {
    debug_run_collects_rows_of_the_sink_schema(V1);
}

fn a_broken_script_fails(version: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path());
    let file = dir.path().join("broken.sql");
    std::fs::write(
        &file,
        "CREATE TABLE src (k INT) WITH ('connector' = 'kafka');\n\
         CREATE TABLE dst (k INT) WITH ('connector' = 'blackhole');\n\
         INSERT INTO dst SELECT kk FROM src;\n",
    )
    .expect("write");
    let (out, _) = debug_cli(&config, &file, &["--flink", version, "--seconds", "3"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let expected = format!(
        "{}:3:24: error: Column 'kk' not found in any table (statement 3)",
        file.display()
    );
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
}

#[test]
fn a_broken_script_fails_2_3() {
    a_broken_script_fails(V2);
}

#[test]
fn a_broken_script_fails_1_20() {
    a_broken_script_fails(V1);
}

/// The Rust API: events in order, a cancelled run, a batch run that finishes by itself, and a
/// validation on the same helper afterwards.
fn api_streams_events(version: &str) {
    let home = flink_home(version);
    let cache = data_dir().join("helpers");
    std::fs::create_dir_all(&cache).expect("cache dir");
    rt().block_on(async {
        let mut helper = SqlHelper::start(&home, version, &cache, &[])
            .await
            .expect("start the helper");
        let vars = BTreeMap::from([("topic".to_string(), "clicks".to_string())]);
        // A processing-time lookup join on a JDBC dimension table: lookups are answered too.
        let script = "\
CREATE TABLE clicks (user_id INT, url STRING, pt AS PROCTIME())
WITH ('connector' = 'kafka', 'topic' = '${topic}');
CREATE TABLE users (id INT, name STRING, PRIMARY KEY (id) NOT ENFORCED)
WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://db.invalid/app', 'table-name' = 'users');
SELECT c.user_id, UPPER(c.url) AS url, u.name
FROM clicks AS c JOIN users FOR SYSTEM_TIME AS OF c.pt AS u ON c.user_id = u.id;
";
        // A run that is cancelled by dropping the receiver after 3 rows.
        let t = Instant::now();
        let opts = DebugOptions {
            seconds: 60,
            rows: 1000,
            rate: 50,
        };
        let mut rx = helper
            .debug(script, opts, &vars, &BTreeSet::new())
            .await
            .expect("debug");
        let mut seen = Vec::new();
        while let Some(ev) = rx.recv().await {
            let is_row = matches!(ev, DebugEvent::Row(_));
            seen.push(ev);
            if seen.iter().filter(|e| matches!(e, DebugEvent::Row(_))).count() == 3 && is_row {
                break;
            }
        }
        drop(rx);
        assert!(
            matches!(&seen[0], DebugEvent::Replaced { table, connector } if table == "clicks" && connector == "kafka"),
            "{seen:?}"
        );
        assert!(
            matches!(&seen[1], DebugEvent::Replaced { table, connector } if table == "users" && connector == "jdbc"),
            "{seen:?}"
        );
        assert!(
            matches!(&seen[2], DebugEvent::Sink { sink, statement: 3, columns } if sink == "statement 3" && columns.len() == 3),
            "{seen:?}"
        );
        let DebugEvent::Row(row) = &seen[3] else {
            panic!("{seen:?}");
        };
        assert_eq!(
            &*row.columns,
            ["user_id".to_string(), "url".to_string(), "name".to_string()]
        );
        assert!(row.values[1]
            .as_str()
            .is_some_and(|s| s == s.to_uppercase()));
        assert!(row.values[2].is_string(), "{row:?}");
        eprintln!(
            "Flink {version}: 3 rows of a debug run after {} ms",
            t.elapsed().as_millis()
        );

        // The helper is still usable: the cancelled run ends first.
        let t = Instant::now();
        let problems = helper
            .validate_with(script, &vars, &BTreeSet::new())
            .await
            .expect("validate after a cancelled run");
        eprintln!(
            "Flink {version}: validation after the cancelled run: {} ms",
            t.elapsed().as_millis()
        );
        assert!(
            problems.iter().all(|p| !p.is_error()),
            "{problems:?}"
        );

        // Batch mode: bounded sources, the run finishes by itself.
        let batch = "\
SET 'execution.runtime-mode' = 'batch';
CREATE TABLE src (k INT, v DOUBLE) WITH ('connector' = 'filesystem', 'path' = '/nonexistent', 'format' = 'csv');
CREATE TABLE dst (k INT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT k, COUNT(*) FROM src GROUP BY k;
";
        let opts = DebugOptions {
            seconds: 60,
            rows: 25,
            rate: 10,
        };
        let mut rx = helper
            .debug(batch, opts, &BTreeMap::new(), &BTreeSet::new())
            .await
            .expect("batch debug");
        let mut rows = 0;
        let mut done = None;
        while let Some(ev) = rx.recv().await {
            match ev {
                DebugEvent::Row(r) => {
                    assert_eq!(&*r.columns, ["k".to_string(), "n".to_string()]);
                    rows += 1;
                }
                DebugEvent::Done(d) => done = Some(d),
                DebugEvent::Failed(m) => panic!("{m}"),
                _ => {}
            }
        }
        let done = done.expect("a Done event");
        assert!(done.ok, "{done:?}");
        assert!((1..=25).contains(&rows), "{rows} rows");
        assert!(
            done.stopped == "finished" || done.stopped == "rows",
            "{done:?}"
        );
        // A run whose receiver is kept but never read is cancelled by the next request.
        let opts = DebugOptions {
            seconds: 120,
            rows: 100_000,
            rate: 500,
        };
        let held = helper
            .debug(script, opts, &vars, &BTreeSet::new())
            .await
            .expect("a long debug run");
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t = Instant::now();
        helper
            .validate_with(script, &vars, &BTreeSet::new())
            .await
            .expect("validate while a debug run is held");
        eprintln!(
            "Flink {version}: validation that cancelled a held debug run: {} ms",
            t.elapsed().as_millis()
        );
        assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
        let mut held = held;
        let mut got = Vec::new();
        while let Some(ev) = held.recv().await {
            got.push(ev);
        }
        let rows = got.iter().filter(|e| matches!(e, DebugEvent::Row(_))).count();
        eprintln!(
            "Flink {version}: the held run delivered {rows} rows before it was cancelled; last: {:?}",
            got.last()
        );
        assert!(rows > 0, "{got:?}");
        assert_eq!(helper.starts(), 1);
        helper.shutdown().await;
    });
}

#[test]
fn api_streams_events_2_3() {
    api_streams_events(V2);
}

#[test]
fn api_streams_events_1_20() {
    api_streams_events(V1);
}
