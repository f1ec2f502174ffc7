/*
 * flinkdeck SQL tools: validates Flink SQL scripts with Flink's own planner and debug-runs them on
 * fake data, in a long-lived local JVM ("the helper") that flinkdeck talks to over stdin/stdout.
 *
 * Part of flinkdeck (src/sqlrunner/, Rust side in src/sqltools/). Compiled into the same jar as
 * FlinkdeckSqlRunner, against the lib/ of one Flink version (1.18 to 2.3), and started as
 *
 *   java -cp <runner jar>:<flink home>/lib/*:<app jars> flinkdeck.sqlrunner.FlinkdeckSqlRunner --serve
 *
 * Protocol: one JSON object per line. The helper first prints
 *   {"event":"ready","flink":"2.3.0","java":"17.0.15"}
 * then answers requests in order:
 *   {"id":1,"op":"validate","script":"..."}
 *       -> {"id":1,"event":"result","problems":[PROBLEM, ...],"millis":N}
 *   {"id":2,"op":"debug","script":"...","seconds":10,"rows":100,"rate":20}
 *       -> {"id":2,"event":"replaced","table":"orders","connector":"kafka"}   (per source table)
 *          {"id":2,"event":"sink","sink":"out","statement":4,"columns":[{"name":..,"type":..}]}
 *          {"id":2,"event":"row","sink":"out","kind":"+I","values":[...]}  (at most "rows",
 *                                              each collected query at most its fair share)
 *          {"id":2,"event":"problem", PROBLEM fields...}
 *          {"id":2,"event":"done","ok":true,"rows":N,"stopped":"rows|time|finished|cancelled|failed"}
 *   {"op":"cancel"}   ends a running debug run early (ignored otherwise)
 *   {"id":3,"op":"ping"} -> {"id":3,"event":"pong"};   {"op":"exit"} or EOF ends the helper.
 *   A request that cannot be read: {"id":..,"event":"error","message":"..."}.
 *
 * PROBLEM: {"statement":N,"line":L,"column":C,"end_line":..,"end_column":..,"severity":
 * "error"|"warning","message":"...","connector":"kafka","table":"..."}; lines and columns are
 * 1-based positions in the whole script (Flink's statement-relative positions are rewritten),
 * end_* and connector/table only when known.
 *
 * Validation: the script is split like the runner does; SET/RESET change the configuration; DDL
 * (CREATE/ALTER/DROP, USE, LOAD MODULE, ...) runs in a fresh in-memory catalog; INSERT, statement
 * sets, CREATE TABLE AS and SELECT are parsed and planned (explain) but never run. A table whose
 * connector (or format) factory is not on the classpath is a warning (its DDL, and every statement
 * that reads or writes it), never an error. A CREATE CATALOG of another type than
 * generic_in_memory (hive, jdbc, ...) is not opened: an empty in-memory catalog stands in, and
 * "not found" errors of statements that use it are warnings. Nothing else runs: EXECUTE PLAN,
 * COMPILE PLAN, CALL, ADD JAR, job statements are only parsed. A top-level SELECT is a warning
 * (the job runner refuses it). Validation goes on after an error.
 *
 * Debug run: the same, but before any query is planned every table the script created is
 * re-created with the 'datagen' connector (same columns, computed columns and watermarks; metadata
 * columns become plain columns; no partitions; small random numbers and strings), so no original
 * connector is ever instantiated. (Precisely: the 'flinkdeck-debug' connector below, which is
 * datagen plus lookups for processing-time lookup joins.)
 * Each INSERT's (and CREATE TABLE AS's) query is shaped to its sink's columns and collected with
 * TableResult.collect() from a local mini cluster (a top-level SELECT is collected as is); the rows
 * are streamed back until "rows" rows or "seconds" seconds, then the jobs are cancelled.
 * Checkpointing, HA and state directories are switched off, parallelism is 1.
 *
 * System.out is pointed at stderr while serving, so nothing but the protocol reaches stdout.
 */
package flinkdeck.sqlrunner;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.table.DataGenTableSourceFactory;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.Expressions;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableDescriptor;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.internal.TableEnvironmentImpl;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.catalog.CatalogBaseTable;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ContextResolvedTable;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.connector.source.LookupTableSource;
import org.apache.flink.table.connector.source.ScanTableSource;
import org.apache.flink.table.connector.source.lookup.LookupFunctionProvider;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.expressions.Expression;
import org.apache.flink.table.functions.LookupFunction;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.DynamicTableSourceFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.SerializationFormatFactory;
import org.apache.flink.table.operations.CreateTableASOperation;
import org.apache.flink.table.operations.ExplainOperation;
import org.apache.flink.table.operations.LoadModuleOperation;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.QueryOperation;
import org.apache.flink.table.operations.ReplaceTableAsOperation;
import org.apache.flink.table.operations.SinkModifyOperation;
import org.apache.flink.table.operations.UnloadModuleOperation;
import org.apache.flink.table.operations.UseOperation;
import org.apache.flink.table.operations.ddl.CreateCatalogOperation;
import org.apache.flink.table.operations.ddl.CreateTableOperation;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.BinaryType;
import org.apache.flink.table.types.logical.CharType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.VarBinaryType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import flinkdeck.sqlrunner.FlinkdeckSqlRunner.SplitException;
import flinkdeck.sqlrunner.FlinkdeckSqlRunner.Stmt;

public final class FlinkdeckSqlTools {

    private FlinkdeckSqlTools() {}

    /** The protocol channel: the process's real stdout. */
    private static Writer proto;

    /** Requests read by the stdin thread; a cancel only sets {@link #cancelled}. */
    private static final BlockingQueue<Map<String, Object>> REQUESTS = new LinkedBlockingQueue<>();

    private static final AtomicBoolean cancelled = new AtomicBoolean();

    private static final Map<String, Object> EXIT = new HashMap<>();

    /** FLINKDECK_HELPER_TRACE=1: stack traces of every problem go to stderr (the helper log). */
    private static final boolean TRACE = "1".equals(System.getenv("FLINKDECK_HELPER_TRACE"));

    // -------------------------------------------------------------------------------------------
    // Serving

    static void serve() throws Exception {
        proto = new BufferedWriter(new OutputStreamWriter(
                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16);
        System.setOut(System.err);

        Thread reader = new Thread(FlinkdeckSqlTools::readRequests, "flinkdeck-requests");
        reader.setDaemon(true);
        reader.start();

        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("event", "ready");
        ready.put("flink", flinkVersion());
        ready.put("java", System.getProperty("java.version"));
        emit(ready);

        while (true) {
            Map<String, Object> req = REQUESTS.take();
            if (req == EXIT) {
                break;
            }
            Object id = req.get("id");
            String op = String.valueOf(req.get("op"));
            try {
                switch (op) {
                    case "validate":
                        handleValidate(id, str(req, "script"));
                        break;
                    case "debug":
                        handleDebug(id, str(req, "script"), num(req, "seconds", 10),
                                num(req, "rows", 100), num(req, "rate", 20));
                        break;
                    case "ping":
                        emit(event(id, "pong"));
                        break;
                    case "exit":
                        REQUESTS.clear();
                        REQUESTS.put(EXIT);
                        break;
                    default:
                        Map<String, Object> err = event(id, "error");
                        err.put("message", "unknown op '" + op + "'");
                        emit(err);
                }
            } catch (Throwable t) {
                Map<String, Object> err = event(id, "error");
                err.put("message", "the helper failed: " + FlinkdeckSqlRunner.chain(t));
                emit(err);
                if (t instanceof OutOfMemoryError) {
                    break;
                }
            }
        }
        proto.flush();
        // Mini clusters and planner threads may linger: end the JVM now.
        Runtime.getRuntime().halt(0);
    }

    private static String flinkVersion() {
        try {
            return org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
        } catch (Throwable t) {
            return "unknown";
        }
    }

    private static void readRequests() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.trim().isEmpty()) {
                    continue;
                }
                Map<String, Object> req;
                try {
                    Object v = Json.parse(line);
                    if (!(v instanceof Map)) {
                        throw new IllegalArgumentException("a request is a JSON object");
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) v;
                    req = m;
                } catch (RuntimeException e) {
                    Map<String, Object> err = event(null, "error");
                    err.put("message", "bad request: " + e.getMessage());
                    emit(err);
                    continue;
                }
                if ("cancel".equals(req.get("op"))) {
                    cancelled.set(true);
                } else {
                    REQUESTS.put(req);
                }
            }
        } catch (IOException | InterruptedException e) {
            // stdin is gone: end.
        }
        REQUESTS.add(EXIT);
    }

    private static String str(Map<String, Object> req, String key) {
        Object v = req.get(key);
        if (!(v instanceof String)) {
            throw new IllegalArgumentException("'" + key + "' must be a string");
        }
        return (String) v;
    }

    private static long num(Map<String, Object> req, String key, long dflt) {
        Object v = req.get(key);
        if (v instanceof Number) {
            return Math.max(0, ((Number) v).longValue());
        }
        return dflt;
    }

    private static Map<String, Object> event(Object id, String event) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (id != null) {
            m.put("id", id);
        }
        m.put("event", event);
        return m;
    }

    /** Writes one protocol line (thread-safe). */
    static synchronized void emit(Map<String, Object> m) {
        try {
            StringBuilder sb = new StringBuilder(256);
            Json.write(sb, m);
            sb.append('\n');
            proto.write(sb.toString());
            proto.flush();
        } catch (IOException e) {
            // Nobody listens any more.
            Runtime.getRuntime().halt(3);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Problems

    /** One finding, positioned in the whole script. */
    static final class Problem {
        final int statement;
        int line;
        int column;
        int endLine;
        int endColumn;
        String severity;
        String message;
        String connector;
        String table;

        Problem(Stmt s, String severity, String message) {
            this(s.number, s.line, s.column, severity, message);
        }

        Problem(int statement, int line, int column, String severity, String message) {
            this.statement = statement;
            this.line = line;
            this.column = column;
            this.severity = severity;
            this.message = message;
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("statement", statement);
            m.put("line", line);
            m.put("column", column);
            if (endLine > 0) {
                m.put("end_line", endLine);
                m.put("end_column", endColumn);
            }
            m.put("severity", severity);
            m.put("message", message);
            if (connector != null) {
                m.put("connector", connector);
            }
            if (table != null) {
                m.put("table", table);
            }
            return m;
        }
    }

    private static final Pattern FROM_TO = Pattern.compile(
            "From line (\\d{1,9}), column (\\d{1,9}) to line (\\d{1,9}), column (\\d{1,9}): ");
    private static final Pattern AT = Pattern.compile("\\bat line (\\d{1,9}), column (\\d{1,9})");
    private static final Pattern NO_FACTORY = Pattern.compile(
            "Could not find any (?:(format) )?factory for identifier '([^']*)'"
                    + "(?: that implements '([^']*)')?");
    private static final Pattern FOR_TABLE = Pattern.compile(
            "(?:reading|writing|for) table '([^']*)'");
    private static final Pattern RUNNER_PREFIX =
            Pattern.compile("^statement \\d+ \\(line \\d+\\): ");
    private static final Pattern CLASS_PREFIX = Pattern.compile(
            "^(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*|$)");
    private static final Pattern BOILERPLATE = Pattern.compile(
            "^(?:SQL validation failed\\.|SQL parse failed\\.|Failed to execute sql|"
                    + "Could not execute [A-Za-z ]+\\.|Unable to create a (?:source|sink) for "
                    + "(?:reading|writing) table '[^']*'\\.)\\s*");

    /** A problem from an exception thrown while handling statement {@code s}. */
    static Problem problem(Stmt s, Throwable e) {
        if (TRACE) {
            System.err.println("flinkdeck helper: statement " + s.number + ":");
            e.printStackTrace(System.err);
        }
        List<String> msgs = new ArrayList<>();
        Set<Throwable> seen = new java.util.HashSet<>();
        boolean parseFailed = false;
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof ClassNotFoundException || t instanceof NoClassDefFoundError) {
                m = "class not found: " + m;
            }
            if (m != null && !m.trim().isEmpty()) {
                msgs.add(m);
                parseFailed |= m.startsWith("SQL parse failed.");
            }
        }
        String all = String.join("\n", msgs);

        // A missing connector or format: a warning, never an error.
        Matcher nf = NO_FACTORY.matcher(all);
        if (nf.find()) {
            String id = nf.group(2);
            String kind = nf.group(1) != null
                    || (nf.group(3) != null && nf.group(3).endsWith("FormatFactory"))
                    ? "format" : "connector";
            Problem p = new Problem(s, "warning", "");
            p.connector = id;
            Matcher tm = FOR_TABLE.matcher(all);
            if (tm.find()) {
                p.table = tm.group(1);
            }
            p.message = kind + " '" + id + "' is not on the classpath (add its jar): "
                    + (p.table != null ? "table '" + shortName(p.table) + "' could not be "
                            + "planned, so " : "")
                    + "the semantic check of this statement stopped there";
            return p;
        }

        Problem p = new Problem(s, "error", "");
        // Position: the first one the chain names.
        int[] pos = null;
        for (String m : msgs) {
            Matcher ft = FROM_TO.matcher(m);
            if (ft.find()) {
                pos = new int[] {toInt(ft.group(1)), toInt(ft.group(2)), toInt(ft.group(3)),
                        toInt(ft.group(4))};
                break;
            }
            Matcher at = AT.matcher(m);
            if (at.find()) {
                pos = new int[] {toInt(at.group(1)), toInt(at.group(2)), 0, 0};
                break;
            }
        }
        if (pos == null) {
            pos = reflectedPosition(e);
        }
        if (pos != null) {
            p.line = s.line + pos[0] - 1;
            p.column = pos[0] == 1 ? s.column + pos[1] - 1 : pos[1];
            if (pos[2] > 0) {
                p.endLine = s.line + pos[2] - 1;
                p.endColumn = pos[2] == 1 ? s.column + pos[3] - 1 : pos[3];
            }
        }
        p.message = cleanMessage(msgs, s, p);
        if (parseFailed && !p.message.toLowerCase(Locale.ROOT).contains("syntax")) {
            p.message = "syntax error: " + p.message;
        }
        return p;
    }

    /**
     * The position a Calcite parse exception carries without naming it in its message
     * ({@code SqlParseException.getPos()}; Calcite lives in the planner's own class loader, so it
     * is read reflectively). Null when there is none.
     */
    private static int[] reflectedPosition(Throwable e) {
        Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (!t.getClass().getName().endsWith("SqlParseException")) {
                continue;
            }
            try {
                Object pos = t.getClass().getMethod("getPos").invoke(t);
                if (pos == null) {
                    continue;
                }
                int line = (Integer) pos.getClass().getMethod("getLineNum").invoke(pos);
                int col = (Integer) pos.getClass().getMethod("getColumnNum").invoke(pos);
                int endLine = (Integer) pos.getClass().getMethod("getEndLineNum").invoke(pos);
                int endCol = (Integer) pos.getClass().getMethod("getEndColumnNum").invoke(pos);
                if (line > 0 && col > 0) {
                    return new int[] {line, col, Math.max(0, endLine), Math.max(0, endCol)};
                }
            } catch (ReflectiveOperationException | RuntimeException ignored) {
                // Not the Calcite class we know.
            }
        }
        return null;
    }

    private static int toInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Flink's message without class names, boilerplate, stack noise or repeated positions. */
    static String cleanMessage(List<String> msgs, Stmt s, Problem p) {
        // A Calcite context message carries the validator's sentence right after the position.
        for (String m : msgs) {
            Matcher ft = FROM_TO.matcher(m);
            if (ft.find()) {
                return tidy(firstLines(m.substring(ft.end()), 1), s, p);
            }
        }
        List<String> parts = new ArrayList<>();
        for (String m : msgs) {
            String t = m.trim();
            t = RUNNER_PREFIX.matcher(t).replaceFirst("");
            for (int i = 0; i < 3; i++) {
                t = CLASS_PREFIX.matcher(t).replaceFirst("");
                t = BOILERPLATE.matcher(t).replaceFirst("");
            }
            // Parser alternatives and table options (which may hold secrets) are noise here.
            for (String noise : new String[] {"Was expecting", "Table options are:"}) {
                int cut = t.indexOf(noise);
                if (cut >= 0) {
                    t = t.substring(0, cut);
                }
            }
            String list = optionList(t);
            t = firstLines(t, 2).trim();
            while (t.endsWith(".")) {
                t = t.substring(0, t.length() - 1);
            }
            if (!list.isEmpty()) {
                t = t + " (" + list + ")";
            }
            if (t.isEmpty()) {
                continue;
            }
            boolean known = false;
            for (String q : parts) {
                if (q.contains(t) || t.contains(q)) {
                    known = true;
                    if (t.length() > q.length() && t.contains(q)) {
                        parts.set(parts.indexOf(q), t);
                    }
                    break;
                }
            }
            if (!known) {
                parts.add(t);
            }
            if (parts.size() >= 2) {
                break;
            }
        }
        if (parts.isEmpty()) {
            return "failed (" + msgs.size() + " messages, none readable)";
        }
        return tidy(String.join(": ", parts), s, p);
    }

    private static final Pattern OPTION_LIST = Pattern.compile(
            "(?:Unsupported options|Missing required options are):\\s*\\R\\s*\\R((?:[^\\r\\n]+\\R?)+)");

    /** The options Flink lists after "Unsupported options:" / "Missing required options are:". */
    private static String optionList(String message) {
        Matcher m = OPTION_LIST.matcher(message);
        if (!m.find()) {
            return "";
        }
        List<String> names = new ArrayList<>();
        for (String l : m.group(1).split("\\R")) {
            if (!l.trim().isEmpty() && names.size() < 10) {
                names.add(l.trim());
            }
        }
        return String.join(", ", names);
    }

    /** The first {@code n} non-empty lines, joined with a space ("Cause:" lines kept). */
    private static String firstLines(String text, int n) {
        StringBuilder out = new StringBuilder();
        int taken = 0;
        for (String line : text.split("\\R")) {
            String l = line.trim();
            if (l.isEmpty()) {
                if (taken > 0) {
                    break;
                }
                continue;
            }
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append(l);
            if (++taken >= n) {
                break;
            }
        }
        return out.toString();
    }

    /** Rewrites positions to the script, drops the one equal to the problem's, trims the end. */
    private static String tidy(String message, Stmt s, Problem p) {
        String m = FlinkdeckSqlRunner.relocate(message, s);
        m = m.replace(" at line " + p.line + ", column " + p.column, "");
        m = m.replaceAll("\\s+", " ").trim();
        while (m.endsWith(".") && !m.endsWith("..")) {
            m = m.substring(0, m.length() - 1);
        }
        if (m.length() > 600) {
            m = m.substring(0, 600) + "…";
        }
        return m;
    }

    private static String shortName(String identifier) {
        int dot = identifier.lastIndexOf('.');
        return dot >= 0 ? identifier.substring(dot + 1) : identifier;
    }

    // -------------------------------------------------------------------------------------------
    // Validation

    private static void handleValidate(Object id, String script) {
        long start = System.nanoTime();
        List<Problem> problems = validate(script);
        Map<String, Object> res = event(id, "result");
        List<Object> list = new ArrayList<>();
        for (Problem p : problems) {
            list.add(p.toJson());
        }
        res.put("problems", list);
        res.put("millis", (System.nanoTime() - start) / 1_000_000);
        emit(res);
    }

    /** A table whose connector or format is not on the classpath, and who uses it. */
    private static final class Missing {
        final Problem ddl;
        final String kind;
        final String id;
        final String tableName;
        final Set<Integer> statements = new TreeSet<>();

        Missing(Problem ddl, String kind, String id, String tableName) {
            this.ddl = ddl;
            this.kind = kind;
            this.id = id;
            this.tableName = tableName;
        }
    }

    static List<Problem> validate(String script) {
        List<Problem> problems = new ArrayList<>();
        List<Stmt> stmts;
        try {
            stmts = FlinkdeckSqlRunner.split(script);
        } catch (SplitException e) {
            problems.add(new Problem(e.number, e.line, e.column, "error", e.detail));
            return problems;
        } catch (Exception e) {
            problems.add(new Problem(1, 1, 1, "error", String.valueOf(e.getMessage())));
            return problems;
        }
        Session session = new Session(false);
        // Tables (full identifier) whose connector or format is missing.
        Map<String, Missing> missing = new LinkedHashMap<>();

        Catalogs catalogs = new Catalogs();
        for (Stmt s : stmts) {
            int before = problems.size();
            boolean go = validateStatement(session, s, problems, missing, catalogs);
            catalogs.soften(problems, before, s);
            if (!go) {
                return problems;
            }
        }
        // The DDL warnings name the statements that read or write the table: their semantic
        // check stops at the missing factory too.
        for (Missing m : missing.values()) {
            if (m.ddl == null) {
                continue;
            }
            for (Stmt s : stmts) {
                if (s.number > m.ddl.statement && mentions(s.text, m.tableName)) {
                    m.statements.add(s.number);
                }
            }
            m.statements.remove(m.ddl.statement);
            StringBuilder sb = new StringBuilder();
            sb.append(m.kind).append(" '").append(m.id).append("' is not on the classpath (add its"
                    + " jar): semantic check skipped for table '").append(m.tableName).append("'");
            if (m.statements.isEmpty()) {
                sb.append(" (its options are not checked)");
            } else {
                sb.append(" (this statement) and statement").append(
                        m.statements.size() > 1 ? "s " : " ");
                int i = 0;
                for (Integer n : m.statements) {
                    sb.append(i++ == 0 ? "" : ", ").append(n);
                }
                sb.append(m.statements.size() > 1 ? " that read or write it"
                        : " that reads or writes it");
            }
            m.ddl.message = sb.toString();
        }
        return problems;
    }

    /** Validates one statement; false when validation cannot go on. */
    private static boolean validateStatement(Session session, Stmt s, List<Problem> problems,
            Map<String, Missing> missing, Catalogs catalogs) {
        Problem setProblem = session.applySetOrReset(s);
        if (setProblem != null) {
            problems.add(setProblem);
            return true;
        }
        if (session.handledSet) {
            return true;
        }
        if (!session.ensureEnvironment(s, problems)) {
            return false;
        }
        Operation op;
        try {
            op = session.parse(s);
        } catch (Throwable e) {
            problems.add(noteMissing(problem(s, e), s, missing));
            return true;
        }
        try {
            CreateTableOperation create = ctasTable(op);
            if (create != null) {
                // CREATE TABLE AS: the table first (later statements use it), then the INSERT
                // into it is planned (1.20 cannot explain a CTAS as such).
                session.internal.executeInternal(create);
                checkFactories(s, create, problems, missing);
                plan(session, s, ctasInsert(session, op), problems, missing);
            } else if (op instanceof ModifyOperation) {
                plan(session, s, op, problems, missing);
            } else if (s.inSet) {
                problems.add(new Problem(s, "error",
                        "only INSERT statements are allowed inside a statement set"));
            } else if (op instanceof QueryOperation) {
                if (plan(session, s, op, problems, missing)) {
                    problems.add(new Problem(s, "warning",
                            "a top-level SELECT has no sink: a debug run shows its rows, but "
                                    + "the job runner refuses it (use INSERT INTO)"));
                }
            } else if (op instanceof CreateTableOperation) {
                session.internal.executeInternal(op);
                checkFactories(s, (CreateTableOperation) op, problems, missing);
            } else if (op instanceof CreateCatalogOperation) {
                catalogs.create(session, s, (CreateCatalogOperation) op, problems);
            } else if (op instanceof ExplainOperation) {
                session.internal.executeInternal(op);
            } else if (isCatalogOperation(op)) {
                session.internal.executeInternal(op);
                catalogs.used(op);
            }
            // Anything else (EXECUTE PLAN, COMPILE PLAN, CALL, ADD JAR, SHOW JOBS, ...) would do
            // something outside the catalog: parsing it was the check.
        } catch (Throwable e) {
            problems.add(noteMissing(problem(s, e), s, missing));
        }
        return true;
    }

    /**
     * Catalogs other than in-memory ones (hive, jdbc, paimon, ...) are not opened while
     * validating (that would reach a metastore or a database): an empty in-memory catalog of the
     * same name stands in, and "not found" errors of statements that use it become warnings.
     */
    private static final class Catalogs {
        /** Name of each stand-in catalog -> its real type. */
        final Map<String, String> external = new LinkedHashMap<>();
        String current = "default_catalog";

        void create(Session session, Stmt s, CreateCatalogOperation op, List<Problem> problems) {
            String type = op.getProperties().get("type");
            if (type == null || "generic_in_memory".equals(type)) {
                session.internal.executeInternal(op);
                return;
            }
            String name = op.getCatalogName();
            session.tEnv.executeSql("CREATE CATALOG `" + name.replace("`", "``")
                    + "` WITH ('type' = 'generic_in_memory')");
            external.put(name, type);
            problems.add(new Problem(s, "warning", "catalog '" + name + "' (type '" + type
                    + "') is not opened while validating: its tables are unknown here, so "
                    + "statements that use them are checked only up to them"));
        }

        void used(Operation op) {
            if (op instanceof org.apache.flink.table.operations.UseCatalogOperation) {
                current = ((org.apache.flink.table.operations.UseCatalogOperation) op)
                        .getCatalogName();
            } else if (op instanceof org.apache.flink.table.operations.UseDatabaseOperation) {
                current = ((org.apache.flink.table.operations.UseDatabaseOperation) op)
                        .getCatalogName();
            }
        }

        private static final Pattern NOT_FOUND = Pattern.compile(
                "(?i)not found|does not exist|cannot find table|doesn't exist");

        /** Turns the "not found" errors of statements on a stand-in catalog into warnings. */
        void soften(List<Problem> problems, int from, Stmt s) {
            if (external.isEmpty()) {
                return;
            }
            String which = external.containsKey(current) ? current : null;
            for (String name : external.keySet()) {
                if (which == null && mentions(s.text, name)) {
                    which = name;
                }
            }
            if (which == null) {
                return;
            }
            for (int i = from; i < problems.size(); i++) {
                Problem p = problems.get(i);
                if ("error".equals(p.severity) && NOT_FOUND.matcher(p.message).find()) {
                    p.severity = "warning";
                    p.message = p.message + " (not checked: catalog '" + which + "' of type '"
                            + external.get(which) + "' is not opened while validating)";
                }
            }
        }
    }

    /** Whether {@code text} names {@code name} as an identifier (outside strings, comments). */
    static boolean mentions(String text, String name) {
        String t = FlinkdeckSqlRunner.stripComments(text);
        int n = t.length();
        int i = 0;
        while (i < n) {
            char c = t.charAt(i);
            if (c == '\'' || c == '`' || c == '"') {
                int j = i + 1;
                StringBuilder id = new StringBuilder();
                while (j < n) {
                    char d = t.charAt(j);
                    if (d == c) {
                        if (j + 1 < n && t.charAt(j + 1) == c) {
                            id.append(c);
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    id.append(d);
                    j++;
                }
                if (c != '\'' && id.toString().equals(name)) {
                    return true;
                }
                i = j + 1;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '$') {
                int j = i;
                while (j < n && (Character.isLetterOrDigit(t.charAt(j)) || t.charAt(j) == '_'
                        || t.charAt(j) == '$')) {
                    j++;
                }
                if (t.substring(i, j).equalsIgnoreCase(name)) {
                    return true;
                }
                i = j;
            } else {
                i++;
            }
        }
        return false;
    }

    /** Remembers which statement stopped at a missing factory, for the table's DDL warning. */
    private static Problem noteMissing(Problem p, Stmt s, Map<String, Missing> missing) {
        if (p.connector == null) {
            return p;
        }
        boolean matched = false;
        for (Map.Entry<String, Missing> e : missing.entrySet()) {
            Missing m = e.getValue();
            if (m.id.equals(p.connector) && (p.table == null || p.table.equals(e.getKey()))) {
                m.statements.add(s.number);
                matched = true;
            }
        }
        if (!matched && p.table != null) {
            Missing m = new Missing(null, "connector", p.connector, shortName(p.table));
            m.statements.add(s.number);
            missing.put(p.table, m);
        }
        return p;
    }

    /** Plans a query or DML without running it; false when it failed (the problem is added). */
    private static boolean plan(Session session, Stmt s, Operation op, List<Problem> problems,
            Map<String, Missing> missing) {
        try {
            List<Operation> ops = new ArrayList<>();
            ops.add(op);
            session.internal.explainInternal(ops);
            return true;
        } catch (Throwable e) {
            problems.add(noteMissing(problem(s, e), s, missing));
            return false;
        }
    }

    private static CreateTableOperation ctasTable(Operation op) {
        if (op instanceof CreateTableASOperation) {
            return ((CreateTableASOperation) op).getCreateTableOperation();
        }
        if (op instanceof ReplaceTableAsOperation) {
            return ((ReplaceTableAsOperation) op).getCreateTableOperation();
        }
        return null;
    }

    private static Operation ctasInsert(Session session, Operation op) {
        if (op instanceof CreateTableASOperation) {
            return ((CreateTableASOperation) op)
                    .toSinkModifyOperation(session.internal.getCatalogManager());
        }
        return ((ReplaceTableAsOperation) op)
                .toSinkModifyOperation(session.internal.getCatalogManager());
    }

    /** DDL and catalog statements that only change the session's catalogs, modules, config. */
    private static boolean isCatalogOperation(Operation op) {
        String pkg = op.getClass().getPackage() == null ? "" : op.getClass().getPackage().getName();
        if (pkg.endsWith(".operations.ddl")) {
            String n = op.getClass().getSimpleName();
            // COMPILE PLAN writes a file; ANALYZE TABLE runs a job.
            return !n.startsWith("CompilePlan") && !n.startsWith("Analyze");
        }
        return op instanceof UseOperation || op instanceof LoadModuleOperation
                || op instanceof UnloadModuleOperation;
    }

    /** Warns about a table whose connector or format factory is not on the classpath. */
    private static void checkFactories(Stmt s, CreateTableOperation op, List<Problem> problems,
            Map<String, Missing> missing) {
        Map<String, String> options = op.getCatalogTable().getOptions();
        ClassLoader cl = FlinkdeckSqlTools.class.getClassLoader();
        String table = op.getTableIdentifier().asSummaryString();
        String connector = options.get("connector");
        if (connector != null && !hasFactory(cl, DynamicTableFactory.class, connector)) {
            addMissing(s, "connector", connector, op, problems, missing);
            return;
        }
        for (Map.Entry<String, String> e : options.entrySet()) {
            String k = e.getKey();
            if (k.equals("format") || k.endsWith(".format")) {
                String f = e.getValue();
                if (!hasFactory(cl, DeserializationFormatFactory.class, f)
                        && !hasFactory(cl, SerializationFormatFactory.class, f)) {
                    addMissing(s, "format", f, op, problems, missing);
                    return;
                }
            }
        }
        missing.remove(table);
    }

    private static void addMissing(Stmt s, String kind, String id, CreateTableOperation op,
            List<Problem> problems, Map<String, Missing> missing) {
        Problem p = new Problem(s, "warning", "");
        p.connector = id;
        p.table = op.getTableIdentifier().asSummaryString();
        problems.add(p);
        missing.put(p.table, new Missing(p, kind, id, op.getTableIdentifier().getObjectName()));
    }

    private static boolean hasFactory(ClassLoader cl, Class<? extends org.apache.flink.table.factories.Factory> type,
            String id) {
        try {
            FactoryUtil.discoverFactory(cl, type, id);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    // -------------------------------------------------------------------------------------------
    // The table environment of one request

    /** A fresh table environment built like the runner's (leading SETs configure it). */
    static final class Session {
        final boolean debug;
        final Configuration leading = new Configuration();
        final Set<String> setKeys = new LinkedHashSet<>();
        TableEnvironment tEnv;
        TableEnvironmentInternal internal;
        /** Whether the last applySetOrReset call consumed the statement. */
        boolean handledSet;

        Session(boolean debug) {
            this.debug = debug;
        }

        Configuration conf() {
            return tEnv == null ? leading : tEnv.getConfig().getConfiguration();
        }

        /** Applies SET / RESET; returns a problem when it is malformed. */
        Problem applySetOrReset(Stmt s) {
            handledSet = false;
            if (s.inSet) {
                return null;
            }
            try {
                if ("SET".equals(s.firstWord)) {
                    handledSet = true;
                    String[] kv = FlinkdeckSqlRunner.parseSet(s);
                    if (kv != null && !(debug && ignoredInDebug(kv[0]))) {
                        conf().setString(kv[0], kv[1]);
                        setKeys.add(kv[0]);
                    }
                } else if ("RESET".equals(s.firstWord)) {
                    handledSet = true;
                    String key = FlinkdeckSqlRunner.parseReset(s);
                    if (key == null) {
                        for (String k : setKeys) {
                            conf().removeKey(k);
                        }
                        setKeys.clear();
                    } else {
                        conf().removeKey(key);
                        setKeys.remove(key);
                    }
                }
            } catch (Exception e) {
                return new Problem(s, "error",
                        RUNNER_PREFIX.matcher(String.valueOf(e.getMessage())).replaceFirst(""));
            }
            return null;
        }

        boolean ensureEnvironment(Stmt s, List<Problem> problems) {
            if (tEnv != null) {
                return true;
            }
            Configuration conf = new Configuration();
            conf.setString("execution.runtime-mode", "streaming");
            conf.addAll(leading);
            if (debug) {
                debugConfig(conf);
            }
            try {
                tEnv = TableEnvironment.create(
                        EnvironmentSettings.newInstance().withConfiguration(conf).build());
                internal = (TableEnvironmentInternal) tEnv;
                return true;
            } catch (Throwable e) {
                Problem p = new Problem(s, "error",
                        "cannot create the table environment from the SETs before this statement: "
                                + FlinkdeckSqlRunner.chain(e));
                problems.add(p);
                return false;
            }
        }

        Operation parse(Stmt s) {
            List<Operation> ops = internal.getParser().parse(s.text);
            if (ops.size() != 1) {
                throw new IllegalStateException("expected one statement, Flink parsed " + ops.size());
            }
            return ops.get(0);
        }

        boolean batch() {
            return "batch".equalsIgnoreCase(
                    conf().getString("execution.runtime-mode", "streaming"));
        }
    }

    /** Settings a debug run never takes from the script: they reach outside the helper. */
    static boolean ignoredInDebug(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.startsWith("execution.checkpointing.") || k.startsWith("state.checkpoints.")
                || k.startsWith("state.savepoints.") || k.equals("state.checkpoint-storage")
                || k.startsWith("high-availability") || k.equals("execution.target")
                || k.startsWith("pipeline.jars") || k.startsWith("pipeline.classpaths")
                || k.startsWith("rest.") || k.equals("execution.savepoint.path")
                || k.equals("parallelism.default") || k.startsWith("kubernetes.")
                || k.startsWith("yarn.");
    }

    private static void debugConfig(Configuration conf) {
        for (String k : new ArrayList<>(conf.keySet())) {
            if (ignoredInDebug(k)) {
                conf.removeKey(k);
            }
        }
        conf.setString("parallelism.default", "1");
        conf.setString("execution.target", "local");
        conf.setString("rest.bind-port", "0");
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.address", "127.0.0.1");
    }

    // -------------------------------------------------------------------------------------------
    // Debug runs

    /** One collected query: an INSERT's (shaped to its sink) or a top-level SELECT. */
    private static final class Job {
        final Stmt stmt;
        final String sink;
        final List<String> names = new ArrayList<>();
        final List<DataType> types = new ArrayList<>();
        final Table table;
        volatile CloseableIterator<Row> rows;
        volatile TableResult result;

        Job(Stmt stmt, String sink, Table table) {
            this.stmt = stmt;
            this.sink = sink;
            this.table = table;
        }
    }

    /** What a reader thread hands to the main loop. */
    private static final class Item {
        final Job job;
        final Row row;
        final Throwable error;
        final boolean end;

        Item(Job job, Row row, Throwable error, boolean end) {
            this.job = job;
            this.row = row;
            this.error = error;
            this.end = end;
        }
    }

    private static void handleDebug(Object id, String script, long seconds, long maxRows,
            long rate) {
        cancelled.set(false);
        List<Job> jobs = new ArrayList<>();
        String stopped = "failed";
        long count = 0;
        boolean ok = false;
        try {
            List<Problem> problems = new ArrayList<>();
            if (prepareDebug(id, script, maxRows, rate, jobs, problems)) {
                Object[] r = runJobs(id, jobs, seconds, maxRows);
                stopped = (String) r[0];
                count = (Long) r[1];
                ok = !"failed".equals(stopped);
            } else {
                for (Problem p : problems) {
                    Map<String, Object> m = event(id, "problem");
                    m.putAll(p.toJson());
                    emit(m);
                }
            }
        } finally {
            stopAll(jobs);
            Map<String, Object> done = event(id, "done");
            done.put("ok", ok);
            done.put("rows", count);
            done.put("stopped", stopped);
            emit(done);
        }
    }

    /** Runs the script's DDL with datagen sources and prepares one Job per INSERT / SELECT. */
    private static boolean prepareDebug(Object id, String script, long maxRows, long rate,
            List<Job> jobs, List<Problem> problems) {
        List<Stmt> stmts;
        try {
            stmts = FlinkdeckSqlRunner.split(script);
        } catch (SplitException e) {
            problems.add(new Problem(e.number, e.line, e.column, "error", e.detail));
            return false;
        } catch (Exception e) {
            problems.add(new Problem(1, 1, 1, "error", String.valueOf(e.getMessage())));
            return false;
        }
        Session session = new Session(true);
        Set<ObjectIdentifier> created = new LinkedHashSet<>();
        Map<ObjectIdentifier, Map<String, String>> replaced = new HashMap<>();
        for (Stmt s : stmts) {
            Problem setProblem = session.applySetOrReset(s);
            if (setProblem != null) {
                problems.add(setProblem);
                return false;
            }
            if (session.handledSet) {
                continue;
            }
            if (!session.ensureEnvironment(s, problems)) {
                return false;
            }
            try {
                // Every table the script made is datagen before any query is parsed (parsing a
                // query already creates its sources).
                replaceSources(id, session, created, replaced, rate, maxRows);
                Operation op = session.parse(s);
                if (op instanceof CreateTableOperation) {
                    session.internal.executeInternal(op);
                    created.add(((CreateTableOperation) op).getTableIdentifier());
                } else if (op instanceof SinkModifyOperation) {
                    SinkModifyOperation sm = (SinkModifyOperation) op;
                    ContextResolvedTable target = sm.getContextResolvedTable();
                    jobs.add(shape(session, s, target.getIdentifier().getObjectName(),
                            target.getResolvedSchema(), sm.getChild()));
                } else if (ctasTable(op) != null) {
                    CreateTableOperation create = ctasTable(op);
                    session.internal.executeInternal(create);
                    created.add(create.getTableIdentifier());
                    ResolvedSchema schema = session.tEnv
                            .from(create.getTableIdentifier().asSerializableString())
                            .getResolvedSchema();
                    jobs.add(shape(session, s, create.getTableIdentifier().getObjectName(),
                            schema, ((ModifyOperation) op).getChild()));
                } else if (op instanceof ModifyOperation) {
                    problems.add(new Problem(s, "warning",
                            "skipped in a debug run: " + op.getClass().getSimpleName()));
                } else if (s.inSet) {
                    problems.add(new Problem(s, "error",
                            "only INSERT statements are allowed inside a statement set"));
                    return false;
                } else if (op instanceof QueryOperation) {
                    Table t = ((TableEnvironmentImpl) session.tEnv).createTable((QueryOperation) op);
                    Job job = new Job(s, "statement " + s.number, t);
                    for (Column c : t.getResolvedSchema().getColumns()) {
                        job.names.add(c.getName());
                        job.types.add(c.getDataType());
                    }
                    jobs.add(job);
                } else if (op instanceof CreateCatalogOperation) {
                    String type = ((CreateCatalogOperation) op).getProperties().get("type");
                    if (!"generic_in_memory".equals(type)) {
                        problems.add(new Problem(s, "error", "a debug run uses only in-memory "
                                + "catalogs: CREATE CATALOG of type '" + type + "' would reach "
                                + "outside (use 'type' = 'generic_in_memory' to try the script)"));
                        return false;
                    }
                    session.internal.executeInternal(op);
                } else if (isCatalogOperation(op)) {
                    session.internal.executeInternal(op);
                }
            } catch (Throwable e) {
                problems.add(problem(s, e));
                return false;
            }
        }
        if (jobs.isEmpty()) {
            problems.add(new Problem(stmts.isEmpty() ? 1 : stmts.get(stmts.size() - 1).number,
                    stmts.isEmpty() ? 1 : stmts.get(stmts.size() - 1).line,
                    stmts.isEmpty() ? 1 : stmts.get(stmts.size() - 1).column, "error",
                    "nothing to run: the script has no INSERT or SELECT"));
            return false;
        }
        return true;
    }

    /**
     * The query of an INSERT shaped to its sink: one column per persisted sink column, cast to
     * the sink's type where it differs, named like the sink's column.
     */
    private static Job shape(Session session, Stmt s, String sink, ResolvedSchema sinkSchema,
            QueryOperation query) {
        Table q = ((TableEnvironmentImpl) session.tEnv).createTable(query);
        List<Column> queryCols = q.getResolvedSchema().getColumns();
        List<Column> sinkCols = new ArrayList<>();
        for (Column c : sinkSchema.getColumns()) {
            if (c.isPersisted()) {
                sinkCols.add(c);
            }
        }
        if (queryCols.size() != sinkCols.size()) {
            Job job = new Job(s, sink, q);
            for (Column c : queryCols) {
                job.names.add(c.getName());
                job.types.add(c.getDataType());
            }
            return job;
        }
        Expression[] exprs = new Expression[sinkCols.size()];
        for (int i = 0; i < sinkCols.size(); i++) {
            Column qc = queryCols.get(i);
            Column sc = sinkCols.get(i);
            LogicalType qt = qc.getDataType().getLogicalType();
            LogicalType st = sc.getDataType().getLogicalType();
            if (qt.copy(true).equals(st.copy(true))) {
                exprs[i] = Expressions.$(qc.getName()).as(sc.getName());
            } else {
                exprs[i] = Expressions.$(qc.getName()).cast(sc.getDataType().nullable())
                        .as(sc.getName());
            }
        }
        Table shaped = q.select(exprs);
        Job job = new Job(s, sink, shaped);
        for (Column c : shaped.getResolvedSchema().getColumns()) {
            job.names.add(c.getName());
            job.types.add(c.getDataType());
        }
        return job;
    }

    /** Re-creates every table the script made (and that is not datagen yet) as datagen. */
    private static void replaceSources(Object id, Session session, Set<ObjectIdentifier> created,
            Map<ObjectIdentifier, Map<String, String>> replaced, long rate, long maxRows) {
        for (ObjectIdentifier oid : created) {
            Optional<ContextResolvedTable> found = session.internal.getCatalogManager().getTable(oid);
            if (!found.isPresent()) {
                continue;
            }
            ContextResolvedTable t = found.get();
            CatalogBaseTable base = t.getTable();
            if (!(base instanceof CatalogTable)) {
                continue;
            }
            Map<String, String> options = base.getOptions();
            if (options.equals(replaced.get(oid))) {
                continue;
            }
            String connector = options.get("connector");
            if ("datagen".equals(connector)) {
                replaced.put(oid, options);
                continue;
            }
            Schema unresolved = ((CatalogTable) base).getUnresolvedSchema();
            Schema.Builder b = Schema.newBuilder();
            for (Schema.UnresolvedColumn c : unresolved.getColumns()) {
                if (c instanceof Schema.UnresolvedPhysicalColumn) {
                    b.column(c.getName(), ((Schema.UnresolvedPhysicalColumn) c).getDataType());
                } else if (c instanceof Schema.UnresolvedMetadataColumn) {
                    b.column(c.getName(), ((Schema.UnresolvedMetadataColumn) c).getDataType());
                } else if (c instanceof Schema.UnresolvedComputedColumn) {
                    b.columnByExpression(c.getName(),
                            ((Schema.UnresolvedComputedColumn) c).getExpression());
                }
            }
            for (Schema.UnresolvedWatermarkSpec w : unresolved.getWatermarkSpecs()) {
                b.watermark(w.getColumnName(), w.getWatermarkExpression());
            }
            if (unresolved.getPrimaryKey().isPresent()) {
                Schema.UnresolvedPrimaryKey pk = unresolved.getPrimaryKey().get();
                b.primaryKeyNamed(pk.getConstraintName(), pk.getColumnNames());
            }
            TableDescriptor.Builder d =
                    TableDescriptor.forConnector(DEBUG_CONNECTOR).schema(b.build());
            if (session.batch()) {
                d.option("number-of-rows", String.valueOf(Math.max(1, maxRows)));
            } else {
                d.option("rows-per-second", String.valueOf(Math.max(1, rate)));
            }
            for (Column c : t.getResolvedSchema().getColumns()) {
                if (!c.isPhysical() && !(c instanceof Column.MetadataColumn)) {
                    continue;
                }
                LogicalType type = c.getDataType().getLogicalType();
                Integer len = shortLength(type);
                if (len != null) {
                    d.option("fields." + c.getName() + ".length", String.valueOf(len));
                }
                String max = smallMax(type);
                if (max != null) {
                    d.option("fields." + c.getName() + ".min", "0");
                    d.option("fields." + c.getName() + ".max", max);
                }
            }
            String path = oid.asSerializableString();
            if (t.isTemporary()) {
                session.tEnv.dropTemporaryTable(path);
                session.tEnv.createTemporaryTable(path, d.build());
            } else {
                session.tEnv.executeSql("DROP TABLE " + path);
                session.tEnv.createTable(path, d.build());
            }
            Optional<ContextResolvedTable> now = session.internal.getCatalogManager().getTable(oid);
            replaced.put(oid, now.isPresent() ? now.get().getTable().getOptions()
                    : Collections.<String, String>emptyMap());
            Map<String, Object> m = event(id, "replaced");
            m.put("table", oid.getObjectName());
            m.put("connector", connector == null ? "" : connector);
            emit(m);
        }
    }

    /**
     * The connector of every table a debug run replaces: datagen for scans (the options are
     * datagen's), and lookups (processing-time lookup joins, e.g. on a JDBC dimension table) that
     * answer every key with one row of the key and random values. Registered only on the helper's
     * classpath (a services file flinkdeck writes), never in the jar submitted to clusters.
     */
    static final String DEBUG_CONNECTOR = "flinkdeck-debug";

    /** The factory of {@link #DEBUG_CONNECTOR}. */
    public static final class DebugSourceFactory implements DynamicTableSourceFactory {
        public DebugSourceFactory() {}

        @Override
        public String factoryIdentifier() {
            return DEBUG_CONNECTOR;
        }

        @Override
        public Set<ConfigOption<?>> requiredOptions() {
            return Collections.emptySet();
        }

        @Override
        public Set<ConfigOption<?>> optionalOptions() {
            return Collections.emptySet();
        }

        @Override
        public DynamicTableSource createDynamicTableSource(Context context) {
            DynamicTableSource scan =
                    new DataGenTableSourceFactory().createDynamicTableSource(context);
            return new DebugSource((ScanTableSource) scan,
                    (RowType) context.getPhysicalRowDataType().getLogicalType());
        }
    }

    /** datagen's scan, plus lookups. */
    static final class DebugSource implements ScanTableSource, LookupTableSource {
        private final ScanTableSource scan;
        private final RowType type;

        DebugSource(ScanTableSource scan, RowType type) {
            this.scan = scan;
            this.type = type;
        }

        @Override
        public ChangelogMode getChangelogMode() {
            return scan.getChangelogMode();
        }

        @Override
        public ScanTableSource.ScanRuntimeProvider getScanRuntimeProvider(
                ScanTableSource.ScanContext context) {
            return scan.getScanRuntimeProvider(context);
        }

        @Override
        public LookupTableSource.LookupRuntimeProvider getLookupRuntimeProvider(
                LookupTableSource.LookupContext context) {
            int[][] keys = context.getKeys();
            int[] top = new int[keys.length];
            for (int i = 0; i < keys.length; i++) {
                top[i] = keys[i][0];
            }
            return LookupFunctionProvider.of(new DebugLookup(type, top));
        }

        @Override
        public DynamicTableSource copy() {
            return new DebugSource((ScanTableSource) scan.copy(), type);
        }

        @Override
        public String asSummaryString() {
            return "flinkdeck debug source (datagen)";
        }
    }

    /** Answers every key with one row: the key, and random values elsewhere. */
    public static final class DebugLookup extends LookupFunction {
        private static final long serialVersionUID = 1L;
        private final RowType type;
        private final int[] keys;
        private transient java.util.Random random;
        private transient RowData.FieldGetter[] keyGetters;

        DebugLookup(RowType type, int[] keys) {
            this.type = type;
            this.keys = keys;
        }

        @Override
        public Collection<RowData> lookup(RowData keyRow) {
            if (random == null) {
                random = new java.util.Random();
                keyGetters = new RowData.FieldGetter[keys.length];
                for (int j = 0; j < keys.length; j++) {
                    keyGetters[j] = RowData.createFieldGetter(type.getTypeAt(keys[j]), j);
                }
            }
            GenericRowData row = new GenericRowData(type.getFieldCount());
            for (int i = 0; i < type.getFieldCount(); i++) {
                row.setField(i, fake(type.getTypeAt(i)));
            }
            for (int j = 0; j < keys.length; j++) {
                row.setField(keys[j], keyGetters[j].getFieldOrNull(keyRow));
            }
            return Collections.<RowData>singletonList(row);
        }

        private Object fake(LogicalType t) {
            switch (t.getTypeRoot()) {
                case CHAR:
                    return StringData.fromString(hex(((CharType) t).getLength()));
                case VARCHAR:
                    return StringData.fromString(hex(Math.min(10, ((VarCharType) t).getLength())));
                case BOOLEAN:
                    return random.nextBoolean();
                case TINYINT:
                    return (byte) random.nextInt(101);
                case SMALLINT:
                    return (short) random.nextInt(1001);
                case INTEGER:
                    return random.nextInt(1001);
                case BIGINT:
                    return (long) random.nextInt(1001);
                case FLOAT:
                    return random.nextFloat() * 1000;
                case DOUBLE:
                    return random.nextDouble() * 1000;
                case DECIMAL:
                    DecimalType d = (DecimalType) t;
                    double max = Math.min(999, Math.pow(10, d.getPrecision() - d.getScale()) - 1);
                    BigDecimal v = BigDecimal.valueOf(random.nextDouble() * Math.max(0, max))
                            .setScale(d.getScale(), java.math.RoundingMode.DOWN);
                    return DecimalData.fromBigDecimal(v, d.getPrecision(), d.getScale());
                case DATE:
                    return (int) java.time.LocalDate.now().toEpochDay();
                case TIME_WITHOUT_TIME_ZONE:
                    return (int) (System.currentTimeMillis() % 86_400_000L);
                case TIMESTAMP_WITHOUT_TIME_ZONE:
                case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                    return TimestampData.fromEpochMillis(System.currentTimeMillis());
                case BINARY:
                    return new byte[((BinaryType) t).getLength()];
                case VARBINARY:
                    byte[] b = new byte[Math.min(8, ((VarBinaryType) t).getLength())];
                    random.nextBytes(b);
                    return b;
                default:
                    return null;
            }
        }

        private String hex(int length) {
            StringBuilder sb = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                sb.append(Character.forDigit(random.nextInt(16), 16));
            }
            return sb.toString();
        }
    }

    /** A short random length for variable-length string and binary columns (null: default). */
    private static Integer shortLength(LogicalType t) {
        if (t instanceof VarCharType) {
            return Math.min(((VarCharType) t).getLength(), 10);
        }
        if (t instanceof VarBinaryType) {
            return Math.min(((VarBinaryType) t).getLength(), 10);
        }
        if (t instanceof CharType || t instanceof BinaryType) {
            return null;
        }
        return null;
    }

    /** A small upper bound for random numbers (readable rows, keys that repeat), or null. */
    private static String smallMax(LogicalType t) {
        switch (t.getTypeRoot()) {
            case TINYINT:
                return "100";
            case SMALLINT:
            case INTEGER:
            case BIGINT:
            case FLOAT:
            case DOUBLE:
                return "1000";
            case DECIMAL:
                int digits = ((org.apache.flink.table.types.logical.DecimalType) t).getPrecision()
                        - ((org.apache.flink.table.types.logical.DecimalType) t).getScale();
                return digits >= 4 ? "1000" : digits <= 0 ? null
                        : String.valueOf((int) Math.pow(10, digits) - 1);
            default:
                return null;
        }
    }

    /** Starts every job, streams rows until a limit; returns {stopped, rows}. */
    private static Object[] runJobs(Object id, List<Job> jobs, long seconds, long maxRows) {
        BlockingQueue<Item> queue = new LinkedBlockingQueue<>(10_000);
        for (Job job : jobs) {
            try {
                job.result = job.table.execute();
                job.rows = job.result.collect();
            } catch (Throwable e) {
                Map<String, Object> m = event(id, "problem");
                m.putAll(problem(job.stmt, e).toJson());
                emit(m);
                return new Object[] {"failed", 0L};
            }
            Map<String, Object> sink = event(id, "sink");
            sink.put("sink", job.sink);
            sink.put("statement", job.stmt.number);
            List<Object> cols = new ArrayList<>();
            for (int i = 0; i < job.names.size(); i++) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("name", job.names.get(i));
                c.put("type", job.types.get(i).toString());
                cols.add(c);
            }
            sink.put("columns", cols);
            emit(sink);
        }
        for (Job job : jobs) {
            Thread t = new Thread(() -> {
                try {
                    CloseableIterator<Row> it = job.rows;
                    while (it.hasNext()) {
                        queue.put(new Item(job, it.next(), null, false));
                    }
                    queue.put(new Item(job, null, null, true));
                } catch (Throwable e) {
                    queue.offer(new Item(job, null, e, true));
                }
            }, "flinkdeck-collect-" + job.sink);
            t.setDaemon(true);
            t.start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, seconds));
        long count = 0;
        int running = jobs.size();
        // Each query gets a fair share of the row limit, so a busy sink cannot hide the others
        // (jobs start one after the other); rows beyond a share are dropped.
        long share = Math.max(1, (maxRows + jobs.size() - 1) / Math.max(1, jobs.size()));
        Map<Job, Long> perJob = new HashMap<>();
        // Jobs that reached their share or ended: when all are, the run is over.
        Set<Job> settled = new java.util.HashSet<>();
        String stopped = "time";
        boolean failed = false;
        while (true) {
            if (running == 0) {
                stopped = "finished";
                break;
            }
            if (count >= maxRows || settled.size() == jobs.size()) {
                stopped = "rows";
                break;
            }
            if (cancelled.get()) {
                stopped = "cancelled";
                break;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                stopped = "time";
                break;
            }
            Item item;
            try {
                item = queue.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)),
                        TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (item == null) {
                continue;
            }
            if (item.end) {
                running--;
                settled.add(item.job);
                if (item.error != null && !cancelled.get()) {
                    Map<String, Object> m = event(id, "problem");
                    m.putAll(problem(item.job.stmt, item.error).toJson());
                    emit(m);
                    failed = true;
                }
                continue;
            }
            long mine = perJob.getOrDefault(item.job, 0L);
            if (mine >= share) {
                continue;
            }
            perJob.put(item.job, mine + 1);
            if (mine + 1 == share) {
                settled.add(item.job);
            }
            Map<String, Object> m = event(id, "row");
            m.put("sink", item.job.sink);
            m.put("kind", item.row.getKind().shortString());
            List<Object> values = new ArrayList<>();
            for (int i = 0; i < item.row.getArity(); i++) {
                DataType type = i < item.job.types.size() ? item.job.types.get(i) : null;
                values.add(toJsonValue(item.row.getField(i), type));
            }
            m.put("values", values);
            emit(m);
            count++;
        }
        return new Object[] {failed ? "failed" : stopped, count};
    }

    /** Cancels every job (closing a collect iterator cancels its job), bounded in time. */
    private static void stopAll(List<Job> jobs) {
        List<Thread> closers = new ArrayList<>();
        for (Job job : jobs) {
            Thread t = new Thread(() -> {
                try {
                    if (job.rows != null) {
                        job.rows.close();
                    }
                } catch (Throwable ignored) {
                    // Already finished or failed.
                }
                try {
                    if (job.result != null && job.result.getJobClient().isPresent()) {
                        job.result.getJobClient().get().cancel().get(10, TimeUnit.SECONDS);
                    }
                } catch (Throwable ignored) {
                    // Already finished.
                }
            }, "flinkdeck-stop");
            t.setDaemon(true);
            t.start();
            closers.add(t);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (Thread t : closers) {
            long left = until - System.nanoTime();
            if (left > 0) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** A collected value as JSON: numbers, strings, booleans, objects for rows and maps. */
    static Object toJsonValue(Object v, DataType type) {
        if (v == null || v instanceof Boolean || v instanceof String) {
            return v;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isNaN(d) || Double.isInfinite(d) ? String.valueOf(d) : v;
        }
        if (v instanceof BigDecimal) {
            // A string keeps the scale and every digit (a JSON number becomes a double).
            return ((BigDecimal) v).toPlainString();
        }
        if (v instanceof Number) {
            return v;
        }
        if (v instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) v);
        }
        if (v instanceof TemporalAccessor) {
            return v.toString().replace('T', ' ');
        }
        List<DataType> children = type == null ? Collections.<DataType>emptyList()
                : type.getChildren();
        if (v instanceof Row) {
            Row r = (Row) v;
            List<String> names = null;
            if (type != null && type.getLogicalType() instanceof RowType) {
                names = ((RowType) type.getLogicalType()).getFieldNames();
            }
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < r.getArity(); i++) {
                String name = names != null && i < names.size() ? names.get(i) : "f" + i;
                m.put(name, toJsonValue(r.getField(i), i < children.size() ? children.get(i) : null));
            }
            return m;
        }
        if (v instanceof Map) {
            DataType valueType = children.size() == 2 ? children.get(1) : null;
            DataType keyType = children.size() == 2 ? children.get(0) : null;
            boolean stringKeys = keyType != null
                    && (keyType.getLogicalType().getTypeRoot() == LogicalTypeRoot.VARCHAR
                            || keyType.getLogicalType().getTypeRoot() == LogicalTypeRoot.CHAR);
            if (stringKeys) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    m.put(String.valueOf(e.getKey()), toJsonValue(e.getValue(), valueType));
                }
                return m;
            }
            List<Object> pairs = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                List<Object> pair = new ArrayList<>();
                pair.add(toJsonValue(e.getKey(), keyType));
                pair.add(toJsonValue(e.getValue(), valueType));
                pairs.add(pair);
            }
            return pairs;
        }
        if (v.getClass().isArray()) {
            DataType element = children.size() == 1 ? children.get(0) : null;
            int n = java.lang.reflect.Array.getLength(v);
            List<Object> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(toJsonValue(java.lang.reflect.Array.get(v, i), element));
            }
            return list;
        }
        return v.toString();
    }

    // -------------------------------------------------------------------------------------------
    // JSON

    /** A minimal JSON reader and writer (Flink's shaded Jackson differs between versions). */
    static final class Json {
        private Json() {}

        static Object parse(String text) {
            int[] pos = {0};
            Object v = value(text, pos);
            skip(text, pos);
            if (pos[0] != text.length()) {
                throw new IllegalArgumentException("trailing characters at " + pos[0]);
            }
            return v;
        }

        private static void skip(String t, int[] p) {
            while (p[0] < t.length() && Character.isWhitespace(t.charAt(p[0]))) {
                p[0]++;
            }
        }

        private static Object value(String t, int[] p) {
            skip(t, p);
            if (p[0] >= t.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            char c = t.charAt(p[0]);
            if (c == '{') {
                p[0]++;
                Map<String, Object> m = new LinkedHashMap<>();
                skip(t, p);
                if (p[0] < t.length() && t.charAt(p[0]) == '}') {
                    p[0]++;
                    return m;
                }
                while (true) {
                    skip(t, p);
                    String k = string(t, p);
                    skip(t, p);
                    expect(t, p, ':');
                    m.put(k, value(t, p));
                    skip(t, p);
                    if (p[0] < t.length() && t.charAt(p[0]) == ',') {
                        p[0]++;
                        continue;
                    }
                    expect(t, p, '}');
                    return m;
                }
            }
            if (c == '[') {
                p[0]++;
                List<Object> l = new ArrayList<>();
                skip(t, p);
                if (p[0] < t.length() && t.charAt(p[0]) == ']') {
                    p[0]++;
                    return l;
                }
                while (true) {
                    l.add(value(t, p));
                    skip(t, p);
                    if (p[0] < t.length() && t.charAt(p[0]) == ',') {
                        p[0]++;
                        continue;
                    }
                    expect(t, p, ']');
                    return l;
                }
            }
            if (c == '"') {
                return string(t, p);
            }
            if (t.startsWith("true", p[0])) {
                p[0] += 4;
                return Boolean.TRUE;
            }
            if (t.startsWith("false", p[0])) {
                p[0] += 5;
                return Boolean.FALSE;
            }
            if (t.startsWith("null", p[0])) {
                p[0] += 4;
                return null;
            }
            int start = p[0];
            while (p[0] < t.length() && "+-0123456789.eE".indexOf(t.charAt(p[0])) >= 0) {
                p[0]++;
            }
            String n = t.substring(start, p[0]);
            if (n.isEmpty()) {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + start);
            }
            try {
                if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
                    return Long.parseLong(n);
                }
                return Double.parseDouble(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad number '" + n + "'");
            }
        }

        private static void expect(String t, int[] p, char c) {
            if (p[0] >= t.length() || t.charAt(p[0]) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + p[0]);
            }
            p[0]++;
        }

        private static String string(String t, int[] p) {
            expect(t, p, '"');
            StringBuilder sb = new StringBuilder();
            while (p[0] < t.length()) {
                char c = t.charAt(p[0]++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (p[0] >= t.length()) {
                    break;
                }
                char e = t.charAt(p[0]++);
                switch (e) {
                    case 'n':
                        sb.append('\n');
                        break;
                    case 't':
                        sb.append('\t');
                        break;
                    case 'r':
                        sb.append('\r');
                        break;
                    case 'b':
                        sb.append('\b');
                        break;
                    case 'f':
                        sb.append('\f');
                        break;
                    case 'u':
                        if (p[0] + 4 > t.length()) {
                            throw new IllegalArgumentException("bad \\u escape");
                        }
                        sb.append((char) Integer.parseInt(t.substring(p[0], p[0] + 4), 16));
                        p[0] += 4;
                        break;
                    default:
                        sb.append(e);
                }
            }
            throw new IllegalArgumentException("unterminated string");
        }

        static void write(StringBuilder sb, Object v) {
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String) {
                quote(sb, (String) v);
            } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long
                    || v instanceof Short || v instanceof Byte) {
                sb.append(v);
            } else if (v instanceof Number) {
                double d = ((Number) v).doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    quote(sb, String.valueOf(d));
                } else {
                    sb.append(v);
                }
            } else if (v instanceof Map) {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            } else if (v instanceof List) {
                sb.append('[');
                boolean first = true;
                for (Object o : (List<?>) v) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    write(sb, o);
                }
                sb.append(']');
            } else {
                quote(sb, v.toString());
            }
        }

        private static void quote(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"':
                        sb.append("\\\"");
                        break;
                    case '\\':
                        sb.append("\\\\");
                        break;
                    case '\n':
                        sb.append("\\n");
                        break;
                    case '\r':
                        sb.append("\\r");
                        break;
                    case '\t':
                        sb.append("\\t");
                        break;
                    default:
                        if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                }
            }
            sb.append('"');
        }
    }
}
