//! The audit log's filters and pages, and the daily stats.

use super::*;

#[tokio::test]
async fn the_audit_log_filters_and_pages_and_stats_cover_a_range() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    for i in 0..5 {
        let res = t
            .call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
            .bearer(&boss.access_token)
            .param("id", walker.id)
            .json(json!({"amount": 10 + i, "reason": format!("bonus {i}")}))
            .send()
            .await;
        assert_eq!(res.status, 201);
    }
    let put = t
        .call(admin::update_setting, "PUT", "/v1/admin/settings/{key}")
        .bearer(&boss.access_token)
        .param("key", "daily_step_goal")
        .json(json!({"value": 8000, "reason": "Easier goal for winter"}))
        .send()
        .await;
    assert_eq!(put.status, 202, "a money setting waits: {}", put.body);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = t
            .call(admin::list_logs, "GET", "/v1/admin/logs")
            .bearer(&boss.access_token)
            .query("entity_type", "user")
            .query("entity_id", walker.id)
            .query("limit", 2);
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page = call.send().await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            assert_eq!(item["action"], "user.coins");
            assert_eq!(item["admin_email"], "boss@example.com");
            seen.push(
                item["changes"]["after"]["transaction"]["description"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["bonus 4", "bonus 3", "bonus 2", "bonus 1", "bonus 0"]
    );
    let by_action = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("action", "change_request.create")
        .query("admin_id", boss.id)
        .send()
        .await;
    assert_eq!(by_action.body["items"].as_array().unwrap().len(), 1);
    // Only the kinds the log records can be asked for (the fuzzer's `null` found no rows
    // and answered 200).
    let unknown_kind = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("entity_type", "null")
        .send()
        .await;
    assert_eq!(unknown_kind.status, 422);
    assert_eq!(unknown_kind.error_fields(), ["entity_type"]);
    assert!(unknown_kind.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("step_validation, user, order, reward_product, setting"));
    let future = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("from", "2100-01-01T00:00:00Z")
        .send()
        .await;
    assert_eq!(future.body["items"].as_array().unwrap().len(), 0);
    let bad = t
        .call(admin::list_logs, "GET", "/v1/admin/logs")
        .bearer(&boss.access_token)
        .query("entity_id", "nope")
        .query("from", "yesterday")
        .send()
        .await;
    assert_eq!(
        (bad.status, bad.error_fields()),
        (422, vec!["entity_id".to_owned(), "from".to_owned()])
    );

    // Stats: two users walked yesterday, one today.
    let today = fitkart_tests::now().date_naive();
    let yesterday = today - Days::new(1);
    sqlx::query(
        "INSERT INTO step_records (user_id, steps, source, recorded_date, status, verified_steps)
         VALUES ($1, 8000, 'health_kit', $3, 'verified', 8000), ($2, 4000, 'health_kit', $3, 'verified', 4000),
                ($1, 6000, 'health_kit', $4, 'suspicious', 0)",
    )
    .bind(boss.id)
    .bind(walker.id)
    .bind(yesterday)
    .bind(today)
    .execute(&t.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE users SET last_synced_at = now()")
        .execute(&t.pool)
        .await
        .unwrap();
    let stats = t
        .call(admin::daily_stats, "GET", "/v1/admin/stats/daily")
        .bearer(&boss.access_token)
        .query("from", yesterday)
        .query("to", today)
        .send()
        .await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    let days = stats.body["items"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["date"], yesterday.to_string());
    assert_eq!(
        (
            days[0]["active_users"].clone(),
            days[0]["total_steps"].clone(),
            days[0]["avg_steps"].clone()
        ),
        (json!(2), json!(12_000), json!(6_000))
    );
    assert_eq!(days[1]["suspicious_records"], 1);
    assert_eq!(stats.body["active_users"]["total"], 2);
    assert_eq!(stats.body["active_users"]["synced_last_day"], 2);
    let backwards = t
        .call(admin::daily_stats, "GET", "/v1/admin/stats/daily")
        .bearer(&boss.access_token)
        .query("from", today)
        .query("to", yesterday)
        .send()
        .await;
    assert_eq!(backwards.status, 422);
}
