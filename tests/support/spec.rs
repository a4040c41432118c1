//! openapi.yaml as a client reads it: every problem a handler answers in a test is checked
//! against the operation it answered for. Its status must be one the operation documents,
//! and its `code` one the operation names (in its description or a response's), unless
//! the status's own generic code (`404 not_found`, `422 validation_failed`, ...), which
//! the spec's introduction documents for every route. So a new refusal without its line
//! in the spec fails the first test that meets it.

use std::sync::OnceLock;

use serde_json::Value;

/// The codes that mean just their status, documented once for every route.
pub const GENERIC: &[(u16, &str)] = &[
    (400, "bad_request"),
    (401, "unauthorized"),
    (403, "forbidden"),
    (404, "not_found"),
    (405, "method_not_allowed"),
    (413, "payload_too_large"),
    (422, "validation_failed"),
    (429, "too_many_requests"),
    (500, "internal"),
    (503, "service_unavailable"),
];

/// Codes the spec's introduction documents for a whole family of routes (by path prefix).
const FAMILY: &[(&str, &str)] = &[("mfa_required", "/v1/admin/")];

struct Operation {
    method: String,
    segments: Vec<String>,
    /// Every status it documents.
    statuses: Vec<String>,
    /// Its whole text (summary, description, responses), to find codes in.
    text: String,
}

fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml"))
            .expect("openapi.yaml");
        let spec: Value = serde_yaml::from_str(&raw).expect("openapi.yaml parses");
        let mut operations = Vec::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                    continue;
                };
                operations.push(Operation {
                    method: method.to_uppercase(),
                    segments: path.split('/').map(str::to_owned).collect(),
                    statuses: responses.keys().cloned().collect(),
                    text: op.to_string(),
                });
            }
        }
        operations
    })
}

fn find(method: &str, path: &str) -> Option<&'static Operation> {
    let segments: Vec<&str> = path.split('/').collect();
    let matches = |op: &&Operation| {
        op.method == method
            && op.segments.len() == segments.len()
            && op
                .segments
                .iter()
                .zip(&segments)
                .all(|(spec, real)| spec.starts_with('{') || spec == real)
    };
    // A literal segment wins over a parameter (`/v1/boards/friends` over `/v1/boards/{x}`).
    operations()
        .iter()
        .filter(matches)
        .max_by_key(|op| op.segments.iter().filter(|s| !s.starts_with('{')).count())
}

/// Whether `text` names `code` as a word of its own.
fn names(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + code.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

/// Panics when a problem answered for `method path` is not what openapi.yaml says the
/// operation can answer. Paths the spec does not have (a handler tried on purpose where
/// no route leads) are left to their tests.
pub fn check_problem(method: &str, path: &str, status: u16, code: &str) {
    let Some(op) = find(method, path) else {
        return;
    };
    // A bug is documented nowhere: the test that meets one fails on its own.
    if status == 500 {
        return;
    }
    assert!(
        op.statuses.iter().any(|s| s == &status.to_string()),
        "openapi.yaml does not list status {status} for {method} {path} (answered with `{code}`)"
    );
    if GENERIC.contains(&(status, code))
        || FAMILY
            .iter()
            .any(|(c, prefix)| *c == code && path.starts_with(prefix))
    {
        return;
    }
    assert!(
        names(&op.text, code),
        "openapi.yaml does not name the code `{code}` ({status}) for {method} {}: \
         add it to the operation's description of that response",
        op.segments.join("/")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_a_whole_word() {
        assert!(names("409 `gift_not_pending`: ...", "gift_not_pending"));
        assert!(!names("`gift_not_pending_x`", "gift_not_pending"));
        assert!(!names("a_gift_not_pending", "gift_not_pending"));
    }
}
