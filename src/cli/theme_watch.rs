//! Live theme reload: a task that polls (every second) the modification time and size of the
//! config file (its `[ui] theme` value) and of the user theme file in use
//! (`<config dir>/themes/<name>.toml`), and on a change sends the console the newly loaded theme,
//! or the error (file, line, column, key) so that it keeps the old one and says why.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::Sender;

use crate::config::Config;
use crate::tui::ThemeReload;

use super::ui_files::load_theme;

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_secs(1);

/// What is watched.
#[derive(Debug, Clone)]
pub struct ThemeWatch {
    /// The config file (`None`: no file, only the theme directory is watched).
    pub config: Option<PathBuf>,
    /// `<config dir>/themes`.
    pub theme_dir: Option<PathBuf>,
    /// The theme in use at start.
    pub name: String,
    pub no_color: bool,
}

/// A file's modification time and size (`None` when it cannot be read: missing counts too).
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl ThemeWatch {
    fn theme_file(&self, name: &str) -> Option<PathBuf> {
        self.theme_dir
            .as_ref()
            .map(|d| d.join(format!("{name}.toml")))
    }

    /// The stamps of the config file and of the theme file of `name`.
    fn stamps(&self, name: &str) -> (Stamp, Stamp) {
        (
            self.config.as_deref().and_then(stamp),
            self.theme_file(name).as_deref().and_then(stamp),
        )
    }

    /// The theme named in the config file now (the start name when there is no file), loaded.
    fn load(&self, current: &str) -> (String, ThemeReload) {
        let name = match &self.config {
            Some(path) => match Config::load(path) {
                Ok(c) => c.ui.theme,
                Err(e) => return (current.to_string(), ThemeReload::Failed(e.to_string())),
            },
            None => current.to_string(),
        };
        let reload = match load_theme(&name, self.theme_dir.as_deref(), self.no_color) {
            Ok(t) => ThemeReload::Loaded(Box::new(t)),
            Err(e) => ThemeReload::Failed(e.to_string()),
        };
        (name, reload)
    }
}

/// Starts the watcher; it ends when the console is gone (`tx` closed).
pub fn spawn(watch: ThemeWatch, tx: Sender<ThemeReload>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut name = watch.name.clone();
        let w = watch.clone();
        let n = name.clone();
        let mut last = tokio::task::spawn_blocking(move || w.stamps(&n))
            .await
            .unwrap_or((None, None));
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if tx.is_closed() {
                return;
            }
            let w = watch.clone();
            let n = name.clone();
            let checked = tokio::task::spawn_blocking(move || {
                let now = w.stamps(&n);
                if now == last {
                    return (now, None);
                }
                let (name, reload) = w.load(&n);
                // The stamps of the (maybe renamed) theme's file, so that its next change is
                // seen.
                (w.stamps(&name), Some((name, reload)))
            })
            .await;
            let Ok((now, change)) = checked else {
                continue;
            };
            last = now;
            if let Some((new_name, reload)) = change {
                name = new_name;
                if tx.send(reload).await.is_err() {
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).expect("write");
    }

    async fn next(rx: &mut tokio::sync::mpsc::Receiver<ThemeReload>) -> ThemeReload {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a reload within 10 s")
            .expect("channel open")
    }

    /// A change of the theme file sends the new theme; a broken one sends the error with its
    /// file, line and column; the config's `[ui] theme` switching to a built-in is seen too.
    #[test]
    fn sends_the_reloaded_theme_or_the_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let themes = dir.path().join("themes");
        std::fs::create_dir(&themes).expect("mkdir");
        let config = dir.path().join("flinkdeck.toml");
        write(&config, "[ui]\ntheme = \"mine\"\n");
        write(&themes.join("mine.toml"), "header = \"red\"\n");
        let watch = ThemeWatch {
            config: Some(config.clone()),
            theme_dir: Some(themes.clone()),
            name: "mine".into(),
            no_color: false,
        };
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel(4);
            let task = spawn(watch, tx);
            tokio::time::sleep(Duration::from_millis(1200)).await;
            write(&themes.join("mine.toml"), "header = \"green\"\n# longer\n");
            match next(&mut rx).await {
                ThemeReload::Loaded(t) => {
                    assert_eq!(t.header.fg, Some(ratatui::style::Color::Green))
                }
                ThemeReload::Failed(e) => panic!("{e}"),
            }
            write(&themes.join("mine.toml"), "header = \"green\"\nbad = \n");
            match next(&mut rx).await {
                ThemeReload::Failed(e) => {
                    assert!(e.contains("mine.toml:2:"), "file and line: {e}")
                }
                ThemeReload::Loaded(_) => panic!("a broken file loads"),
            }
            write(&config, "[ui]\ntheme = \"ansi16\"\n");
            match next(&mut rx).await {
                ThemeReload::Loaded(t) => assert_eq!(t.name, "ansi16"),
                ThemeReload::Failed(e) => panic!("{e}"),
            }
            task.abort();
        });
    }
}
