//! App definition files (`flinkdeck apply -f app.toml`) through the library API: the examples in
//! config/ parse, and every kind of mistake gives an error with the file, line, column and key.

use std::path::{Path, PathBuf};

use flinkdeck::config::app_spec::{load_app_spec, parse_app_spec};
use flinkdeck::config::{Config, ConfigError, FlinkHome};
use flinkdeck::domain::{AppKind, AppSpec};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config")
        .join(name)
}

struct TempApp {
    dir: tempfile::TempDir,
    path: PathBuf,
}

/// Writes `text` as `<tmp>/app.toml`, plus `extra` files (relative path, content).
fn write_app(text: &str, extra: &[(&str, &str)]) -> TempApp {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, content) in extra {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write extra");
    }
    let path = dir.path().join("app.toml");
    std::fs::write(&path, text).expect("write app");
    TempApp { dir, path }
}

fn load_ok(text: &str, extra: &[(&str, &str)]) -> (TempApp, AppSpec) {
    let f = write_app(text, extra);
    let spec = load_app_spec(&f.path).unwrap_or_else(|e| panic!("{e}"));
    (f, spec)
}

/// Loads `text` from a real file and returns the error, checking that its `Display` starts with
/// `<path>:<line>:<column>: <key>: `.
fn load_err(
    text: &str,
    extra: &[(&str, &str)],
    line: usize,
    column: usize,
    key: &str,
) -> ConfigError {
    let f = write_app(text, extra);
    let e = match load_app_spec(&f.path) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    };
    assert_eq!(e.path.as_deref(), Some(f.path.as_path()), "{e}");
    assert_eq!((e.line, e.column), (Some(line), Some(column)), "{e}");
    assert_eq!(e.key.as_deref(), Some(key), "{e}");
    let prefix = format!("{}:{line}:{column}: {key}: ", f.path.display());
    assert!(e.to_string().starts_with(&prefix), "{e}");
    e
}

const SQL_HEAD: &str = "name = \"orders-agg\"\ncluster = \"prod-a\"\nkind = \"sql\"\n";
const JAR_HEAD: &str = "name = \"wc\"\ncluster = \"prod-a\"\nkind = \"jar\"\n";
const SCRIPT: &str = "INSERT INTO out SELECT * FROM src;\n";

#[test]
fn example_sql_app_parses() {
    let path = example("orders-agg.app.toml");
    let spec = load_app_spec(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.name, "orders-agg");
    assert_eq!(spec.cluster, "local-2.3");
    assert_eq!(spec.kind, AppKind::Sql);
    assert_eq!(spec.sql_file.as_deref(), Some("orders-agg.sql"));
    let script = std::fs::read_to_string(example("orders-agg.sql")).expect("read sql");
    assert_eq!(spec.sql.as_deref(), Some(script.as_str()));
    assert_eq!(spec.parallelism, Some(2));
    assert!(!spec.allow_non_restored_state);
    assert_eq!(spec.owner.as_deref(), Some("data-team"));
    assert_eq!(spec.team.as_deref(), Some("payments"));
    assert_eq!(spec.tags, ["orders", "example"]);
    assert_eq!(spec.jar_file, None);
    assert_eq!(spec.entry_class, None);
    assert!(spec.args.is_empty());
    let get = |k: &str| spec.options.get(k).map(String::as_str);
    assert_eq!(get("execution.checkpointing.interval"), Some("10s"));
    assert_eq!(
        get("execution.checkpointing.tolerable-failed-checkpoints"),
        Some("3")
    );
    assert_eq!(get("pipeline.object-reuse"), Some("true"));
    assert_eq!(spec.options.len(), 4);
}

#[test]
fn example_sql_script_is_a_flink_script() {
    // The SQL runner's job: here only that the script is what the example promises.
    let script = std::fs::read_to_string(example("orders-agg.sql")).expect("read sql");
    let upper = script.to_uppercase();
    for needle in [
        "'CONNECTOR' = 'DATAGEN'",
        "'CONNECTOR' = 'PRINT'",
        "'CONNECTOR' = 'BLACKHOLE'",
        "EXECUTE STATEMENT SET",
        "TUMBLE(",
        "SET 'PIPELINE.NAME'",
    ] {
        assert!(upper.contains(needle), "the example script has no {needle}");
    }
    for connector in ["kafka", "filesystem", "jdbc"] {
        assert!(
            !script.contains(&format!("'{connector}'")),
            "only built-in connectors"
        );
    }
}

#[test]
fn example_jar_app_parses_once_the_jar_is_there() {
    let path = example("wordcount-jar.app.toml");
    let text = std::fs::read_to_string(&path).expect("read example");
    // In the repository the jar is not there (it comes from a Flink distribution): the error
    // points at `jar_file`.
    if !example("jars/WordCount.jar").exists() {
        let e = load_app_spec(&path).expect_err("no jar in the repo");
        assert_eq!(e.key.as_deref(), Some("jar_file"), "{e}");
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
        assert!(e.message.contains("jars/WordCount.jar not found"), "{e}");
    }
    // Next to a jar it parses; the jar path is stored absolute.
    let (f, spec) = load_ok(&text, &[("jars/WordCount.jar", "PK")]);
    assert_eq!(spec.name, "wordcount");
    assert_eq!(spec.kind, AppKind::Jar);
    let jar = PathBuf::from(spec.jar_file.as_deref().expect("jar"));
    assert!(jar.is_absolute(), "{}", jar.display());
    assert_eq!(jar, f.dir.path().join("jars/WordCount.jar"));
    assert_eq!(
        spec.entry_class.as_deref(),
        Some("org.apache.flink.streaming.examples.wordcount.WordCount")
    );
    assert_eq!(spec.args, ["--execution-mode", "STREAMING"]);
    assert_eq!(spec.parallelism, Some(1));
    assert_eq!(spec.sql, None);
    assert_eq!(spec.sql_file, None);
    assert_eq!(
        spec.options
            .get("execution.checkpointing.interval")
            .map(String::as_str),
        Some("30s")
    );
}

#[test]
fn minimal_apps_get_defaults() {
    let (_f, spec) = load_ok(&format!("{SQL_HEAD}sql = \"{}\"\n", SCRIPT.trim()), &[]);
    assert_eq!(spec.sql.as_deref(), Some(SCRIPT.trim()));
    assert_eq!(spec.sql_file, None);
    assert_eq!(spec.parallelism, None);
    assert!(spec.options.is_empty());
    assert!(spec.tags.is_empty());
    assert_eq!(spec.owner, None);
    assert!(!spec.allow_non_restored_state);

    let (_f, spec) = load_ok(
        &format!("{JAR_HEAD}jar_file = \"job.jar\"\nallow_non_restored_state = true\n"),
        &[("job.jar", "PK")],
    );
    assert_eq!(spec.entry_class, None);
    assert!(spec.args.is_empty());
    assert!(spec.allow_non_restored_state);
}

#[test]
fn sql_file_is_relative_to_the_app_file_and_kept_as_written() {
    let (f, spec) = load_ok(
        &format!("{SQL_HEAD}sql_file = \"sql/job.sql\"\n"),
        &[("sql/job.sql", SCRIPT)],
    );
    assert_eq!(spec.sql.as_deref(), Some(SCRIPT));
    assert_eq!(spec.sql_file.as_deref(), Some("sql/job.sql"));
    // The same through parse_app_spec with the path the text is said to come from.
    let text = std::fs::read_to_string(&f.path).expect("read");
    let again = parse_app_spec(&text, &f.path).expect("parse");
    assert_eq!(again, spec);
    // An absolute sql_file works too.
    let abs = f.dir.path().join("sql/job.sql");
    let (_g, spec) = load_ok(
        &format!("{SQL_HEAD}sql_file = {:?}\n", abs.display().to_string()),
        &[],
    );
    assert_eq!(spec.sql.as_deref(), Some(SCRIPT));
}

#[test]
fn option_values_become_strings() {
    let (_f, spec) = load_ok(
        &format!(
            "{SQL_HEAD}sql = \"SELECT 1\"\n[options]\n\"a.string\" = \"x\"\n\"a.int\" = 42\n\
             \"a.neg\" = -1\n\"a.float\" = 0.25\n\"a.bool\" = false\n"
        ),
        &[],
    );
    let got: Vec<(&str, &str)> = spec
        .options
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("a.bool", "false"),
            ("a.float", "0.25"),
            ("a.int", "42"),
            ("a.neg", "-1"),
            ("a.string", "x"),
        ]
    );
}

#[test]
fn dotted_option_keys_need_no_quotes() {
    let (_f, spec) = load_ok(
        &format!(
            "{SQL_HEAD}sql = \"SELECT 1\"\n[options]\nexecution.checkpointing.interval = \"10s\"\n\
             execution.checkpointing.mode = \"EXACTLY_ONCE\"\n\"state.backend.type\" = \"rocksdb\"\n\
             pipeline = {{ name = \"x\", object-reuse = true }}\n"
        ),
        &[],
    );
    let got: Vec<(&str, &str)> = spec
        .options
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("execution.checkpointing.interval", "10s"),
            ("execution.checkpointing.mode", "EXACTLY_ONCE"),
            ("pipeline.name", "x"),
            ("pipeline.object-reuse", "true"),
            ("state.backend.type", "rocksdb"),
        ]
    );
    // The same option spelled both ways is set twice.
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\n[options]\n\"a.b\" = 1\na.b = 2\n"),
        &[],
        7,
        7,
        "options.\"a.b\"",
    );
    assert_eq!(e.message, "option `a.b` is set twice");
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\noptions = \"x\"\n"),
        &[],
        5,
        11,
        "options",
    );
    assert!(e.message.contains("must be a table"), "{e}");
}

#[test]
fn unknown_keys_are_rejected() {
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\nparalelism = 2\n"),
        &[],
        5,
        1,
        "paralelism",
    );
    assert!(
        e.message
            .starts_with("unknown key `paralelism`; expected one of name, cluster, kind"),
        "{e}"
    );
}

#[test]
fn missing_required_keys() {
    let e = load_err(
        "cluster = \"prod-a\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n",
        &[],
        1,
        1,
        "name",
    );
    assert_eq!(e.message, "missing required key `name`");
    let e = load_err(
        "name = \"a\"\ncluster = \"prod-a\"\nsql = \"SELECT 1\"\n",
        &[],
        1,
        1,
        "kind",
    );
    assert_eq!(e.message, "missing required key `kind`");
}

#[test]
fn bad_names_and_kind() {
    let e = load_err(
        "name = \"orders agg\"\ncluster = \"prod-a\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n",
        &[],
        1,
        8,
        "name",
    );
    assert!(e.message.contains("invalid app name \"orders agg\""), "{e}");
    let e = load_err(
        "name = \"a\"\ncluster = \"\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n",
        &[],
        2,
        11,
        "cluster",
    );
    assert_eq!(e.message, "cluster name is empty");
    let e = load_err(
        "name = \"a\"\ncluster = \"c\"\nkind = \"python\"\n",
        &[],
        3,
        8,
        "kind",
    );
    assert_eq!(
        e.message,
        "unknown app kind \"python\"; expected one of sql, jar"
    );
    let e = load_err(
        "name = \"a\"\ncluster = \"c\"\nkind = 1\n",
        &[],
        3,
        8,
        "kind",
    );
    assert!(e.message.starts_with("invalid type: integer `1`"), "{e}");
}

#[test]
fn sql_source_must_be_exactly_one() {
    let e = load_err(
        &format!("{SQL_HEAD}sql_file = \"a.sql\"\nsql = \"SELECT 1\"\n"),
        &[("a.sql", SCRIPT)],
        5,
        1,
        "sql",
    );
    assert_eq!(e.message, "set either `sql_file` or `sql`, not both");
    let e = load_err(
        &format!("{SQL_HEAD}parallelism = 1\n"),
        &[],
        3,
        8,
        "sql_file",
    );
    assert!(e.message.contains("missing `sql_file` or `sql`"), "{e}");
}

#[test]
fn keys_of_the_other_kind_are_named() {
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\n\njar_file = \"x.jar\"\n"),
        &[("x.jar", "PK")],
        6,
        1,
        "jar_file",
    );
    assert_eq!(
        e.message,
        "`jar_file` is only for apps of kind \"jar\"; this app has kind \"sql\""
    );
    load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\nargs = [\"--x\"]\n"),
        &[],
        5,
        1,
        "args",
    );
    load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\nentry_class = \"a.B\"\n"),
        &[],
        5,
        1,
        "entry_class",
    );
    let e = load_err(
        &format!("{JAR_HEAD}jar_file = \"x.jar\"\nsql = \"SELECT 1\"\n"),
        &[("x.jar", "PK")],
        5,
        1,
        "sql",
    );
    assert_eq!(
        e.message,
        "`sql` is only for apps of kind \"sql\"; this app has kind \"jar\""
    );
    load_err(
        &format!("{JAR_HEAD}jar_file = \"x.jar\"\nsql_file = \"a.sql\"\n"),
        &[("x.jar", "PK"), ("a.sql", SCRIPT)],
        5,
        1,
        "sql_file",
    );
}

#[test]
fn jar_file_is_required_and_must_exist() {
    let e = load_err(JAR_HEAD, &[], 3, 8, "jar_file");
    assert!(e.message.contains("missing required key `jar_file`"), "{e}");
    let e = load_err(
        &format!("{JAR_HEAD}jar_file = \"missing.jar\"\n"),
        &[],
        4,
        12,
        "jar_file",
    );
    assert!(e.message.starts_with("jar file /"), "absolute: {e}");
    assert!(e.message.ends_with("/missing.jar not found"), "{e}");
    let e = load_err(
        &format!("{JAR_HEAD}jar_file = \"lib\"\n"),
        &[("lib/x", "")],
        4,
        12,
        "jar_file",
    );
    assert!(e.message.ends_with("/lib is not a file"), "{e}");
    load_err(
        &format!("{JAR_HEAD}jar_file = \"\"\n"),
        &[],
        4,
        12,
        "jar_file",
    );
    let e = load_err(
        &format!("{JAR_HEAD}jar_file = \"x.jar\"\nentry_class = \"com.example. Job\"\n"),
        &[("x.jar", "PK")],
        5,
        15,
        "entry_class",
    );
    assert!(e.message.starts_with("invalid entry class"), "{e}");
}

#[test]
fn sql_file_must_exist_and_scripts_must_not_be_empty() {
    let e = load_err(
        &format!("{SQL_HEAD}sql_file = \"nope.sql\"\n"),
        &[],
        4,
        12,
        "sql_file",
    );
    assert!(e.message.ends_with("/nope.sql not found"), "{e}");
    let e = load_err(
        &format!("{SQL_HEAD}sql_file = \"empty.sql\"\n"),
        &[("empty.sql", "-- nothing yet\n/* later */\n;\n")],
        4,
        12,
        "sql_file",
    );
    assert!(e.message.contains("is empty (no statements)"), "{e}");
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"\"\"\n\n\"\"\"\n"),
        &[],
        4,
        7,
        "sql",
    );
    assert_eq!(e.message, "the SQL script is empty (no statements)");
}

#[test]
fn bad_values_point_at_the_value() {
    let base = format!("{SQL_HEAD}sql = \"SELECT 1\"\n");
    let e = load_err(
        &format!("{base}parallelism = 0\n"),
        &[],
        5,
        15,
        "parallelism",
    );
    assert_eq!(e.message, "parallelism must be at least 1 (got 0)");
    let e = load_err(
        &format!("{base}parallelism = \"2\"\n"),
        &[],
        5,
        15,
        "parallelism",
    );
    assert!(e.message.starts_with("invalid type: string \"2\""), "{e}");
    let e = load_err(
        &format!("{base}allow_non_restored_state = \"yes\"\n"),
        &[],
        5,
        28,
        "allow_non_restored_state",
    );
    assert!(e.message.contains("expected a boolean"), "{e}");
    let e = load_err(&format!("{base}owner = \" \"\n"), &[], 5, 9, "owner");
    assert_eq!(e.message, "owner is empty");
    let e = load_err(&format!("{base}team = \"\"\n"), &[], 5, 8, "team");
    assert_eq!(e.message, "team is empty");
    let e = load_err(
        &format!("{base}tags = [\"a\", \"\"]\n"),
        &[],
        5,
        14,
        "tags[1]",
    );
    assert_eq!(e.message, "tag is empty");
    let e = load_err(
        &format!("{base}[options]\n\"a.list\" = [1, 2]\n"),
        &[],
        6,
        12,
        "options.\"a.list\"",
    );
    assert!(
        e.message
            .contains("expected a string, integer, float or boolean"),
        "{e}"
    );
    let e = load_err(
        &format!("{base}[options]\n\"a.b\" = \"x\"\n\"\" = \"y\"\n"),
        &[],
        7,
        1,
        "options.\"\"",
    );
    assert_eq!(e.message, "option name is empty");
}

#[test]
fn syntax_errors_and_unreadable_files() {
    let f = write_app("name = \"a\"\ncluster = \n", &[]);
    let e = load_app_spec(&f.path).expect_err("syntax");
    assert_eq!(e.path.as_deref(), Some(f.path.as_path()));
    assert_eq!(e.line, Some(2));
    assert!(e.column.is_some());
    assert!(!e.message.contains('\n'), "{e}");

    let missing = f.dir.path().join("nope.toml");
    let e = load_app_spec(&missing).expect_err("missing");
    assert_eq!(
        e.to_string(),
        format!("{}: app file not found", missing.display())
    );
}

#[test]
fn config_flink_homes() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("flink-1.20.5/lib")).expect("lib");
    let path = dir.path().join("flinkdeck.toml");
    std::fs::write(
        &path,
        "[[clusters]]\nname = \"a\"\nurl = \"http://a:8081\"\n\n[[flink]]\nversion = \"1.20.5\"\n\
         home = \"flink-1.20.5\"\n\n[[flink]]\nversion = \"2.3.0\"\nhome = \"flink-2.3.0\"\n",
    )
    .expect("write");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.flink,
        vec![
            FlinkHome {
                version: "1.20.5".into(),
                home: dir.path().join("flink-1.20.5"),
            },
            FlinkHome {
                version: "2.3.0".into(),
                home: dir.path().join("flink-2.3.0"),
            },
        ]
    );
    assert_eq!(
        c.flink_home("1.20.5").expect("configured"),
        dir.path().join("flink-1.20.5")
    );
    let e = c.flink_home("2.3.0").expect_err("no lib/ there");
    assert_eq!(e.path.as_deref(), Some(path.as_path()));
    assert_eq!(e.key.as_deref(), Some("flink[1].home"));
    assert!(e.message.contains("has no lib/ directory"), "{e}");

    std::fs::write(
        &path,
        "[[clusters]]\nname = \"a\"\nurl = \"http://a:8081\"\n[[flink]]\nversion = \"2.3.0\"\n\
         home = \"/x\"\n[[flink]]\nversion = \"2.3.0\"\nhome = \"/y\"\n",
    )
    .expect("write");
    let e = Config::load(&path).expect_err("duplicate");
    assert_eq!(
        e.to_string(),
        format!(
            "{}:8:1: flink[1].version: duplicate Flink version \"2.3.0\" (first defined at line 5)",
            path.display()
        )
    );
    assert!(Config::default_local().flink.is_empty());
}

#[test]
fn app_vars_are_plain_strings_and_secrets_belong_in_the_config() {
    let text = format!(
        "{SQL_HEAD}sql = \"INSERT INTO t SELECT '${{topic}}'\"\n[vars]\ntopic = \"orders\"\nkafka.group = \"g1\"\n"
    );
    let (_f, spec) = load_ok(&text, &[]);
    let vars: Vec<(&str, &str)> = spec
        .vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(vars, [("kafka.group", "g1"), ("topic", "orders")]);
    // Stored specs: vars round-trip, and old specs without them still decode.
    let json = serde_json::to_string(&spec).expect("json");
    assert_eq!(
        serde_json::from_str::<AppSpec>(&json).expect("decodes"),
        spec
    );
    let mut old = serde_json::to_value(&spec).expect("value");
    old.as_object_mut().expect("object").remove("vars");
    let decoded: AppSpec = serde_json::from_value(old).expect("old spec decodes");
    assert!(decoded.vars.is_empty());
    let mut no_vars = spec.clone();
    no_vars.vars.clear();
    assert!(!serde_json::to_string(&no_vars)
        .expect("json")
        .contains("vars"));

    // SQL_HEAD has 3 lines.
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\n[vars]\nn = 3\n"),
        &[],
        6,
        5,
        "vars.n",
    );
    assert!(e.message.contains("expected a string"), "{e}");
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\n[vars]\n\"bad-name\" = \"x\"\n"),
        &[],
        6,
        1,
        "vars.bad-name",
    );
    assert!(e.message.contains("invalid variable name"), "{e}");
    let e = load_err(
        &format!("{SQL_HEAD}sql = \"SELECT 1\"\n[secret_vars]\npw = {{ env = \"PW\" }}\n"),
        &[],
        5,
        2,
        "secret_vars",
    );
    assert!(e.message.contains("in the flinkdeck config"), "{e}");
}

const KUBE_APP: &str = "name = \"orders\"\ncluster = \"k8s-prod\"\nnamespace = \"streaming\"\nowner = \"data-team\"\n\n[kubernetes]\nimage = \"flink:2.0\"\nflink_version = \"v2_0\"\njar_uri = \"local:///opt/flink/usrlib/orders.jar\"\nentry_class = \"com.example.Orders\"\nargs = [\"--topic\", \"orders\"]\nparallelism = 2\nservice_account = \"flink\"\n\n[kubernetes.flink_configuration]\n\"taskmanager.numberOfTaskSlots\" = 2\nexecution.checkpointing.interval = \"10s\"\n\n[kubernetes.jobmanager]\ncpu = 1\nmemory = \"2048m\"\n\n[kubernetes.taskmanager]\ncpu = 0.5\nmemory = \"2g\"\nreplicas = 2\n";

#[test]
fn a_kubernetes_target_parses() {
    let (_f, spec) = load_ok(KUBE_APP, &[]);
    assert_eq!(spec.kind, AppKind::Jar);
    assert_eq!(spec.cluster, "k8s-prod");
    let k = spec.kubernetes.expect("kubernetes target");
    assert_eq!(k.namespace, "streaming");
    assert_eq!(k.flink_version, "v2_0");
    assert_eq!(k.upgrade_mode, "savepoint");
    assert_eq!(k.parallelism, Some(2));
    assert_eq!(k.args, ["--topic", "orders"]);
    assert_eq!(
        k.flink_configuration
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect::<Vec<_>>(),
        [
            ("execution.checkpointing.interval", "10s"),
            ("taskmanager.numberOfTaskSlots", "2")
        ]
    );
    assert_eq!(k.jobmanager.cpu, Some(1.0));
    assert_eq!(k.taskmanager.memory.as_deref(), Some("2g"));
    assert_eq!(k.taskmanager.replicas, Some(2));
    assert_eq!(spec.jar_file, None);
}

#[test]
fn kubernetes_target_mistakes_name_file_line_column_and_key() {
    let bad = KUBE_APP.replace("\"v2_0\"", "\"2.0\"");
    let e = load_err(&bad, &[], 8, 17, "kubernetes.flink_version");
    assert!(e.message.contains("v<major>_<minor>"), "{e}");
    let bad = KUBE_APP.replace("memory = \"2g\"", "memory = \"lots\"");
    let e = load_err(&bad, &[], 25, 10, "kubernetes.taskmanager.memory");
    assert!(e.message.contains("invalid memory size"), "{e}");
    let bad = KUBE_APP.replace("namespace = \"streaming\"\n", "");
    let e = load_err(&bad, &[], 5, 1, "namespace");
    assert!(
        e.message.contains("missing required key `namespace`"),
        "{e}"
    );
    let bad = KUBE_APP.replace("jar_uri = \"local:", "jar_uri = \"");
    load_err(&bad, &[], 9, 11, "kubernetes.jar_uri");
    let bad = KUBE_APP.replace(
        "[kubernetes.jobmanager]\ncpu = 1\n",
        "[kubernetes.jobmanager]\ncpu = 1\nreplicas = 2\n",
    );
    load_err(&bad, &[], 21, 12, "kubernetes.jobmanager.replicas");
    let bad = KUBE_APP.replace("parallelism = 2\n", "paralelism = 2\n");
    let e = load_err(&bad, &[], 12, 1, "kubernetes.paralelism");
    assert!(e.message.starts_with("unknown key `paralelism`"), "{e}");
    let bad = format!("kind = \"sql\"\n{KUBE_APP}");
    load_err(&bad, &[], 1, 8, "kind");
    let bad = KUBE_APP.replace("name = \"orders\"", "name = \"Orders_1\"");
    load_err(&bad, &[], 1, 8, "name");
}

#[test]
fn restart_section_defaults_and_values() {
    let base = format!("{SQL_HEAD}sql = \"SELECT 1\"\n");
    let (_f, spec) = load_ok(&base, &[]);
    assert_eq!(spec.restart, None, "no [restart]: never restarted");
    let (_f, spec) = load_ok(&format!("{base}[restart]\non_failure = true\n"), &[]);
    let r = spec.restart.expect("restart");
    assert_eq!((r.on_failure, r.max, r.within_ms), (true, 3, 30 * 60_000));
    assert!(spec.restart_on_failure().is_some());
    let (_f, spec) = load_ok(
        &format!("{base}[restart]\non_failure = true\nmax = 2\nwithin = \"1h\"\n"),
        &[],
    );
    let r = spec.restart.expect("restart");
    assert_eq!((r.max, r.within_ms), (2, 3_600_000));
    let (_f, spec) = load_ok(&format!("{base}[restart]\nmax = 5\n"), &[]);
    assert!(
        spec.restart_on_failure().is_none(),
        "on_failure defaults to false"
    );
}

#[test]
fn restart_mistakes_name_file_line_column_and_key() {
    let base = format!("{SQL_HEAD}sql = \"SELECT 1\"\n[restart]\non_failure = true\n");
    let e = load_err(&format!("{base}max = 0\n"), &[], 7, 7, "restart.max");
    assert!(e.message.contains("from 1 to 100"), "{e}");
    let e = load_err(&format!("{base}max = \"3\"\n"), &[], 7, 7, "restart.max");
    assert!(e.message.contains("invalid type"), "{e}");
    let e = load_err(
        &format!("{base}within = \"soon\"\n"),
        &[],
        7,
        10,
        "restart.within",
    );
    assert!(e.message.starts_with("invalid duration \"soon\""), "{e}");
    let e = load_err(
        &format!("{base}within = \"0s\"\n"),
        &[],
        7,
        10,
        "restart.within",
    );
    assert!(e.message.contains("more than 0"), "{e}");
    let e = load_err(
        &format!("{base}on_failure_x = true\n"),
        &[],
        7,
        1,
        "restart.on_failure_x",
    );
    assert!(e.message.starts_with("unknown key"), "{e}");
    let e = load_err(
        &base.replace("on_failure = true", "on_failure = \"yes\""),
        &[],
        6,
        14,
        "restart.on_failure",
    );
    assert!(e.message.contains("expected a boolean"), "{e}");
}

#[test]
fn operator_apps_take_no_restart_section() {
    let e = load_err(
        &format!("{KUBE_APP}\n[restart]\non_failure = true\n"),
        &[],
        28,
        2,
        "restart",
    );
    assert!(
        e.message.contains("kubernetes.operator.job.restart.failed"),
        "{e}"
    );
}
