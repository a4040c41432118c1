//! Property tests of everything that parses client input: whatever arrives (any string,
//! any bytes, any JSON), the parsers answer a value or a reason, never a panic (a panic
//! aborts the execution environment in the release profile), and what they accept keeps
//! its promises.

use fitkart::http::{json_body, Request};
use fitkart::{input, pagination, settings};
use lambda_http::Body;
use proptest::prelude::*;
use secrecy::SecretString;

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~\u{0}\u{1f}\u{7f}\u{a0}€😀]{0,300}",
        // Dates, emails and numbers near the edges.
        "[+-]?[0-9]{1,7}-[0-9]{1,3}-[0-9]{1,3}",
        "[a-zA-Z0-9._%+-]{0,70}@[a-zA-Z0-9.-]{0,260}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn field_parsers_answer_and_keep_their_promises(raw in any_text()) {
        if let Ok(email) = input::email(&raw) {
            prop_assert!(email.as_str().len() <= 254);
            prop_assert!(!email.as_str().chars().any(char::is_control));
        }
        if let Ok(text) = input::text(&raw, 200) {
            prop_assert!(!text.contains('\0') && text.chars().count() <= 200);
        }
        if let Ok(token) = input::opaque(&raw, 255) {
            prop_assert!(!token.contains('\0') && token.len() <= 255);
        }
        let _ = input::full_name(&raw);
        let _ = input::phone(&raw);
        let _ = input::country_code(&raw);
        let _ = input::timezone(&raw);
        let _ = input::https_url(&raw);
        let _ = input::password(&SecretString::from(raw.clone()));
        if let Ok(date) = input::date(&raw) {
            use chrono::Datelike;
            prop_assert!((1900..=9999).contains(&date.year()));
        }
    }

    #[test]
    fn date_ranges_answer_and_stay_bounded(from in proptest::option::of(any_text()), to in proptest::option::of(any_text()), days in 0u64..100_000) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        if let Ok((from, to)) = input::date_range(from.as_deref(), to.as_deref(), today, days) {
            prop_assert!(from <= to && (to - from).num_days() <= 366);
        }
    }

    #[test]
    fn cursors_answer_a_value_or_a_422(raw in any_text()) {
        if let Err(e) = pagination::decode::<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>(&raw) {
            prop_assert_eq!(e.status(), 422);
        }
        if let Err(e) = pagination::decode::<i64>(&raw) {
            prop_assert_eq!(e.status(), 422);
        }
    }

    #[test]
    fn bodies_are_a_value_or_a_client_error(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body_ { email: String, count: i64 }
        let req: Request = http::Request::builder().body(Body::Binary(bytes)).unwrap();
        if let Err(e) = json_body::<Body_>(&req) {
            prop_assert!([400, 413, 422].contains(&e.status()), "{}", e.status());
        }
    }

    #[test]
    fn every_setting_answers_any_json(value in any_json()) {
        for def in settings::REGISTRY {
            let _ = settings::validate(def, &value);
        }
    }
}

fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        any_text().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        proptest::collection::vec(inner, 0..4).prop_map(serde_json::Value::Array)
    })
}
