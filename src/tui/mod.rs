//! tui (being written).
