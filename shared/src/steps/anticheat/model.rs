//! The learned model: logistic regression over `features`, trained on labelled days
//! (admins' decisions and the simulated population of `synthetic`), so what it learns is
//! what separates cheats from walkers rather than what is merely rare.
//!
//! Each feature enters twice: its standardised value (0 when missing) and whether it is
//! missing, because "no distance" or "no hours" is itself a signal. Training is full-batch
//! gradient descent (Adam) from zero weights with L2 regularisation and classes weighted to
//! balance: no randomness at all, so the same rows always give the same model, and a model
//! can be reviewed, reproduced and rolled back. The threshold is set so that a chosen share
//! of the honest days the model was calibrated on would be flagged. A flagged day is
//! explained by the features that pushed it furthest towards fraud.
//!
//! Written here rather than taken from a crate: the model is a dot product and its
//! training 40 lines; `linfa-logistic` or `smartcore` would bring ndarray and an optimiser
//! framework to every function binary for that.

use serde::{Deserialize, Serialize};

use super::features::{FEATURES, MISSING, N};

/// Inputs: each feature's standardised value, then each feature's missing flag.
const INPUTS: usize = 2 * N;
/// Passes over the training rows; enough for the loss to settle on the benchmark's
/// populations (it changes by less than 1e-5 per pass at the end).
const ITERATIONS: usize = 400;
const LEARNING_RATE: f64 = 0.05;
/// L2 penalty: keeps weights of rare features from growing without bound.
const L2: f64 = 1e-3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Per feature: the training rows' mean and standard deviation (missing values left
    /// out); inputs are standardised with them.
    pub means: Vec<f64>,
    pub stds: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    /// Days whose fraud probability is at or above this are flagged.
    pub threshold: f64,
}

/// A labelled training row: features, whether it is fraud, and its weight.
pub struct Example {
    pub features: [f64; N],
    pub fraud: bool,
    pub weight: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Model {
    /// Trains on `examples` (both classes needed) and sets the threshold so that
    /// `flag_rate` of `honest` (the days to calibrate on) would be flagged.
    pub fn train(examples: &[Example], honest: &[[f64; N]], flag_rate: f64) -> Option<Model> {
        let frauds = examples
            .iter()
            .filter(|e| e.fraud)
            .map(|e| e.weight)
            .sum::<f64>();
        let walkers = examples
            .iter()
            .filter(|e| !e.fraud)
            .map(|e| e.weight)
            .sum::<f64>();
        if frauds <= 0.0 || walkers <= 0.0 {
            return None;
        }
        let (means, stds) = standardisation(examples.iter().map(|e| &e.features));
        let mut model = Model {
            means,
            stds,
            weights: vec![0.0; INPUTS],
            bias: 0.0,
            threshold: 0.5,
        };
        let rows: Vec<([f64; INPUTS], f64, f64)> = examples
            .iter()
            .map(|e| {
                // Each class weighs half of the whole.
                let class = if e.fraud { frauds } else { walkers };
                (
                    model.inputs(&e.features),
                    if e.fraud { 1.0 } else { 0.0 },
                    e.weight / (2.0 * class),
                )
            })
            .collect();
        let (mut m, mut v) = (vec![0.0; INPUTS + 1], vec![0.0; INPUTS + 1]);
        let (beta1, beta2) = (0.9f64, 0.999f64);
        for t in 1..=ITERATIONS {
            let mut grad = vec![0.0; INPUTS + 1];
            for (x, y, w) in &rows {
                let err = w * (sigmoid(model.logit_of(x)) - y);
                for (g, xi) in grad.iter_mut().zip(x) {
                    *g += err * xi;
                }
                grad[INPUTS] += err;
            }
            for (g, w) in grad.iter_mut().zip(&model.weights) {
                *g += L2 * w;
            }
            for k in 0..=INPUTS {
                m[k] = beta1 * m[k] + (1.0 - beta1) * grad[k];
                v[k] = beta2 * v[k] + (1.0 - beta2) * grad[k] * grad[k];
                let step = LEARNING_RATE * (m[k] / (1.0 - beta1.powi(t as i32)))
                    / ((v[k] / (1.0 - beta2.powi(t as i32))).sqrt() + 1e-8);
                if k == INPUTS {
                    model.bias -= step;
                } else {
                    model.weights[k] -= step;
                }
            }
        }
        let mut scores: Vec<f64> = honest.iter().map(|r| model.score(r)).collect();
        if scores.is_empty() {
            scores = examples
                .iter()
                .filter(|e| !e.fraud)
                .map(|e| model.score(&e.features))
                .collect();
        }
        scores.sort_by(f64::total_cmp);
        let index =
            (((1.0 - flag_rate) * scores.len() as f64).ceil() as usize).min(scores.len() - 1);
        // Never below an even chance: a day is flagged only when fraud is the likelier.
        model.threshold = scores[index].max(0.5);
        Some(model)
    }

    fn inputs(&self, row: &[f64; N]) -> [f64; INPUTS] {
        let mut x = [0.0; INPUTS];
        for f in 0..N {
            if row[f] == MISSING {
                x[N + f] = 1.0;
            } else {
                x[f] = (row[f] - self.means[f]) / self.stds[f].max(1e-9);
            }
        }
        x
    }

    fn logit_of(&self, x: &[f64; INPUTS]) -> f64 {
        self.bias + x.iter().zip(&self.weights).map(|(a, b)| a * b).sum::<f64>()
    }

    /// The probability that the day is fraud, in (0, 1).
    pub fn score(&self, row: &[f64; N]) -> f64 {
        sigmoid(self.logit_of(&self.inputs(row)))
    }

    pub fn flags(&self, row: &[f64; N]) -> bool {
        self.score(row) >= self.threshold
    }

    /// Why a flagged day looks like fraud, as a person reads it: the (at most two)
    /// features that pushed it furthest that way.
    pub fn explain(&self, row: &[f64; N]) -> String {
        let x = self.inputs(row);
        let mut pushes: Vec<(f64, String)> = (0..N)
            .filter(|f| row[*f] != MISSING)
            .map(|f| {
                let phrase = if x[f] > 0.0 {
                    FEATURES[f].1
                } else {
                    FEATURES[f].2
                };
                (self.weights[f] * x[f], phrase.to_owned())
            })
            .filter(|(push, _)| *push > 0.5)
            .collect();
        pushes.sort_by(|a, b| b.0.total_cmp(&a.0));
        let named: Vec<String> = pushes.into_iter().take(2).map(|(_, p)| p).collect();
        if named.is_empty() {
            "Unusual for walkers like you: this day's pattern resembles days that turned out not to be walked.".into()
        } else {
            format!("Unusual for walkers like you: {}.", named.join(" and "))
        }
    }

    /// The features that weigh most towards fraud, strongest first, as (name, weight):
    /// what the training summary shows a person.
    pub fn strongest(&self, count: usize) -> Vec<(&'static str, f64)> {
        let mut all: Vec<(&'static str, f64)> = (0..N)
            .map(|f| (FEATURES[f].0, (self.weights[f] * 1000.0).round() / 1000.0))
            .collect();
        all.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        all.truncate(count);
        all
    }
}

/// Per feature: mean and standard deviation of the present values.
fn standardisation<'a>(rows: impl Iterator<Item = &'a [f64; N]> + Clone) -> (Vec<f64>, Vec<f64>) {
    (0..N)
        .map(|f| {
            let values: Vec<f64> = rows
                .clone()
                .map(|r| r[f])
                .filter(|v| *v != MISSING)
                .collect();
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            let var =
                values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len().max(1) as f64;
            (mean, var.sqrt().max(1e-6))
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Walkers near each feature's centre; cheats with features 12 and 13 (steady hours)
    /// low, and a tenth of walkers without distance (feature 1 missing).
    fn population(seed: u64) -> Vec<Example> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..2_000)
            .map(|i| {
                let fraud = i % 10 == 0;
                let mut row = [0.0; N];
                for (f, v) in row.iter_mut().enumerate() {
                    *v = 1.0 + f as f64 + rng.random_range(-0.5..0.5);
                }
                if fraud {
                    row[12] = rng.random_range(0.0..0.1);
                    row[13] = rng.random_range(0.0..0.1);
                }
                if i % 10 == 3 {
                    row[1] = MISSING;
                }
                Example {
                    features: row,
                    fraud,
                    weight: 1.0,
                }
            })
            .collect()
    }

    #[test]
    fn training_is_repeatable_and_survives_json() {
        let rows = population(1);
        let a = Model::train(&rows, &[], 0.01).unwrap();
        let b = Model::train(&rows, &[], 0.01).unwrap();
        assert_eq!(a, b);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Model>(&json).unwrap(), a);
        assert!(
            Model::train(&rows[1..10], &[], 0.01).is_none(),
            "no fraud to learn from"
        );
    }

    #[test]
    fn it_learns_what_separates_cheats_and_says_so() {
        let model = Model::train(&population(2), &[], 0.01).unwrap();
        let test = population(3);
        let caught = test
            .iter()
            .filter(|e| e.fraud && model.flags(&e.features))
            .count();
        let wrong = test
            .iter()
            .filter(|e| !e.fraud && model.flags(&e.features))
            .count();
        assert!(caught >= 190, "caught {caught} of 200");
        assert!(wrong <= 36, "flagged {wrong} of 1,800 walkers");
        let cheat = test.iter().find(|e| e.fraud).unwrap();
        assert_eq!(
            model.explain(&cheat.features),
            "Unusual for walkers like you: a machine-steady pace hour after hour and hours that glide into each other without the bursts of walking."
        );
        let top: Vec<&str> = model.strongest(2).iter().map(|(n, _)| *n).collect();
        assert!(top.contains(&"active_hours_variation"), "{top:?}");
    }
}
