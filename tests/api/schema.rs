//! The database after migrations holds every table of the original schema document (docs/schema.md), plus the seeded
//! settings (exactly the keys the code knows) and the 13 achievements.

use std::collections::{BTreeSet, HashMap};

use fitkart_tests::TestApp;

/// The original schema's tables and columns, verbatim.
const TABLES: &[(&str, &str)] = &[
    ("users", "id email password_hash full_name phone country_code profile_picture_url auth_provider provider_id bio is_active email_verified total_steps total_coins lifetime_coins_earned lifetime_coins_spent created_at updated_at last_login_at deleted_at"),
    ("refresh_tokens", "id user_id token expires_at created_at revoked_at"),
    ("wallets", "id user_id available_coins frozen_coins total_earned total_spent last_updated"),
    ("coin_transactions", "id user_id amount transaction_type reference_type reference_id description balance_before balance_after created_at"),
    ("step_records", "id user_id steps distance calories heart_points source recorded_date sync_token is_verified created_at updated_at"),
    ("step_validations", "id user_id step_record_id expected_steps reported_steps anomaly_score is_suspicious validation_reason reviewed_by_admin_id status created_at reviewed_at"),
    ("reward_products", "id shopify_product_id shopify_variant_id name description coin_price retail_price image_url stock_quantity category is_active popularity_rank synced_at created_at updated_at"),
    ("orders", "id user_id order_code total_coins status shipping_address tracking_number notes created_at updated_at shipped_at delivered_at cancelled_at"),
    ("order_items", "id order_id product_id quantity coin_price_at_purchase total_coins created_at"),
    ("achievements", "id code name description icon_url badge_color unlock_criteria reward_coins display_order is_active created_at updated_at"),
    ("user_achievements", "id user_id achievement_id unlocked_at"),
    ("leaderboard_cache", "id user_id rank total_steps week_starts_at period last_updated"),
    ("admin_logs", "id admin_id action entity_type entity_id changes ip_address user_agent created_at"),
    ("settings", "id key value description updated_by_admin_id updated_at"),
];

/// The original schema's indexes as (table, leading key expression, access method).
const INDEXES: &[(&str, &str, &str)] = &[
    ("users", "lower((email)::text)", "btree"),
    ("users", "auth_provider, provider_id", "btree"),
    ("users", "created_at", "btree"),
    ("coin_transactions", "user_id", "btree"),
    ("coin_transactions", "transaction_type", "btree"),
    ("coin_transactions", "created_at", "brin"),
    ("coin_transactions", "reference_type, reference_id", "btree"),
    ("step_records", "user_id, recorded_date", "btree"),
    ("step_records", "created_at", "btree"),
    ("step_records", "recorded_date", "brin"),
    ("admin_logs", "admin_id", "btree"),
    ("admin_logs", "entity_type, entity_id", "btree"),
    ("admin_logs", "action", "btree"),
    ("admin_logs", "created_at", "btree"),
];

#[tokio::test]
async fn every_table_and_column_of_the_schema_exists() {
    let t = TestApp::new().await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let mut columns: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (table, column) in rows {
        columns.entry(table).or_default().insert(column);
    }
    for (table, expected) in TABLES {
        let actual = columns
            .get(*table)
            .unwrap_or_else(|| panic!("table {table} is missing"));
        for column in expected.split(' ') {
            assert!(actual.contains(column), "{table}.{column} is missing");
        }
    }
}

#[tokio::test]
async fn the_listed_indexes_exist_including_partial_and_brin_ones() {
    let t = TestApp::new().await;
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        r#"SELECT t.relname::text, am.amname::text || ' ' || pg_get_indexdef(i.indexrelid), i.indpred IS NOT NULL
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ix ON ix.oid = i.indexrelid
           JOIN pg_am am ON am.oid = ix.relam JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE n.nspname = 'public'"#,
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    for (table, key, method) in INDEXES {
        let found = rows.iter().any(|(t, def, _)| {
            t == table && def.starts_with(method) && def.contains(&format!("USING {method} ({key}"))
        });
        assert!(found, "no {method} index on {table} ({key}...)");
    }
    let partial = rows.iter().filter(|(_, _, partial)| *partial).count();
    assert!(
        partial >= 4,
        "expected partial indexes (active users, live emails, pending queues), found {partial}"
    );
}

#[tokio::test]
async fn enumerations_and_uniqueness_are_enforced_by_the_database() {
    let t = TestApp::new().await;
    let checks: Vec<String> = sqlx::query_scalar(
        "SELECT conname::text FROM pg_constraint WHERE contype IN ('c', 'u') AND connamespace = 'public'::regnamespace",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    for name in [
        "users_auth_provider_check",
        "coin_transactions_transaction_type_check",
        "step_records_source_check",
        "step_validations_status_check",
        "orders_status_check",
        "leaderboard_cache_period_check",
        "users_role_check",
        "wallets_user_id_key",
        "step_records_user_id_recorded_date_key",
        "user_achievements_user_id_achievement_id_key",
        "leaderboard_cache_user_id_period_week_starts_at_key",
        "settings_key_key",
        "orders_order_code_key",
        "reward_products_shopify_key",
        "coin_transactions_balance_check",
    ] {
        assert!(
            checks.iter().any(|c| c == name),
            "constraint {name} is missing"
        );
    }
    let bad = sqlx::query("INSERT INTO users (email, full_name, auth_provider, provider_id) VALUES ('x@y.z', 'X', 'facebook', '1')")
        .execute(&t.pool)
        .await;
    assert!(bad.is_err(), "an unknown auth_provider was accepted");
}

#[tokio::test]
async fn the_three_views_answer() {
    let t = TestApp::new().await;
    t.register("viewer@example.com").await;
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM active_users")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(active, 1);
    sqlx::query("SELECT recorded_date, active_users, total_steps, avg_steps, max_steps FROM daily_step_summary")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    let (coins, streak): (i64, i64) =
        sqlx::query_as("SELECT total_coins, current_streak FROM user_stats")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!((coins, streak), (100, 0));
}

#[tokio::test]
async fn seeded_settings_are_exactly_the_registry_and_all_parse() {
    let t = TestApp::new().await;
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT key, value, description FROM settings")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    let seeded: BTreeSet<&str> = rows.iter().map(|(k, _, _)| k.as_str()).collect();
    let known: BTreeSet<&str> = fitkart::settings::REGISTRY.iter().map(|d| d.key).collect();
    assert_eq!(seeded, known);
    for (key, value, description) in &rows {
        assert!(
            description.as_deref().is_some_and(|d| !d.is_empty()),
            "{key} has no description"
        );
        let def = fitkart::settings::definition(key).unwrap();
        fitkart::settings::validate(def, &serde_json::Value::String(value.clone()))
            .unwrap_or_else(|e| panic!("seeded {key}={value} is invalid: {e}"));
        assert_eq!(
            value, def.default,
            "{key}: the seed and the registry's default differ"
        );
    }
    let settings = t.app.settings().await.unwrap();
    assert_eq!(settings.coins_per_step, rust_decimal::Decimal::ONE);
    assert_eq!(settings.daily_step_goal, 10_000);
    assert!(settings.anti_cheat_enabled);
    assert_eq!(settings.new_user_bonus_coins, 100);
}

#[tokio::test]
async fn the_thirteen_achievements_are_seeded_with_criteria() {
    let t = TestApp::new().await;
    let rows: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT code, unlock_criteria FROM achievements ORDER BY display_order")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    let codes: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        [
            "steps_1k",
            "steps_5k",
            "steps_10k",
            "steps_50k",
            "steps_100k",
            "streak_7",
            "streak_30",
            "streak_100",
            "early_bird",
            "night_owl",
            "consistency_month",
            "first_redemption",
            "collector"
        ]
    );
    assert!(rows
        .iter()
        .all(|(_, criteria)| criteria["type"].is_string()));
}
