//! Orders through the workflow and reward edits, audited.

use super::*;

#[tokio::test]
async fn admins_move_orders_through_the_workflow_with_audit_and_filters() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.verified("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let product = t.product("Band", 2_000, 10).await;
    t.grant(walker.id, 50_000).await;
    let first = t.order(&walker, "a", &[(product, 1)]).await;
    let second = t.order(&walker, "b", &[(product, 1)]).await;
    let patch = |id: Uuid, body: Value| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_order, "PATCH", "/v1/admin/orders/{id}")
                .bearer(&token)
                .param("id", id)
                .json(body)
                .send()
                .await
        }
    };
    for status in ["confirmed", "processing"] {
        assert_eq!(patch(first, json!({"status": status})).await.status, 200);
    }
    let (_, frozen, _) = t.wallet(walker.id).await;
    let shipped = patch(
        first,
        json!({"status": "shipped", "tracking_number": "1Z999AA10123456784", "carrier": "DHL", "notes": "left at the desk"}),
    )
    .await;
    assert_eq!(shipped.status, 200, "{}", shipped.body);
    assert_eq!(shipped.body["tracking_number"], "1Z999AA10123456784");
    assert_eq!(shipped.body["carrier"], "DHL");
    assert_eq!(shipped.body["notes"], "left at the desk");
    assert_eq!(shipped.body["user_email"], "walker@example.com");
    assert!(shipped.body["shipped_at"].is_string());
    assert_eq!(t.wallet(walker.id).await.1, frozen - 2_000);
    assert_eq!(t.wallet(walker.id).await.2, 2_000);
    let (action, entity, id, changes, ..) = last_audit(&t).await;
    assert_eq!(
        (action.as_str(), entity.as_str(), id),
        ("order.update", "order", Some(first))
    );
    assert_eq!(changes["before"]["status"], "processing");
    assert_eq!(
        changes["after"],
        json!({"status": "shipped", "tracking_number": "1Z999AA10123456784", "carrier": "DHL", "notes": "left at the desk"})
    );

    let rows = audit_rows(&t).await;
    let skip = patch(second, json!({"status": "delivered"})).await;
    assert_eq!((skip.status, skip.code()), (409, "invalid_transition"));
    let nonsense = patch(second, json!({"status": "lost"})).await;
    assert_eq!(
        (nonsense.status, nonsense.error_fields()),
        (422, vec!["status".to_owned()])
    );
    assert_eq!(
        patch(Uuid::new_v4(), json!({"status": "confirmed"}))
            .await
            .status,
        404
    );
    assert_eq!(audit_rows(&t).await, rows);

    let list = |status: &'static str| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::list_orders, "GET", "/v1/admin/orders")
                .bearer(&token)
                .query("status", status)
                .send()
                .await
                .body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("shipped").await, [first.to_string()]);
    assert_eq!(list("pending").await, [second.to_string()]);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn reward_edits_pin_prices_hide_products_and_are_audited() {
    let t = TestApp::new().await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.register("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let product = t.product("Bottle", 25_000, 10).await;
    let patch = |body: Value| {
        let t = &t;
        let token = boss.access_token.clone();
        async move {
            t.call(admin::update_reward, "PATCH", "/v1/admin/rewards/{id}")
                .bearer(&token)
                .param("id", product)
                .json(body)
                .send()
                .await
        }
    };
    // At or above the catalog price one admin may pin it (below it needs a second admin:
    // tests/api/four_eyes.rs).
    let pinned = patch(json!({"coin_price": 30_000, "popularity_rank": 1})).await;
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    assert_eq!(pinned.body["coin_price"], 30_000);
    assert_eq!(pinned.body["coin_price_pinned"], true);
    let (action, _, _, changes, ..) = last_audit(&t).await;
    assert_eq!(action, "reward.update");
    assert_eq!(changes["before"]["coin_price"], 25_000);
    assert_eq!(changes["after"]["coin_price"], 30_000);

    let hidden = patch(json!({"is_active": false})).await;
    assert_eq!(hidden.body["admin_hidden"], true);
    let seen = t
        .call(fitkart_functions::rewards::get, "GET", "/v1/rewards/{id}")
        .bearer(&walker.access_token)
        .param("id", product)
        .send()
        .await;
    assert_eq!(seen.status, 404);
    let rows = audit_rows(&t).await;
    for body in [
        json!({}),
        json!({"coin_price": 0}),
        json!({"popularity_rank": -1}),
        json!({"name": "x"}),
    ] {
        assert_eq!(patch(body.clone()).await.status, 422, "{body}");
    }
    assert_eq!(audit_rows(&t).await, rows);
}
