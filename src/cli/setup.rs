//! What every command needs: the config, the clusters' clients, the data dir (SQLite database and
//! the log file), the tracing log, and the async runtime; plus starting the TUI.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{Config, ConfigError, ConfigSource};
use crate::service::{spawn_workers, Clusters, PollSettings};
use crate::store::{Store, StoreHandle};

use super::Exit;

/// The loaded configuration and what is derived from it.
pub struct Context {
    pub config: Config,
    pub clusters: Clusters,
    /// Where the database and the log live; `None` when no data dir could be determined.
    pub data_dir: Option<PathBuf>,
}

impl Context {
    /// Loads the config (the default path when none is given; no file there means one cluster
    /// `local`), builds a client per cluster and sets up the tracing log in the data dir.
    pub fn load(config: Option<&Path>, data_dir: Option<&Path>) -> Result<Context, ConfigError> {
        let config = Config::load_or_default(config)?;
        config.register_secrets();
        let data_dir = data_dir
            .map(Path::to_path_buf)
            .or_else(crate::config::default_data_dir);
        let env = crate::backend::BackendEnv {
            data_dir: data_dir.clone(),
            logs: config.logs.clone(),
        };
        let clusters = Clusters::from_config_in(&config, &env)?;
        if let Some(dir) = &data_dir {
            init_tracing(dir);
        }
        Ok(Context {
            config,
            clusters,
            data_dir,
        })
    }

    /// Opens the SQLite store in the data dir, on its own thread.
    pub fn open_store(&self) -> Result<StoreHandle, String> {
        let dir = self
            .data_dir
            .as_ref()
            .ok_or("no data directory: pass --data-dir")?;
        let path = dir.join("flinkdeck.db");
        let mut store = Store::open(&path).map_err(|e| e.to_string())?;
        store.set_policy((&self.config.store).into());
        Ok(StoreHandle::spawn(store))
    }

    /// The context of lifecycle actions (needs the store).
    pub fn ops(
        &self,
        readonly: bool,
        wait: bool,
    ) -> Result<crate::service::ops::OpsContext, String> {
        self.ops_with(self.open_store()?, readonly, wait)
    }

    /// The context of lifecycle actions on an already opened store.
    pub fn ops_with(
        &self,
        store: StoreHandle,
        readonly: bool,
        wait: bool,
    ) -> Result<crate::service::ops::OpsContext, String> {
        let data_dir = self
            .data_dir
            .clone()
            .ok_or("no data directory: pass --data-dir")?;
        let helpers_dir = data_dir.join("helpers");
        Ok(crate::service::ops::OpsContext {
            clusters: self.clusters.clone(),
            store,
            config: std::sync::Arc::new(self.config.clone()),
            readonly,
            helpers_dir,
            data_dir,
            actor: crate::service::ops::Actor::from_env(),
            wait,
        })
    }

    /// A line for the screen when flinkdeck runs without a config file.
    pub fn notice(&self) -> Option<String> {
        match &self.config.source {
            ConfigSource::DefaultLocal => Some(format!(
                "No config file: watching one cluster `local` at {} (see --config)",
                self.config
                    .clusters
                    .first()
                    .and_then(|c| c.url.as_ref().map(url::Url::as_str))
                    .unwrap_or("http://localhost:8081/")
            )),
            ConfigSource::File(_) => None,
        }
    }
}

/// Sends the tracing log to `<data dir>/flinkdeck.log` (never to the screen). Level from
/// `FLINKDECK_LOG` (e.g. `debug`), default `info`. Failing to open the file disables logging.
fn init_tracing(dir: &Path) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("flinkdeck.log"))
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLINKDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        // Every log line goes through the secret mask.
        .with_writer(MaskedLog(Mutex::new(file)))
        .try_init();
}

/// `flinkdeck watch`: log lines to stderr, plain and masked; without timestamps under systemd
/// (`JOURNAL_STREAM` set), whose journal stamps them.
pub fn init_stderr_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLINKDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_writer(|| crate::config::secret::MaskingWriter(std::io::stderr()));
    let _ = if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
}

/// The log file behind the secret mask.
struct MaskedLog(Mutex<std::fs::File>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for MaskedLog {
    type Writer = crate::config::secret::MaskingWriter<LockedLog<'a>>;

    fn make_writer(&'a self) -> Self::Writer {
        let guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        crate::config::secret::MaskingWriter(LockedLog(guard))
    }
}

/// The log file, locked for one event.
struct LockedLog<'a>(std::sync::MutexGuard<'a, std::fs::File>);

impl std::io::Write for LockedLog<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The tokio runtime (allocator tuned first, `service::memory`): two workers for the TUI, a
/// current-thread one for the CLI commands.
pub fn runtime(tui: bool) -> std::io::Result<tokio::runtime::Runtime> {
    crate::service::memory::tune_allocator();
    if tui {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("flinkdeck-worker")
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

/// How long the console's exit waits for the builds it cancels to settle.
const BUILD_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Opens the full-screen console on every configured cluster.
pub async fn run_tui(ctx: Context, readonly: bool) -> Exit {
    run_tui_with(ctx, readonly, None).await
}

/// Opens the console, in the SQL editor on `start_in_editor` when given (`flinkdeck edit NAME`:
/// the app must be a managed SQL app; `EditorTarget::Scratch` for `flinkdeck sql`).
pub async fn run_tui_with(
    ctx: Context,
    readonly: bool,
    start_in_editor: Option<crate::tui::EditorTarget>,
) -> Exit {
    use super::ui_files::{load_keymap, load_theme, no_color, term_env};
    use crate::tui::{keymap::Keymap, App, AppOptions, EditorTarget};

    let theme_dir = ctx.config.theme_dir();
    let theme = match load_theme(&ctx.config.ui.theme, theme_dir.as_deref(), no_color()) {
        Ok(t) => t,
        Err(e) => return error_screen(&e.to_string()),
    };
    let keymap = match &ctx.config.ui.keymap {
        Some(path) => match load_keymap(path) {
            Ok(k) => k,
            Err(e) => return error_screen(&e.to_string()),
        },
        None => Keymap::builtin(),
    };
    let mut notice = ctx.notice();
    let store = match ctx.open_store() {
        Ok(s) => Some(s),
        Err(e) => {
            notice = Some(format!("History is not being recorded: {e}"));
            None
        }
    };
    if let Some(EditorTarget::App(name)) = &start_in_editor {
        if let Err(e) = editable_app(store.as_ref(), name).await {
            eprintln!("flinkdeck: {e}");
            return Exit::Usage;
        }
    }
    let ops = store
        .as_ref()
        .and_then(|s| ctx.ops_with(s.clone(), readonly, true).ok());
    let no_clusters = ctx.config.clusters.is_empty().then(|| match &ctx.config.source {
        ConfigSource::File(path) => format!(
            "no clusters configured: add a [[clusters]] table to {} (see config/flinkdeck.example.toml)",
            path.display()
        ),
        ConfigSource::DefaultLocal => "no clusters configured".to_string(),
    });
    let settings = PollSettings {
        refresh: ctx.config.ui.refresh,
        detail_budget: ctx.config.ui.detail_budget,
    };
    let workers = spawn_workers(&ctx.clusters, store, settings, ops);
    tokio::spawn(crate::service::memory::trim_periodically());
    let opts = AppOptions {
        refresh: ctx.config.ui.refresh,
        notice,
        readonly,
        start_in_editor,
        no_clusters,
        term: crate::domain::terminal::TermFeatures::decide(
            ctx.config.ui.hyperlinks,
            ctx.config.ui.clipboard,
            &term_env(),
        ),
    };
    let mut app = App::new(
        ctx.clusters.refs(),
        theme,
        keymap,
        opts,
        crate::domain::time::now_ms(),
    );
    if let Some(columns) = &ctx.config.ui.columns {
        app.set_job_columns(columns.clone());
    }
    app.set_views(ctx.config.ui.views.clone());
    let (theme_tx, theme_rx) = tokio::sync::mpsc::channel(4);
    let watcher = super::theme_watch::spawn(
        super::theme_watch::ThemeWatch {
            config: match &ctx.config.source {
                ConfigSource::File(p) => Some(p.clone()),
                ConfigSource::DefaultLocal => None,
            },
            theme_dir: theme_dir.clone(),
            name: ctx.config.ui.theme.clone(),
            no_color: no_color(),
        },
        theme_tx,
    );
    let result = crate::tui::run(app, workers.requests, workers.replies, theme_rx).await;
    watcher.abort();
    // Builds this console started end with it: cancelled and recorded, their process groups
    // stopped (not cut off with the runtime, which would leave their children running).
    let cancelled = workers.builds.cancel_all(BUILD_EXIT_WAIT).await;
    if cancelled > 0 {
        eprintln!("flinkdeck: cancelled {cancelled} build(s) this console was running");
    }
    match result {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("flinkdeck: {e:#}");
            Exit::Failed
        }
    }
}

/// Whether `name` is a managed SQL app (checked before the console opens on it).
async fn editable_app(store: Option<&StoreHandle>, name: &str) -> Result<(), String> {
    let store = store.ok_or("the local database could not be opened: apps cannot be edited")?;
    let owned = name.to_string();
    let app = store
        .call(move |s: &mut Store| s.app(&owned))
        .await
        .map_err(|e| e.to_string())?;
    match app {
        None => Err(format!(
            "no managed app named {name:?} (`flinkdeck apps` lists them)"
        )),
        Some(v) if v.spec.kind != crate::domain::AppKind::Sql => Err(format!(
            "app {name} is a {} app: only SQL apps have a script to edit",
            v.spec.kind
        )),
        Some(_) => Ok(()),
    }
}

fn error_screen(message: &str) -> Exit {
    let _ = crate::tui::error_screen::show(message);
    Exit::Usage
}
