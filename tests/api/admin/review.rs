//! The review queue: approving credits exactly once, rejecting credits nothing.

use super::*;

#[tokio::test]
async fn approving_credits_exactly_once_rejecting_credits_nothing_and_users_see_the_note() {
    let (t, pipeline) = TestApp::with_pipeline().await;
    t.set_setting("max_daily_coins", "1000000").await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let approve_me = held_record(&t, &pipeline, &walker, 1).await;
    let reject_me = held_record(&t, &pipeline, &walker, 2).await;

    let queue = t
        .call(admin::list_validations, "GET", "/v1/admin/validations")
        .bearer(&boss.access_token)
        .send()
        .await;
    let items = queue.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    // Oldest first, with the record, its reasons, the user and their history.
    assert_eq!(items[0]["id"], approve_me.to_string());
    assert_eq!(items[0]["record"]["steps"], 60_000);
    assert!(items[0]["reasons"][0].as_str().unwrap().contains("60,000"));
    assert_eq!(items[0]["user"]["email"], "walker@example.com");
    assert!(items[0]["history"].is_array());

    let before = t.balance(walker.id).await;
    // A changed coins_per_step (a second admin's approval away, tests/api/four_eyes.rs)
    // is what the approval pays at.
    t.set_setting("coins_per_step", "0.5").await;
    // What a decision does, not who may make it alone (tests/api/gates.rs).
    t.lift_admin_budgets().await;
    let review = |id: Uuid, decision: &'static str, note: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(
                admin::review_validation,
                "POST",
                "/v1/admin/validations/{id}/review",
            )
            .bearer(&token)
            .param("id", id)
            .json(json!({"decision": decision, "note": note}))
            .send()
            .await
        }
    };
    let rows = audit_rows(&t).await;
    let (a, b) = tokio::join!(
        review(approve_me, "approve", "GPS track checks out"),
        review(approve_me, "approve", "GPS track checks out")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let conflict = if a.status == 409 { &a } else { &b };
    assert_eq!(conflict.code(), "already_reviewed");
    assert_eq!(audit_rows(&t).await, rows + 1);
    let earned: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'",
    )
    .bind(walker.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(earned, 30_000, "60,000 steps at 0.5 coins per step, once");
    assert!(t.balance(walker.id).await >= before + 30_000);

    let rejected = review(reject_me, "reject", "Steps recorded while driving").await;
    assert_eq!(rejected.status, 200);
    assert_eq!(rejected.body["status"], "rejected");
    let again = review(reject_me, "approve", "changed my mind").await;
    assert_eq!((again.status, again.code()), (409, "already_reviewed"));
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("validation.reject", "step_validation", Some(reject_me))
    );
    assert_eq!(changes["before"]["status"], "pending");
    assert_eq!(changes["after"]["status"], "rejected");

    let mine = t
        .call(steps::list, "GET", "/v1/steps")
        .bearer(&walker.access_token)
        .send()
        .await;
    let records = mine.body["items"].as_array().unwrap();
    let rejected_record = records.iter().find(|r| r["status"] == "rejected").unwrap();
    assert_eq!(
        rejected_record["review_note"],
        "Steps recorded while driving"
    );
    assert_eq!(rejected_record["coins_credited"], 0);
    let approved_record = records
        .iter()
        .find(|r| r["review_note"] == "GPS track checks out")
        .unwrap();
    assert_eq!(approved_record["status"], "verified");
    assert_eq!(approved_record["coins_credited"], 30_000);

    // Replaying the credit message (as SQS might; here as the release before partitioning
    // queued it, without the record's day) pays nothing more.
    let record_id: Uuid = approved_record["id"].as_str().unwrap().parse().unwrap();
    let replay = fitkart::steps::crediting::CreditRecord {
        record_id,
        recorded_date: None,
    };
    let missing = fitkart::steps::crediting::credit_batch(t.app, &[replay])
        .await
        .unwrap();
    assert!(missing.is_empty(), "the record's day was looked up");
    let earned_after: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions WHERE user_id = $1 AND transaction_type = 'earned'",
    )
    .bind(walker.id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(earned_after, 30_000);
    let empty = t
        .call(admin::list_validations, "GET", "/v1/admin/validations")
        .bearer(&boss.access_token)
        .send()
        .await;
    assert_eq!(empty.body["items"].as_array().unwrap().len(), 0);
    let bad = review(Uuid::new_v4(), "maybe", "").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_fields(), ["decision", "note"]);
    t.assert_ledger_invariants().await;
}
