//! openapi.yaml names every error code the code can answer with. (Each problem a test
//! meets is also checked against the operation that answered it: `fitkart_tests::spec`.)

use std::collections::{BTreeMap, BTreeSet};

/// The stable codes written in the sources: `Error::conflict("...")`,
/// `Error::denied("...")` and `code: "..."` (the variants built by hand), with the files
/// that write them.
fn codes_in_the_sources() -> BTreeMap<String, BTreeSet<String>> {
    let mut codes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, source) in super::architecture::rust_sources(&["shared/src", "functions/src"]) {
        let code = source.split("#[cfg(test)]").next().unwrap();
        for opener in ["Error::conflict(", "Error::denied(", "code: \""] {
            for (i, _) in code.match_indices(opener) {
                let rest = code[i + opener.len()..].trim_start();
                let rest = rest.strip_prefix('"').unwrap_or(rest);
                let literal: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !literal.is_empty() && rest[literal.len()..].starts_with('"') {
                    codes
                        .entry(literal)
                        .or_default()
                        .insert(path.display().to_string());
                }
            }
        }
    }
    codes
}

/// Codes no HTTP route answers with: `admin_exists` is the operator's `ops-admin-bootstrap`
/// refusing a second first admin (invoked directly, not through the API).
const NOT_HTTP: &[&str] = &["admin_exists"];

#[test]
fn every_code_the_code_can_answer_with_is_in_the_spec() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    let codes = codes_in_the_sources();
    assert!(
        codes.len() > 40,
        "the sources' codes were not found: {codes:?}"
    );
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let missing: Vec<_> = codes
        .iter()
        .filter(|(code, _)| !NOT_HTTP.contains(&code.as_str()))
        .filter(|(code, _)| {
            !spec.match_indices(code.as_str()).any(|(i, _)| {
                !word(spec[..i].chars().next_back()) && !word(spec[i + code.len()..].chars().next())
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "codes openapi.yaml never names: {missing:#?}"
    );
    for (_, generic) in fitkart_tests::spec::GENERIC {
        assert!(spec.contains(generic), "{generic}");
    }
}
