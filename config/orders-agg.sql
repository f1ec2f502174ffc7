-- orders-agg: revenue per product in 10-second windows, and a running total per product.
--
-- Runs on a bare Flink distribution: it uses only the built-in `datagen`, `print` and
-- `blackhole` connectors. The window results go to the TaskManagers' stdout (the `print`
-- connector), which `flinkdeck logs` and the Flink Web UI show.
--
-- Both INSERTs run as ONE job (a statement set), so one savepoint holds the state of both.
-- flinkdeck runs this script with its SQL runner: `SET` statements apply to the job,
-- `CREATE` statements define tables, and the INSERTs are submitted together.

SET 'pipeline.name' = 'orders-agg';
-- A source subtask without rows for 5 s does not hold the watermark (and the windows) back.
SET 'table.exec.source.idle-timeout' = '5 s';

CREATE TEMPORARY TABLE orders (
    order_id   BIGINT,
    product_id INT,
    quantity   INT,
    price      DECIMAL(10, 2),
    -- Event time: the moment the row is generated; watermarks trail it by two seconds.
    order_time AS LOCALTIMESTAMP,
    WATERMARK FOR order_time AS order_time - INTERVAL '2' SECOND
) WITH (
    'connector' = 'datagen',
    'rows-per-second' = '20',
    'fields.order_id.min' = '1',
    'fields.order_id.max' = '1000000000',
    'fields.product_id.min' = '1',
    'fields.product_id.max' = '8',
    'fields.quantity.min' = '1',
    'fields.quantity.max' = '5',
    'fields.price.min' = '1',
    'fields.price.max' = '100'
);

CREATE TEMPORARY TABLE revenue_per_window (
    window_start TIMESTAMP(3),
    window_end   TIMESTAMP(3),
    product_id   INT,
    orders       BIGINT,
    revenue      DECIMAL(38, 2)
) WITH (
    'connector' = 'print',
    'print-identifier' = 'orders-agg'
);

CREATE TEMPORARY TABLE revenue_totals (
    product_id INT,
    orders     BIGINT,
    revenue    DECIMAL(38, 2),
    PRIMARY KEY (product_id) NOT ENFORCED
) WITH (
    'connector' = 'blackhole'
);

EXECUTE STATEMENT SET
BEGIN
    -- Tumbling event-time windows: one row per product and window.
    INSERT INTO revenue_per_window
    SELECT window_start, window_end, product_id, COUNT(*), SUM(quantity * price)
    FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, product_id;

    -- A running aggregate: keyed state that grows with the job and survives a restore.
    INSERT INTO revenue_totals
    SELECT product_id, COUNT(*), SUM(quantity * price)
    FROM orders
    GROUP BY product_id;
END;
