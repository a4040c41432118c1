//! In-process tests of every function: real lambda_http requests, real Postgres (a fresh
//! database per test), real SQS (the emulator started by scripts/test).

mod accounts;
mod achievements;
mod admin;
mod anomaly;
mod architecture;
mod auth;
mod budget;
mod challenges;
mod deploy;
mod four_eyes;
mod fraud;
mod fulfilment;
mod giving;
mod hardening;
mod health;
mod housekeeping;
mod input;
mod leaderboard;
mod me;
mod notifications;
mod oauth;
mod orders;
mod outage;
mod partitioning;
mod pipeline;
mod pooling;
mod routing;
mod schema;
mod shopify;
mod social;
mod spec;
mod steps;
mod takeover;
mod template;
mod tokens;
