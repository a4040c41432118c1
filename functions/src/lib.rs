//! FitKart's entrypoints: one module per business area, each handler turning a Lambda
//! event into one domain call and its result into a response. The binaries in `src/bin`
//! are one line each: the handler handed to the shared runtime shape.

pub mod achievements;
pub mod admin;
pub mod auth;
pub mod challenges;
pub mod fallback;
pub mod giving;
pub mod health;
pub mod home;
pub mod leaderboard;
pub mod me;
pub mod notifications;
pub mod ops;
pub mod orders;
pub mod rewards;
pub mod shopify;
pub mod social;
pub mod steps;
pub mod wallet;
