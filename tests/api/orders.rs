//! Rewards and coin orders: the catalog, placing orders (stock, coins, idempotency, races),
//! reading and cancelling them, and every transition of the order state machine.

use fitkart::audit::ActorKind;
use fitkart::orders::{workflow, Change, Status};
use fitkart_functions::{orders as order_fns, rewards};
use fitkart_tests::{address, order_body, TestApp, User};
use futures::future::join_all;
use serde_json::{json, Value};
use uuid::Uuid;

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&t.pool).await.unwrap()
}

/// The coins a user has apart from what an order moves: registration bonus, grants and
/// achievement bonuses.
async fn bonuses(t: &TestApp, user: Uuid) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::int8 FROM coin_transactions
         WHERE user_id = $1 AND transaction_type = 'bonus'",
    )
    .bind(user)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_catalog_lists_active_products_by_rank_in_pages() {
    let t = TestApp::new().await;
    let user = t.verified("shopper@example.com").await;
    let mut ids = Vec::new();
    for (i, name) in ["Bottle", "Socks", "Band", "Cap", "Roller"]
        .iter()
        .enumerate()
    {
        let id = t.product(name, 1_000 * (i as i64 + 1), 5).await;
        sqlx::query("UPDATE reward_products SET popularity_rank = $2 WHERE id = $1")
            .bind(id)
            .bind(5 - i as i32)
            .execute(&t.pool)
            .await
            .unwrap();
        ids.push(id);
    }
    t.withdraw_product(ids[4]).await;
    sqlx::query(
        "UPDATE reward_products SET category = 'apparel', stock_quantity = 0 WHERE id = $1",
    )
    .bind(ids[1])
    .execute(&t.pool)
    .await
    .unwrap();

    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = t
            .call(rewards::list, "GET", "/v1/rewards")
            .bearer(&user.access_token)
            .query("limit", 2);
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page = call.send().await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // Rank 1 first; the inactive Roller (rank 1) is not listed.
    assert_eq!(names, ["Cap", "Band", "Socks", "Bottle"]);

    let apparel = t
        .call(rewards::list, "GET", "/v1/rewards")
        .bearer(&user.access_token)
        .query("category", "apparel")
        .send()
        .await;
    let items = apparel.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Socks");
    assert_eq!(items[0]["in_stock"], false);

    let one = t
        .call(rewards::get, "GET", "/v1/rewards/{id}")
        .bearer(&user.access_token)
        .param("id", ids[0])
        .send()
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["coin_price"], 1_000);
    assert_eq!(one.body["retail_price"], 0.1);
    for hidden in [ids[4], Uuid::new_v4()] {
        let res = t
            .call(rewards::get, "GET", "/v1/rewards/{id}")
            .bearer(&user.access_token)
            .param("id", hidden)
            .send()
            .await;
        assert_eq!(res.status, 404);
    }
    let bad = t
        .call(rewards::list, "GET", "/v1/rewards")
        .bearer(&user.access_token)
        .query("cursor", "garbage")
        .send()
        .await;
    assert_eq!(bad.status, 422);
    let anonymous = t.call(rewards::list, "GET", "/v1/rewards").send().await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn an_order_reserves_stock_freezes_coins_and_unlocks_first_redemption_when_it_ships() {
    let t = TestApp::new().await;
    let user = t.verified("shopper@example.com").await;
    let bottle = t.product("Bottle", 2_500, 10).await;
    let socks = t.product("Socks", 4_000, 3).await;
    t.grant(user.id, 20_000).await;
    let (available_before, _, _) = t.wallet(user.id).await;
    let bonus_before = bonuses(&t, user.id).await;

    let res = t.place_order(&user,
        "order-1",
        json!({"items": [{"product_id": bottle, "quantity": 2}, {"product_id": socks, "quantity": 1}],
               "shipping_address": address()}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.body);
    let order = &res.body;
    let code = order["order_code"].as_str().unwrap();
    let year = fitkart_tests::now().format("%Y").to_string();
    assert!(
        code.starts_with(&format!("FK-{year}-")) && code.len() == 13,
        "{code}"
    );
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total_coins"], 9_000);
    assert_eq!(order["items"][0]["name"], "Bottle");
    assert_eq!(order["items"][0]["coin_price_at_purchase"], 2_500);
    assert_eq!(order["items"][0]["total_coins"], 5_000);
    assert_eq!(order["shipping_address"]["country"], "US");
    assert!(order.get("notes").is_none() && order.get("user_id").is_none());

    assert_eq!(t.stock(bottle).await, 8);
    assert_eq!(t.stock(socks).await, 2);
    let (available, frozen, spent) = t.wallet(user.id).await;
    assert_eq!(available, available_before - 9_000);
    assert_eq!((frozen, spent), (9_000, 0));
    let first_redemptions = || {
        count(
            &t,
            "SELECT count(*) FROM user_achievements ua JOIN achievements a ON a.id = ua.achievement_id
             WHERE a.code = 'first_redemption'",
        )
    };
    assert_eq!(
        first_redemptions().await,
        0,
        "placing an order unlocks nothing"
    );
    let spent_row: (i64, String) = sqlx::query_as(
        "SELECT amount, reference_type FROM coin_transactions WHERE transaction_type = 'spent'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(spent_row, (-9_000, "order".to_owned()));

    // A later price change does not alter the placed order.
    sqlx::query("UPDATE reward_products SET coin_price = 9999, name = 'Renamed' WHERE id = $1")
        .bind(bottle)
        .execute(&t.pool)
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    let fetched = t
        .call(order_fns::get, "GET", "/v1/orders/{id}")
        .bearer(&user.access_token)
        .param("id", id)
        .send()
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["items"][0]["coin_price_at_purchase"], 2_500);
    assert_eq!(fetched.body["items"][0]["name"], "Bottle");
    let list = t
        .call(order_fns::list, "GET", "/v1/orders")
        .bearer(&user.access_token)
        .send()
        .await;
    assert_eq!(list.body["items"][0]["id"], id);
    let none = t
        .call(order_fns::list, "GET", "/v1/orders")
        .bearer(&user.access_token)
        .query("status", "shipped")
        .send()
        .await;
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);

    // Redemption achievements follow the goods.
    let id: uuid::Uuid = fetched.body["id"].as_str().unwrap().parse().unwrap();
    t.advance_order(id, fitkart::orders::Status::Shipped).await;
    assert_eq!(first_redemptions().await, 1);
    let unlocked_bonus = bonuses(&t, user.id).await - bonus_before;
    assert_eq!(unlocked_bonus, 25, "first_redemption's reward");
    let (available, frozen, spent) = t.wallet(user.id).await;
    assert_eq!(available, available_before - 9_000 + unlocked_bonus);
    assert_eq!((frozen, spent), (0, 9_000));
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn bad_orders_are_refused_and_change_nothing() {
    let t = TestApp::new().await;
    let user = t.verified("shopper@example.com").await;
    let bottle = t.product("Bottle", 2_500, 10).await;
    t.grant(user.id, 100_000).await;
    let wallet_before = t.wallet(user.id).await;
    let bonus_before = bonuses(&t, user.id).await;

    let no_key = t
        .call(order_fns::create, "POST", "/v1/orders")
        .bearer(&user.access_token)
        .json(order_body(&[(bottle, 1)]))
        .send()
        .await;
    assert_eq!(no_key.status, 422);
    assert_eq!(no_key.error_fields(), ["Idempotency-Key"]);

    let cases = [
        (
            json!({"items": [], "shipping_address": address()}),
            vec!["items"],
        ),
        (order_body(&[(bottle, 0)]), vec!["items[0].quantity"]),
        (order_body(&[(bottle, 11)]), vec!["items[0].quantity"]),
        (
            order_body(&[(Uuid::new_v4(), 1)]),
            vec!["items[0].product_id"],
        ),
        (
            json!({"items": [{"product_id": bottle, "quantity": 1}, {"product_id": bottle, "quantity": 2}],
                   "shipping_address": address()}),
            vec!["items[1].product_id"],
        ),
        (
            json!({"items": [{"product_id": bottle, "quantity": 1}],
                   "shipping_address": {"name": " ", "line1": "1 Main St", "city": "X", "postal_code": "12#45", "country": "ZZ"}}),
            vec![
                "shipping_address.name",
                "shipping_address.postal_code",
                "shipping_address.country",
            ],
        ),
        (
            json!({"items": [{"product_id": bottle, "quantity": 1}], "shipping_address": address(), "coupon": "FREE"}),
            vec!["coupon"],
        ),
        (
            json!({"items": [{"product_id": "not-a-uuid", "quantity": 1}], "shipping_address": address()}),
            vec!["items[0].product_id"],
        ),
    ];
    for (i, (body, fields)) in cases.into_iter().enumerate() {
        let res = t
            .place_order(&user, &format!("bad-{i}"), body.clone())
            .await;
        assert_eq!(res.status, 422, "case {i}: {}", res.body);
        let got = res.error_fields();
        for field in &fields {
            assert!(
                got.iter().any(|g| g.contains(field)),
                "case {i}: {field} not in {got:?}"
            );
        }
    }
    let lines: Vec<Value> = (0..21)
        .map(|_| json!({"product_id": Uuid::new_v4(), "quantity": 1}))
        .collect();
    let too_many = t
        .place_order(
            &user,
            "too-many",
            json!({"items": lines, "shipping_address": address()}),
        )
        .await;
    assert_eq!(too_many.status, 422);

    let hidden = t.product("Hidden", 100, 10).await;
    t.withdraw_product(hidden).await;
    let inactive = t
        .place_order(&user, "inactive", order_body(&[(hidden, 1)]))
        .await;
    assert_eq!(inactive.status, 422);
    let greedy = t
        .place_order(&user, "greedy", order_body(&[(bottle, 10)]))
        .await;
    assert_eq!(greedy.status, 201);
    let empty = t
        .place_order(&user, "empty", order_body(&[(bottle, 1)]))
        .await;
    assert_eq!((empty.status, empty.code()), (409, "out_of_stock"));

    assert_eq!(count(&t, "SELECT count(*) FROM orders").await, 1);
    assert_eq!(t.stock(hidden).await, 10);
    let (available, frozen, _) = t.wallet(user.id).await;
    assert_eq!(frozen, 25_000);
    let unlocked_bonus = bonuses(&t, user.id).await - bonus_before;
    assert_eq!(available, wallet_before.0 - 25_000 + unlocked_bonus);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn twenty_concurrent_orders_against_a_balance_for_one_place_exactly_one() {
    let t = TestApp::new().await;
    let user = t.verified("racer@example.com").await;
    let (opening, _, _) = t.wallet(user.id).await;
    // Achievement bonuses would refill the balance after the first order; keep it exact.
    t.without_achievements().await;
    let price = 10_000;
    let product = t.product("Bike", price, 100).await;
    t.grant(user.id, price - opening).await;

    let attempts = (0..20).map(|i| {
        let (t, user) = (&t, &user);
        async move {
            t.place_order(user, &format!("race-{i}"), order_body(&[(product, 1)]))
                .await
        }
    });
    let results = join_all(attempts).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let refused = results
        .iter()
        .filter(|r| r.status == 409 && r.code() == "insufficient_coins")
        .count();
    assert_eq!(
        (created, refused),
        (1, 19),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(t.wallet(user.id).await, (0, price, 0));
    assert_eq!(t.stock(product).await, 99);
    assert_eq!(count(&t, "SELECT count(*) FROM orders").await, 1);
    assert_eq!(count(&t, "SELECT count(*) FROM idempotency_keys").await, 1);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn twenty_users_racing_for_the_last_three_units_get_exactly_three() {
    let t = TestApp::new().await;
    let product = t.product("Limited Edition", 1_000, 3).await;
    let mut users = Vec::new();
    for i in 0..20 {
        let user = t.verified(&format!("fan{i}@example.com")).await;
        t.grant(user.id, 5_000).await;
        users.push(user);
    }
    let results = join_all(
        users
            .iter()
            .map(|u| t.place_order(u, "last-units", order_body(&[(product, 1)]))),
    )
    .await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let sold_out = results
        .iter()
        .filter(|r| r.status == 409 && r.code() == "out_of_stock")
        .count();
    assert_eq!((created, sold_out), (3, 17));
    assert_eq!(t.stock(product).await, 0);
    assert_eq!(
        count(
            &t,
            "SELECT COALESCE(sum(quantity), 0)::int8 FROM order_items"
        )
        .await,
        3
    );
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn replays_return_the_original_order_and_never_charge_twice() {
    let t = TestApp::new().await;
    let user = t.verified("retry@example.com").await;
    let product = t.product("Cap", 1_000, 50).await;
    t.grant(user.id, 50_000).await;

    let first = t
        .place_order(&user, "key-A", order_body(&[(product, 2)]))
        .await;
    assert_eq!(first.status, 201);
    let wallet_after_first = t.wallet(user.id).await;
    // Same body with its keys in another order and extra whitespace is the same request.
    let replay = t
        .call(order_fns::create, "POST", "/v1/orders")
        .bearer(&user.access_token)
        .header("Idempotency-Key", "key-A")
        .raw_body(&format!(
            r#"{{ "shipping_address": {},  "items": [{{"quantity": 2, "product_id": "{product}"}}] }}"#,
            address()
        ))
        .send()
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(t.wallet(user.id).await, wallet_after_first);

    let different = t
        .place_order(&user, "key-A", order_body(&[(product, 3)]))
        .await;
    assert_eq!(
        (different.status, different.code()),
        (422, "idempotency_key_reused")
    );

    // Another user's identical key is their own.
    let other = t.verified("other@example.com").await;
    t.grant(other.id, 50_000).await;
    let theirs = t
        .place_order(&other, "key-A", order_body(&[(product, 2)]))
        .await;
    assert_eq!(theirs.status, 201);
    assert_ne!(theirs.body["id"], first.body["id"]);

    // Ten concurrent deliveries of one new request: one order, ten identical answers.
    let results =
        join_all((0..10).map(|_| t.place_order(&user, "key-B", order_body(&[(product, 1)])))).await;
    assert!(
        results.iter().all(|r| r.status == 201),
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert!(results
        .iter()
        .all(|r| r.body["id"] == results[0].body["id"]));
    let orders_of_user = count(
        &t,
        &format!("SELECT count(*) FROM orders WHERE user_id = '{}'", user.id),
    )
    .await;
    assert_eq!(orders_of_user, 2);
    assert_eq!(t.stock(product).await, 50 - 2 - 2 - 1);
    t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn users_cancel_their_own_open_orders_and_see_no_one_elses() {
    let t = TestApp::new().await;
    let owner = t.verified("owner@example.com").await;
    let stranger = t.verified("stranger@example.com").await;
    let product = t.product("Roller", 3_000, 5).await;
    t.grant(owner.id, 30_000).await;
    let order = t
        .place_order(&owner, "o-1", order_body(&[(product, 2)]))
        .await;
    let id = order.body["id"].as_str().unwrap().to_owned();

    // Another user's order does not exist for them, on every order endpoint.
    let get = t
        .call(order_fns::get, "GET", "/v1/orders/{id}")
        .bearer(&stranger.access_token)
        .param("id", &id)
        .send()
        .await;
    assert_eq!(get.status, 404);
    let cancel = t
        .call(order_fns::cancel, "POST", "/v1/orders/{id}/cancel")
        .bearer(&stranger.access_token)
        .param("id", &id)
        .send()
        .await;
    assert_eq!(cancel.status, 404);
    let list = t
        .call(order_fns::list, "GET", "/v1/orders")
        .bearer(&stranger.access_token)
        .send()
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(t.stock(product).await, 3);

    let (available_open, frozen_open, _) = t.wallet(owner.id).await;
    let cancelled = t
        .call(order_fns::cancel, "POST", "/v1/orders/{id}/cancel")
        .bearer(&owner.access_token)
        .param("id", &id)
        .send()
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(cancelled.body["cancelled_at"].is_string());
    assert_eq!(t.stock(product).await, 5);
    assert_eq!(
        t.wallet(owner.id).await,
        (available_open + 6_000, frozen_open - 6_000, 0)
    );
    let again = t
        .call(order_fns::cancel, "POST", "/v1/orders/{id}/cancel")
        .bearer(&owner.access_token)
        .param("id", &id)
        .send()
        .await;
    assert_eq!((again.status, again.code()), (409, "invalid_transition"));

    // Once processing, only staff can cancel.
    let second = t
        .place_order(&owner, "o-2", order_body(&[(product, 1)]))
        .await;
    let second_id: Uuid = second.body["id"].as_str().unwrap().parse().unwrap();
    for to in [Status::Confirmed, Status::Processing] {
        let mut tx = t.pool.begin().await.unwrap();
        let change = Change {
            to: Some(to),
            ..Change::default()
        };
        workflow::by_integration(&mut tx, ActorKind::System, second_id, &change, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let late = t
        .call(order_fns::cancel, "POST", "/v1/orders/{id}/cancel")
        .bearer(&owner.access_token)
        .param("id", second_id)
        .send()
        .await;
    assert_eq!((late.status, late.code()), (409, "invalid_transition"));
    t.assert_ledger_invariants().await;
}

/// Drives a fresh order to `from` along the workflow's main path (or cancels/refunds it).
async fn order_in(t: &TestApp, user: &User, product: Uuid, key: &str, from: Status) -> Uuid {
    let res = t.place_order(user, key, order_body(&[(product, 1)])).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id: Uuid = res.body["id"].as_str().unwrap().parse().unwrap();
    use Status::*;
    let path: &[Status] = match from {
        Pending => &[],
        Confirmed => &[Confirmed],
        Processing => &[Confirmed, Processing],
        Shipped => &[Confirmed, Processing, Shipped],
        Delivered => &[Confirmed, Processing, Shipped, Delivered],
        Cancelled => &[Cancelled],
        Refunded => &[Confirmed, Processing, Shipped, Refunded],
    };
    for to in path {
        let mut tx = t.pool.begin().await.unwrap();
        let change = Change {
            to: Some(*to),
            ..Change::default()
        };
        workflow::by_integration(&mut tx, ActorKind::System, id, &change, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    id
}

#[tokio::test]
async fn every_transition_of_the_state_machine_with_its_coin_and_stock_effects() {
    let t = TestApp::new().await;
    t.without_achievements().await;
    let user = t.verified("workflow@example.com").await;
    let price = 1_000;
    let product = t.product("Band", price, 1_000).await;
    t.grant(user.id, 1_000_000).await;
    let mut n = 0;
    for &from in Status::ALL {
        for &to in Status::ALL {
            if from == to {
                continue;
            }
            n += 1;
            let id = order_in(&t, &user, product, &format!("sm-{n}"), from).await;
            let wallet_before = t.wallet(user.id).await;
            let stock_before = t.stock(product).await;
            let mut tx = t.pool.begin().await.unwrap();
            let change = Change {
                to: Some(to),
                tracking_number: (to == Status::Shipped).then(|| "1Z999".to_owned()),
                notes: None,
                ..Change::default()
            };
            let result =
                workflow::by_integration(&mut tx, ActorKind::System, id, &change, None).await;
            let allowed = from.can_become(to);
            let expected_allowed = matches!(
                (from, to),
                (Status::Pending, Status::Confirmed)
                    | (Status::Confirmed, Status::Processing)
                    | (Status::Processing, Status::Shipped)
                    | (Status::Shipped, Status::Delivered)
                    | (
                        Status::Pending | Status::Confirmed | Status::Processing,
                        Status::Cancelled
                    )
                    | (Status::Shipped | Status::Delivered, Status::Refunded)
            );
            assert_eq!(allowed, expected_allowed, "{from:?} -> {to:?}");
            match result {
                Ok(workflow::Moved { before, after }) => {
                    assert!(allowed, "{from:?} -> {to:?} should be refused");
                    tx.commit().await.unwrap();
                    assert_eq!(before.order.status, from);
                    assert_eq!(after.order.status, to);
                    let (a0, f0, s0) = wallet_before;
                    let expected_wallet = match to {
                        Status::Cancelled => (a0 + price, f0 - price, s0),
                        Status::Shipped => (a0, f0 - price, s0 + price),
                        Status::Refunded => (a0 + price, f0, s0 - price),
                        _ => wallet_before,
                    };
                    assert_eq!(
                        t.wallet(user.id).await,
                        expected_wallet,
                        "{from:?} -> {to:?}"
                    );
                    let expected_stock = stock_before + i32::from(to == Status::Cancelled);
                    assert_eq!(t.stock(product).await, expected_stock, "{from:?} -> {to:?}");
                    let stamp = match to {
                        Status::Shipped => after.order.shipped_at,
                        Status::Delivered => after.order.delivered_at,
                        Status::Cancelled => after.order.cancelled_at,
                        Status::Refunded => after.order.refunded_at,
                        _ => Some(after.order.updated_at),
                    };
                    assert!(stamp.is_some(), "{from:?} -> {to:?} sets its timestamp");
                    if to == Status::Shipped {
                        assert_eq!(after.order.tracking_number.as_deref(), Some("1Z999"));
                    }
                }
                Err(e) => {
                    assert!(!allowed, "{from:?} -> {to:?} should be allowed: {e}");
                    assert_eq!(e.code(), "invalid_transition");
                    drop(tx);
                    assert_eq!(t.wallet(user.id).await, wallet_before);
                    assert_eq!(t.stock(product).await, stock_before);
                }
            }
        }
    }
    assert_eq!(n, 42);
    t.assert_ledger_invariants().await;
}
