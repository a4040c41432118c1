//! `fitkart-local`: see `scripts/dev`, which starts Postgres and the SQS emulator, builds
//! the functions and runs `fitkart-local up`.
//!
//!   fitkart-local up [--port 3000] [--profile debug|release] [--queue-prefix fitkart-local] [--no-seed]
//!   fitkart-local invoke <FunctionLogicalId> [event.json] [--port 3000]

use std::path::PathBuf;

use fitkart_local::{seed, Options};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn root() -> PathBuf {
    let mut dir = std::env::current_dir().expect("a working directory");
    while !dir.join("template.yaml").exists() {
        if !dir.pop() {
            eprintln!("template.yaml not found above the working directory");
            std::process::exit(2);
        }
    }
    dir
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = arg(&args, "--port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    match args.first().map(String::as_str) {
        Some("invoke") => invoke(&args, port).await,
        Some("up") | None => up(&args, port).await,
        Some(other) => {
            eprintln!("unknown command {other}; use up or invoke");
            std::process::exit(2);
        }
    }
}

/// `invoke <FunctionLogicalId> [event.json]`: runs one function on a running runner.
async fn invoke(args: &[String], port: u16) {
    let Some(function) = args.get(1) else {
        eprintln!("usage: fitkart-local invoke <FunctionLogicalId> [event.json]");
        std::process::exit(2);
    };
    let event = match args.get(2).filter(|a| !a.starts_with("--")) {
        Some(file) => std::fs::read_to_string(file).unwrap_or_else(|e| {
            eprintln!("{file}: {e}");
            std::process::exit(2);
        }),
        None => "{}".into(),
    };
    let response = fitkart_local::http_client()
        .post(format!("http://127.0.0.1:{port}/_local/invoke/{function}"))
        .body(event)
        .send()
        .await;
    match response {
        Ok(r) => {
            let ok = r.status().is_success();
            println!("{}", r.text().await.unwrap_or_default());
            std::process::exit(if ok { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("is the runner up (scripts/dev)? {e}");
            std::process::exit(1);
        }
    }
}

/// `up`: the whole function set until Ctrl-C or TERM.
async fn up(args: &[String], port: u16) {
    let Ok(database_url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is required (scripts/dev sets it)");
        std::process::exit(2);
    };
    let options = Options {
        root: root(),
        port,
        profile: arg(args, "--profile").unwrap_or_else(|| "debug".into()),
        queue_prefix: arg(args, "--queue-prefix").unwrap_or_else(|| "fitkart-local".into()),
        seed: !args.iter().any(|a| a == "--no-seed"),
        // Set by scripts/dev when DATABASE_URL is its PgBouncer.
        direct_database_url: std::env::var("DIRECT_DATABASE_URL")
            .unwrap_or_else(|_| database_url.clone()),
        database_url,
        quiet: false,
    };
    let running = match fitkart_local::up(&options).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let secrets = if options.seed {
        seed::authenticator_secrets(&options.direct_database_url).await
    } else {
        Vec::new()
    };
    print_banner(&running, &secrets);
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signals");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    running.stop();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    println!("stopped");
}

fn print_banner(running: &fitkart_local::Running, authenticators: &[(String, String)]) {
    let seeded = !authenticators.is_empty();
    let functions = &running.template.functions;
    let routes: usize = functions.iter().map(|f| f.routes.len()).sum();
    let consumers: usize = functions.iter().map(|f| f.queues.len()).sum();
    let schedules: usize = functions.iter().map(|f| f.schedules.len()).sum();
    let base = &running.base_url;
    println!();
    println!("FitKart is running at {base}");
    println!(
        "  {} functions, {routes} routes, {consumers} queue consumers, {schedules} schedules",
        running.pools.len()
    );
    println!("  console: {base}/admin/   API docs: {base}/docs/");
    println!("  mail:    {base}/_local/mail (each new mail is printed as [mail])");
    println!("  shopify: {base}/_local/shopify/orders (orders the store stand-in received, printed as [shopify]);");
    println!("           curl -X POST {base}/_local/shopify/fulfil/<order_code> ships one (a signed webhook)");
    println!("  push:    {base}/_local/push (each push the app would get is printed as [push])");
    println!("  health:  curl {base}/v1/health");
    println!("  invoke:  curl -X POST {base}/_local/invoke/<FunctionLogicalId> -d '{{}}'");
    if seeded {
        println!(
            "  admin:   {} / {}",
            seed::ADMIN_EMAIL,
            seed::ADMIN_PASSWORD
        );
        println!(
            "  admin 2: {} / {} (approves what the first asks for, and the other way round)",
            seed::SECOND_ADMIN_EMAIL,
            seed::SECOND_ADMIN_PASSWORD
        );
        println!(
            "  second factor: each admin has an authenticator; the console asks for its code:"
        );
        for (email, secret) in authenticators {
            println!("           {email}: secret {secret} (add it to an authenticator app),");
            println!("             or the current code: curl {base}/_local/totp/{email}");
        }
        println!("  demo:    {} / {}", seed::DEMO_EMAIL, seed::DEMO_PASSWORD);
    }
    println!("Ctrl-C stops everything.");
}
