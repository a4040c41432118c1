//! What the benchmarks share: their sizes from the environment, and the tiny size they
//! run at inside the test command (`BENCH_TINY=1`), where they only have to run: the
//! numbers are not judged, but a benchmark that no longer compiles or crashes fails CI.

/// Whether this is the test command's tiny run.
pub fn tiny() -> bool {
    std::env::var("BENCH_TINY").is_ok_and(|v| v == "1")
}

/// `name` from the environment, else `default` (or `tiny_default` in a tiny run).
pub fn number(name: &str, default: i64, tiny_default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if tiny() { tiny_default } else { default })
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
