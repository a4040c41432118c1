//! The `$default` route: requests no route matches get problem details, and a documented
//! path asked with the wrong method says which methods it has.

use std::collections::BTreeSet;

use fitkart_functions::fallback::unmatched;
use fitkart_tests::TestApp;

/// Every documented path (its parameters filled in) with its methods, read from the spec.
fn documented() -> Vec<(String, BTreeSet<String>)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    spec["paths"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let concrete: Vec<String> = path
                .as_str()
                .unwrap()
                .split('/')
                .map(|s| {
                    if s.starts_with('{') {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        s.to_owned()
                    }
                })
                .collect();
            let methods = item
                .as_mapping()
                .unwrap()
                .keys()
                .map(|m| m.as_str().unwrap().to_uppercase())
                .collect();
            (concrete.join("/"), methods)
        })
        .collect()
}

#[tokio::test]
async fn every_documented_path_asked_with_another_method_is_a_405_listing_its_methods() {
    let t = TestApp::new().await;
    let paths = documented();
    assert!(paths.len() > 40, "the spec's paths: {}", paths.len());
    for (path, methods) in paths {
        let wrong = ["GET", "POST", "PUT", "PATCH", "DELETE"]
            .into_iter()
            .find(|m| !methods.contains(*m))
            .unwrap_or("TRACE");
        let res = t.call(unmatched, wrong, &path).send().await;
        assert_eq!(res.status, 405, "{wrong} {path}: {}", res.raw);
        assert_eq!(res.code(), "method_not_allowed");
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        let allow: BTreeSet<String> = res
            .header("allow")
            .unwrap_or_else(|| panic!("{wrong} {path} has no Allow"))
            .split(", ")
            .map(str::to_owned)
            .collect();
        let mut expected = methods.clone();
        expected.insert("OPTIONS".into());
        assert_eq!(allow, expected, "{wrong} {path}");
        for method in &methods {
            assert!(
                res.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains(method.as_str()),
                "{}",
                res.raw
            );
        }
    }
}

#[tokio::test]
async fn options_lists_the_methods_and_unknown_paths_are_a_404_problem() {
    let t = TestApp::new().await;
    let res = t.call(unmatched, "OPTIONS", "/v1/me").send().await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("allow"), Some("GET, DELETE, PATCH, OPTIONS"));

    for path in [
        "/",
        "/v1",
        "/v1/walet",
        "/v1/wallet/transactions/extra",
        "/v2/me",
    ] {
        let res = t.call(unmatched, "GET", path).send().await;
        assert_eq!(res.status, 404, "{path}");
        assert_eq!(res.code(), "not_found");
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert!(res.header("allow").is_none());
    }
}
