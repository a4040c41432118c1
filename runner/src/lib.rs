//! The local runner: FitKart's whole function set on one machine, driven by
//! template.yaml — the real function binaries behind a Lambda Runtime API, an HTTP
//! gateway with API Gateway's payload 2.0 events, SQS event sources on an emulator, and
//! schedules. Developer tooling only; no function links it.

pub mod clock;
pub mod error;
pub mod gateway;
pub mod lambda;
pub mod mail;
pub mod push;
pub mod schedule;
pub mod seed;
pub mod shopify;
pub mod sqs;
pub mod template;
pub mod totp;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;

pub use crate::error::{Error, Result};
use crate::gateway::{CompiledRoute, Gateway};
use crate::lambda::{FunctionSpec, Outcome, Pool};
use crate::template::{Locals, Template};

pub struct Options {
    pub root: PathBuf,
    pub port: u16,
    pub profile: String,
    pub queue_prefix: String,
    pub seed: bool,
    /// What the functions connect to: PgBouncer in transaction mode under `scripts/dev`,
    /// as RDS Proxy in AWS.
    pub database_url: String,
    /// Postgres itself, for what needs a session of its own: the migrations (sqlx holds
    /// an advisory lock across them; in AWS the proxy pins that one session) and the
    /// runner's seeding and stand-in authenticator. The same as `database_url` without a
    /// pooler.
    pub direct_database_url: String,
    /// Discard the functions' log lines and REPORT lines (benchmarks).
    pub quiet: bool,
}

/// A plain HTTP client. reqwest is built without a default TLS provider (the functions
/// install aws-lc-rs, which they already carry), so it is installed here too.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::new()
}

/// The dev-only signing key: local tokens are meaningless anywhere else.
const LOCAL_JWT_SECRET: &str = "fitkart-local-development-signing-key";

pub struct Running {
    pub pools: BTreeMap<String, Arc<Pool>>,
    pub template: Template,
    pub base_url: String,
}

impl Running {
    pub fn stop(&self) {
        for pool in self.pools.values() {
            pool.kill_all();
        }
    }
}

/// Environment every function gets locally, over what the template says.
pub fn overrides(
    options: &Options,
    port: u16,
    shopify_url: String,
    (apns, fcm): (String, String),
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        // Devices register with the emulator's platform applications.
        ("SNS_APNS_APPLICATION_ARN".to_owned(), apns),
        ("SNS_FCM_APPLICATION_ARN".to_owned(), fcm),
        // The catalog sync and the order push talk to the local stand-in for Shopify, whose
        // webhooks are signed with the local secret.
        ("SHOPIFY_GRAPHQL_URL".to_owned(), shopify_url),
        (
            "SHOPIFY_WEBHOOK_SECRET".to_owned(),
            shopify::LOCAL_WEBHOOK_SECRET.to_owned(),
        ),
        ("SHOPIFY_WEBHOOK_SECRET_ARN".to_owned(), String::new()),
        (
            "SHOPIFY_ACCESS_TOKEN".to_owned(),
            shopify::LOCAL_TOKEN.to_owned(),
        ),
        ("SHOPIFY_SHOP_DOMAIN".to_owned(), String::new()),
        ("SHOPIFY_ACCESS_TOKEN_ARN".to_owned(), String::new()),
        ("DATABASE_URL".to_owned(), options.database_url.clone()),
        ("DB_PASSWORD_SECRET_ARN".to_owned(), String::new()),
        // The local Postgres takes the URL's user without IAM tokens.
        ("DB_IAM_AUTH".to_owned(), String::new()),
        ("JWT_SECRET".to_owned(), LOCAL_JWT_SECRET.to_owned()),
        ("JWT_SECRET_ARN".to_owned(), String::new()),
        ("BCRYPT_COST".to_owned(), "10".to_owned()),
        // Mail goes to SES on the emulator; its links open the runner's stand-in screens.
        ("MAIL_FROM".to_owned(), mail::SENDER.to_owned()),
        ("APP_LINK_BASE_URL".to_owned(), mail::link_base(port)),
        ("SES_CONFIGURATION_SET".to_owned(), String::new()),
        // The pseudo-locale (en-XA: accented, 40% longer) may be chosen on a local run, to
        // see what longer words break; a deployment never sets it.
        ("FITKART_PSEUDO_LOCALE".to_owned(), "1".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT".to_owned(), "JSON".to_owned()),
        ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID".to_owned(), "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "local".to_owned()),
    ]);
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
        env.insert("AWS_ENDPOINT_URL".into(), endpoint);
    }
    // FITKART_LOCAL_<NAME>=value sets NAME for every function (an empty value removes it).
    for (key, value) in std::env::vars() {
        if let Some(name) = key.strip_prefix("FITKART_LOCAL_") {
            env.insert(name.to_owned(), value);
        }
    }
    env
}

pub fn binary_path(root: &Path, profile: &str, binary: &str) -> PathBuf {
    let dir = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    // Cargo's built-in profiles put their artifacts in these folders.
    let folder = match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    dir.join(folder).join(binary)
}

/// The migration function: the one whose session spans transactions.
const MIGRATE_BINARY: &str = "ops-migrate";

pub fn spec(
    options: &Options,
    function: &template::Function,
    locals: &Locals,
    overrides: &BTreeMap<String, String>,
) -> crate::Result<FunctionSpec> {
    let binary = binary_path(&options.root, &options.profile, &function.binary);
    if !binary.exists() {
        return Err(crate::Error::Setup(format!(
            "{} is not built: {} (run scripts/dev, which builds it)",
            function.logical_id,
            binary.display()
        )));
    }
    let mut env = function.local_environment(locals, overrides);
    if function.binary == MIGRATE_BINARY {
        env.insert("DATABASE_URL".into(), options.direct_database_url.clone());
    }
    Ok(FunctionSpec {
        logical_id: function.logical_id.clone(),
        binary,
        env,
        timeout: Duration::from_secs(function.timeout_secs),
        memory_mb: function.memory_mb,
        quiet: options.quiet,
    })
}

/// AWS configuration for the emulator. It takes any credentials; never let the SDK look
/// for real ones.
async fn local_aws() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "fitkart-local",
        ))
        .load()
        .await
}

pub async fn local_sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&local_aws().await)
}

/// The event a function gets when measured or invoked without one: a bodiless request to
/// an HTTP function's first route, an empty batch for a queue consumer, `{}` otherwise.
pub fn default_event(function: &template::Function) -> Bytes {
    if let Some(route) = function.routes.first() {
        let compiled = CompiledRoute::new(route.clone(), function.logical_id.clone());
        let path = route.path.replace(['{', '}'], "");
        let (parts, ()) = axum::http::Request::builder()
            .method(route.method.as_str())
            .uri(&path)
            .header("user-agent", "fitkart-local")
            .body(())
            .expect("a valid request")
            .into_parts();
        return Bytes::from(
            gateway::event(&compiled, &BTreeMap::new(), &parts, &[], "127.0.0.1").to_string(),
        );
    }
    if !function.queues.is_empty() {
        return Bytes::from_static(br#"{"Records":[]}"#);
    }
    Bytes::from_static(b"{}")
}

/// Runs a function once at start (the migrations, the catalog sync) and prints its answer.
async fn invoke_at_start(
    pools: &BTreeMap<String, Arc<Pool>>,
    logical_id: &str,
    what: &str,
) -> crate::Result<()> {
    let Some(pool) = pools.get(logical_id) else {
        return Ok(());
    };
    match pool.invoke(Bytes::from_static(b"{}")).await {
        Outcome::Response(out) => {
            println!("{what}: {}", String::from_utf8_lossy(&out));
            Ok(())
        }
        other => Err(crate::Error::Setup(format!("{what} failed: {other:?}"))),
    }
}

/// Each `SQS` event polled like Lambda's event source mapping, each schedule fired on
/// time.
fn start_event_sources(
    template: &Template,
    queues: &BTreeMap<String, (String, String, String)>,
    sqs: &aws_sdk_sqs::Client,
    pools: &BTreeMap<String, Arc<Pool>>,
) -> crate::Result<()> {
    for function in &template.functions {
        for source in &function.queues {
            let (url, arn, _) = queues
                .get(&source.queue)
                .ok_or(crate::Error::Setup(format!(
                    "unknown queue {}",
                    source.queue
                )))?
                .clone();
            tokio::spawn(sqs::poll(
                sqs.clone(),
                source.clone(),
                url,
                arn,
                pools[&function.logical_id].clone(),
            ));
        }
        for schedule in &function.schedules {
            spawn_schedule(schedule, pools[&function.logical_id].clone())?;
        }
    }
    Ok(())
}

/// Fires `schedule` at each of its times, with EventBridge Scheduler's event.
fn spawn_schedule(schedule: &template::Schedule, pool: Arc<Pool>) -> crate::Result<()> {
    let expression = schedule::parse(&schedule.expression)?;
    let tz: chrono_tz::Tz = schedule
        .timezone
        .as_deref()
        .unwrap_or("UTC")
        .parse()
        .map_err(|e| crate::Error::Setup(format!("{e}")))?;
    let input = schedule.input.to_string();
    tokio::spawn(async move {
        let mut after = clock::now();
        while let Some(next) = expression.next(after, tz) {
            let wait = (next - clock::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            println!("[schedule] {} fires", pool.spec.logical_id);
            pool.invoke(Bytes::from(schedule::event(&input, next)))
                .await;
            after = next;
        }
    });
    Ok(())
}

/// The admin console (`admin/dist`, built by `npm run build`) at `/admin/`, its API docs
/// page at `/docs/`, and the OpenAPI spec at `/openapi.yaml`, as CloudFront serves them in
/// AWS. Everything else goes to the gateway.
fn static_files(root: &Path) -> axum::Router<Arc<Gateway>> {
    use tower_http::services::{ServeDir, ServeFile};
    let console = root.join("admin/dist");
    axum::Router::new()
        .nest_service(
            "/admin",
            ServeDir::new(&console).fallback(ServeFile::new(console.join("index.html"))),
        )
        .route_service("/docs", ServeFile::new(console.join("docs/index.html")))
        .route_service("/docs/", ServeFile::new(console.join("docs/index.html")))
        .route_service("/openapi.yaml", ServeFile::new(root.join("openapi.yaml")))
}

/// Brings everything up and returns once the gateway serves. Queues are created, the
/// migrate function is run, pollers and schedules start, demo data is seeded.
pub async fn up(options: &Options) -> crate::Result<Running> {
    // Bound first: the functions' mail links need the port the gateway really serves on.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| {
            crate::Error::Setup(format!("cannot listen on 127.0.0.1:{}: {e}", options.port))
        })?;
    let port = listener.local_addr()?.port();
    let template = template::load(&options.root.join("template.yaml"))?;
    let sqs = local_sqs().await;
    let queues = sqs::create_queues(&sqs, &template, &options.queue_prefix).await?;
    mail::verify_sender(&local_aws().await).await?;
    let locals = Locals {
        queues: queues.clone(),
        parameters: BTreeMap::from([("Stage".into(), "local".into())]),
    };
    let shopify = shopify::StandIn::start().await?;
    let push_applications = push::create_applications(&local_aws().await).await?;
    let overrides = overrides(
        options,
        port,
        shopify.graphql_url.clone(),
        push_applications,
    );

    let mut pools = BTreeMap::new();
    let mut routes = Vec::new();
    for function in &template.functions {
        let spec = spec(options, function, &locals, &overrides)?;
        pools.insert(function.logical_id.clone(), Pool::new(spec));
        routes.extend(
            function
                .routes
                .iter()
                .map(|r| CompiledRoute::new(r.clone(), function.logical_id.clone())),
        );
    }

    // The schema through the real migration function, then the catalog from (the local
    // stand-in for) Shopify through the real sync.
    invoke_at_start(&pools, "DbMigrateFunction", "migrations").await?;
    invoke_at_start(&pools, "ShopifySyncFunction", "catalog").await?;

    let default_events = template
        .functions
        .iter()
        .map(|f| (f.logical_id.clone(), default_event(f)))
        .collect();
    let gateway = Arc::new(Gateway {
        routes,
        pools: pools.clone(),
        default_events,
    });
    let base_url = format!("http://127.0.0.1:{port}");
    // The seeded admins' authenticators read their secrets from the database.
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_lazy(&options.direct_database_url)
        .map_err(|e| crate::Error::Setup(format!("database URL: {e}")))?;
    let app = static_files(&options.root)
        .merge(mail::routes(base_url.clone()))
        .merge(totp::routes(db.clone()))
        .merge(clock::routes(db))
        .merge(shopify::routes(shopify, base_url.clone()))
        .merge(push::routes())
        .fallback(gateway::handle)
        .with_state(gateway);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });

    start_event_sources(&template, &queues, &sqs, &pools)?;
    tokio::spawn(mail::print_new_mail());
    tokio::spawn(push::print_new_pushes());
    if options.seed {
        seed::run(&base_url, &options.direct_database_url).await?;
    }
    Ok(Running {
        pools,
        template,
        base_url,
    })
}
