//! `scripts/bench coldstart`: each function's cold start next to a hello-world
//! `lambda_runtime` binary built with the same profile: every function is spawned fresh
//! `BENCH_RUNS` times (11; round robin, so that noise drifting over the run hits every
//! function alike) through the runner's Runtime API, and timed from spawn to its first
//! `/next` (init) and to its first response. `PROFILE` picks the build (release: the
//! deployment profile; bench: without fat LTO). With `BENCH_TINY=1` (the test command)
//! each function starts once from the debug build: the numbers are not judged.

use std::collections::BTreeMap;
use std::time::Duration;

use fitkart_local::lambda::{FunctionSpec, Outcome, Pool};
use fitkart_local::template::Locals;
use fitkart_local::Options;
use fitkart_tests::bench;

#[tokio::main]
async fn main() {
    let profile = if bench::tiny() {
        "debug".to_owned()
    } else {
        std::env::var("PROFILE").unwrap_or_else(|_| "release".into())
    };
    let options = Options {
        root: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        port: bench::free_port(),
        profile,
        queue_prefix: format!("coldstart-{}", std::process::id()),
        seed: false,
        database_url: std::env::var("DATABASE_URL").unwrap_or_default(),
        direct_database_url: std::env::var("DATABASE_URL").unwrap_or_default(),
        quiet: true,
    };
    let runs = bench::number("BENCH_RUNS", 11, 1) as usize;
    if let Err(e) = coldstart(&options, runs).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Cold starts: each function spawned fresh `runs` times, timed from spawn to its first
/// `/next` (init) and to its first response, next to the hello-world baseline.
async fn coldstart(options: &Options, runs: usize) -> Result<(), String> {
    let template = fitkart_local::template::load(&options.root.join("template.yaml"))
        .map_err(|e| e.to_string())?;
    let sqs = fitkart_local::local_sqs().await;
    let queues = fitkart_local::sqs::create_queues(&sqs, &template, &options.queue_prefix)
        .await
        .map_err(|e| e.to_string())?;
    let locals = Locals {
        queues,
        parameters: BTreeMap::new(),
    };
    let overrides = fitkart_local::overrides(
        options,
        options.port,
        fitkart_local::shopify::StandIn::start()
            .await
            .map_err(|e| e.to_string())?
            .graphql_url,
        (String::new(), String::new()),
    );
    let hello = fitkart_local::template::Function {
        logical_id: "hello-world (baseline)".into(),
        binary: "hello-lambda".into(),
        timeout_secs: 10,
        memory_mb: 128,
        environment: BTreeMap::new(),
        routes: Vec::new(),
        queues: Vec::new(),
        schedules: Vec::new(),
    };
    let functions: Vec<&fitkart_local::template::Function> =
        std::iter::once(&hello).chain(&template.functions).collect();
    let mut specs = Vec::new();
    for function in &functions {
        specs.push(
            fitkart_local::spec(options, function, &locals, &overrides)
                .map_err(|e| e.to_string())?,
        );
    }
    let mut samples = vec![(Vec::new(), Vec::new()); functions.len()];
    // Round robin, so that machine noise drifting over the run hits every function alike.
    for _ in 0..runs {
        for (i, function) in functions.iter().enumerate() {
            let spec = &specs[i];
            let pool = Pool::new(FunctionSpec {
                logical_id: spec.logical_id.clone(),
                binary: spec.binary.clone(),
                env: spec.env.clone(),
                timeout: spec.timeout,
                memory_mb: spec.memory_mb,
                quiet: true,
            });
            let outcome = pool.invoke(fitkart_local::default_event(function)).await;
            if !matches!(outcome, Outcome::Response(_)) {
                eprintln!("{}: {outcome:?}", function.logical_id);
            }
            let cold = pool.cold_starts()[0];
            samples[i].0.push(cold.init.as_secs_f64() * 1000.0);
            samples[i].1.push(
                cold.first_response
                    .map(|d| d.as_secs_f64() * 1000.0)
                    .unwrap_or(f64::NAN),
            );
            pool.kill_all();
            // Let the killed process and the database work it caused settle, so the next
            // spawn does not pay for its predecessor on a two-core machine.
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    let rows: Vec<(String, f64, f64, u64)> = functions
        .iter()
        .zip(samples.iter_mut())
        .zip(&specs)
        .map(|((function, (inits, firsts)), spec)| {
            let size = std::fs::metadata(&spec.binary)
                .map(|m| m.len())
                .unwrap_or(0);
            (
                function.logical_id.clone(),
                median(inits),
                median(firsts),
                size,
            )
        })
        .collect();
    let baseline = rows[0].1;
    println!();
    println!(
        "cold starts, profile {}, median of {runs} fresh processes each",
        options.profile
    );
    println!(
        "{:<30} {:>9} {:>15} {:>9} {:>12}",
        "function", "init ms", "first resp ms", "size MB", "init ratio"
    );
    let mut worst: f64 = 0.0;
    for (name, init, first, size) in &rows {
        let ratio = init / baseline;
        worst = worst.max(ratio);
        println!(
            "{name:<30} {init:>9.2} {first:>15.2} {:>9.2} {ratio:>12.2}",
            *size as f64 / 1_048_576.0
        );
    }
    println!("worst init ratio to hello-world: {worst:.2} (goal <= 1.3)");
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}
