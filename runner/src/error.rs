//! The runner's one error type: what went wrong while bringing the function set up on
//! this machine, by where it went wrong, so a failed `scripts/dev` says what to look at.

/// A failure of the local runner.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `template.yaml` does not say what the runner needs.
    #[error("template.yaml: {0}")]
    Template(String),
    /// A schedule expression the runner cannot read.
    #[error("schedule: {0}")]
    Schedule(String),
    /// The AWS emulator refused or failed a call.
    #[error("the AWS emulator: {0}")]
    Emulator(String),
    /// The local stand-in for Shopify.
    #[error("the Shopify stand-in: {0}")]
    StandIn(String),
    /// Seeding the demo data through the routes.
    #[error("seeding the demo data: {0}")]
    Seed(String),
    /// Starting the function set: a binary, a port, the migrations.
    #[error("{0}")]
    Setup(String),
    /// A seeded admin's authenticator.
    #[error("authenticator: {0}")]
    Authenticator(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
