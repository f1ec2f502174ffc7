/*
 * flinkdeck SQL runner: runs a Flink SQL script as ONE Flink job.
 *
 * Part of flinkdeck (src/sqlrunner/). flinkdeck compiles this file with javac against the lib/ of
 * the Flink version the target cluster runs (1.18 to 2.3), uploads the jar with /jars/upload and
 * starts it with /jars/:id/run, so main() runs inside the JobManager's web submission.
 *
 * Program arguments:
 *   --name NAME             job name (always wins over a SET 'pipeline.name' in the script)
 *   --script-base64 B64     the UTF-8 script, standard base64
 *   --print-statements      only print how the script splits (for tests and debugging)
 *   --serve                 (alone) validate and debug-run scripts on request, one JSON request
 *                           and response per line on stdin/stdout: see FlinkdeckSqlTools.java
 *
 * What it does, statement by statement, in script order:
 *   SET 'k' = 'v' / SET k = v    set on the TableEnvironment's configuration (executeSql("SET ...")
 *                                is rejected inside submitted programs); SET alone does nothing.
 *                                SETs before the first other statement also create the environment
 *                                (streaming unless SET 'execution.runtime-mode' = 'batch')
 *   RESET 'k' / RESET            remove one key / every key this script SET
 *   INSERT INTO / OVERWRITE,     collected (validated on the spot) into ONE statement set, executed
 *   CREATE/REPLACE TABLE AS      at the end as one job named NAME
 *   EXECUTE STATEMENT SET BEGIN ... END;   and the SQL-client form
 *   BEGIN STATEMENT SET; ... END;          their INSERTs join the same statement set
 *   SELECT / WITH / VALUES       an error: nothing would consume the rows
 *   anything else (CREATE, ALTER, DROP, USE, LOAD MODULE, ...)   executed right away
 *
 * Splitting: ';' ends a statement except inside '...' strings ('' escapes), "..." and `...`
 * identifiers, -- line comments and block comments (hints included). Empty and comment-only
 * statements are skipped. Statements are numbered 1, 2, ... in the order of the ';'-separated
 * pieces of the script (BEGIN STATEMENT SET and END count as pieces; the first INSERT of an
 * EXECUTE STATEMENT SET BEGIN piece has that piece's number).
 *
 * Errors: the exception that leaves main() has NO cause and a one-line message starting with
 * "statement N (line L): ", followed by Flink's message chain, with Flink's statement-relative
 * "line X, column Y" positions rewritten to positions in the whole script. (Flink's REST answer
 * lists the causes; the innermost one is this message.)
 */
package flinkdeck.sqlrunner;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.QueryOperation;
import org.apache.flink.util.FlinkException;

public final class FlinkdeckSqlRunner {

    private FlinkdeckSqlRunner() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && "--serve".equals(args[0])) {
            FlinkdeckSqlTools.serve();
            return;
        }
        String name = null;
        String scriptB64 = null;
        boolean printOnly = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ("--print-statements".equals(a)) {
                printOnly = true;
            } else if (("--name".equals(a) || "--script-base64".equals(a)) && i + 1 < args.length) {
                if ("--name".equals(a)) {
                    name = args[++i];
                } else {
                    scriptB64 = args[++i];
                }
            } else {
                throw new FlinkException(
                        "flinkdeck SQL runner: unexpected argument '" + a
                                + "' (usage: --name NAME --script-base64 BASE64)");
            }
        }
        if (scriptB64 == null) {
            throw new FlinkException("flinkdeck SQL runner: --script-base64 is missing");
        }
        String script;
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(scriptB64.trim());
            script = new String(bytes, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new FlinkException("flinkdeck SQL runner: --script-base64 is not valid base64: "
                    + e.getMessage());
        }
        if (printOnly) {
            printStatements(script);
        } else {
            run(script, name, sha256(bytes));
        }
    }

    /**
     * {@code --print-statements}: prints how the script is split, one statement per line
     * (number, line:column, "set" inside a statement set or "top", then the text with newlines
     * as \n; SET / RESET also show the parsed key and value), without running anything.
     */
    static void printStatements(String script) throws FlinkException {
        StringBuilder out = new StringBuilder();
        for (Stmt s : split(script)) {
            out.append(s.number).append('\t').append(s.line).append(':').append(s.column)
                    .append('\t').append(s.inSet ? "set" : "top").append('\t')
                    .append(s.text.replace("\\", "\\\\").replace("\n", "\\n"));
            if (!s.inSet && "SET".equals(s.firstWord)) {
                String[] kv = parseSet(s);
                out.append("\t=> ").append(kv == null ? "(list)" : kv[0] + " = " + kv[1]);
            } else if (!s.inSet && "RESET".equals(s.firstWord)) {
                String key = parseReset(s);
                out.append("\t=> ").append(key == null ? "(all)" : key);
            }
            out.append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }

    // ---------------------------------------------------------------------------------------
    // Running

    /** Lower-case hex SHA-256 of the script's bytes as received (before any decoding). */
    static String sha256(byte[] bytes) throws FlinkException {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder hex = new StringBuilder(d.length * 2);
            for (byte b : d) {
                hex.append(String.format("%02x", b & 0xff));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new FlinkException("flinkdeck SQL runner: no SHA-256 in this JVM: " + e.getMessage());
        }
    }

    /**
     * Runs the script; returns only after the statement set was handed to Flink. The job's
     * configuration gets {@code flinkdeck.sql.sha256} (the hash of the script as received), also
     * in {@code pipeline.global-job-parameters} so that Flink's REST API shows it in the job's
     * {@code user-config} ({@code flinkdeck drift} compares it with the app's script).
     */
    static void run(String script, String jobName, String scriptSha256) throws FlinkException {
        List<Stmt> stmts = split(script);
        // SETs before the first other statement also configure the environment itself, so
        // SET 'execution.runtime-mode' = 'batch' at the top works; later ones go to its config.
        Configuration leading = new Configuration();
        TableEnvironment tEnv = null;
        TableEnvironmentInternal internal = null;
        List<ModifyOperation> modify = new ArrayList<>();
        List<Stmt> modifyStmts = new ArrayList<>();
        Set<String> setKeys = new LinkedHashSet<>();

        for (Stmt s : stmts) {
            Configuration conf = tEnv == null ? leading : tEnv.getConfig().getConfiguration();
            if (!s.inSet && "SET".equals(s.firstWord)) {
                String[] kv = parseSet(s);
                if (kv != null) {
                    conf.setString(kv[0], kv[1]);
                    setKeys.add(kv[0]);
                }
                continue;
            }
            if (!s.inSet && "RESET".equals(s.firstWord)) {
                String key = parseReset(s);
                if (key == null) {
                    for (String k : setKeys) {
                        conf.removeKey(k);
                    }
                    setKeys.clear();
                } else {
                    conf.removeKey(key);
                    setKeys.remove(key);
                }
                continue;
            }
            if (tEnv == null) {
                tEnv = createEnvironment(leading, s, scriptSha256);
                internal = (TableEnvironmentInternal) tEnv;
            }
            Operation op;
            try {
                List<Operation> ops = internal.getParser().parse(s.text);
                if (ops.size() != 1) {
                    throw fail(s, "expected one statement, Flink parsed " + ops.size());
                }
                op = ops.get(0);
            } catch (FlinkException e) {
                throw e;
            } catch (Exception e) {
                throw fail(s, e);
            }
            if (op instanceof ModifyOperation) {
                modify.add((ModifyOperation) op);
                modifyStmts.add(s);
            } else if (s.inSet) {
                throw fail(s, "only INSERT statements are allowed inside a statement set");
            } else if (op instanceof QueryOperation) {
                throw fail(s, "a SELECT has no sink; use INSERT INTO");
            } else {
                try {
                    internal.executeInternal(op);
                } catch (Exception e) {
                    throw fail(s, e);
                }
            }
        }

        if (modify.isEmpty() || tEnv == null) {
            throw new FlinkException("the script has no INSERT statement, so there is no job to run");
        }
        if (jobName != null && !jobName.isEmpty()) {
            tEnv.getConfig().getConfiguration().setString("pipeline.name", jobName);
        }
        try {
            // One job for every INSERT (what StatementSet.execute() does). In a session cluster's
            // web submission this may end main() with Flink's own Error: it is not caught here.
            internal.executeInternal(modify);
        } catch (Exception e) {
            throw blame(tEnv, modifyStmts, e);
        }
    }

    /**
     * A table environment with the script's leading SETs (streaming unless they say batch) and
     * the script's hash as {@code flinkdeck.sql.sha256}, added to the global job parameters the
     * submission already has (a map option given here would replace them).
     */
    private static TableEnvironment createEnvironment(Configuration leading, Stmt first,
            String scriptSha256) throws FlinkException {
        Configuration conf = new Configuration();
        conf.setString("execution.runtime-mode", "streaming");
        conf.addAll(leading);
        Map<String, String> params = new LinkedHashMap<>(StreamExecutionEnvironment
                .getExecutionEnvironment().getConfig().getGlobalJobParameters().toMap());
        params.putAll(leading.getOptional(PipelineOptions.GLOBAL_JOB_PARAMETERS)
                .orElse(new LinkedHashMap<>()));
        params.put("flinkdeck.sql.sha256", scriptSha256);
        conf.set(PipelineOptions.GLOBAL_JOB_PARAMETERS, params);
        conf.setString("flinkdeck.sql.sha256", scriptSha256);
        try {
            return TableEnvironment.create(
                    EnvironmentSettings.newInstance().withConfiguration(conf).build());
        } catch (RuntimeException e) {
            throw new FlinkException("statement " + first.number + " (line " + first.line
                    + "): cannot create the table environment from the SETs before it: "
                    + chain(e));
        }
    }

    /** Finds which INSERT of a failed statement set is at fault (each one planned alone). */
    private static FlinkException blame(TableEnvironment tEnv, List<Stmt> inserts, Exception e) {
        if (inserts.size() == 1) {
            return fail(inserts.get(0), e);
        }
        for (Stmt s : inserts) {
            try {
                tEnv.explainSql(s.text);
            } catch (Exception alone) {
                return fail(s, alone);
            }
        }
        StringBuilder which = new StringBuilder("statements ");
        StringBuilder lines = new StringBuilder(" (lines ");
        for (int i = 0; i < inserts.size(); i++) {
            which.append(i == 0 ? "" : ", ").append(inserts.get(i).number);
            lines.append(i == 0 ? "" : ", ").append(inserts.get(i).line);
        }
        return new FlinkException(which + lines.toString() + ", run as one job): " + chain(e));
    }

    private static FlinkException fail(Stmt s, String message) {
        return new FlinkException(s.where() + message);
    }

    private static FlinkException fail(Stmt s, Throwable e) {
        return new FlinkException(s.where() + relocate(chain(e), s));
    }

    /** The distinct messages of an exception chain as one line. */
    static String chain(Throwable e) {
        List<String> parts = new ArrayList<>();
        Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) {
                continue;
            }
            int cut = m.indexOf("Was expecting");
            if (cut > 0) {
                m = m.substring(0, cut);
            }
            m = m.replaceAll("\\s*\\R\\s*", " ").trim();
            // Flink sometimes repeats a sentence ("SQL validation failed. SQL validation failed.").
            m = REPEATED.matcher(m).replaceAll("$1");
            if (m.isEmpty()) {
                continue;
            }
            boolean known = false;
            for (String p : parts) {
                if (p.contains(m)) {
                    known = true;
                    break;
                }
            }
            if (!known) {
                parts.add(m);
            }
        }
        if (parts.isEmpty()) {
            return e.getClass().getName();
        }
        return String.join(": ", parts);
    }

    private static final Pattern REPEATED = Pattern.compile("([^.]{3,200}\\. )\\1+");

    private static final Pattern POSITION =
            Pattern.compile("(?i)\\b(line) (\\d{1,9}), (column) (\\d{1,9})");

    /** Rewrites Flink's statement-relative "line X, column Y" to script positions. */
    static String relocate(String message, Stmt s) {
        Matcher m = POSITION.matcher(message);
        StringBuffer out = new StringBuffer();
        while (m.find()) {
            long line = Long.parseLong(m.group(2));
            long col = Long.parseLong(m.group(4));
            long scriptLine = s.line + line - 1;
            long scriptCol = line == 1 ? s.column + col - 1 : col;
            m.appendReplacement(out, Matcher.quoteReplacement(
                    m.group(1) + " " + scriptLine + ", " + m.group(3) + " " + scriptCol));
        }
        m.appendTail(out);
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------
    // SET / RESET

    /** {key, value}, or null for a bare SET (which lists the configuration in the SQL client). */
    static String[] parseSet(Stmt s) throws FlinkException {
        String rest = stripComments(s.text).trim().substring(3).trim();
        if (rest.isEmpty()) {
            return null;
        }
        String key;
        String after;
        if (rest.startsWith("'")) {
            int end = quoteEnd(rest, 0);
            if (end < 0) {
                throw fail(s, "unterminated quoted key in SET");
            }
            key = unquote(rest.substring(0, end + 1));
            after = rest.substring(end + 1).trim();
        } else {
            int eq = rest.indexOf('=');
            if (eq < 0) {
                throw fail(s, "SET needs 'key' = 'value'");
            }
            key = rest.substring(0, eq).trim();
            after = rest.substring(eq).trim();
        }
        if (!after.startsWith("=")) {
            throw fail(s, "SET needs 'key' = 'value'");
        }
        String v = after.substring(1).trim();
        String value;
        if (v.startsWith("'")) {
            int end = quoteEnd(v, 0);
            if (end < 0 || !v.substring(end + 1).trim().isEmpty()) {
                throw fail(s, "SET needs 'key' = 'value'");
            }
            value = unquote(v.substring(0, end + 1));
        } else {
            value = v;
        }
        if (key.isEmpty()) {
            throw fail(s, "SET needs a non-empty key");
        }
        return new String[] {key, value};
    }

    /** The key of RESET 'k' / RESET k, or null for RESET alone. */
    static String parseReset(Stmt s) throws FlinkException {
        String rest = stripComments(s.text).trim().substring(5).trim();
        if (rest.isEmpty()) {
            return null;
        }
        if (rest.startsWith("'")) {
            int end = quoteEnd(rest, 0);
            if (end < 0 || !rest.substring(end + 1).trim().isEmpty()) {
                throw fail(s, "RESET needs 'key' or nothing");
            }
            return unquote(rest.substring(0, end + 1));
        }
        return rest;
    }

    /** Index of the quote closing the '...' string that opens at {@code start}, or -1. */
    private static int quoteEnd(String t, int start) {
        for (int i = start + 1; i < t.length(); i++) {
            if (t.charAt(i) == '\'') {
                if (i + 1 < t.length() && t.charAt(i + 1) == '\'') {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    private static String unquote(String quoted) {
        return quoted.substring(1, quoted.length() - 1).replace("''", "'");
    }

    /** The text with comments outside quotes replaced by a space. */
    static String stripComments(String t) {
        StringBuilder out = new StringBuilder(t.length());
        int i = 0;
        int n = t.length();
        while (i < n) {
            char c = t.charAt(i);
            if (c == '-' && i + 1 < n && t.charAt(i + 1) == '-') {
                while (i < n && t.charAt(i) != '\n') {
                    i++;
                }
                out.append(' ');
            } else if (c == '/' && i + 1 < n && t.charAt(i + 1) == '*') {
                int end = t.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            } else if (c == '\'' || c == '"' || c == '`') {
                int j = i + 1;
                while (j < n) {
                    if (t.charAt(j) == c) {
                        if (j + 1 < n && t.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                int end = Math.min(j + 1, n);
                out.append(t, i, end);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    // ---------------------------------------------------------------------------------------
    // Splitting

    /**
     * A script that cannot be split (unclosed string, quoted identifier or comment, END without
     * BEGIN, ...). Its message is "statement N (line L): ..." like every runner error; the fields
     * say where the problem starts, for the validator.
     */
    static final class SplitException extends FlinkException {
        private static final long serialVersionUID = 1L;
        /** The statement number, and the 1-based line and column where the problem starts. */
        final int number;
        final int line;
        final int column;
        /** The message without the "statement N (line L): " prefix. */
        final String detail;

        SplitException(int number, int line, int column, String detail) {
            this(number, line, column, line, detail);
        }

        /** {@code statementLine} is the line the message names (the statement's first line). */
        SplitException(int number, int line, int column, int statementLine, String detail) {
            super("statement " + number + " (line " + statementLine + "): " + detail);
            this.number = number;
            this.line = line;
            this.column = column;
            this.detail = detail;
        }
    }

    /** One statement to run. */
    static final class Stmt {
        /** 1-based piece number in the script. */
        final int number;
        /** 1-based line and column of its first character in the whole script. */
        final int line;
        final int column;
        /** From its first significant character up to (excluding) the ';'. */
        final String text;
        /** Upper-cased first word (or "" when it starts with a symbol). */
        final String firstWord;
        /** Inside EXECUTE STATEMENT SET BEGIN ... END or BEGIN STATEMENT SET; ... END;. */
        final boolean inSet;

        Stmt(int number, int line, int column, String text, boolean inSet) {
            this.number = number;
            this.line = line;
            this.column = column;
            this.text = text;
            this.inSet = inSet;
            List<String> w = words(text, 0, text.length(), 1);
            this.firstWord = w.isEmpty() ? "" : w.get(0);
        }

        String where() {
            return "statement " + number + " (line " + line + "): ";
        }

        @Override
        public String toString() {
            return number + "@" + line + ":" + column + (inSet ? "[set] " : " ") + text;
        }
    }

    /** A ';'-separated piece of the script (start = first significant character). */
    private static final class Piece {
        int start;
        int end;
        int line;
        int column;
    }

    /** Splits a script into statements, resolving statement-set blocks. */
    static List<Stmt> split(String script) throws FlinkException {
        if (script.startsWith("\uFEFF")) {
            script = " " + script.substring(1);
        }
        List<Piece> pieces = pieces(script);
        List<Stmt> out = new ArrayList<>();
        int number = 0;
        // 0: top level, 1: inside EXECUTE STATEMENT SET BEGIN, 2: inside BEGIN STATEMENT SET;
        int block = 0;
        int blockNumber = 0;
        int blockLine = 0;
        int blockColumn = 0;
        for (Piece p : pieces) {
            number++;
            List<String> w = words(script, p.start, p.end, 5);
            if (w.size() == 1 && "END".equals(w.get(0))) {
                if (block == 0) {
                    throw new SplitException(number, p.line, p.column,
                            "END without BEGIN STATEMENT SET");
                }
                block = 0;
                continue;
            }
            if (w.size() == 3 && "BEGIN".equals(w.get(0)) && "STATEMENT".equals(w.get(1))
                    && "SET".equals(w.get(2))) {
                if (block != 0) {
                    throw new SplitException(number, p.line, p.column,
                            "statement sets cannot be nested");
                }
                block = 2;
                blockNumber = number;
                blockLine = p.line;
                blockColumn = p.column;
                continue;
            }
            if (w.size() >= 4 && "EXECUTE".equals(w.get(0)) && "STATEMENT".equals(w.get(1))
                    && "SET".equals(w.get(2)) && "BEGIN".equals(w.get(3))) {
                if (block != 0) {
                    throw new SplitException(number, p.line, p.column,
                            "statement sets cannot be nested");
                }
                block = 1;
                blockNumber = number;
                blockLine = p.line;
                blockColumn = p.column;
                int after = afterWords(script, p.start, p.end, 4);
                int first = skipSpace(script, after, p.end);
                if (first < p.end) {
                    int[] lc = lineColumn(script, first);
                    out.add(new Stmt(number, lc[0], lc[1], trimEnd(script.substring(first, p.end)),
                            true));
                }
                continue;
            }
            out.add(new Stmt(number, p.line, p.column, trimEnd(script.substring(p.start, p.end)),
                    block != 0));
        }
        if (block != 0) {
            throw new SplitException(blockNumber, blockLine, blockColumn,
                    "the statement set is not closed with END;");
        }
        return out;
    }

    /** The ';'-separated pieces with at least one significant character. */
    private static List<Piece> pieces(String s) throws FlinkException {
        List<Piece> out = new ArrayList<>();
        int n = s.length();
        int i = 0;
        int line = 1;
        int lineStart = 0;
        Piece cur = null;
        int pieceNo = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\n') {
                line++;
                lineStart = i + 1;
                i++;
                continue;
            }
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int startLine = line;
                int startLineStart = lineStart;
                int j = i + 2;
                while (j < n && !(s.charAt(j) == '*' && j + 1 < n && s.charAt(j + 1) == '/')) {
                    if (s.charAt(j) == '\n') {
                        line++;
                        lineStart = j + 1;
                    }
                    j++;
                }
                if (j >= n) {
                    throw new SplitException(cur != null ? pieceNo : pieceNo + 1,
                            startLine, i - startLineStart + 1,
                            cur != null ? cur.line : startLine,
                            "the comment that starts at line " + startLine
                                    + " is never closed with */");
                }
                i = j + 2;
                continue;
            }
            if (c == ';') {
                if (cur != null) {
                    cur.end = i;
                    out.add(cur);
                    cur = null;
                }
                i++;
                continue;
            }
            // Significant character.
            if (cur == null) {
                cur = new Piece();
                cur.start = i;
                cur.line = line;
                cur.column = i - lineStart + 1;
                pieceNo++;
            }
            if (c == '\'' || c == '"' || c == '`') {
                int startLine = line;
                int startLineStart = lineStart;
                int j = i + 1;
                boolean closed = false;
                while (j < n) {
                    char d = s.charAt(j);
                    if (d == '\n') {
                        line++;
                        lineStart = j + 1;
                    }
                    if (d == c) {
                        if (j + 1 < n && s.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    j++;
                }
                if (!closed) {
                    String what = c == '\'' ? "string" : "quoted identifier";
                    throw new SplitException(pieceNo, startLine, i - startLineStart + 1,
                            cur.line, "the " + what + " that starts at line " + startLine
                                    + " with " + c + " is never closed");
                }
                i = j + 1;
                continue;
            }
            i++;
        }
        if (cur != null) {
            cur.end = n;
            out.add(cur);
        }
        return out;
    }

    /**
     * Up to {@code max + 1} upper-cased leading tokens of s[from, to): words ([A-Za-z0-9_$]+) or
     * single other characters, skipping whitespace and comments.
     */
    static List<String> words(String s, int from, int to, int max) {
        List<String> out = new ArrayList<>();
        int i = skipSpace(s, from, to);
        while (i < to && out.size() <= max) {
            int j = i;
            while (j < to && isWordChar(s.charAt(j))) {
                j++;
            }
            if (j == i) {
                j = i + 1;
            }
            out.add(s.substring(i, j).toUpperCase(Locale.ROOT));
            i = skipSpace(s, j, to);
        }
        return out;
    }

    /** The offset right after the first {@code count} word tokens of s[from, to). */
    private static int afterWords(String s, int from, int to, int count) {
        int i = skipSpace(s, from, to);
        for (int k = 0; k < count && i < to; k++) {
            int j = i;
            while (j < to && isWordChar(s.charAt(j))) {
                j++;
            }
            i = j == i ? i + 1 : j;
            if (k + 1 < count) {
                i = skipSpace(s, i, to);
            }
        }
        return i;
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** Skips whitespace and comments. */
    private static int skipSpace(String s, int i, int to) {
        while (i < to) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < to && s.charAt(i + 1) == '-') {
                while (i < to && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < to && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 || end >= to ? to : end + 2;
            } else {
                break;
            }
        }
        return i;
    }

    private static int[] lineColumn(String s, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset; i++) {
            if (s.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new int[] {line, offset - lineStart + 1};
    }

    private static String trimEnd(String t) {
        int end = t.length();
        while (end > 0 && Character.isWhitespace(t.charAt(end - 1))) {
            end--;
        }
        return t.substring(0, end);
    }
}
