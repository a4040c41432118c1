//! Orders reach the store and shipping comes back: the push to Shopify (through the real
//! queue on the emulator and the runner's Shopify stand-in) and Shopify's signed webhooks
//! through the public route, the queue and the state machine.

use fitkart::config::{SecretSource, ShopifyConfig};
use fitkart::orders::Status;
use fitkart::shopify::fulfilment::{self, Pushed};
use fitkart_functions::{admin, shopify as functions};
use fitkart_local::shopify::{sign, StandIn, LOCAL_TOKEN, LOCAL_WEBHOOK_SECRET};
use fitkart_tests::sqs::{self, TestQueue};
use fitkart_tests::{test_config, TestApp, User};
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    t: TestApp,
    store: StandIn,
    queue: TestQueue,
    sqs: aws_sdk_sqs::Client,
    boss: User,
    walker: User,
    product: Uuid,
}

/// A store, a queue (visibility 1 s, DLQ after `max_receives`), an admin and a walker
/// with coins and a product to redeem.
async fn world(max_receives: u32) -> World {
    let store = StandIn::start().await.unwrap();
    let sqs = sqs::client().await;
    let queue = TestQueue::create(&sqs, "shopify-process", 1, max_receives).await;
    let mut config = test_config();
    config.shopify = Some(ShopifyConfig {
        graphql_url: store.graphql_url.clone(),
        access_token: SecretSource::Value(LOCAL_TOKEN.into()),
    });
    config.shopify_orders_queue_url = Some(queue.url.clone());
    config.shopify_webhook_secret = Some(SecretSource::Value(LOCAL_WEBHOOK_SECRET.into()));
    let t = TestApp::with_config(config).await;
    let boss = t.admin("boss@example.com").await;
    let walker = t.verified("walker@example.com").await;
    t.joined_days_ago(walker.id, 30).await;
    let product = t.product("Trail Cap", 2_000, 10).await;
    t.grant(walker.id, 50_000).await;
    World {
        t,
        store,
        queue,
        sqs,
        boss,
        walker,
        product,
    }
}

impl World {
    async fn confirm(&self, order: Uuid) {
        let res = self
            .t
            .call(admin::update_order, "PATCH", "/v1/admin/orders/{id}")
            .bearer(&self.boss.access_token)
            .param("id", order)
            .json(json!({"status": "confirmed"}))
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
    }

    /// Runs the consumer over what the queue holds until it is empty (or `rounds` polls).
    async fn drain(&self, rounds: usize) -> Vec<String> {
        let mut failed = Vec::new();
        for _ in 0..rounds {
            let (count, failures) =
                sqs::poll_once(&self.sqs, &self.queue, self.t.app, functions::process).await;
            failed.extend(failures);
            if count == 0 {
                break;
            }
        }
        failed
    }

    async fn order_row(
        &self,
        order: Uuid,
    ) -> (String, Option<String>, Option<String>, Option<String>) {
        sqlx::query_as(
            "SELECT status, shopify_order_id, tracking_number, carrier FROM orders WHERE id = $1",
        )
        .bind(order)
        .fetch_one(&self.t.pool)
        .await
        .unwrap()
    }

    async fn code(&self, order: Uuid) -> String {
        sqlx::query_scalar("SELECT order_code FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(&self.t.pool)
            .await
            .unwrap()
    }

    /// Audit rows of the order by action and actor.
    async fn audit(&self, order: Uuid) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT action, actor FROM admin_logs WHERE entity_id = $1 ORDER BY created_at, id",
        )
        .bind(order)
        .fetch_all(&self.t.pool)
        .await
        .unwrap()
    }

    /// A placed and confirmed order that Shopify has (pushed through the queue).
    async fn pushed_order(&self, key: &str) -> (Uuid, String) {
        let order = self.t.order(&self.walker, key, &[(self.product, 2)]).await;
        self.confirm(order).await;
        assert!(self.drain(3).await.is_empty());
        (order, self.code(order).await)
    }

    /// `POST /v1/webhooks/shopify` signed with `key` (the right one unless a test says).
    async fn webhook_signed(
        &self,
        key: Option<&str>,
        id: &str,
        topic: &str,
        payload: &Value,
    ) -> fitkart_tests::TestResponse {
        let body = payload.to_string();
        let mut call = self
            .t
            .call(functions::webhook, "POST", "/v1/webhooks/shopify")
            .header("x-shopify-topic", topic)
            .header("x-shopify-webhook-id", id)
            .raw_body(&body);
        if let Some(key) = key {
            call = call.header("x-shopify-hmac-sha256", &sign(key, body.as_bytes()));
        }
        call.send().await
    }

    async fn webhook(&self, id: &str, topic: &str, payload: &Value) -> fitkart_tests::TestResponse {
        self.webhook_signed(Some(LOCAL_WEBHOOK_SECRET), id, topic, payload)
            .await
    }
}

#[tokio::test]
async fn a_confirmed_order_reaches_shopify_once_with_its_lines_address_and_code() {
    let w = world(5).await;
    let order = w.t.order(&w.walker, "k1", &[(w.product, 2)]).await;
    let code = w.code(order).await;
    w.confirm(order).await;
    assert_eq!(sqs::depth(&w.sqs, &w.queue.url).await, 1, "one push queued");
    assert!(w.drain(3).await.is_empty());

    let orders = w.store.orders();
    assert_eq!(orders.len(), 1);
    let input = &orders[0].input;
    assert_eq!(input["tags"], json!(["fitkart", code]));
    assert_eq!(input["email"], "walker@example.com");
    assert_eq!(input["financialStatus"], "PAID");
    assert_eq!(input["lineItems"][0]["quantity"], 2);
    let variant: String =
        sqlx::query_scalar("SELECT shopify_variant_id FROM reward_products WHERE id = $1")
            .bind(w.product)
            .fetch_one(&w.t.pool)
            .await
            .unwrap();
    assert_eq!(input["lineItems"][0]["variantId"], variant);
    assert_eq!(
        input["shippingAddress"]["zip"],
        fitkart_tests::address()["postal_code"]
    );

    let (status, shopify_id, _, _) = w.order_row(order).await;
    assert_eq!(
        status, "processing",
        "Shopify has it: the owner can no longer cancel"
    );
    assert_eq!(shopify_id.as_deref(), Some(orders[0].gid().as_str()));
    let cancel =
        w.t.call(
            fitkart_functions::orders::cancel,
            "POST",
            "/v1/orders/{id}/cancel",
        )
        .bearer(&w.walker.access_token)
        .param("id", order)
        .send()
        .await;
    assert_eq!(cancel.status, 409);

    // The same message delivered again changes nothing.
    assert_eq!(
        fulfilment::push(w.t.app, order).await.unwrap(),
        Pushed::AlreadyPushed
    );
    assert_eq!(w.store.orders().len(), 1);
    assert_eq!(
        w.audit(order).await,
        vec![
            ("order.update".into(), "admin".into()),
            ("order.update".into(), "shopify".into()),
            ("order.shopify_push".into(), "shopify".into()),
        ]
    );
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn concurrent_deliveries_of_one_push_create_one_shopify_order() {
    let w = world(5).await;
    let order = w.t.order(&w.walker, "k1", &[(w.product, 1)]).await;
    w.confirm(order).await;
    let results = futures::future::join_all((0..4).map(|_| fulfilment::push(w.t.app, order))).await;
    // One delivery pushes; the others find the push in flight (and are retried) or done.
    let created = results
        .iter()
        .filter(|r| matches!(r, Ok(Pushed::Created(_))))
        .count();
    assert_eq!(created, 1, "{results:?}");
    for result in &results {
        assert!(
            matches!(
                result,
                Ok(Pushed::Created(_) | Pushed::AlreadyPushed) | Err(_)
            ),
            "{result:?}"
        );
    }
    // The retried deliveries, and the queued message itself, find it done.
    assert!(w.drain(3).await.is_empty());
    assert_eq!(
        fulfilment::push(w.t.app, order).await.unwrap(),
        Pushed::AlreadyPushed
    );
    assert_eq!(w.store.orders().len(), 1);
}

#[tokio::test]
async fn a_push_that_died_before_recording_finds_its_shopify_order_by_tag() {
    let w = world(5).await;
    let (order, code) = w.pushed_order("k1").await;
    // As if the consumer had died between Shopify's answer and our commit.
    sqlx::query("UPDATE orders SET shopify_order_id = NULL WHERE id = $1")
        .bind(order)
        .execute(&w.t.pool)
        .await
        .unwrap();
    let again = fulfilment::push(w.t.app, order).await.unwrap();
    let in_store = w.store.order(&code).unwrap();
    assert_eq!(again, Pushed::Found(in_store.gid()));
    assert_eq!(w.store.orders().len(), 1, "no second Shopify order");
    assert_eq!(w.order_row(order).await.1, Some(in_store.gid()));
}

#[tokio::test]
async fn a_shopify_outage_retries_then_dead_letters_and_the_hourly_sweep_sends_it_again() {
    let w = world(2).await;
    let order = w.t.order(&w.walker, "k1", &[(w.product, 1)]).await;
    w.store.set_down(true);
    w.confirm(order).await;
    let before = w.store.requests();
    // Two receives fail (each after its own retries against Shopify), then the DLQ.
    let mut failures = 0;
    for _ in 0..20 {
        let (count, failed) = sqs::poll_once(&w.sqs, &w.queue, w.t.app, functions::process).await;
        failures += failed.len();
        if count == 0 && sqs::depth(&w.sqs, &w.queue.dlq_url).await == 1 {
            break;
        }
        sqs::until_visible(&w.sqs, &w.queue, 1).await;
    }
    assert_eq!(failures, 2);
    assert_eq!(sqs::depth(&w.sqs, &w.queue.dlq_url).await, 1, "in the DLQ");
    assert!(
        w.store.requests() >= before + 2,
        "Shopify was asked on each receive"
    );
    assert!(w.store.orders().is_empty());
    let (status, shopify_id, _, _) = w.order_row(order).await;
    assert_eq!(
        (status.as_str(), shopify_id),
        ("processing", None),
        "nothing lost, nothing doubled"
    );

    // Shopify is back; the hourly sweep finds the order (confirmed over 10 minutes ago).
    w.store.set_down(false);
    sqlx::query(
        "UPDATE orders SET shopify_push_requested_at = now() - interval '20 minutes' WHERE id = $1",
    )
    .bind(order)
    .execute(&w.t.pool)
    .await
    .unwrap();
    assert_eq!(fulfilment::requeue_unpushed(w.t.app).await.unwrap(), 1);
    assert!(w.drain(3).await.is_empty());
    assert_eq!(w.store.orders().len(), 1);
    assert!(w.order_row(order).await.1.is_some());
    // Nothing more to sweep.
    assert_eq!(fulfilment::requeue_unpushed(w.t.app).await.unwrap(), 0);
}

#[tokio::test]
async fn with_auto_confirm_on_a_new_order_goes_straight_to_shopify() {
    let w = world(5).await;
    w.t.set_setting("auto_confirm_orders", "true").await;
    let res =
        w.t.place_order(
            &w.walker,
            "k1",
            fitkart_tests::order_body(&[(w.product, 1)]),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["status"], "confirmed");
    let order: Uuid = res.body["id"].as_str().unwrap().parse().unwrap();
    assert!(w.drain(3).await.is_empty());
    assert_eq!(w.store.orders().len(), 1);
    assert_eq!(w.order_row(order).await.0, "processing");
    assert_eq!(
        w.audit(order).await[0],
        ("order.update".into(), "system".into())
    );
}

#[tokio::test]
async fn a_fulfilled_webhook_ships_the_order_with_tracking_once() {
    let w = world(5).await;
    let (order, code) = w.pushed_order("k1").await;
    let (_, frozen_before, spent_before) = w.t.wallet(w.walker.id).await;
    let payload = w.store.fulfil(&code, "UPS", "1Z999AA10123456784").unwrap();
    let res = w.webhook("wh-1", "orders/fulfilled", &payload).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["status"], "queued");
    assert!(w.drain(3).await.is_empty());

    let (status, _, tracking, carrier) = w.order_row(order).await;
    assert_eq!(status, "shipped");
    assert_eq!(tracking.as_deref(), Some("1Z999AA10123456784"));
    assert_eq!(carrier.as_deref(), Some("UPS"));
    let (_, frozen, spent) = w.t.wallet(w.walker.id).await;
    assert_eq!(frozen, frozen_before - 4_000, "the coins settled");
    assert_eq!(spent, spent_before + 4_000);
    let seen =
        w.t.call(fitkart_functions::orders::get, "GET", "/v1/orders/{id}")
            .bearer(&w.walker.access_token)
            .param("id", order)
            .send()
            .await;
    assert_eq!(seen.body["status"], "shipped");
    assert_eq!(seen.body["carrier"], "UPS");

    // Shopify redelivers the same webhook: acknowledged, nothing moves.
    let replay = w.webhook("wh-1", "orders/fulfilled", &payload).await;
    assert_eq!(replay.body["status"], "duplicate");
    assert_eq!(sqs::depth(&w.sqs, &w.queue.url).await, 0);
    // The same fulfilment announced under another topic: already shipped.
    let fulfilment = json!({"order_id": payload["id"], "status": "success",
                            "tracking_number": "1Z999AA10123456784", "tracking_company": "UPS"});
    w.webhook("wh-2", "fulfillments/create", &fulfilment).await;
    assert!(w.drain(3).await.is_empty());
    let shipments = w
        .audit(order)
        .await
        .into_iter()
        .filter(|(action, actor)| action == "order.update" && actor == "shopify")
        .count();
    assert_eq!(shipments, 2, "processing (the push) and shipped, once");
    let outcome: String =
        sqlx::query_scalar("SELECT outcome FROM shopify_webhooks WHERE webhook_id = 'wh-2'")
            .fetch_one(&w.t.pool)
            .await
            .unwrap();
    assert_eq!(outcome, "already shipped");

    // Delivered, as the carrier later reports it.
    let delivered = json!({"order_id": payload["id"], "status": "success",
                           "tracking_number": "1Z999AA10123456784", "shipment_status": "delivered"});
    w.webhook("wh-3", "fulfillments/update", &delivered).await;
    assert!(w.drain(3).await.is_empty());
    assert_eq!(w.order_row(order).await.0, "delivered");
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn a_webhook_with_a_bad_or_missing_signature_is_401_and_changes_nothing() {
    let w = world(5).await;
    let (order, code) = w.pushed_order("k1").await;
    let payload = w.store.fulfil(&code, "UPS", "1Z1").unwrap();
    let forged = w
        .webhook_signed(
            Some("not-the-app-secret"),
            "wh-1",
            "orders/fulfilled",
            &payload,
        )
        .await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.code(), "invalid_signature");
    let unsigned = w
        .webhook_signed(None, "wh-1", "orders/fulfilled", &payload)
        .await;
    assert_eq!(unsigned.status, 401);
    // A body changed after signing.
    let body = payload.to_string();
    let tampered =
        w.t.call(functions::webhook, "POST", "/v1/webhooks/shopify")
            .header("x-shopify-topic", "orders/cancelled")
            .header("x-shopify-webhook-id", "wh-2")
            .header(
                "x-shopify-hmac-sha256",
                &sign(LOCAL_WEBHOOK_SECRET, body.as_bytes()),
            )
            .raw_body(&body.replace("fitkart", "fitkart "))
            .send()
            .await;
    assert_eq!(tampered.status, 401);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM shopify_webhooks")
        .fetch_one(&w.t.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 0);
    assert_eq!(sqs::depth(&w.sqs, &w.queue.url).await, 0);
    assert_eq!(w.order_row(order).await.0, "processing");

    // Signed but not JSON, or not an object: a clear 4xx, nothing recorded.
    let not_json =
        w.t.call(functions::webhook, "POST", "/v1/webhooks/shopify")
            .header("x-shopify-topic", "orders/fulfilled")
            .header("x-shopify-webhook-id", "wh-3")
            .header(
                "x-shopify-hmac-sha256",
                &sign(LOCAL_WEBHOOK_SECRET, b"{oops"),
            )
            .raw_body("{oops")
            .send()
            .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(
        w.webhook("wh-4", "orders/fulfilled", &json!([1]))
            .await
            .status,
        422
    );
    assert_eq!(
        w.webhook("wh-5", "products/update", &json!({"id": 1}))
            .await
            .body["status"],
        "ignored"
    );
}

#[tokio::test]
async fn a_fulfilment_before_our_push_recorded_the_order_waits_and_then_applies() {
    let w = world(10).await;
    let (order, code) = w.pushed_order("k1").await;
    let shopify_id = w.order_row(order).await.1.unwrap();
    // Rewind: the push created the order in Shopify but has not recorded it yet.
    sqlx::query("UPDATE orders SET shopify_order_id = NULL WHERE id = $1")
        .bind(order)
        .execute(&w.t.pool)
        .await
        .unwrap();
    let numeric = shopify_id.rsplit('/').next().unwrap().to_owned();
    let fulfilment = json!({"order_id": numeric.parse::<u64>().unwrap(), "status": "success",
                            "tracking_number": "LX42", "tracking_company": "DHL"});
    assert_eq!(
        w.webhook("wh-1", "fulfillments/create", &fulfilment)
            .await
            .status,
        200
    );
    // Not applicable yet: the message is retried, the order waits.
    let failed = w.drain(1).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(w.order_row(order).await.0, "processing");
    // The push records the order (a redelivery finds it by tag); the webhook applies.
    assert_eq!(
        fulfilment::push(w.t.app, order).await.unwrap(),
        Pushed::Found(shopify_id)
    );
    sqs::until_visible(&w.sqs, &w.queue, 1).await;
    assert!(w.drain(3).await.is_empty());
    let (status, _, tracking, carrier) = w.order_row(order).await;
    assert_eq!(
        (status.as_str(), tracking.as_deref(), carrier.as_deref()),
        ("shipped", Some("LX42"), Some("DHL"))
    );
    let _ = code;
}

#[tokio::test]
async fn a_fulfilled_webhook_for_an_order_still_confirmed_here_walks_it_forward() {
    let w = world(5).await;
    let order = w.t.order(&w.walker, "k1", &[(w.product, 1)]).await;
    // Confirmed, and its push not yet run (confirmed directly, so no message is queued).
    w.t.advance_order(order, Status::Confirmed).await;
    // Shopify already has it (a push that died before recording) and staff ship it
    // before our consumer ran: the webhook names our code in its tags.
    let code = w.code(order).await;
    let payload = json!({
        "id": 777, "admin_graphql_api_id": "gid://shopify/Order/777", "tags": format!("fitkart, {code}"),
        "fulfillments": [{"status": "success", "tracking_number": "1Z7", "tracking_company": "UPS"}],
    });
    w.webhook("wh-1", "orders/fulfilled", &payload).await;
    assert!(w.drain(3).await.is_empty());
    let (status, shopify_id, tracking, _) = w.order_row(order).await;
    assert_eq!(status, "shipped");
    assert_eq!(tracking.as_deref(), Some("1Z7"));
    assert_eq!(
        shopify_id.as_deref(),
        Some("gid://shopify/Order/777"),
        "learned from the webhook"
    );
    // The push, when its message comes, finds the order done and creates none.
    assert_eq!(
        fulfilment::push(w.t.app, order).await.unwrap(),
        Pushed::AlreadyPushed
    );
    assert!(w.store.orders().is_empty());
    assert_eq!(
        w.audit(order)
            .await
            .iter()
            .filter(|(_, actor)| actor == "shopify")
            .count(),
        2,
        "confirmed -> processing -> shipped, each audited"
    );
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn shopify_cancels_before_shipping_refund_the_coins_and_after_shipping_need_a_person() {
    let w = world(5).await;
    let (before_cancel, code) = w.pushed_order("k1").await;
    let (available_before, _, _) = w.t.wallet(w.walker.id).await;
    let stock_before = w.t.stock(w.product).await;
    let cancelled = w.store.cancel(&code).unwrap();
    w.webhook("wh-1", "orders/cancelled", &cancelled).await;
    assert!(w.drain(3).await.is_empty());
    assert_eq!(w.order_row(before_cancel).await.0, "cancelled");
    let (available, _, _) = w.t.wallet(w.walker.id).await;
    assert_eq!(available, available_before + 4_000, "coins refunded");
    assert_eq!(w.t.stock(w.product).await, stock_before + 2);

    // Shipped first, then cancelled in Shopify: the workflow refuses, a person decides.
    let (shipped, code) = w.pushed_order("k2").await;
    let fulfilled = w.store.fulfil(&code, "UPS", "1Z2").unwrap();
    w.webhook("wh-2", "orders/fulfilled", &fulfilled).await;
    assert!(w.drain(3).await.is_empty());
    let wallet_before = w.t.wallet(w.walker.id).await;
    let cancelled = w.store.cancel(&code).unwrap();
    w.webhook("wh-3", "orders/cancelled", &cancelled).await;
    assert!(w.drain(3).await.is_empty(), "refused is final, not retried");
    assert_eq!(w.order_row(shipped).await.0, "shipped");
    assert_eq!(
        w.t.wallet(w.walker.id).await,
        wallet_before,
        "no coins moved"
    );
    let refused = w.audit(shipped).await;
    assert_eq!(
        refused.last().unwrap(),
        &("order.shopify_refused".to_owned(), "shopify".to_owned())
    );
    // The console's audit log shows it, with the integration as the actor.
    let log =
        w.t.call(admin::list_logs, "GET", "/v1/admin/logs")
            .bearer(&w.boss.access_token)
            .query("action", "order.shopify_refused")
            .send()
            .await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert_eq!(log.body["items"][0]["actor"], "shopify");
    assert!(log.body["items"][0]["admin_email"].is_null());
    assert!(log.body["items"][0]["changes"]["after"]["reason"]
        .as_str()
        .unwrap()
        .contains("shipped"));
    w.t.assert_ledger_invariants().await;
}

#[tokio::test]
async fn webhooks_for_the_stores_own_orders_are_acknowledged_and_left_alone() {
    let w = world(5).await;
    let theirs = json!({"id": 9, "admin_graphql_api_id": "gid://shopify/Order/9", "tags": "wholesale",
                        "fulfillments": [{"status": "success"}]});
    w.webhook("wh-1", "orders/fulfilled", &theirs).await;
    w.webhook(
        "wh-2",
        "fulfillments/create",
        &json!({"order_id": 9, "status": "success"}),
    )
    .await;
    assert!(w.drain(3).await.is_empty());
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM shopify_webhooks ORDER BY webhook_id")
            .fetch_all(&w.t.pool)
            .await
            .unwrap();
    assert_eq!(outcomes, ["not a FitKart order", "not a FitKart order"]);
}

#[tokio::test]
async fn once_shopify_has_an_order_the_catalog_sync_stops_subtracting_it() {
    let w = world(5).await;
    // The product is the stand-in's water bottle: 40 in Shopify's inventory.
    sqlx::query(
        "UPDATE reward_products SET shopify_variant_id = 'gid://shopify/ProductVariant/100',
                                    shopify_product_id = 'gid://shopify/Product/1', stock_quantity = 40
         WHERE id = $1",
    )
    .bind(w.product)
    .execute(&w.t.pool)
    .await
    .unwrap();
    let order = w.t.order(&w.walker, "k1", &[(w.product, 2)]).await;
    fitkart::shopify::sync(w.t.app).await.unwrap();
    assert_eq!(
        w.t.stock(w.product).await,
        38,
        "our open order holds two units"
    );
    w.confirm(order).await;
    assert!(w.drain(3).await.is_empty());
    fitkart::shopify::sync(w.t.app).await.unwrap();
    // Shopify's own inventory counts the order now (the stand-in's does not move, which
    // makes the difference visible): subtracting it again would hide two units.
    assert_eq!(w.t.stock(w.product).await, 40);
}
