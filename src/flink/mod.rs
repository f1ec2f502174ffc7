//! flink (being written).
