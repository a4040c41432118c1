//! FitKart's domain crate. Transport-free business areas (auth, users, ledger, steps, ...)
//! own their tables and SQL; `http` and `lambda` are the only modules that know about
//! Lambda, and nothing below them imports them.

pub mod accounts;
pub mod achievements;
pub mod app;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod challenges;
pub mod clock;
pub mod config;
pub mod custom_resource;
pub mod db;
pub mod db_token;
pub mod error;
pub mod export;
pub mod giving;
pub mod home;
pub mod housekeeping;
pub mod http;
pub mod i18n;
pub mod idempotency;
pub mod input;
pub mod jobs;
pub mod jwks;
pub mod jwt;
pub mod lambda;
pub mod leaderboard;
pub mod ledger;
pub mod mail;
pub mod metrics;
pub mod notifications;
pub mod orders;
pub mod pagination;
pub mod password_hash;
pub mod queue;
pub mod ratelimit;
pub mod reconcile;
pub mod referrals;
pub mod rewards;
pub mod secret_token;
pub mod secrets;
pub mod sessions;
pub mod settings;
pub mod shopify;
pub mod social;
pub mod stats;
pub mod steps;
pub mod streaks;
pub mod text_enum;
pub mod transfers;
pub mod users;
pub mod visibility;
pub mod wallet;

pub use app::App;

/// Every area's constraint refusals, for `error` (which names no area's tables).
pub(crate) const CONSTRAINTS: &[&[error::Constraint]] = &[
    users::CONSTRAINTS,
    ledger::CONSTRAINTS,
    rewards::CONSTRAINTS,
    steps::CONSTRAINTS,
];
pub use error::{Error, FieldError, Result};
