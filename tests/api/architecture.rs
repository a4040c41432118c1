//! The shape of the domain crate, read from its sources: no module imports a module
//! that imports it back, and imports only point down the floors of README.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// README.md's floors, top to bottom.
const FLOORS: &[&[&str]] = &[
    &["lambda", "http"],
    &["auth"],
    &["approvals"],
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
    ],
    &[
        "ledger",
        "audit",
        "notifications",
        "wallet",
        "sessions",
        "idempotency",
        "ratelimit",
        "mail",
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
        "password",
        "secret_token",
        "secrets",
        "metrics",
        "text_enum",
    ],
];

/// Re-exports at the crate root and the modules they live in.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("App", "app"),
    ("Error", "error"),
    ("Result", "error"),
    ("FieldError", "error"),
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

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let imports = imports();
    assert!(imports.len() > 30, "the sources were read: {imports:?}");
    let mut cycles = Vec::new();
    for (module, deps) in &imports {
        for dep in deps {
            if imports.get(dep).is_some_and(|back| back.contains(module)) && module < dep {
                cycles.push(format!("{module} <-> {dep}"));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:?}");
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
