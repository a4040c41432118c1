//! The shape of the domain crate, read from its sources: no cycle of imports between its
//! modules, imports only pointing down the floors of README.md ("The floors of `shared`"), and every table written
//! only by its owner (docs/schema.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// README.md's floors, top to bottom.
const FLOORS: &[&[&str]] = &[
    &["lambda", "http"],
    &["auth"],
    &["approvals"],
    &["home"],
    &[
        "accounts",
        "steps",
        "orders",
        "rewards",
        "shopify",
        "achievements",
        "referrals",
        "leaderboard",
        "stats",
        "export",
        "reconcile",
        "housekeeping",
        "jobs",
        "social",
        "challenges",
        "giving",
    ],
    &["visibility", "transfers"],
    &[
        "ledger",
        "audit",
        "notifications",
        "wallet",
        "sessions",
        "idempotency",
        "ratelimit",
        "mail",
        "streaks",
    ],
    &["app"],
    &[
        "users",
        "settings",
        "config",
        "db",
        "db_token",
        "custom_resource",
        "error",
        "input",
        "pagination",
        "queue",
        "jwt",
        "jwks",
        "password_hash",
        "secret_token",
        "secrets",
        "metrics",
        "text_enum",
        "clock",
        "i18n",
    ],
];

/// Re-exports at the crate root and the modules they live in.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("App", "app"),
    ("Error", "error"),
    ("Result", "error"),
    ("FieldError", "error"),
    // The crate root gathers the areas' constraint refusals for `error`.
    ("CONSTRAINTS", "error"),
    // Statements: sqlx's macros wrapped (`db::Stmt`).
    ("db_query", "db"),
    ("db_query_as", "db"),
    ("db_query_scalar", "db"),
];

/// Each top-level module of `shared/src` and the top-level modules its code names as
/// `crate::...` (tests and comments left out).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/src"));
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(root).unwrap();
            let top = relative
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" || path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let code = source.split("#[cfg(test)]").next().unwrap();
            let deps = out.entry(top.clone()).or_default();
            for line in code.lines().map(|l| l.split("//").next().unwrap()) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let names: Vec<&str> = match rest.strip_prefix('{') {
                        Some(group) => group.split('}').next().unwrap().split(',').collect(),
                        None => vec![rest],
                    };
                    for name in names {
                        let name: String = name
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let module = ROOT_ITEMS
                            .iter()
                            .find(|(item, _)| *item == name)
                            .map_or(name.clone(), |(_, m)| (*m).to_owned());
                        if !module.is_empty() && module != top && module != "text_enum" {
                            deps.insert(module);
                        }
                    }
                }
            }
        }
    }
    out
}

/// The strongly connected components of the import graph with more than one module
/// (Tarjan): each is a cycle, however long.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            self.index.insert(node, self.next);
            self.low.insert(node, self.next);
            self.next += 1;
            self.stack.push(node);
            self.on_stack.insert(node);
            for dep in self.graph.get(node).into_iter().flatten() {
                let dep = dep.as_str();
                if !self.index.contains_key(dep) {
                    self.visit(dep);
                    let low = self.low[node].min(self.low[dep]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(dep) {
                    let low = self.low[node].min(self.index[dep]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn no_modules_import_each_other_in_a_cycle() {
    let imports = imports();
    assert!(imports.len() > 30, "the sources were read: {imports:?}");
    let found = cycles(&imports);
    assert!(found.is_empty(), "import cycles: {found:?}");
}

#[test]
fn a_cycle_of_three_is_found_too() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, deps)| (m.to_owned(), deps.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(cycles(&graph), [vec!["a", "b", "c"]]);
}

/// Each table and the modules that may write it (docs/schema.md): its owner and the
/// owner's own submodules.
const OWNERS: &[(&str, &[&str])] = &[
    ("users", &["users", "accounts"]),
    ("timezone_periods", &["users"]),
    ("refresh_tokens", &["sessions"]),
    ("account_tokens", &["accounts::tokens"]),
    ("user_identities", &["accounts"]),
    ("login_attempts", &["ratelimit"]),
    ("rate_limit_windows", &["ratelimit"]),
    ("mfa_totp", &["accounts::mfa"]),
    ("mfa_recovery_codes", &["accounts::mfa"]),
    ("change_requests", &["approvals"]),
    ("admin_power_uses", &["approvals"]),
    ("transfers", &["transfers"]),
    ("profile_history", &["users"]),
    ("admin_logs", &["audit"]),
    ("step_records", &["steps"]),
    ("step_validations", &["steps"]),
    ("validation_queue", &["steps"]),
    ("device_accounts", &["steps::sync"]),
    ("anomaly_models", &["steps::anomaly"]),
    ("wallets", &["ledger"]),
    ("coin_transactions", &["ledger"]),
    ("reward_products", &["rewards"]),
    ("orders", &["orders"]),
    ("order_items", &["orders"]),
    ("idempotency_keys", &["idempotency"]),
    ("shopify_webhooks", &["shopify::webhooks"]),
    ("achievements", &["achievements"]),
    ("user_achievements", &["achievements"]),
    ("leaderboards", &["leaderboard"]),
    ("leaderboard_totals", &["leaderboard"]),
    ("leaderboard_bands", &["leaderboard"]),
    ("leaderboard_cache", &["leaderboard"]),
    ("notifications", &["notifications"]),
    ("notification_deliveries", &["notifications"]),
    ("notification_preferences", &["notifications"]),
    ("push_devices", &["notifications"]),
    ("settings", &["settings"]),
    ("job_runs", &["jobs"]),
    ("daily_totals", &["leaderboard"]),
    ("social_profiles", &["social"]),
    ("invite_codes", &["social"]),
    ("friend_requests", &["social"]),
    ("friendships", &["social"]),
    ("blocks", &["social"]),
    ("teams", &["social"]),
    ("challenges", &["challenges"]),
    ("challenge_participants", &["challenges"]),
    ("gifts", &["giving"]),
    ("campaigns", &["giving"]),
    ("donations", &["giving"]),
    ("charity_payouts", &["giving"]),
    ("team_members", &["social"]),
    ("team_scores", &["social"]),
    ("reports", &["social"]),
];

/// Writes outside the owner, each with its reason.
const EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "users",
    "ledger",
    "the coin caches (total_coins, lifetime_coins_*) move in the ledger's own statement, with the row they mirror",
)];

/// (table, writing module, file) of every INSERT, UPDATE and DELETE in `shared/src`.
fn table_writes() -> Vec<(String, String, String)> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/src"));
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let module = relative
                .trim_end_matches(".rs")
                .trim_end_matches("/mod")
                .replace('/', "::");
            let source = std::fs::read_to_string(&path).unwrap();
            let code = source.split("#[cfg(test)]").next().unwrap().to_lowercase();
            let words: Vec<&str> = code
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            for (i, pair) in words.windows(2).enumerate() {
                let table = match pair {
                    ["into", table] if i > 0 && words[i - 1] == "insert" => *table,
                    ["from", table] if i > 0 && words[i - 1] == "delete" => *table,
                    ["update", table]
                        if !(i > 0 && matches!(words[i - 1], "for" | "do" | "no" | "key")) =>
                    {
                        *table
                    }
                    _ => continue,
                };
                if OWNERS.iter().any(|(t, _)| *t == table) {
                    out.push((table.to_owned(), module.clone(), relative.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn every_table_is_written_only_by_its_owner() {
    let writes = table_writes();
    assert!(writes.len() > 50, "the statements were read: {writes:?}");
    let mut strays = BTreeSet::new();
    for (table, module, file) in writes {
        let owners = OWNERS.iter().find(|(t, _)| *t == table).unwrap().1;
        let owned = owners
            .iter()
            .any(|o| module == *o || module.starts_with(&format!("{o}::")));
        let excepted = EXCEPTIONS
            .iter()
            .any(|(t, m, _)| *t == table && *m == module);
        if !owned && !excepted {
            strays.insert(format!("{file} writes {table} (owner: {owners:?})"));
        }
    }
    assert!(
        strays.is_empty(),
        "tables written outside their owner: {strays:#?}"
    );
}

#[test]
fn every_table_of_the_migrations_has_an_owner() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"));
    let mut migrations: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    migrations.sort();
    // In order: a table a later migration drops is gone.
    let mut tables = BTreeSet::new();
    for path in migrations {
        let sql = std::fs::read_to_string(path).unwrap().to_lowercase();
        let named = |verb: &str| -> Vec<String> {
            sql.match_indices(verb)
                .map(|(i, _)| {
                    sql[i + verb.len()..]
                        .trim_start_matches("if not exists ")
                        .trim_start_matches("if exists ")
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()
                })
                .collect()
        };
        tables.extend(named("create table "));
        for dropped in named("drop table ") {
            tables.remove(&dropped);
        }
    }
    // Partitions and the pre-partitioning history belong to step_records.
    tables.retain(|t| !t.is_empty() && !t.starts_with("step_records_"));
    let owned: BTreeSet<String> = OWNERS.iter().map(|(t, _)| (*t).to_owned()).collect();
    let missing: Vec<&String> = tables.difference(&owned).collect();
    assert!(missing.is_empty(), "tables without an owner: {missing:?}");
}

#[test]
fn imports_only_point_down_the_floors() {
    let floor = |m: &str| FLOORS.iter().position(|f| f.contains(&m));
    let mut upward = Vec::new();
    for (module, deps) in imports() {
        let Some(own) = floor(&module) else {
            panic!("{module} is on no floor: add it to README.md's table and FLOORS");
        };
        for dep in deps {
            match floor(&dep) {
                Some(theirs) if theirs < own => upward.push(format!("{module} -> {dep}")),
                Some(_) => {}
                None => panic!("{module} imports {dep}, which is on no floor"),
            }
        }
    }
    assert!(upward.is_empty(), "imports pointing up: {upward:?}");
}

#[test]
fn the_readme_shows_the_floors_the_test_checks() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let table = readme
        .split("### The floors of `shared`")
        .nth(1)
        .expect("README.md has a floors section");
    // Each table row's first backticked word of every comma-separated entry.
    let rows: Vec<Vec<String>> = table
        .lines()
        .skip_while(|l| !l.starts_with("| floor"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let modules = row.split('|').nth(2).unwrap_or_default();
            modules
                .split(", ")
                .filter_map(|entry| entry.split('`').nth(1).map(str::to_owned))
                .collect()
        })
        .collect();
    let expected: Vec<Vec<String>> = FLOORS
        .iter()
        .map(|f| f.iter().map(|m| (*m).to_owned()).collect())
        .collect();
    assert_eq!(rows, expected, "README.md's floors differ from FLOORS");
}

/// What a statement may not do, since it would outlive its transaction on a backend
/// another client gets next: PgBouncer would hand that state on, RDS Proxy pins the
/// session. (`pg_advisory_xact_lock` and `SET LOCAL` end with the transaction; the
/// session-level lock, `set_config` and temporary objects do not.)
const SESSION_STATE: &[&str] = &[
    "SET_CONFIG(",
    "\"SET ",
    "PG_ADVISORY_LOCK(",
    "PG_TRY_ADVISORY_LOCK(",
    "LISTEN ",
    "TEMP TABLE",
    "TEMPORARY TABLE",
    "WITH HOLD",
    "CURRVAL(",
];

/// Every statement of the domain and the functions goes through `db::Stmt` (unnamed, in a
/// transaction): a `sqlx::query` anywhere else would be a named statement or one outside
/// a transaction, which a transaction pooler breaks.
#[test]
fn every_statement_goes_through_the_one_wrapper() {
    let mut raw = Vec::new();
    for root in ["shared/src", "functions/src"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(root);
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") || path.ends_with("db.rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let code = source.split("#[cfg(test)]").next().unwrap();
                for (n, line) in code.lines().enumerate() {
                    let line = line.split("//").next().unwrap();
                    // Even `sqlx::query("SELECT 1")` without arguments is a named
                    // prepared statement: only `Stmt` makes it unnamed.
                    let wrapped = line.contains("Stmt(sqlx::query");
                    if (line.contains("sqlx::query") && !wrapped) || line.contains(".acquire()") {
                        raw.push(format!("{}:{}", path.display(), n + 1));
                    }
                    let upper = line.to_ascii_uppercase();
                    if let Some(state) = SESSION_STATE.iter().find(|s| upper.contains(*s)) {
                        raw.push(format!("{}:{}: {state}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        raw.is_empty(),
        "statements outside db::Stmt, connections outside a transaction, or session state: {raw:#?}"
    );
}

/// Every `.rs` file under `roots` (relative to the workspace), with its source.
pub(crate) fn rust_sources(roots: &[&str]) -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    for root in roots {
        let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(root)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    files.push((path, source));
                }
            }
        }
    }
    files
}

/// Reading the system clock anywhere but `fitkart::clock` would be a second "now" that a
/// test cannot set. Wall time is kept where the other side judges it by its own clock:
/// an AWS signature (`db_token`), a CloudWatch metric's stamp (`metrics`) and a Lambda
/// invocation's deadline (`lambda`, the runner's, and the tests' requests that carry one). Tests read the clock through their app
/// (`TestApp::now`) or the process's (`fitkart_tests::now`).
#[test]
fn now_comes_from_the_one_clock() {
    const WALL_TIME: &[&str] = &[
        "shared/src/clock.rs",
        "shared/src/db_token.rs",
        "shared/src/metrics.rs",
        "shared/src/lambda.rs",
        "runner/src/lambda.rs",
        "tests/support/request.rs",
    ];
    // Spelled in pieces so that this file does not name what it looks for.
    let reads = ["Utc", "Local", "SystemTime"].map(|clock| format!("{clock}::{}", "now"));
    let mut readers = Vec::new();
    for (path, source) in rust_sources(&["shared/src", "functions/src", "runner/src", "tests"]) {
        let shown = path.display().to_string();
        if WALL_TIME.iter().any(|allowed| shown.ends_with(allowed)) {
            continue;
        }
        for (n, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            if reads.iter().any(|read| code.contains(read.as_str())) {
                readers.push(format!("{shown}:{}", n + 1));
            }
        }
    }
    assert!(
        readers.is_empty(),
        "the system clock read outside fitkart::clock: {readers:#?}"
    );
}

/// Every source file under `roots` outside `except` (path endings), with its code lines
/// (comments and `#[cfg(test)]` parts left out) numbered from 1.
fn code_lines(roots: &[&str], except: &[&str]) -> Vec<(String, usize, String)> {
    let mut lines = Vec::new();
    for (path, source) in rust_sources(roots) {
        let shown = path.display().to_string();
        if except.iter().any(|e| shown.ends_with(e)) {
            continue;
        }
        let code = source.split("#[cfg(test)]").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap();
            lines.push((shown.clone(), n + 1, line.to_owned()));
        }
    }
    lines
}

/// The transfer gate is the only way coins move from one person toward another: nothing
/// else posts a gift's, a stake's, a payout's or a donation's ledger rows.
#[test]
fn coins_between_people_move_only_through_the_transfer_gate() {
    let kinds = [
        "TxType::GiftSent",
        "TxType::GiftReceived",
        "TxType::GiftReturned",
        "TxType::Stake",
        "TxType::Payout",
        "TxType::Donation",
    ];
    let strays: Vec<String> = code_lines(
        &["shared/src", "functions/src"],
        &["shared/src/transfers.rs", "shared/src/ledger.rs"],
    )
    .into_iter()
    .filter(|(_, _, line)| kinds.iter().any(|k| line.contains(k)))
    .map(|(file, n, line)| format!("{file}:{n}: {}", line.trim()))
    .collect();
    assert!(
        strays.is_empty(),
        "transfers between people posted outside shared/src/transfers.rs: {strays:#?}"
    );
}

/// What one person sees of another goes through the visibility gate: a `Person` (alias,
/// avatar) is made only there, and a struct that shows another person carries their
/// steps only as `Visible<...>`, which only a `Sight` fills.
#[test]
fn another_persons_steps_reach_a_response_only_through_visibility() {
    let made_elsewhere: Vec<String> = code_lines(
        &["shared/src", "functions/src"],
        &["shared/src/visibility.rs"],
    )
    .into_iter()
    .filter(|(_, _, line)| line.contains("Person {") && !line.contains("struct Person"))
    .map(|(file, n, line)| format!("{file}:{n}: {}", line.trim()))
    .collect();
    assert!(
        made_elsewhere.is_empty(),
        "a Person made outside shared/src/visibility.rs: {made_elsewhere:#?}"
    );
    // Each struct that holds a `Person` (someone shown to someone else): its step fields.
    let mut naked = Vec::new();
    for (path, source) in rust_sources(&["shared/src"]) {
        // The gate itself holds what it decides from.
        if path.ends_with("visibility.rs") {
            continue;
        }
        let code = source.split("#[cfg(test)]").next().unwrap();
        for block in code.split("pub struct ").skip(1) {
            let Some(body) = block.split_once('{').map(|(_, b)| b) else {
                continue;
            };
            let body = body.split("\n}").next().unwrap_or_default();
            let fields: Vec<&str> = body
                .lines()
                .map(|l| l.split("//").next().unwrap().trim())
                .filter(|l| l.starts_with("pub ") && l.contains(':'))
                .collect();
            if !fields.iter().any(|f| f.contains(": Person")) {
                continue;
            }
            let name = block.split(|c: char| !c.is_alphanumeric()).next().unwrap();
            for field in fields {
                let (field_name, ty) = field.split_once(':').unwrap();
                if field_name.contains("steps") && !ty.trim().starts_with("Visible<") {
                    naked.push(format!("{}: {name}.{}", path.display(), field_name.trim()));
                }
            }
        }
    }
    assert!(
        naked.is_empty(),
        "another person's steps outside Visible<...>: {naked:#?}"
    );
}

/// Every admin action that creates coins, returns them or changes who can act is applied
/// by the admin-power owner (`approvals::apply`), alone or approved: no handler, and no
/// other module, calls the actions themselves.
#[test]
fn admin_power_is_applied_only_by_its_owner() {
    let actions = [
        "accounts::admin::adjust(",
        "admin::adjust(",
        "review::decide(",
        "accounts::set_state(",
        "settings::update(",
        "campaigns::open(",
        "cancel_by_admin(",
        "gifts::reverse(",
        "release_held(",
    ];
    let strays: Vec<String> = code_lines(
        &["shared/src", "functions/src"],
        &["shared/src/approvals.rs"],
    )
    .into_iter()
    .filter(|(_, _, line)| {
        actions.iter().any(|a| line.contains(a)) && !line.contains("pub async fn")
    })
    .map(|(file, n, line)| format!("{file}:{n}: {}", line.trim()))
    .collect();
    assert!(
        strays.is_empty(),
        "admin actions applied outside shared/src/approvals.rs: {strays:#?}"
    );
}
