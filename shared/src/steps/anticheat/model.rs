//! A learned model of normal days: an isolation forest (Liu, Ting and Zhou, 2008) over
//! `features`. Days that random splits isolate in few steps are unusual; the score is
//! `2^(-mean path length / c(sample size))`, near 1 for anomalies and below 0.5 for
//! ordinary days. One change to the original: a value outside the range a split node saw
//! for its feature ends the path there, as a split in the gap would isolate it. Without it,
//! a day odd in two or three of twelve features scores like the training set's own
//! extremes (the forest only splits inside the values it has seen, and most paths split on
//! other features); with it, such a day is caught on every path that tests those features.
//!
//! Written here rather than taken from a crate: the two Rust isolation-forest crates
//! (`extended-isolation-forest` 0.2.3, `isolation_forest` 1.1.0) draw from
//! `rand::thread_rng()` with no way to pass a seed, so training could not be repeated
//! exactly, and a model must be reproducible to be reviewed and rolled back. The
//! algorithm is small; its tests pin its behaviour.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::features::{FEATURES, MISSING, N};

/// One tree, as flat nodes: a split (feature, value, the range of the feature among the
/// node's rows, left, right) or a leaf (size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Node {
    Split {
        f: u8,
        v: f64,
        lo: f64,
        hi: f64,
        l: u32,
        r: u32,
    },
    Leaf {
        n: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    trees: Vec<Vec<Node>>,
    sample_size: usize,
}

/// The average path length of an unsuccessful search in a binary search tree of `n`
/// points: the normaliser of path lengths (and the expected depth left in a leaf of `n`).
fn c(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        n => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

impl Forest {
    /// `trees` trees, each grown on `sample_size` rows drawn without replacement, to the
    /// depth that isolates a sample on average (ceil(log2 sample size)).
    pub fn train(rows: &[[f64; N]], trees: usize, sample_size: usize, seed: u64) -> Forest {
        let mut rng = StdRng::seed_from_u64(seed);
        let sample_size = sample_size.min(rows.len()).max(1);
        let max_depth = (sample_size as f64).log2().ceil() as usize;
        let trees = (0..trees)
            .map(|_| {
                let sample: Vec<&[f64; N]> =
                    rand::seq::index::sample(&mut rng, rows.len(), sample_size)
                        .into_iter()
                        .map(|i| &rows[i])
                        .collect();
                let mut nodes = Vec::new();
                grow(&mut nodes, sample, 0, max_depth, &mut rng);
                nodes
            })
            .collect();
        Forest { trees, sample_size }
    }

    /// The anomaly score of a row, in (0, 1).
    pub fn score(&self, row: &[f64; N]) -> f64 {
        if self.trees.is_empty() {
            return 0.0;
        }
        let mean =
            self.trees.iter().map(|t| path_length(t, row)).sum::<f64>() / self.trees.len() as f64;
        2f64.powf(-mean / c(self.sample_size).max(f64::MIN_POSITIVE))
    }
}

fn grow(
    nodes: &mut Vec<Node>,
    rows: Vec<&[f64; N]>,
    depth: usize,
    max_depth: usize,
    rng: &mut StdRng,
) -> u32 {
    let at = nodes.len() as u32;
    // Features that still vary among these rows; a split on any other isolates nothing.
    let varying: Vec<(usize, f64, f64)> = (0..N)
        .filter_map(|f| {
            let (lo, hi) = rows.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| {
                (lo.min(r[f]), hi.max(r[f]))
            });
            (hi > lo).then_some((f, lo, hi))
        })
        .collect();
    if depth >= max_depth || rows.len() <= 1 || varying.is_empty() {
        nodes.push(Node::Leaf {
            n: rows.len() as u32,
        });
        return at;
    }
    let (f, lo, hi) = varying[rng.random_range(0..varying.len())];
    let v = rng.random_range(lo..hi);
    let (left, right): (Vec<&[f64; N]>, Vec<&[f64; N]>) = rows.into_iter().partition(|r| r[f] < v);
    nodes.push(Node::Leaf { n: 0 }); // replaced once the children exist
    let l = grow(nodes, left, depth + 1, max_depth, rng);
    let r = grow(nodes, right, depth + 1, max_depth, rng);
    nodes[at as usize] = Node::Split {
        f: f as u8,
        v,
        lo,
        hi,
        l,
        r,
    };
    at
}

fn path_length(tree: &[Node], row: &[f64; N]) -> f64 {
    let (mut at, mut depth) = (0usize, 0.0);
    loop {
        match &tree[at] {
            Node::Leaf { n } => return depth + c(*n as usize),
            Node::Split { f, v, lo, hi, l, r } => {
                let x = row[*f as usize];
                if x < *lo || x > *hi {
                    return depth + 1.0;
                }
                at = if x < *v { *l } else { *r } as usize;
                depth += 1.0;
            }
        }
    }
}

/// A trained model: the forest, the threshold above which a day is flagged, and what the
/// training rows looked like (for explanations and the training summary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub forest: Forest,
    /// Scores at or above this are unusual: the training rows' `1 - flag_rate` quantile.
    pub threshold: f64,
    /// Per feature: the training rows' mean and standard deviation (missing values left out).
    pub means: Vec<f64>,
    pub stds: Vec<f64>,
}

/// Trees, sample size: the original paper's defaults, which it found enough for
/// convergence on a wide range of data.
pub const TREES: usize = 100;
pub const SAMPLE_SIZE: usize = 256;

impl Model {
    /// Trains on `rows` (normal days) so that `flag_rate` of them would be flagged.
    pub fn train(rows: &[[f64; N]], flag_rate: f64, seed: u64) -> Option<Model> {
        if rows.len() < 2 {
            return None;
        }
        let forest = Forest::train(rows, TREES, SAMPLE_SIZE, seed);
        let mut scores: Vec<f64> = rows.iter().map(|r| forest.score(r)).collect();
        scores.sort_by(f64::total_cmp);
        let index =
            (((1.0 - flag_rate) * scores.len() as f64).ceil() as usize).min(scores.len() - 1);
        let (means, stds) = (0..N)
            .map(|f| {
                let values: Vec<f64> = rows
                    .iter()
                    .map(|r| r[f])
                    .filter(|v| *v != MISSING)
                    .collect();
                let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
                let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                    / values.len().max(1) as f64;
                (mean, var.sqrt())
            })
            .unzip();
        Some(Model {
            forest,
            threshold: scores[index],
            means,
            stds,
        })
    }

    pub fn score(&self, row: &[f64; N]) -> f64 {
        self.forest.score(row)
    }

    /// What makes a flagged day unusual, as a person reads it: the (at most two) features
    /// furthest from what the training days looked like.
    pub fn explain(&self, row: &[f64; N]) -> String {
        let mut distant: Vec<(f64, String)> = (0..N)
            .filter_map(|f| {
                let (mean, std) = (self.means[f], self.stds[f].max(1e-9));
                let phrase =
                    |high: bool| if high { FEATURES[f].1 } else { FEATURES[f].2 }.to_owned();
                if row[f] == MISSING {
                    return None;
                }
                let z = (row[f] - mean) / std;
                (z.abs() >= 2.0).then(|| (z.abs(), phrase(z > 0.0)))
            })
            .collect();
        distant.sort_by(|a, b| b.0.total_cmp(&a.0));
        let named: Vec<String> = distant.into_iter().take(2).map(|(_, p)| p).collect();
        if named.is_empty() {
            "Unusual for walkers like you: this day's pattern is rare among verified days.".into()
        } else {
            format!("Unusual for walkers like you: {}.", named.join(" and "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordinary days: each feature near its own centre, bell-shaped (a sum of uniforms).
    fn population(seed: u64) -> Vec<[f64; N]> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..2_000)
            .map(|_| {
                let mut row = [0.0; N];
                for (f, v) in row.iter_mut().enumerate() {
                    *v = f as f64 + (0..4).map(|_| rng.random_range(-0.5..0.5)).sum::<f64>();
                }
                row
            })
            .collect()
    }

    #[test]
    fn training_is_repeatable_with_a_seed_and_differs_without_it() {
        let rows = population(1);
        let a = Model::train(&rows, 0.01, 7).unwrap();
        let b = Model::train(&rows, 0.01, 7).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.forest, Model::train(&rows, 0.01, 8).unwrap().forest);
        // And it survives a trip through JSON exactly.
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Model>(&json).unwrap(), a);
    }

    #[test]
    fn odd_days_score_high_and_ordinary_ones_low() {
        let rows = population(2);
        let model = Model::train(&rows, 0.01, 3).unwrap();
        let ordinary: [f64; N] = std::array::from_fn(|f| f as f64);
        // Odd in three ways at once: a long stride, a hand-typed day, a borrowed phone.
        let mut odd = ordinary;
        (odd[1], odd[10], odd[11]) = (40.0, 30.0, 25.0);
        assert!(model.score(&ordinary) < 0.5, "{}", model.score(&ordinary));
        assert!(
            model.score(&odd) > model.threshold,
            "{} vs {}",
            model.score(&odd),
            model.threshold
        );
        // One odd feature alone raises the score (a forest sees it on fewer paths).
        let mut stride_only = ordinary;
        stride_only[1] = 40.0;
        assert!(model.score(&stride_only) > model.score(&ordinary));
        // About the flag rate of the training rows is flagged.
        let flagged = rows
            .iter()
            .filter(|r| model.score(r) >= model.threshold)
            .count();
        assert!((10..=40).contains(&flagged), "{flagged}");
        assert_eq!(
            model.explain(&odd),
            "Unusual for walkers like you: an unusually long stride and steps typed in by hand."
        );
    }
}
