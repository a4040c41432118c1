//! Accounts as admins manage them: deactivation, search, coin adjustments.

use super::*;

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_and_is_audited() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let res = t
        .call(admin::update_user, "PATCH", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", walker.id)
        .json(json!({"is_active": false}))
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["is_active"], false);
    let me = t
        .call(fitkart_functions::me::get, "GET", "/v1/me")
        .bearer(&walker.access_token)
        .send()
        .await;
    assert_eq!(me.status, 401);
    let refresh = t
        .call(fitkart_functions::auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": walker.refresh_token}))
        .send()
        .await;
    assert_eq!(refresh.status, 401);
    let (action, _, _, changes, ..) = last_audit(&t).await;
    assert_eq!(action, "user.update");
    assert_eq!(
        changes,
        json!({"before": {"is_active": true, "role": "user"}, "after": {"is_active": false, "role": "user"}})
    );
}

#[tokio::test]
async fn user_search_matches_email_and_name_prefixes_and_shows_wallets() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    for email in [
        "anna.k@example.com",
        "ANDY@example.com",
        "bob@example.com",
        "100%_real@example.com",
    ] {
        t.register(email).await;
    }
    sqlx::query("UPDATE users SET full_name = 'Annika Berg' WHERE email = 'bob@example.com'")
        .execute(&t.pool)
        .await
        .unwrap();
    let search = |q: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            let res = t
                .call(admin::list_users, "GET", "/v1/admin/users")
                .bearer(&token)
                .query("q", q)
                .send()
                .await;
            assert_eq!(res.status, 200, "{}", res.body);
            let mut emails: Vec<String> = res.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned())
                .collect();
            emails.sort();
            (emails, res.body)
        }
    };
    let (found, body) = search("an").await;
    assert_eq!(
        found,
        ["ANDY@example.com", "anna.k@example.com", "bob@example.com"]
    );
    assert!(body["items"][0]["wallet"]["available_coins"].is_i64());
    // LIKE wildcards in the query are literal characters.
    assert_eq!(search("100%").await.0, ["100%_real@example.com"]);
    assert!(search("%").await.0.is_empty());
    assert!(search("_").await.0.is_empty());

    let walker: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'bob@example.com'")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let detail = t
        .call(admin::get_user, "GET", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", walker)
        .send()
        .await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["full_name"], "Annika Berg");
    assert!(detail.body["recent_transactions"].is_array());
    let missing = t
        .call(admin::get_user, "GET", "/v1/admin/users/{id}")
        .bearer(&boss.access_token)
        .param("id", Uuid::new_v4())
        .send()
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn coin_adjustments_are_ledger_rows_that_never_go_negative() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let (opening, ..) = t.wallet(walker.id).await;
    let adjust = |amount: i64, reason: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::adjust_coins, "POST", "/v1/admin/users/{id}/coins")
                .bearer(&token)
                .param("id", walker.id)
                .json(json!({"amount": amount, "reason": reason}))
                .send()
                .await
        }
    };
    let bonus = adjust(500, "Marathon week winner").await;
    assert_eq!(bonus.status, 201, "{}", bonus.body);
    assert_eq!(bonus.body["transaction_type"], "bonus");
    assert_eq!(bonus.body["amount"], 500);
    assert_eq!(bonus.body["description"], "Marathon week winner");
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("user.coins", "user", Some(walker.id))
    );
    assert_eq!(changes["before"]["available_coins"], opening);
    assert_eq!(changes["after"]["available_coins"], opening + 500);

    let penalty = adjust(-200, "Shared device").await;
    assert_eq!(penalty.body["transaction_type"], "penalty");
    assert_eq!(t.balance(walker.id).await, opening + 300);

    let rows = audit_rows(&t).await;
    let too_much = adjust(-(opening + 301), "More than they have").await;
    assert_eq!(
        (too_much.status, too_much.code()),
        (409, "insufficient_coins")
    );
    let zero = adjust(0, "nothing").await;
    assert_eq!(
        (zero.status, zero.error_fields()),
        (422, vec!["amount".to_owned()])
    );
    let no_reason = adjust(10, " ").await;
    assert_eq!(
        (no_reason.status, no_reason.error_fields()),
        (422, vec!["reason".to_owned()])
    );
    assert_eq!(audit_rows(&t).await, rows);
    assert_eq!(t.balance(walker.id).await, opening + 300);

    // Concurrent penalties that together exceed the balance: never below zero.
    let balance = t.balance(walker.id).await;
    let results = join_all((0..10).map(|_| adjust(-(balance / 4), "race"))).await;
    let applied = results.iter().filter(|r| r.status == 201).count() as i64;
    assert_eq!(applied, 4);
    assert_eq!(t.balance(walker.id).await, balance - 4 * (balance / 4));
    assert_eq!(audit_rows(&t).await, rows + 4);
    t.assert_ledger_invariants().await;
}
