/*
 * flinkdeck demo job: small, cheap, endless streaming jobs that give a local
 * Flink cluster something realistic to show (running jobs, checkpoints, state,
 * stdout output, restarts and exception history).
 *
 * Built and submitted by scripts/flink-local.sh (`demo-jar`, `submit-demo`,
 * `up --demo`). It compiles against the lib/ of BOTH Flink 1.20.x and 2.x, so
 * it only uses DataStream APIs present in both: no SourceFunction, no
 * open(Configuration), no legacy sinks, no getIndexOfThisSubtask().
 *
 * Usage (program arguments):
 *   --mode steady|flaky   steady: endless stateful keyed counter (default)
 *                         flaky:  same, but throws every --fail-after records,
 *                                 so the job cycles RUNNING -> RESTARTING
 *   --name NAME           job name (default demo-steady / demo-flaky)
 *   --rate N              records per second (default 5; rate-limited source)
 *   --fail-after N        flaky only: records between failures (default 10*rate,
 *                         i.e. one failure every ~10 s)
 *   --print-every N       print every N-th record to stdout (default = rate,
 *                         i.e. ~1 line per second on the TaskManager's stdout)
 *
 * Topology (parallelism comes from the submission, normally 1):
 *   Source: sequence (DataGeneratorSource, rate-limited, so the source task is
 *   idle, not busy, between records) -> tag (map)                  [chained]
 *     --keyBy(value % 4)-->
 *   count-per-key (flatMap with ValueState<Long>) -> stdout (print) [chained]
 *
 * DataGeneratorSource / RateLimiterStrategy live in flink-dist in 1.20 and 2.x.
 *
 * Checkpointing / restart strategy are NOT set here: they come from the
 * cluster configuration written by flink-local.sh.
 */
package flinkdeck.demo;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

public final class FlinkdeckDemo {

    private FlinkdeckDemo() {}

    public static void main(String[] args) throws Exception {
        String mode = "steady";
        String name = null;
        long rate = 5;
        long failAfter = -1;
        long printEvery = -1;

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--mode":
                    mode = v;
                    break;
                case "--name":
                    name = v;
                    break;
                case "--rate":
                    rate = Long.parseLong(v);
                    break;
                case "--fail-after":
                    failAfter = Long.parseLong(v);
                    break;
                case "--print-every":
                    printEvery = Long.parseLong(v);
                    break;
                default:
                    throw new IllegalArgumentException(
                            "unknown argument " + a
                                    + " (expected --mode steady|flaky, --name, --rate,"
                                    + " --fail-after, --print-every)");
            }
        }
        if (!mode.equals("steady") && !mode.equals("flaky")) {
            throw new IllegalArgumentException("--mode must be steady or flaky, got " + mode);
        }
        if (rate < 1 || rate > 1000) {
            throw new IllegalArgumentException("--rate must be in 1..1000, got " + rate);
        }
        if (name == null) {
            name = "demo-" + mode;
        }
        if (failAfter < 1) {
            failAfter = rate * 10;
        }
        if (printEvery < 1) {
            printEvery = rate;
        }
        boolean flaky = mode.equals("flaky");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

        // Endless for all practical purposes; the position is checkpointed.
        DataGeneratorSource<Long> source =
                new DataGeneratorSource<>(
                        new Identity(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(rate), Types.LONG);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "sequence")
                .uid("sequence")
                .map(new Tag())
                .name("tag")
                .uid("tag")
                .keyBy(new ModKey())
                .flatMap(new CountPerKey(mode, flaky, failAfter, printEvery))
                .name("count-per-key")
                .uid("count-per-key")
                .print()
                .name("stdout")
                .uid("stdout");

        // For REST (web) submissions main() runs inside the JobManager, so this
        // line ends up in the JobManager's stdout (.out file).
        System.out.println("flinkdeck demo: submitting job '" + name + "' (mode=" + mode
                + ", rate=" + rate + "/s" + (flaky ? ", fail-after=" + failAfter : "")
                + ", print-every=" + printEvery + ")");
        env.execute(name);
    }

    /** value = index of the generated record (0, 1, 2, ...). */
    static final class Identity implements GeneratorFunction<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(Long index) {
            return index;
        }
    }

    /** A trivial chained operator, so the first vertex is "Source: sequence -> tag". */
    static final class Tag implements MapFunction<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(Long value) {
            return value;
        }
    }

    /** Four keys, so the keyed state has a few entries. */
    static final class ModKey implements KeySelector<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long getKey(Long value) {
            return value % 4;
        }
    }

    /**
     * Counts records per key in keyed ValueState (checkpointed). The state handle is
     * obtained lazily in flatMap() because open(Configuration) / open(OpenContext)
     * differ between Flink 1.x and 2.x.
     */
    static final class CountPerKey extends RichFlatMapFunction<Long, String> {
        private static final long serialVersionUID = 1L;
        private final String mode;
        private final boolean flaky;
        private final long failAfter;
        private final long printEvery;

        private transient ValueState<Long> count;
        /** Records seen since this task instance was (re)started; not checkpointed. */
        private transient long seenSinceStart;

        CountPerKey(String mode, boolean flaky, long failAfter, long printEvery) {
            this.mode = mode;
            this.flaky = flaky;
            this.failAfter = failAfter;
            this.printEvery = printEvery;
        }

        @Override
        public void flatMap(Long value, Collector<String> out) throws Exception {
            if (count == null) {
                count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Long.class));
            }
            Long previous = count.value();
            long c = previous == null ? 1L : previous + 1L;
            count.update(c);
            seenSinceStart++;

            if (flaky && seenSinceStart >= failAfter) {
                throw new RuntimeException(
                        "flinkdeck demo failure: injected after " + seenSinceStart
                                + " records (value=" + value + ", key=" + (value % 4)
                                + ", count=" + c + ")");
            }
            if (value % printEvery == 0) {
                out.collect("flinkdeck-demo " + mode + " value=" + value + " key=" + (value % 4)
                        + " count=" + c);
            }
        }
    }
}
