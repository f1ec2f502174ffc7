//! The config file through the library API: the example file parses, and every kind of mistake
//! gives an error with the file, line, column and key.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use flinkdeck::config::{
    AuthConfig, ClusterKind, Config, ConfigError, ConfigSource, ResolvedAuth, Secret, SecretSource,
};
use flinkdeck::domain::filter::GroupBy;

/// Tests that touch process-wide environment variables hold this lock.
static ENV: Mutex<()> = Mutex::new(());

fn env_lock() -> std::sync::MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|e| e.into_inner())
}

struct TempConfig {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn write_config(text: &str) -> TempConfig {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flinkdeck.toml");
    std::fs::write(&path, text).expect("write config");
    TempConfig { _dir: dir, path }
}

/// Loads `text` from a real file and returns the error, checking that its `Display` starts with
/// `<path>:<line>:<column>: <key>: `.
fn load_err(text: &str, line: usize, column: usize, key: &str) -> ConfigError {
    let f = write_config(text);
    let e = match Config::load(&f.path) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e,
    };
    assert_eq!(e.path.as_deref(), Some(f.path.as_path()), "{e}");
    assert_eq!((e.line, e.column), (Some(line), Some(column)), "{e}");
    assert_eq!(e.key.as_deref(), Some(key), "{e}");
    let prefix = format!("{}:{line}:{column}: {key}: ", f.path.display());
    assert!(e.to_string().starts_with(&prefix), "{e}");
    e
}

const TWO_CLUSTERS: &str = r#"[ui]
refresh = "1s"

[[clusters]]
name = "a"
url = "http://a:8081"

[[clusters]]
name = "b"
url = "http://b:8081"
"#;

#[test]
fn example_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flinkdeck.example.toml");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.source, ConfigSource::File(path.clone()));
    let names: Vec<&str> = c.clusters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["local-2.3", "local-1.20"]);
    let a = c.cluster("local-2.3").expect("first cluster");
    assert_eq!(a.kind, ClusterKind::Standalone);
    assert_eq!(
        a.url.as_ref().map(url::Url::as_str).unwrap_or_default(),
        "http://localhost:8081/"
    );
    assert_eq!(a.auth, AuthConfig::None);
    let b = c.cluster("local-1.20").expect("second cluster");
    assert_eq!(b.url.as_ref().and_then(url::Url::port), Some(8082));
    assert!(b.readonly);
    assert_eq!(c.ui.theme, "default");
    assert_eq!(c.ui.hyperlinks, flinkdeck::domain::terminal::Switch::Auto);
    assert_eq!(c.ui.clipboard, flinkdeck::domain::terminal::Switch::Auto);
    assert_eq!(c.ui.refresh, std::time::Duration::from_secs(2));
    let views: Vec<(&str, &str, Option<GroupBy>)> =
        c.ui.views
            .iter()
            .map(|v| (v.name.as_str(), v.filter.source(), v.group))
            .collect();
    assert_eq!(
        views,
        [
            (
                "oncall",
                "state:failing state:restarting state:failed",
                Some(GroupBy::Cluster)
            ),
            ("payments", "team:payments state:active", None),
        ]
    );
    assert_eq!(c.logs, flinkdeck::config::LogsConfig::default());
    // [store] shows the defaults.
    assert_eq!(c.store, flinkdeck::config::StoreConfig::default());
}

#[test]
fn example_config_mentions_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flinkdeck.example.toml");
    let text = std::fs::read_to_string(path).expect("read example");
    for key in [
        "refresh",
        "theme",
        "readonly",
        "keymap",
        "hyperlinks",
        "clipboard",
        "name",
        "kind",
        "url",
        "timeout",
        "web_url",
        "ca_cert",
        "insecure_skip_verify",
        "token_env",
        "token_file",
        "username",
        "password_env",
        "password_file",
        "kubeconfig",
        "context",
        "namespaces",
        "archive_bytes",
        "archive_total",
        "archive_interval",
        "archive_max_age",
        "checkpoints_per_job",
        "checkpoint_max_age",
        "health_max_age",
        "gone_jobs_max_age",
        "journal_max_age",
        "retention_interval",
        "retention_batch",
    ] {
        assert!(
            text.contains(&format!("{key} = ")),
            "example does not show `{key}`"
        );
    }
}

#[test]
fn valid_file_loads() {
    let f = write_config(TWO_CLUSTERS);
    let c = Config::load(&f.path).expect("valid");
    assert_eq!(c.clusters.len(), 2);
    assert_eq!(c.ui.refresh, std::time::Duration::from_secs(1));
}

#[test]
fn unknown_key_in_ui() {
    let e = load_err(
        "[ui]\nrefresh = \"2s\"\ncolour = \"red\"\n",
        3,
        1,
        "ui.colour",
    );
    assert_eq!(
        e.message,
        "unknown key `colour`; expected one of refresh, theme, readonly, keymap, action_timeout, detail_budget, hyperlinks, clipboard, views, columns"
    );
}

#[test]
fn unknown_key_in_a_cluster() {
    let text = format!("{TWO_CLUSTERS}timout = \"5s\"\n");
    let e = load_err(&text, 11, 1, "clusters[1].timout");
    assert!(
        e.message
            .starts_with("unknown key `timout`; expected one of name, kind, url, timeout"),
        "{e}"
    );
}

#[test]
fn unknown_top_level_key() {
    let e = load_err("cluster = 1\n", 1, 1, "cluster");
    assert!(e.message.starts_with("unknown key `cluster`"), "{e}");
}

#[test]
fn wrong_type() {
    let text = "[[clusters]]\nname = \"a\"\nurl = \"http://a\"\nreadonly = \"yes\"\n";
    let e = load_err(text, 4, 12, "clusters[0].readonly");
    assert_eq!(
        e.message,
        "invalid type: string \"yes\", expected a boolean"
    );
    let text = "[[clusters]]\nname = \"a\"\nurl = 8081\n";
    let e = load_err(text, 3, 7, "clusters[0].url");
    assert_eq!(e.message, "invalid type: integer `8081`, expected a string");
}

#[test]
fn duplicate_cluster_names() {
    let text = TWO_CLUSTERS.replace("name = \"b\"", "name = \"a\"");
    let e = load_err(&text, 9, 1, "clusters[1].name");
    assert_eq!(
        e.message,
        "duplicate cluster name \"a\" (first defined at line 5)"
    );
}

#[test]
fn bad_url() {
    let text = TWO_CLUSTERS.replace("http://b:8081", "ht!tp://x");
    let e = load_err(&text, 10, 7, "clusters[1].url");
    assert_eq!(
        e.message,
        "invalid URL \"ht!tp://x\": relative URL without a base"
    );
}

#[test]
fn url_without_host() {
    let text = TWO_CLUSTERS.replace("http://b:8081", "http://");
    let e = load_err(&text, 10, 7, "clusters[1].url");
    assert!(e.message.contains("http://"), "{e}");
}

#[test]
fn non_http_scheme() {
    let text = TWO_CLUSTERS.replace("http://b:8081", "ftp://b:8081");
    let e = load_err(&text, 10, 7, "clusters[1].url");
    assert_eq!(
        e.message,
        "unsupported URL scheme `ftp` in \"ftp://b:8081\"; expected http or https"
    );
}

#[test]
fn credentials_in_url_are_refused_and_not_echoed() {
    let text = TWO_CLUSTERS.replace("http://b:8081", "http://admin:hunter2@b:8081");
    let e = load_err(&text, 10, 7, "clusters[1].url");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(e.message.contains("credentials"), "{e}");
}

#[test]
fn bad_duration() {
    let e = load_err("[ui]\nrefresh = \"fast\"\n", 2, 11, "ui.refresh");
    assert!(e.message.starts_with("invalid duration \"fast\": "), "{e}");
    let text = format!("{TWO_CLUSTERS}timeout = \"5 parsecs\"\n");
    let e = load_err(&text, 11, 11, "clusters[1].timeout");
    assert!(
        e.message.starts_with("invalid duration \"5 parsecs\""),
        "{e}"
    );
}

#[test]
fn duration_too_short() {
    let e = load_err("[ui]\nrefresh = \"50ms\"\n", 2, 11, "ui.refresh");
    assert!(e.message.contains("100ms"), "{e}");
}

#[test]
fn unknown_kind() {
    let text = TWO_CLUSTERS.replace("name = \"a\"", "name = \"a\"\nkind = \"mesos\"");
    let e = load_err(&text, 6, 8, "clusters[0].kind");
    assert!(
        e.message.starts_with(
            "unknown cluster kind \"mesos\"; expected one of standalone, kubernetes, yarn"
        ),
        "{e}"
    );
}

#[test]
fn both_token_file_and_token_env() {
    let text = format!("{TWO_CLUSTERS}token_env = \"T\"\ntoken_file = \"t.txt\"\n");
    let e = load_err(&text, 12, 14, "clusters[1].token_file");
    assert_eq!(
        e.message,
        "set either `token_env` or `token_file`, not both"
    );
}

#[test]
fn token_and_basic_auth_together() {
    let text = format!("{TWO_CLUSTERS}token_env = \"T\"\nusername = \"u\"\npassword_env = \"P\"\n");
    let e = load_err(&text, 12, 12, "clusters[1].username");
    assert!(e.message.contains("cannot both be set"), "{e}");
}

#[test]
fn password_without_username() {
    let text = format!("{TWO_CLUSTERS}password_env = \"P\"\n");
    let e = load_err(&text, 11, 16, "clusters[1].password_env");
    assert_eq!(e.message, "`password_env` needs `username`");
}

#[test]
fn invalid_cluster_name() {
    let text = TWO_CLUSTERS.replace("name = \"b\"", "name = \"prod b\"");
    let e = load_err(&text, 9, 8, "clusters[1].name");
    assert!(
        e.message.starts_with("invalid cluster name \"prod b\""),
        "{e}"
    );
}

#[test]
fn no_clusters_is_valid() {
    let f = write_config("[ui]\ntheme = \"light\"\n");
    let c = Config::load(&f.path).expect("a config without clusters is valid");
    assert!(c.clusters.is_empty());
    assert_eq!(c.ui.theme, "light");
}

#[test]
fn syntax_error() {
    let f = write_config("[ui\nrefresh = \"2s\"\n");
    let e = Config::load(&f.path).expect_err("syntax");
    assert_eq!(e.line, Some(1));
    assert!(e.column.is_some());
    assert!(!e.to_string().contains('\n'), "{e}");
}

#[test]
fn missing_explicit_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.toml");
    let e = Config::load_or_default(Some(&path)).expect_err("missing");
    assert_eq!(e.path.as_deref(), Some(path.as_path()));
    assert_eq!(e.message, "config file not found");
}

#[test]
fn config_env_var_is_explicit_and_default_path() {
    let _g = env_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("via-env.toml");
    std::env::set_var("FLINKDECK_CONFIG", &path);
    assert_eq!(Config::default_path().as_deref(), Some(path.as_path()));
    // Missing file named by the variable: an error, not the local default.
    let e = Config::load_or_default(None).expect_err("missing");
    assert_eq!(e.path.as_deref(), Some(path.as_path()));
    std::fs::write(&path, TWO_CLUSTERS).expect("write");
    let c = Config::load_or_default(None).expect("loads");
    assert_eq!(c.source, ConfigSource::File(path.clone()));
    std::env::remove_var("FLINKDECK_CONFIG");
    let p = Config::default_path();
    if let Some(p) = p {
        assert!(p.ends_with("flinkdeck/config.toml"), "{}", p.display());
    }
}

#[test]
fn data_dir_env_override() {
    let _g = env_lock();
    std::env::set_var("FLINKDECK_DATA_DIR", "/tmp/fd-data-test");
    assert_eq!(
        flinkdeck::config::default_data_dir(),
        Some(PathBuf::from("/tmp/fd-data-test"))
    );
    std::env::remove_var("FLINKDECK_DATA_DIR");
}

#[test]
fn secret_env_var_missing_names_the_variable() {
    let text = format!("{TWO_CLUSTERS}token_env = \"FLINKDECK_TEST_TOKEN_NEVER_SET\"\n");
    let f = write_config(&text);
    let c = Config::load(&f.path).expect("valid");
    let b = c.cluster("b").expect("b");
    let e = b.resolve_auth().expect_err("unset variable");
    assert_eq!(e.key.as_deref(), Some("clusters[\"b\"].token_env"));
    assert!(e.message.contains("FLINKDECK_TEST_TOKEN_NEVER_SET"), "{e}");
    assert!(e.message.contains("not set"), "{e}");
    // Through the source directly, too.
    let AuthConfig::Token { source } = &b.auth else {
        panic!("token auth expected");
    };
    let e = source.resolve().expect_err("unset");
    assert!(
        e.to_string().contains("FLINKDECK_TEST_TOKEN_NEVER_SET"),
        "{e}"
    );
}

#[test]
fn secret_values_never_show() {
    let _g = env_lock();
    std::env::set_var("FLINKDECK_TEST_TOKEN_SET", "s3cr3t-value");
    let text = format!("{TWO_CLUSTERS}token_env = \"FLINKDECK_TEST_TOKEN_SET\"\n");
    let f = write_config(&text);
    let c = Config::load(&f.path).expect("valid");
    let auth = c.cluster("b").expect("b").resolve_auth().expect("resolves");
    let ResolvedAuth::Bearer(secret) = &auth else {
        panic!("bearer expected, got {auth:?}");
    };
    assert_eq!(secret.expose(), "s3cr3t-value");
    assert_eq!(format!("{secret:?}"), "***");
    assert_eq!(format!("{secret}"), "***");
    assert!(!format!("{auth:?}").contains("s3cr3t"));
    assert!(!format!("{c:?}").contains("s3cr3t"));
    std::env::remove_var("FLINKDECK_TEST_TOKEN_SET");
    assert_eq!(format!("{:?}", Secret::new("x")), "***");
}

#[test]
fn secret_file_is_relative_to_the_config_and_trimmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("secrets")).expect("mkdir");
    std::fs::write(dir.path().join("secrets/b.pw"), "pa55word\n").expect("write");
    let path = dir.path().join("c.toml");
    let text = format!("{TWO_CLUSTERS}username = \"bob\"\npassword_file = \"secrets/b.pw\"\n");
    std::fs::write(&path, text).expect("write");
    let c = Config::load(&path).expect("valid");
    let b = c.cluster("b").expect("b");
    assert_eq!(
        b.auth,
        AuthConfig::Basic {
            username: "bob".into(),
            password: SecretSource::File(dir.path().join("secrets/b.pw")),
        }
    );
    match b.resolve_auth().expect("resolves") {
        ResolvedAuth::Basic { username, password } => {
            assert_eq!(username, "bob");
            assert_eq!(password.expose(), "pa55word");
        }
        other => panic!("basic expected, got {other:?}"),
    }
}

#[test]
fn secret_file_missing_names_the_file_not_a_value() {
    let text = format!("{TWO_CLUSTERS}token_file = \"/nonexistent/fd/token\"\n");
    let f = write_config(&text);
    let c = Config::load(&f.path).expect("valid");
    let e = c
        .cluster("b")
        .expect("b")
        .resolve_auth()
        .expect_err("missing file");
    assert_eq!(e.key.as_deref(), Some("clusters[\"b\"].token_file"));
    assert!(e.message.contains("/nonexistent/fd/token"), "{e}");
}

#[test]
fn vars_and_secret_vars_load_and_resolve() {
    let _g = env_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("pw.txt"), "filepw\n").expect("write");
    let path = dir.path().join("c.toml");
    let text = format!(
        "{TWO_CLUSTERS}\n[vars]\ntopic = \"orders\"\nkafka.servers = \"k:9092\"\n\"a.b\" = \"x\"\n\n\
         [secret_vars]\ndb_pw = {{ env = \"FLINKDECK_TEST_VAR_PW\" }}\nfile_pw = {{ file = \"pw.txt\" }}\n\
         unused = {{ env = \"FLINKDECK_TEST_VAR_NEVER_SET\" }}\n"
    );
    std::fs::write(&path, text).expect("write");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let vars: Vec<(&str, &str)> = c
        .vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        vars,
        [
            ("a.b", "x"),
            ("kafka.servers", "k:9092"),
            ("topic", "orders")
        ]
    );
    assert_eq!(
        c.secret_vars.get("db_pw"),
        Some(&SecretSource::Env("FLINKDECK_TEST_VAR_PW".into()))
    );
    assert_eq!(
        c.secret_vars.get("file_pw"),
        Some(&SecretSource::File(dir.path().join("pw.txt")))
    );

    std::env::set_var("FLINKDECK_TEST_VAR_PW", "envpw");
    // All of them: the unset one is an error naming its key and variable.
    let e = c.resolve_vars(None).expect_err("unused is not set");
    assert_eq!(e.key.as_deref(), Some("secret_vars.unused"), "{e}");
    assert!(e.message.contains("FLINKDECK_TEST_VAR_NEVER_SET"), "{e}");
    assert_eq!(e.path.as_deref(), Some(path.as_path()));
    // Only those a script uses; an app's vars override the config's (and its secrets).
    let mut app = flinkdeck::config::app_spec::parse_app_spec(
        "name = \"a\"\ncluster = \"a\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n[vars]\ntopic = \"mine\"\nfile_pw = \"plain\"\n",
        Path::new("/nowhere/a.app.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (values, secrets) = c
        .resolve_vars_for(Some(&app), "${topic} ${db_pw} ${file_pw}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(values["topic"], "mine");
    assert_eq!(values["db_pw"], "envpw");
    assert_eq!(values["file_pw"], "plain");
    assert_eq!(values["kafka.servers"], "k:9092");
    assert!(!values.contains_key("unused"));
    assert_eq!(secrets.into_iter().collect::<Vec<_>>(), ["db_pw"]);
    app.vars.clear();
    let (values, secrets) = c
        .resolve_vars_for(Some(&app), "${file_pw}")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(values["file_pw"], "filepw");
    assert_eq!(secrets.into_iter().collect::<Vec<_>>(), ["file_pw"]);
    std::env::remove_var("FLINKDECK_TEST_VAR_PW");
    assert!(!format!("{c:?}").contains("filepw"));

    // No config file: nothing defined.
    let d = Config::default_local();
    assert!(d.vars.is_empty() && d.secret_vars.is_empty());
    assert!(d.resolve_vars(None).expect("empty").0.is_empty());
}

#[test]
fn bad_vars_point_at_the_key() {
    let head = format!("{TWO_CLUSTERS}\n");
    // TWO_CLUSTERS has 10 lines; the blank line is 11, the table header 12.
    let e = load_err(&format!("{head}[vars]\nn = 10\n"), 13, 5, "vars.n");
    assert!(e.message.contains("expected a string"), "{e}");
    let e = load_err(&format!("{head}[vars]\n\"1x\" = \"a\"\n"), 13, 1, "vars.1x");
    assert!(e.message.contains("invalid variable name"), "{e}");
    let e = load_err(&format!("vars = \"x\"\n{head}"), 1, 8, "vars");
    assert!(e.message.contains("expected a table"), "{e}");
    let e = load_err(
        &format!("{head}[secret_vars]\npw = \"PW_ENV\"\n"),
        13,
        6,
        "secret_vars.pw",
    );
    assert!(e.message.contains("{ env = \"VAR\" }"), "{e}");
    let e = load_err(
        &format!("{head}[secret_vars]\npw = {{ envv = \"X\" }}\n"),
        13,
        8,
        "secret_vars.pw.envv",
    );
    assert!(e.message.contains("unknown key `envv`"), "{e}");
    let e = load_err(
        &format!("{head}[secret_vars]\npw = {{ env = \"X\", mode = \"r\" }}\n"),
        13,
        19,
        "secret_vars.pw.mode",
    );
    assert!(e.message.contains("expected one of env, file"), "{e}");
    let e = load_err(
        &format!("{head}[secret_vars]\npw = {{ env = \"X\", file = \"f\" }}\n"),
        13,
        26,
        "secret_vars.pw.file",
    );
    assert!(e.message.contains("not both"), "{e}");
    let e = load_err(
        &format!("{head}[secret_vars]\npw = {{ env = 5 }}\n"),
        13,
        14,
        "secret_vars.pw.env",
    );
    assert!(e.message.contains("expected a string"), "{e}");
    let e = load_err(
        &format!("{head}[vars]\npw = \"a\"\n[secret_vars]\npw = {{ env = \"X\" }}\n"),
        15,
        1,
        "secret_vars.pw",
    );
    assert!(e.message.contains("defined in [vars] too"), "{e}");
    let e = load_err(&format!("{head}[secret_var]\n"), 12, 2, "secret_var");
    assert!(e.message.contains("unknown key `secret_var`"), "{e}");
}

const YARN: &str = r#"[[clusters]]
name = "yarn-prod"
kind = "yarn"
url = "http://rm1:8088"
standby_urls = ["http://rm2:8088"]
user = "flink"
"#;

#[test]
fn yarn_entry_parses_with_defaults() {
    let f = write_config(YARN);
    let c = Config::load(&f.path).expect("a yarn entry is valid");
    let y = &c.clusters[0];
    assert_eq!(y.kind, ClusterKind::Yarn);
    assert_eq!(y.url.as_ref().map(|u| u.as_str()), Some("http://rm1:8088/"));
    let yarn = y.yarn.as_ref().expect("yarn keys");
    let standby: Vec<&str> = yarn.standby_urls.iter().map(|u| u.as_str()).collect();
    assert_eq!(standby, ["http://rm2:8088/"]);
    assert_eq!(yarn.user.as_deref(), Some("flink"));
    assert_eq!(yarn.ended_window, std::time::Duration::from_secs(6 * 3600));
    let f = write_config(&format!("{YARN}ended_window = \"2h\"\n"));
    let c = Config::load(&f.path).expect("valid");
    assert_eq!(
        c.clusters[0].yarn.as_ref().map(|y| y.ended_window),
        Some(std::time::Duration::from_secs(2 * 3600))
    );
}

#[test]
fn yarn_unknown_key_and_wrong_types_say_where() {
    let e = load_err(
        &format!("{YARN}standby_url = \"x\"\n"),
        7,
        1,
        "clusters[0].standby_url",
    );
    assert!(e.message.starts_with("unknown key `standby_url`"), "{e}");
    assert!(e.message.contains("standby_urls"), "{e}");
    let text = YARN.replace(
        "standby_urls = [\"http://rm2:8088\"]",
        "standby_urls = \"http://rm2:8088\"",
    );
    let e = load_err(&text, 5, 16, "clusters[0].standby_urls");
    assert!(e.message.starts_with("invalid type: string"), "{e}");
    let text = YARN.replace("user = \"flink\"", "user = 7");
    let e = load_err(&text, 6, 8, "clusters[0].user");
    assert_eq!(e.message, "invalid type: integer `7`, expected a string");
    let e = load_err(
        &format!("{YARN}ended_window = \"soon\"\n"),
        7,
        16,
        "clusters[0].ended_window",
    );
    assert!(e.message.starts_with("invalid duration \"soon\""), "{e}");
}

#[test]
fn yarn_values_are_checked() {
    let text = YARN.replace("http://rm2:8088", "ftp://rm2");
    let e = load_err(&text, 5, 17, "clusters[0].standby_urls");
    assert!(e.message.contains("unsupported URL scheme `ftp`"), "{e}");
    let text = YARN.replace("http://rm2:8088", "http://rm1:8088");
    let e = load_err(&text, 5, 17, "clusters[0].standby_urls");
    assert!(e.message.contains("listed twice"), "{e}");
    let text = YARN.replace("user = \"flink\"", "user = \"fl ink\"");
    let e = load_err(&text, 6, 8, "clusters[0].user");
    assert!(e.message.starts_with("invalid YARN user \"fl ink\""), "{e}");
    let text = YARN.replace("url = \"http://rm1:8088\"\n", "");
    let e = load_err(&text, 2, 8, "clusters[0].url");
    assert!(e.message.contains("ResourceManager web address"), "{e}");
    let e = load_err(
        &format!("{YARN}context = \"prod\"\n"),
        7,
        11,
        "clusters[0].context",
    );
    assert_eq!(e.message, "`context` applies to kind = \"kubernetes\" only");
    let text = format!("{TWO_CLUSTERS}user = \"flink\"\n");
    let e = load_err(&text, 11, 8, "clusters[1].user");
    assert_eq!(e.message, "`user` applies to kind = \"yarn\" only");
}

#[test]
fn bad_views_name_file_line_column_and_key() {
    // The column points into the string, at the bad term.
    let e = load_err(
        "[ui]\nrefresh = \"1s\"\n\n[ui.views]\npay = \"team:payments tem:x\"\n",
        5,
        22,
        "ui.views.pay",
    );
    assert_eq!(
        e.message,
        "bad filter \"team:payments tem:x\": unknown filter key \"tem\"; expected one of team, tag, state, cluster, app at column 15"
    );
    let e = load_err(
        "[ui.views]\nok = \"state:active\"\nbad = \"state:runing\"\n",
        3,
        14,
        "ui.views.bad",
    );
    assert!(e.message.contains("unknown state \"runing\""), "{e}");
    // The table form: at the table, for the filter and for the group.
    let e = load_err(
        "[ui.views]\noncall = { filter = \"app:\", group = \"cluster\" }\n",
        2,
        10,
        "ui.views.oncall",
    );
    assert!(e.message.contains("app: needs a value"), "{e}");
    let e = load_err(
        "[ui.views]\noncall = { filter = \"app:x\", group = \"owner\" }\n",
        2,
        10,
        "ui.views.oncall",
    );
    assert_eq!(
        e.message,
        "unknown group \"owner\"; expected none, cluster, team or app"
    );
}
