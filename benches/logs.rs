//! `cargo bench --bench logs`: a 1 GiB JobManager log served over HTTP by a tiny local server
//! that, like Flink, always sends the whole file (no `Range`). Measured in process, through the
//! same code the console's workers run:
//! 1. the tail shown: `log_tail` (4 MiB kept, as the viewer asks) plus building the viewer's line
//!    index;
//! 2. a whole-file search (`service::loaders::search_log`) for a line at the very start of the
//!    file (the case that said "no match" when only the tail was searched), and for a word on
//!    every 1,000th line;
//! 3. the jump to a match near the start (a 1 MiB window; reading stops after it);
//!
//! each with the process's peak resident memory (VmHWM, reset before each step where the kernel
//! allows it). The file goes to `FLINKDECK_BENCH_DIR` (default: the system temp dir), size
//! `FLINKDECK_BENCH_MB` (default 1024), and is deleted at the end. Numbers go to stdout; nothing
//! is asserted.

#[path = "../tests/common/log_server.rs"]
mod log_server;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use flinkdeck::backend::Clusters;
use flinkdeck::config::Config;
use flinkdeck::domain::{LogFileRef, LogName, LogSearchEvent, LogSource};
use flinkdeck::service::loaders;

fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the peak RSS (Linux ≥ 4.0); returns whether it could.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_mb() -> f64 {
    status_kb("VmHWM:").unwrap_or(0) as f64 / 1024.0
}

/// GETs `path` from `url` (`http://host:port`) on a plain socket and reads the whole answer in
/// 4 MiB reads; the time it took.
fn bare_read(url: &str, path: &str) -> Duration {
    use std::io::Read;
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut buf = vec![0u8; 4 << 20];
    let mut n = 0u64;
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => n += k as u64,
            Err(e) => panic!("read: {e}"),
        }
    }
    assert!(n > 1 << 20, "read only {n} bytes");
    t.elapsed()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mb: u64 = std::env::var("FLINKDECK_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = std::env::var_os("FLINKDECK_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(&dir).expect("temp dir");
    let path = tmp.path().join("jobmanager.log");

    // The file: a unique line first, then log lines of ~120 bytes; every 1,000th has "Checkpoint".
    let t = Instant::now();
    let lines_written;
    {
        let f = std::fs::File::create(&path).expect("create");
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        writeln!(
            w,
            "2026-09-21 00:00:00,000 INFO  Startup [] - FIRST-LINE-MARKER of the file"
        )
        .expect("write");
        let target = mb << 20;
        let mut written = 0u64;
        let mut i = 0u64;
        while written < target {
            let line = if i.is_multiple_of(1000) {
                format!("2026-09-21 14:{:02}:{:02},000 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator [] - Completed Checkpoint {i}\n", (i / 60) % 60, i % 60)
            } else {
                format!("2026-09-21 14:{:02}:{:02},000 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - Heartbeat {i:012} ok\n", (i / 60) % 60, i % 60)
            };
            w.write_all(line.as_bytes()).expect("write");
            written += line.len() as u64;
            i += 1;
        }
        w.flush().expect("flush");
        lines_written = i + 1;
    }
    let size = std::fs::metadata(&path).expect("meta").len();
    println!(
        "log file: {:.0} MiB, {} lines (written in {})",
        size as f64 / 1048576.0,
        lines_written,
        ms(t.elapsed())
    );

    let url = log_server::serve_log_file(path.clone());
    let config = Config::from_str_named(
        &format!("[[clusters]]\nname = \"bench\"\nurl = \"{url}\"\ntimeout = \"30s\"\n"),
        Path::new("/bench/config.toml"),
    )
    .expect("config");
    let clusters = Clusters::from_config(&config).expect("clusters");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let file = LogFileRef {
        source: LogSource::JobManager,
        name: LogName::Log,
        size: None,
        mtime: None,
    };
    let handle = clusters.get("bench").expect("cluster");
    let can_reset = reset_peak();
    println!(
        "peak RSS before: {:.1} MB (reset per step: {})",
        peak_mb(),
        if can_reset { "yes" } else { "no" }
    );

    // 1. The tail, as the viewer asks for it (3 runs, the best and the worst).
    let mut tail_times = Vec::new();
    for _ in 0..3 {
        reset_peak();
        let t = Instant::now();
        let tail = rt
            .block_on(
                handle
                    .backend
                    .log_tail(&handle.rest, &file, 4 * 1024 * 1024),
            )
            .expect("tail");
        let lines = tail.text.bytes().filter(|b| *b == b'\n').count();
        tail_times.push(t.elapsed());
        assert!(tail.truncated && lines > 30_000);
    }
    tail_times.sort();
    println!(
        "tail (4 MiB of {:.0} MiB) shown: {} (best {}, worst {}), peak RSS {:.1} MB",
        size as f64 / 1048576.0,
        ms(tail_times[1]),
        ms(tail_times[0]),
        ms(tail_times[2]),
        peak_mb()
    );

    // The floor under any client: a bare socket that only reads the same bytes (4 MiB reads,
    // nothing kept, no HTTP parsing), as a tail must while Flink ignores `Range`.
    let mut floor = Vec::new();
    for _ in 0..3 {
        floor.push(bare_read(&url, "/jobmanager/log"));
    }
    floor.sort();
    println!(
        "floor: bare socket read of the whole file: {} (best {}, worst {})",
        ms(floor[1]),
        ms(floor[0]),
        ms(floor[2])
    );

    // 2. Whole-file searches.
    for (what, pattern) in [
        ("a line at the file's start", "first-line-marker"),
        ("every 1,000th line", "completed checkpoint"),
    ] {
        reset_peak();
        let t = Instant::now();
        let mut first_at = None;
        let mut found = 0usize;
        let mut done = None;
        rt.block_on(loaders::search_log(
            &clusters,
            "bench",
            &file,
            pattern,
            |e| {
                match e {
                    LogSearchEvent::Found(f) => {
                        if first_at.is_none() {
                            first_at = Some(t.elapsed());
                        }
                        found += f.len();
                    }
                    LogSearchEvent::Done {
                        lines,
                        matching_lines,
                        capped,
                        ..
                    } => done = Some((lines, matching_lines, capped)),
                    LogSearchEvent::Failed(e) => panic!("search failed: {e}"),
                    LogSearchEvent::Progress { .. } => {}
                }
                async { true }
            },
        ));
        let total = t.elapsed();
        let (lines, matching, capped) = done.expect("done");
        println!(
            "search {what:?}: whole file in {} ({:.2} GB/s), first match reported after {}, {matching} matching of {lines} lines ({found} kept{}), peak RSS {:.1} MB",
            ms(total),
            size as f64 / total.as_secs_f64() / 1e9,
            first_at.map(ms).unwrap_or_else(|| "-".into()),
            if capped { ", capped" } else { "" },
            peak_mb()
        );
    }

    // 3. The jump to a match near the start: a 1 MiB window, reading stops after it.
    reset_peak();
    let t = Instant::now();
    let w = rt
        .block_on(loaders::log_window(&handle.rest, &file, 0, 0, 1024 * 1024))
        .expect("window");
    println!(
        "jump to the first line: window of {} lines in {}, peak RSS {:.1} MB",
        w.text.lines().count(),
        ms(t.elapsed()),
        peak_mb()
    );
    drop(tmp);
    println!("log file deleted");
}
