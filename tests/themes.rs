//! Live theme reload, end to end: the real `flinkdeck` binary in a pseudo-terminal against the
//! shared real Flink 2.3.0 cluster of this binary. The user theme file in use changes → the
//! header's colour changes on screen (and the SGR bytes of the new colour are sent) without a
//! restart; a broken theme file → the error with file, line and column in the status line, and
//! the old colours stay; switching `[ui] theme` in the config file to a built-in is picked up too.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;

fn write_theme(dir: &Path, text: &str) {
    std::fs::write(dir.join("themes/mine.toml"), text).expect("theme file");
}

/// Whether some cell on the 140×30 screen has background `bg`.
fn shows_bg(app: &pty::PtyApp, bg: vt100::Color) -> bool {
    (0..30).any(|r| (0..140).any(|c| app.cell_colors(r, c).is_some_and(|(_, b)| b == bg)))
}

const OLD: vt100::Color = vt100::Color::Rgb(0x12, 0x34, 0x56);
const NEW: vt100::Color = vt100::Color::Rgb(0x65, 0x43, 0x21);

#[test]
fn theme_file_changes_are_picked_up_live_and_errors_keep_the_old_theme() {
    let url = ensure_cluster(V2);
    let _job = shared_demo_job(V2, "theme");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("th", &url)], "1s");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        text.replacen("[ui]\n", "[ui]\ntheme = \"mine\"\n", 1),
    )
    .expect("config");
    std::fs::create_dir(dir.path().join("themes")).expect("themes dir");
    write_theme(
        dir.path(),
        "header = { fg = \"white\", bg = \"#123456\" }\n",
    );

    let mut app = console(&config, dir.path(), &[], 140, 30);
    app.wait_screen("the cluster LIVE", Duration::from_secs(60), |s| {
        s.contains("LIVE")
    });
    wait_for("the theme's header colour", Duration::from_secs(5), || {
        shows_bg(&app, OLD).then_some(())
    });

    // The file changes: the header takes the new colour without a restart.
    write_theme(
        dir.path(),
        "# changed\nheader = { fg = \"white\", bg = \"#654321\" }\n",
    );
    wait_for("the new header colour", Duration::from_secs(15), || {
        (shows_bg(&app, NEW) && !shows_bg(&app, OLD)).then_some(())
    });
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(
        raw.contains("48;2;101;67;33"),
        "the SGR of the new colour was sent"
    );
    app.wait_screen("the reload is announced", Duration::from_secs(5), |s| {
        s.contains("theme mine reloaded")
    });

    // A broken file: the error names the file, line and column; the old theme stays.
    write_theme(
        dir.path(),
        "# broken\n\nheader = { fg = \"white\", bg = \"no-such-colour\" }\n",
    );
    let s = app.wait_screen("the theme error", Duration::from_secs(15), |s| {
        s.contains("theme not reloaded")
    });
    assert!(s.contains("mine.toml:3:"), "file and line shown:\n{s}");
    // A key redraws the whole status line; the header keeps the last good colour.
    app.send("j");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(shows_bg(&app, NEW), "the last good colour stays");

    // The config switches to a built-in theme: picked up as well.
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        text.replacen("theme = \"mine\"", "theme = \"high-contrast\"", 1),
    )
    .expect("config");
    app.wait_screen(
        "the built-in theme announced",
        Duration::from_secs(15),
        |s| s.contains("theme high-contrast reloaded"),
    );
    wait_for("the user colour gone", Duration::from_secs(5), || {
        (!shows_bg(&app, NEW)).then_some(())
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
}
