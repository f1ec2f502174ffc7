use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_str_named(text, Path::new("/etc/fd.toml"))
}

fn err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn minimal_config_gets_defaults() {
    let c = parse("[[clusters]]\nname = \"a\"\nurl = \"http://h:8081\"\n").expect("valid");
    assert_eq!(c.ui, UiConfig::default());
    assert_eq!(c.clusters.len(), 1);
    let a = &c.clusters[0];
    assert_eq!(
        a.url.as_ref().map(url::Url::as_str).unwrap_or_default(),
        "http://h:8081/"
    );
    assert_eq!(a.timeout, DEFAULT_TIMEOUT);
    assert_eq!(a.kind, ClusterKind::Standalone);
    assert_eq!(a.auth, AuthConfig::None);
    assert_eq!(c.source, ConfigSource::File(PathBuf::from("/etc/fd.toml")));
    assert!(c.cluster("a").is_some());
    assert!(c.cluster("b").is_none());
}

#[test]
fn url_path_gets_a_trailing_slash() {
    let c = parse("[[clusters]]\nname = \"a\"\nurl = \"https://proxy/flink\"\n").expect("valid");
    assert_eq!(
        c.clusters[0]
            .url
            .as_ref()
            .map(url::Url::as_str)
            .unwrap_or_default(),
        "https://proxy/flink/"
    );
    assert_eq!(
        c.clusters[0]
            .url
            .as_ref()
            .expect("url")
            .join("jobs/overview")
            .expect("join")
            .as_str(),
        "https://proxy/flink/jobs/overview"
    );
}

#[test]
fn relative_paths_resolve_against_the_config_dir() {
    let c = parse(
        "[ui]\nkeymap = \"keys.toml\"\n[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n\
         token_file = \"secrets/a\"\nca_cert = \"/abs/ca.pem\"\n",
    )
    .expect("valid");
    assert_eq!(c.ui.keymap, Some(PathBuf::from("/etc/keys.toml")));
    assert_eq!(
        c.clusters[0].auth,
        AuthConfig::Token {
            source: SecretSource::File(PathBuf::from("/etc/secrets/a"))
        }
    );
    assert_eq!(c.clusters[0].ca_cert, Some(PathBuf::from("/abs/ca.pem")));
}

#[test]
fn basic_auth() {
    let c = parse(
        "[[clusters]]\nname = \"a\"\nurl = \"http://h\"\nusername = \"bob\"\npassword_env = \"PW\"\n",
    )
    .expect("valid");
    assert_eq!(
        c.clusters[0].auth,
        AuthConfig::Basic {
            username: "bob".into(),
            password: SecretSource::Env("PW".into())
        }
    );
}

#[test]
fn unknown_ui_key() {
    let e =
        err("[ui]\nrefresh = \"2s\"\n\ncolour = 1\n[[clusters]]\nname=\"a\"\nurl=\"http://h\"\n");
    assert_eq!(
        e.to_string(),
        "/etc/fd.toml:4:1: ui.colour: unknown key `colour`; expected one of refresh, theme, readonly, keymap, action_timeout, detail_budget, hyperlinks, clipboard, views, columns"
    );
}

#[test]
fn bad_duration_points_at_the_value() {
    let e = err("[ui]\n\nrefresh = \"fast\"\n");
    assert_eq!((e.line, e.column), (Some(3), Some(11)));
    assert_eq!(e.key.as_deref(), Some("ui.refresh"));
    assert!(e.message.starts_with("invalid duration \"fast\": "), "{e}");
}

#[test]
fn too_short_refresh() {
    let e = err("[ui]\nrefresh = \"10ms\"\n");
    assert!(e.message.contains("minimum is 100ms"), "{e}");
}

#[test]
fn wrong_type_in_second_cluster() {
    let e = err(
        "[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n\n[[clusters]]\nname = \"b\"\nurl = 8081\n",
    );
    assert_eq!(
        e.to_string(),
        "/etc/fd.toml:7:7: clusters[1].url: invalid type: integer `8081`, expected a string"
    );
}

#[test]
fn missing_name() {
    let e = err("[[clusters]]\nurl = \"http://h\"\n");
    assert_eq!(e.key.as_deref(), Some("clusters[0].name"));
    assert_eq!(e.line, Some(1));
    assert_eq!(e.message, "missing required key `name`");
}

#[test]
fn duplicate_names() {
    let e = err(
        "[[clusters]]\nname = \"prod-a\"\nurl = \"http://h\"\n[[clusters]]\nname = \"prod-a\"\nurl = \"http://i\"\n",
    );
    assert_eq!(
        e.to_string(),
        "/etc/fd.toml:5:1: clusters[1].name: duplicate cluster name \"prod-a\" (first defined at line 2)"
    );
}

#[test]
fn invalid_url_and_scheme_and_credentials() {
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"ht!tp://x\"\n");
    assert_eq!(
        e.to_string(),
        "/etc/fd.toml:3:7: clusters[0].url: invalid URL \"ht!tp://x\": relative URL without a base"
    );
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"ftp://x\"\n");
    assert!(e.message.contains("unsupported URL scheme `ftp`"), "{e}");
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"http://u:s3cret@x\"\n");
    assert!(!e.to_string().contains("s3cret"), "{e}");
}

#[test]
fn inline_array_of_clusters_has_indices_too() {
    let e = err("clusters = [{ name = \"a\", url = \"http://h\" }, { name = \"b\", url = \"http://h\", kind = \"mesos\" }]\n");
    assert_eq!(e.key.as_deref(), Some("clusters[1].kind"));
    assert!(
        e.message
            .contains("expected one of standalone, kubernetes, yarn"),
        "{e}"
    );
}

#[test]
fn no_clusters_is_valid() {
    let c = parse("").expect("an empty config is valid");
    assert!(c.clusters.is_empty());
    let c =
        parse("clusters = []\n[ui]\nreadonly = true\n").expect("an empty cluster list is valid");
    assert!(c.clusters.is_empty() && c.ui.readonly);
}

#[test]
fn auth_conflicts() {
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"http://h\"\ntoken_env = \"T\"\nusername = \"u\"\npassword_env = \"P\"\n");
    assert_eq!(e.key.as_deref(), Some("clusters[0].username"));
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"http://h\"\npassword_file = \"p\"\n");
    assert_eq!(e.key.as_deref(), Some("clusters[0].password_file"));
    assert!(e.message.contains("needs `username`"), "{e}");
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"http://h\"\nusername = \"u\"\n");
    assert_eq!(e.key.as_deref(), Some("clusters[0].username"));
}

#[test]
fn syntax_error_has_a_position() {
    let e = err("[ui]\nrefresh = \n");
    assert_eq!(e.line, Some(2));
    assert!(e.column.is_some());
    assert!(!e.message.contains('\n'), "{e}");
}

#[test]
fn theme_name_is_not_a_path() {
    let e = err("[ui]\ntheme = \"../../x\"\n");
    assert_eq!(e.key.as_deref(), Some("ui.theme"));
}

#[test]
fn default_local_is_one_local_cluster() {
    let c = Config::default_local();
    assert_eq!(c.source, ConfigSource::DefaultLocal);
    assert_eq!(c.clusters.len(), 1);
    assert_eq!(c.clusters[0].name, "local");
    assert_eq!(
        c.clusters[0]
            .url
            .as_ref()
            .map(url::Url::as_str)
            .unwrap_or_default(),
        "http://localhost:8081/"
    );
}

#[test]
fn resolve_auth_names_the_cluster_key() {
    let mut c = ClusterConfig::new("prod-a", local_url());
    c.auth = AuthConfig::Token {
        source: SecretSource::Env("FLINKDECK_UNIT_TEST_NEVER_SET_1".into()),
    };
    let e = c.resolve_auth().expect_err("not set");
    assert_eq!(
        e.to_string(),
        "clusters[\"prod-a\"].token_env: environment variable `FLINKDECK_UNIT_TEST_NEVER_SET_1` is not set"
    );
}

#[test]
fn flink_homes_parse_and_resolve_relative_paths() {
    let c = parse(
        "[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n\n[[flink]]\nversion = \"1.20.5\"\n\
         home = \"/opt/flink-1.20.5\"\n\n[[flink]]\nversion = \"2.3.0\"\nhome = \"flink/2.3.0\"\n",
    )
    .expect("valid");
    assert_eq!(
        c.flink,
        vec![
            FlinkHome {
                version: "1.20.5".into(),
                home: PathBuf::from("/opt/flink-1.20.5"),
            },
            FlinkHome {
                version: "2.3.0".into(),
                home: PathBuf::from("/etc/flink/2.3.0"),
            },
        ]
    );
    // Not checked at parse time: /opt/flink-1.20.5 does not exist here.
    assert!(Config::default_local().flink.is_empty());
    let none = parse("[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n").expect("valid");
    assert!(none.flink.is_empty());
}

#[test]
fn flink_home_errors_point_at_the_entry() {
    let base = "[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n";
    let e = err(&format!(
        "{base}[[flink]]\nversion = \"1.20.5\"\nhome = \"/a\"\n[[flink]]\nversion = \"1.20.5\"\nhome = \"/b\"\n"
    ));
    assert_eq!(
        e.to_string(),
        "/etc/fd.toml:8:1: flink[1].version: duplicate Flink version \"1.20.5\" (first defined at line 5)"
    );
    let e = err(&format!("{base}[[flink]]\nversion = \"1.20.5\"\n"));
    assert_eq!(e.key.as_deref(), Some("flink[0].home"));
    assert_eq!(e.message, "missing required key `home`");
    let e = err(&format!(
        "{base}[[flink]]\nversion = \"latest\"\nhome = \"/a\"\n"
    ));
    assert_eq!((e.line, e.column), (Some(5), Some(11)));
    assert_eq!(e.key.as_deref(), Some("flink[0].version"));
    assert!(e.message.contains("invalid Flink version"), "{e}");
    let e = err(&format!(
        "{base}[[flink]]\nversion = \"2.3.0\"\nhome = \"\"\n"
    ));
    assert_eq!(e.key.as_deref(), Some("flink[0].home"));
    let e = err(&format!(
        "{base}[[flink]]\nversion = \"2.3.0\"\nhome = \"/a\"\nlib = \"/a/lib\"\n"
    ));
    assert_eq!(e.key.as_deref(), Some("flink[0].lib"));
    assert!(
        e.message
            .starts_with("unknown key `lib`; expected one of version, home"),
        "{e}"
    );
}

#[test]
fn flink_home_prefers_the_config_then_the_local_install() {
    let dir = tempfile::tempdir().expect("tempdir");
    let configured = dir.path().join("flink-1.20.5");
    std::fs::create_dir_all(configured.join("lib")).expect("lib");
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(cache.join("flink/2.3.0/lib")).expect("cached lib");
    std::fs::create_dir_all(cache.join("flink/1.19.0")).expect("no lib");
    let text = format!(
        "[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n[[flink]]\nversion = \"1.20.5\"\n\
         home = {:?}\n[[flink]]\nversion = \"1.18.1\"\nhome = \"/nonexistent/flink\"\n",
        configured.display().to_string()
    );
    let c = Config::from_str_named(&text, &dir.path().join("fd.toml")).expect("valid");

    assert_eq!(
        c.flink_home_in("1.20.5", Some(&cache)).expect("configured"),
        configured
    );
    assert_eq!(
        c.flink_home_in("2.3.0", Some(&cache))
            .expect("local install"),
        cache.join("flink/2.3.0")
    );
    // Configured but broken: an error about the entry, no silent fallback.
    let e = c.flink_home_in("1.18.1", Some(&cache)).expect_err("no lib");
    assert_eq!(e.key.as_deref(), Some("flink[1].home"));
    assert_eq!(e.path, Some(dir.path().join("fd.toml")));
    assert!(
        e.message
            .contains("/nonexistent/flink configured for Flink 1.18.1 has no lib/"),
        "{e}"
    );
    // Neither: say which version and both ways to get it.
    for (version, cache) in [("1.19.0", Some(cache.as_path())), ("1.17.2", None)] {
        let e = c.flink_home_in(version, cache).expect_err("missing");
        let msg = e.to_string();
        assert!(msg.contains(&format!("Flink {version} is needed")), "{msg}");
        assert!(
            msg.contains(&format!("[[flink]] version = \"{version}\"")),
            "{msg}"
        );
        assert!(
            msg.contains(&format!(
                "scripts/flink-local.sh install --version {version}"
            )),
            "{msg}"
        );
    }
    let e = c.flink_home_in("1.19.0", Some(&cache)).expect_err("no lib");
    assert!(e.message.contains("flink/1.19.0"), "{e}");
}

#[test]
fn cache_dir_follows_the_local_script() {
    let p = |s: &str| Some(PathBuf::from(s));
    assert_eq!(cache_dir_from(p("/c"), p("/x"), p("/h")), p("/c"));
    assert_eq!(cache_dir_from(None, p("/x"), p("/h")), p("/x/flinkdeck"));
    assert_eq!(
        cache_dir_from(None, None, p("/h")),
        p("/h/.cache/flinkdeck")
    );
    assert_eq!(cache_dir_from(None, None, None), None);
}

#[test]
fn missing_keys_name_the_table_that_lacks_them() {
    // A single table that is the whole file.
    let e = err("[[clusters]]\nurl = \"http://h\"\n");
    assert_eq!(e.key.as_deref(), Some("clusters[0].name"));
    let e = err("[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n[[flink]]\nhome = \"/x\"\n");
    assert_eq!(e.key.as_deref(), Some("flink[0].version"));
    assert_eq!(e.line, Some(4));
    let e = err(
        "clusters = [{ name = \"a\", url = \"http://h\" }]\nflink = [{ version = \"1.20.5\" }]\n",
    );
    assert_eq!(e.key.as_deref(), Some("flink[0].home"));
}

#[test]
fn logs_archive_sizes() {
    assert_eq!(parse_byte_size("1MiB"), Some(1 << 20));
    assert_eq!(parse_byte_size("512 KiB"), Some(512 << 10));
    assert_eq!(parse_byte_size("64M"), Some(64 << 20));
    assert_eq!(parse_byte_size("1MB"), Some(1_000_000));
    assert_eq!(parse_byte_size("1000"), Some(1000));
    assert_eq!(parse_byte_size("1.5KiB"), Some(1536));
    assert_eq!(parse_byte_size("lots"), None);
    assert_eq!(parse_byte_size("1 parsec"), None);
    let c = parse(
        "[logs]\narchive_bytes = \"256KiB\"\narchive_total = \"8MiB\"\narchive_interval = \"1m\"\n\
         archive_max_age = \"7d\"\n[[clusters]]\nname = \"a\"\nurl = \"http://h:8081\"\n",
    )
    .expect("valid");
    assert_eq!(c.logs.archive_bytes, 256 << 10);
    assert_eq!(c.logs.archive_total, 8 << 20);
    assert_eq!(c.logs.archive_interval, Duration::from_secs(60));
    assert_eq!(c.logs.archive_max_age, Duration::from_secs(7 * 24 * 3600));
    let c = parse("[logs]\narchive_max_age = \"0\"\n").expect("valid");
    assert_eq!(c.logs.archive_max_age, Duration::ZERO);
    assert_eq!(
        parse("").expect("valid").logs.archive_max_age,
        Duration::from_secs(30 * 24 * 3600)
    );
    let e = err("[logs]\narchive_max_age = \"a month\"\n");
    assert_eq!(e.key.as_deref(), Some("logs.archive_max_age"));
    assert_eq!((e.line, e.column), (Some(2), Some(19)));
    let e =
        err("[logs]\narchive_bytes = \"big\"\n[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n");
    assert_eq!(e.key.as_deref(), Some("logs.archive_bytes"));
    assert_eq!((e.line, e.column), (Some(2), Some(17)));
    let e = err("[logs]\narchive_bytes = \"2MiB\"\narchive_total = \"1MiB\"\n[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n");
    assert_eq!(e.key.as_deref(), Some("logs.archive_total"));
    let e = err("[logs]\narchive = \"1MiB\"\n[[clusters]]\nname = \"a\"\nurl = \"http://h\"\n");
    assert!(e.message.contains("archive"), "{e}");
}

#[test]
fn store_section_sets_retention_and_rejects_bad_values() {
    let base = "[[clusters]]\nname = \"a\"\nurl = \"http://a:8081\"\n";
    let c = Config::from_str_named(
        &format!(
            "[store]\ncheckpoints_per_job = 7\ncheckpoint_max_age = \"2d\"\n\
             health_max_age = \"0\"\ngone_jobs_max_age = \"12h\"\njournal_max_age = \"365d\"\n\
             retention_interval = \"10m\"\nretention_batch = 50\n{base}"
        ),
        Path::new("/etc/fd.toml"),
    )
    .expect("valid");
    let day = Duration::from_secs(86_400);
    assert_eq!(
        c.store,
        StoreConfig {
            checkpoints_per_job: 7,
            checkpoint_max_age: 2 * day,
            health_max_age: Duration::ZERO,
            gone_jobs_max_age: Duration::from_secs(12 * 3600),
            journal_max_age: 365 * day,
            retention_interval: Duration::from_secs(600),
            retention_batch: 50,
        }
    );
    for (bad, key) in [
        ("checkpoints_per_job = 0", "store.checkpoints_per_job"),
        ("checkpoint_max_age = \"soon\"", "store.checkpoint_max_age"),
        ("retention_interval = \"0\"", "store.retention_interval"),
        ("keep = 1", "keep"),
    ] {
        let e = Config::from_str_named(&format!("[store]\n{bad}\n{base}"), Path::new("/x.toml"))
            .expect_err(bad);
        assert!(e.to_string().contains(key), "{bad}: {e}");
    }
}
