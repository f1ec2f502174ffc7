/*
 * flinkdeck demo job: small, cheap, endless streaming jobs that give a local
 * Flink cluster something realistic to show (running jobs, checkpoints, state,
 * stdout output, restarts and exception history).
 *
 * Built and submitted by scripts/flink-local.sh (`demo-jar`, `submit-demo`,
 * `up --demo`). It compiles against the lib/ of every Flink from 1.18 to 2.3,
 * so it only uses DataStream APIs present in all of them: no SourceFunction
 * (gone in 2.0), no DataGeneratorSource (not in 1.18's flink-dist), no
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
 *   --checkpoints ok|slow slow: the counter's snapshot takes 2 s, so with an
 *                         execution.checkpointing.timeout below that no checkpoint
 *                         ever completes (they expire; set
 *                         execution.checkpointing.tolerable-failed-checkpoints high
 *                         so the job keeps running); default ok
 *
 * Topology (parallelism comes from the submission, normally 1):
 *   Source: sequence (RateLimitedSequence: flink-core's NumberSequenceSource
 *   behind flink-core's RateLimitedSourceReader, so the source task is idle,
 *   not busy, between records) -> tag (map)                        [chained]
 *     --keyBy(value % 4)-->
 *   count-per-key (flatMap with ValueState<Long>) -> stdout (print) [chained]
 *
 * NumberSequenceSource, RateLimitedSourceReader and RateLimiterStrategy are in
 * flink-core (so in flink-dist) of 1.18 through 2.3. RateLimiter gained a type
 * parameter in 2.x; it is used raw here so one source compiles on both.
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
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimitedSourceReader;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
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
        boolean slowCheckpoints = false;

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
                case "--checkpoints":
                    slowCheckpoints = v.equals("slow");
                    break;
                default:
                    throw new IllegalArgumentException(
                            "unknown argument " + a
                                    + " (expected --mode steady|flaky, --name, --rate,"
                                    + " --fail-after, --print-every, --checkpoints)");
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
        final boolean slowSnapshots = slowCheckpoints;

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();

        // Endless for all practical purposes; the position is checkpointed.
        RateLimitedSequence source = new RateLimitedSequence(Long.MAX_VALUE - 1, rate);
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "sequence")
                .uid("sequence")
                .map(new Tag())
                .name("tag")
                .uid("tag")
                .keyBy(new ModKey())
                .flatMap(new CountPerKey(mode, flaky, failAfter, printEvery, slowSnapshots))
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

    /**
     * The numbers 0, 1, 2, ... at `perSecond` records per second over all subtasks; the
     * position is checkpointed (the splits of NumberSequenceSource).
     */
    static final class RateLimitedSequence extends NumberSequenceSource {
        private static final long serialVersionUID = 1L;
        private final double perSecond;

        RateLimitedSequence(long to, double perSecond) {
            super(0, to);
            this.perSecond = perSecond;
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        public SourceReader<Long, NumberSequenceSplit> createReader(SourceReaderContext context) {
            RateLimiter limiter =
                    RateLimiterStrategy.perSecond(perSecond).createRateLimiter(context.currentParallelism());
            return new RateLimitedSourceReader<>(super.createReader(context), limiter);
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
    static final class CountPerKey extends RichFlatMapFunction<Long, String>
            implements CheckpointedFunction {
        private static final long serialVersionUID = 1L;
        private final String mode;
        private final boolean flaky;
        private final long failAfter;
        private final long printEvery;
        private final boolean slowSnapshots;

        private transient ValueState<Long> count;
        /** Records seen since this task instance was (re)started; not checkpointed. */
        private transient long seenSinceStart;

        CountPerKey(
                String mode, boolean flaky, long failAfter, long printEvery, boolean slowSnapshots) {
            this.mode = mode;
            this.flaky = flaky;
            this.failAfter = failAfter;
            this.printEvery = printEvery;
            this.slowSnapshots = slowSnapshots;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            if (slowSnapshots) {
                // Longer than the job's checkpoint timeout: the checkpoint expires.
                Thread.sleep(2000);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            // The keyed ValueState is obtained lazily in flatMap().
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
