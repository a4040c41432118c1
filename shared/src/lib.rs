//! FitKart's domain crate. Transport-free business areas (auth, users, ledger, steps, ...)
//! own their tables and SQL; `http` and `lambda` are the only modules that know about
//! Lambda, and nothing below them imports them.

pub mod achievements;
pub mod anticheat;
pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod crediting;
pub mod db;
pub mod error;
pub mod export;
pub mod housekeeping;
pub mod http;
pub mod jobs;
pub mod lambda;
pub mod leaderboard;
pub mod ledger;
pub mod metrics;
pub mod orders;
pub mod pagination;
pub mod queue;
pub mod reconcile;
pub mod review;
pub mod rewards;
pub mod secrets;
pub mod settings;
pub mod shopify;
pub mod stats;
pub mod steps;
pub mod users;
pub mod validate;
pub mod validation;
pub mod wallet;

pub use app::App;
pub use error::{Error, FieldError, Result};
