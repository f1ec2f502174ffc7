//! Sparklines from metric samples: one block character (`▁▂▃▄▅▆▇█`) per sample, scaled from
//! zero (or the smallest sample, when all are negative) to the largest; a missing sample is a
//! space. Pure, for the metric columns of the jobs list.

/// Samples a sparkline shows (and all the pollers keep per job: 10,000 jobs' histories are
/// megabytes, so nothing beyond what is drawn).
pub const SPARK_SAMPLES: usize = 6;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` samples as a sparkline, right-aligned (padded with spaces on the left
/// when there are fewer samples). `NaN` and infinite samples are missing.
pub fn sparkline(samples: &[f32], width: usize) -> String {
    let tail = &samples[samples.len().saturating_sub(width)..];
    let finite = || tail.iter().copied().filter(|v| v.is_finite());
    let max = finite().fold(f32::MIN, f32::max);
    let min = finite().fold(0.0f32, f32::min);
    let mut out = " ".repeat(width - tail.len());
    for &v in tail {
        if !v.is_finite() {
            out.push(' ');
            continue;
        }
        let span = max - min;
        let level = if span <= 0.0 {
            0
        } else {
            (((v - min) / span) * (BARS.len() - 1) as f32).round() as usize
        };
        out.push(BARS[level.min(BARS.len() - 1)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_from_zero_to_the_max() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 7.0], 4), "▁▂▃█");
        assert_eq!(sparkline(&[5.0, 10.0], 2), "▅█");
    }

    #[test]
    fn keeps_the_last_samples_and_pads_on_the_left() {
        assert_eq!(sparkline(&[9.0, 0.0, 7.0], 2), "▁█");
        assert_eq!(sparkline(&[1.0], 3), "  █");
        assert_eq!(sparkline(&[], 2), "  ");
    }

    #[test]
    fn flat_and_missing_samples() {
        assert_eq!(sparkline(&[0.0, 0.0], 2), "▁▁");
        assert_eq!(sparkline(&[3.0, f32::NAN, 3.0], 3), "█ █");
        assert_eq!(sparkline(&[f32::NAN], 1), " ");
    }
}
