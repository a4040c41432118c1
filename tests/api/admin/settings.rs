//! Typed settings: validated, audited, effective at once.

use super::*;

#[tokio::test]
async fn settings_are_typed_validated_and_audited() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let list = t
        .call(admin::list_settings, "GET", "/v1/admin/settings")
        .bearer(&boss.access_token)
        .send()
        .await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), fitkart::settings::REGISTRY.len());
    assert_eq!(items.len(), 50);
    let goal = items
        .iter()
        .find(|s| s["key"] == "daily_step_goal")
        .unwrap();
    assert_eq!(
        (goal["value"].clone(), goal["type"].clone()),
        (json!(10000), json!("integer"))
    );
    let flag = items
        .iter()
        .find(|s| s["key"] == "anti_cheat_enabled")
        .unwrap();
    assert_eq!(flag["value"], true);
    // A list of countries reads as one (empty: stakes nowhere).
    let countries = items
        .iter()
        .find(|s| s["key"] == "challenge_stake_countries")
        .unwrap();
    assert_eq!(
        (countries["value"].clone(), countries["type"].clone()),
        (json!([]), json!("countries"))
    );

    let put = |key: &'static str, value: Value| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
                .bearer(&token)
                .param("key", key)
                .json(json!({"value": value}))
                .send()
                .await
        }
    };
    let rows = audit_rows(&t).await;
    for (key, value) in [
        ("daily_step_goal", json!("lots")),
        ("daily_step_goal", json!(50)),
        ("daily_step_goal", json!(1.5)),
        ("anti_cheat_enabled", json!("yes")),
        ("coins_per_step", json!(-1)),
        ("coins_per_step", json!([1])),
    ] {
        let res = put(key, value.clone()).await;
        assert_eq!(
            (res.status, res.error_fields()),
            (422, vec!["value".to_owned()]),
            "{key} = {value}"
        );
    }
    let unknown = put("no_such_setting", json!(1)).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(audit_rows(&t).await, rows);
    let value: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'daily_step_goal'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(value, "10000");

    // The daily goal gates the streak and referral bonuses: a money setting, so it waits
    // for a second admin (the whole flow: tests/api/four_eyes.rs), who applies it.
    let asked = t
        .call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
        .bearer(&boss.access_token)
        .param("key", "daily_step_goal")
        .json(json!({"value": 12000, "reason": "A summer of longer walks"}))
        .send()
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert!(asked.body["waits_because"]
        .as_str()
        .unwrap()
        .contains("who gets them"));
    let second = t.second_admin().await;
    let approved = t.approve(&second, &asked).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let (action, entity, _, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str()),
        ("setting.update", "setting")
    );
    assert_eq!(
        changes["before"],
        json!({"key": "daily_step_goal", "value": 10000})
    );
    assert_eq!(
        changes["after"],
        json!({"key": "daily_step_goal", "value": 12000})
    );
    assert_eq!(t.app.settings().await.unwrap().daily_step_goal, 12000);
    let flag = put("anti_cheat_enabled", json!(false)).await;
    assert_eq!(flag.status, 422, "a reason is required: {}", flag.body);
    assert!(t.app.settings().await.unwrap().anti_cheat_enabled);
}
