//! Test support: a fresh Postgres database per test (cloned from a migrated template),
//! an `App` over it, real lambda_http requests built from API Gateway v2 events, and the
//! one ledger-invariant checker every money-moving test ends with.

pub mod bench;
pub mod db;
pub mod ledger;
pub mod mail;
pub mod request;
pub mod spec;
pub mod sqs;

use std::future::Future;

use fitkart::config::{Config, MailConfig, SecretSource};
use fitkart::http::{Request, Response};
use fitkart::App;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

pub use request::{Call, TestResponse};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

/// The configuration every test app uses; tests tweak fields before building.
pub fn test_config() -> Config {
    Config {
        database_url: "postgres://unused".into(),
        db_auth: fitkart::config::DbAuth::Url,
        db_pool_max: 10,
        db_acquire_timeout: std::time::Duration::from_secs(10),
        jwt_secret: SecretSource::Value(JWT_SECRET.into()),
        jwt_previous_secret: None,
        jwt_issuer: "fitkart".into(),
        jwt_audience: "fitkart-app".into(),
        access_token_ttl: std::time::Duration::from_secs(900),
        refresh_token_ttl: std::time::Duration::from_secs(30 * 86_400),
        bcrypt_cost: 4,
        step_validation_queue_url: None,
        coin_credit_queue_url: None,
        google_jwks_url: "http://127.0.0.1:1/google".into(),
        apple_jwks_url: "http://127.0.0.1:1/apple".into(),
        google_client_ids: vec![
            "google-ios".into(),
            "google-android".into(),
            "google-web".into(),
        ],
        apple_client_ids: vec!["com.fitkart.app".into()],
        jwks_refetch_interval: std::time::Duration::from_secs(10),
        shopify: None,
        shopify_orders_queue_url: None,
        shopify_webhook_secret: None,
        push: Default::default(),
        notification_queue_url: None,
        mail: Some(MailConfig {
            from: mail::SENDER.into(),
            link_base_url: mail::LINK_BASE.into(),
            configuration_set: None,
        }),
    }
}

/// One test's world: its own database and an `App` over it.
pub struct TestApp {
    pub app: &'static App,
    pub pool: PgPool,
    pub database: db::TestDatabase,
    /// Where this app's mailed links start (unique per test; see `mail::LINK_BASE`).
    pub link_base: String,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(test_config()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let (pool, database) = db::fresh_database().await;
        let app_pool = database
            .app_pool(sqlx::postgres::PgPoolOptions::new().max_connections(10))
            .await;
        Self::over(config, pool, app_pool, database).await
    }

    /// A test app whose functions get a pool of `connections`, as `DB_POOL_MAX` gives them
    /// in Lambda (with a short acquire timeout, so needing one more is a quick failure).
    pub async fn with_pool_size(config: Config, connections: u32) -> Self {
        let options = sqlx::postgres::PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(std::time::Duration::from_secs(3));
        let (pool, database) = db::fresh_database().await;
        let app_pool = database.app_pool(options).await;
        Self::over(config, pool, app_pool, database).await
    }

    /// A test app whose functions connect to Postgres directly, not through the pooler:
    /// for a test that reads what the functions' own sessions did (their statistics).
    pub async fn direct(config: Config) -> Self {
        let (pool, database) = db::fresh_database().await;
        Self::over(config, pool.clone(), pool, database).await
    }

    /// `pool` is the test's own (direct); `app_pool` the functions' (through the pooler
    /// when there is one, as RDS Proxy is in AWS).
    async fn over(
        mut config: Config,
        pool: PgPool,
        app_pool: PgPool,
        database: db::TestDatabase,
    ) -> Self {
        // The functions' own log lines (an internal error's cause, say) in the test's
        // output, which nextest shows when a test fails.
        static LOGS: std::sync::Once = std::sync::Once::new();
        LOGS.call_once(lambda_http::tracing::init_default_subscriber);
        mail::verify_sender().await;
        let link_base = format!("https://{}.app.fitkart.test", Uuid::new_v4().simple());
        if let Some(mail) = config.mail.as_mut() {
            if mail.link_base_url == mail::LINK_BASE {
                mail.link_base_url = link_base.clone();
            }
        }
        let app: &'static App = Box::leak(Box::new(App::with_pool(config, app_pool)));
        Self {
            app,
            pool,
            database,
            link_base,
        }
    }

    /// The current instant by the app's clock (`fitkart::clock`), which the test can set.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.app.now()
    }

    /// Today's date in UTC by the app's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.app.clock.today_utc()
    }

    /// The token in the newest mail this app sent to `address` linking to `screen`
    /// (`verify-email`, `reset-password`).
    pub async fn mailed_token(&self, address: &str, screen: &str) -> String {
        mail::last_token(&self.link_base, address, screen).await
    }

    /// A request to `handler`, as API Gateway would deliver it.
    pub fn call<H, Fut>(&self, handler: H, method: &str, path: &str) -> Call<H>
    where
        H: Fn(&'static App, Request) -> Fut + Copy,
        Fut: Future<Output = fitkart::Result<Response>>,
    {
        Call::new(self.app, handler, method, path)
    }

    /// Registers an account through the real handler, from its own network (each call a
    /// different source IP, as people sign up: the per-IP registration limit is tested
    /// on its own).
    pub async fn register(&self, email: &str) -> User {
        self.register_in(email, "UTC").await
    }

    /// Registers an account that lives in `timezone` (its days are counted there from
    /// the start).
    pub async fn register_in(&self, email: &str, timezone: &str) -> User {
        let res = self.sign_up(email, timezone, None).await;
        assert_eq!(res.status, 201, "register failed: {}", res.body);
        User::from_session(&res.body)
    }

    /// Registers an account from a phone set to `accept_language` (the header every
    /// request of the app carries), and confirms its email.
    pub async fn verified_speaking(&self, email: &str, accept_language: &str) -> User {
        let res = self
            .sign_up(email, "Europe/Berlin", Some(accept_language))
            .await;
        assert_eq!(res.status, 201, "register failed: {}", res.body);
        self.confirm_email(email).await;
        User::from_session(&res.body)
    }

    /// `POST /v1/auth/register`, each call from its own source IP.
    pub async fn sign_up(
        &self,
        email: &str,
        timezone: &str,
        accept_language: Option<&str>,
    ) -> TestResponse {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut call = self
            .call(
                fitkart_functions::auth::register,
                "POST",
                "/v1/auth/register",
            )
            .source_ip(&format!("198.18.{}.{}", (n >> 8) & 255, n & 255));
        if let Some(language) = accept_language {
            call = call.header("accept-language", language);
        }
        call.json(
            json!({"email": email, "password": PASSWORD, "full_name": "Test Walker",
                     "timezone": timezone}),
        )
        .send()
        .await
    }

    /// Registers an account and confirms its email through the mailed link, the way a
    /// person would.
    pub async fn verified(&self, email: &str) -> User {
        let user = self.register(email).await;
        self.confirm_email(email).await;
        user
    }

    /// Confirms `email` with the token of the newest verification mail sent to it.
    pub async fn confirm_email(&self, email: &str) {
        let token = self.mailed_token(email, "verify-email").await;
        let res = self
            .call(
                fitkart_functions::auth::verify_email,
                "POST",
                "/v1/auth/email/verify",
            )
            .json(json!({ "token": token }))
            .send()
            .await;
        assert_eq!(res.status, 200, "verification failed: {}", res.body);
    }

    /// Registers an account with a confirmed email and makes it an admin (the way the
    /// operator's `admin-bootstrap` does, in SQL), then sets up its authenticator and
    /// signs in with its code, as an admin must before any admin route.
    pub async fn admin(&self, email: &str) -> User {
        let user = self.verified(email).await;
        sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1")
            .bind(user.id)
            .execute(&self.pool)
            .await
            .unwrap();
        let signed_in = self.login(email).await;
        self.enrol_authenticator(&signed_in).await
    }

    /// Sets up `user`'s authenticator through the real routes (a secret, then its first
    /// code) and returns the user signed in with the second factor, holding the secret.
    pub async fn enrol_authenticator(&self, user: &User) -> User {
        let res = self
            .call(
                fitkart_functions::me::enrol_authenticator,
                "POST",
                "/v1/me/mfa/totp",
            )
            .bearer(&user.access_token)
            .send()
            .await;
        assert_eq!(res.status, 201, "enrolment refused: {}", res.body);
        let secret = res.body["secret"].as_str().unwrap().to_owned();
        // The current step's code: still accepted if the step turns before it arrives
        // (the verifier takes one step either side). `fresh_code` goes on after it.
        let step = self.now().timestamp() / 30;
        used_totp_steps().insert(secret.clone(), step);
        let code = fitkart::accounts::mfa::code_at_step(&secret, step).unwrap();
        let res = self
            .call(
                fitkart_functions::me::confirm_authenticator,
                "POST",
                "/v1/me/mfa/totp/confirm",
            )
            .bearer(&user.access_token)
            .json(json!({ "code": code }))
            .send()
            .await;
        assert_eq!(res.status, 200, "confirmation refused: {}", res.body);
        let mut enrolled = User::from_session(&res.body);
        enrolled.totp_secret = Some(secret);
        enrolled.recovery_codes = res.body["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        enrolled
    }

    /// A code of `user`'s authenticator the account has not used yet. A code's time step
    /// is accepted once, and the verifier takes one step either side of now, so each call
    /// takes the next step after the last one used, as an admin typing codes in a row
    /// would; when that would be two steps ahead, the app's clock is moved on to the next
    /// step rather than the test waiting for it.
    pub async fn fresh_code(&self, user: &User) -> String {
        let secret = user
            .totp_secret
            .as_deref()
            .expect("an admin with an authenticator");
        let now_step = || self.now().timestamp() / 30;
        let step = {
            let mut used_steps = used_totp_steps();
            // An authenticator enrolled elsewhere: as if its last code were a step ago.
            let used = used_steps.get(secret).copied().unwrap_or(now_step() - 1);
            let step = used.max(now_step() - 1) + 1;
            used_steps.insert(secret.to_owned(), step);
            step
        };
        if step > now_step() + 1 {
            let next_step = chrono::DateTime::from_timestamp((step - 1) * 30, 0).unwrap();
            self.app.clock.advance(next_step - self.now());
        }
        fitkart::accounts::mfa::code_at_step(secret, step).unwrap()
    }

    /// Signs in an admin who set up an authenticator earlier, with password and code, as
    /// the console does (the test reads the secret the admin's phone holds).
    pub async fn admin_session(&self, email: &str) -> User {
        let mut user = self.login(email).await;
        user.totp_secret = Some(
            sqlx::query_scalar("SELECT secret FROM mfa_totp WHERE user_id = $1")
                .bind(user.id)
                .fetch_one(&self.pool)
                .await
                .unwrap(),
        );
        self.second_factor(&user).await
    }

    /// Signs `user` (an enrolled admin signed in with a password) in with the second
    /// factor: the session admin routes need.
    pub async fn second_factor(&self, user: &User) -> User {
        let res = self
            .call(
                fitkart_functions::auth::second_factor,
                "POST",
                "/v1/auth/mfa",
            )
            .bearer(&user.access_token)
            .json(json!({ "code": self.fresh_code(user).await }))
            .send()
            .await;
        assert_eq!(res.status, 200, "second factor refused: {}", res.body);
        let mut signed_in = User::from_session(&res.body);
        signed_in.totp_secret = user.totp_secret.clone();
        signed_in
    }

    /// Lets one admin do, alone, what otherwise waits for a second: for tests of what an
    /// admin action does rather than who may take it (tests/api/gates.rs has that).
    pub async fn lift_admin_budgets(&self) {
        for key in [
            "coin_adjust_four_eyes_above",
            "admin_alone_coins_day",
            "admin_alone_coins_beneficiary_day",
        ] {
            self.set_setting(key, "100000000").await;
        }
    }

    /// A second admin of long standing (promoted a month ago), made on first use: who
    /// approves what one admin may not do alone.
    pub async fn second_admin(&self) -> User {
        let email = "second.admin@example.com";
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
                .bind(email)
                .fetch_one(&self.pool)
                .await
                .unwrap();
        let admin = if exists {
            self.admin_session(email).await
        } else {
            self.admin(email).await
        };
        sqlx::query("UPDATE users SET admin_granted_at = now() - interval '30 days' WHERE id = $1")
            .bind(admin.id)
            .execute(&self.pool)
            .await
            .unwrap();
        admin
    }

    /// `reviewer` decides held day `validation` ("approve" or "reject") with `note`; an
    /// approval worth more than one admin moves alone waits for `second_admin`, who
    /// approves it here. Returns the final answer.
    pub async fn review_day(
        &self,
        reviewer: &User,
        validation: Uuid,
        decision: &str,
        note: &str,
    ) -> TestResponse {
        let res = self
            .call(
                fitkart_functions::admin::review_validation,
                "POST",
                "/v1/admin/validations/{id}/review",
            )
            .bearer(&reviewer.access_token)
            .param("id", validation)
            .json(json!({ "decision": decision, "note": note }))
            .send()
            .await;
        if res.status != 202 {
            return res;
        }
        let second = self.second_admin().await;
        self.approve(&second, &res).await
    }

    /// Approves the change request `requested` answered (a `202`) as `approver`, with a
    /// fresh code of their authenticator, the way a second admin does.
    pub async fn approve(&self, approver: &User, requested: &TestResponse) -> TestResponse {
        assert_eq!(
            requested.status, 202,
            "not a change request: {}",
            requested.body
        );
        let id = requested.body["id"].as_str().unwrap().to_owned();
        self.call(
            fitkart_functions::admin::approve_change_request,
            "POST",
            "/v1/admin/change-requests/{id}/approve",
        )
        .bearer(&approver.access_token)
        .param("id", id)
        .json(json!({ "code": self.fresh_code(approver).await }))
        .send()
        .await
    }

    pub async fn login(&self, email: &str) -> User {
        let res = self
            .call(fitkart_functions::auth::login, "POST", "/v1/auth/login")
            .json(json!({"email": email, "password": PASSWORD}))
            .send()
            .await;
        assert_eq!(res.status, 200, "login failed: {}", res.body);
        User::from_session(&res.body)
    }

    /// A test app wired to fresh validation and credit queues on the emulator.
    pub async fn with_pipeline() -> (Self, Pipeline) {
        let (config, pipeline) = Pipeline::create().await;
        (Self::with_config(config).await, pipeline)
    }

    /// Moves the account's sign-up `days` into the past, as if it had joined then (a test
    /// cannot wait weeks; earning starts at sign-up).
    pub async fn joined_days_ago(&self, user: Uuid, days: i32) {
        sqlx::query(
            "UPDATE users SET created_at = now() - make_interval(days => $2),
                              signup_date = ((now() - make_interval(days => $2)) AT TIME ZONE timezone)::date
             WHERE id = $1",
        )
        .bind(user)
        .bind(days)
        .execute(&self.pool)
        .await
        .unwrap();
        // The phone and country it has now, it has had since then.
        sqlx::query(
            "UPDATE profile_history SET set_at = now() - make_interval(days => $2) WHERE user_id = $1",
        )
        .bind(user)
        .bind(days)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// `user` walked 8,000 verified steps on each of the 14 days from 24 to 10 days ago:
    /// the history an account needs to send coins to others.
    pub async fn walked_two_weeks(&self, user: Uuid) {
        // One today for all of them: a run crossing midnight would otherwise walk a day twice.
        let today = now().date_naive();
        for n in 10..24 {
            self.walked(user, today - chrono::Days::new(n), 8_000).await;
        }
    }

    /// `a` and `b` are friends, as of `days` ago.
    pub async fn friends_for(&self, a: &User, b: &User, days: i32) {
        self.befriend(a, b).await;
        sqlx::query(
            "UPDATE friendships SET created_at = now() - make_interval(days => $3)
             WHERE (user_a, user_b) = (LEAST($1::uuid, $2::uuid), GREATEST($1::uuid, $2::uuid))",
        )
        .bind(a.id)
        .bind(b.id)
        .bind(days)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// Deactivates the account the way an admin does (its sessions end).
    pub async fn deactivate(&self, user: Uuid) {
        let mut tx = self.pool.begin().await.unwrap();
        let change = fitkart::accounts::AccountState {
            is_active: Some(false),
            role: None,
        };
        fitkart::accounts::set_state(&mut tx, user, change)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// Takes a reward off the catalog (as Shopify's archiving does at the next sync).
    pub async fn withdraw_product(&self, product: Uuid) {
        sqlx::query!(
            "UPDATE reward_products SET is_active = false WHERE id = $1",
            product
        )
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// Switches every achievement off, for tests that need a balance no bonus refills.
    pub async fn without_achievements(&self) {
        sqlx::query!("UPDATE achievements SET is_active = false")
            .execute(&self.pool)
            .await
            .unwrap();
    }

    pub async fn balance(&self, user: Uuid) -> i64 {
        sqlx::query_scalar("SELECT available_coins FROM wallets WHERE user_id = $1")
            .bind(user)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    pub async fn set_setting(&self, key: &str, value: &str) {
        let updated = sqlx::query("UPDATE settings SET value = $2 WHERE key = $1")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .unwrap();
        assert_eq!(updated.rows_affected(), 1, "no setting {key}");
    }

    /// A verified and credited day of `steps`, as the pipeline leaves it (without coins:
    /// tests of leaderboards, stats and achievements need the steps, not the payment).
    pub async fn walked(&self, user: Uuid, date: chrono::NaiveDate, steps: i64) {
        self.walked_hourly(user, date, steps, None).await;
    }

    /// The codes of the user's unlocked achievements, in display order.
    pub async fn unlocked_achievements(&self, user: Uuid) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT a.code FROM user_achievements ua JOIN achievements a ON a.id = ua.achievement_id
             WHERE ua.user_id = $1 ORDER BY a.display_order",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    pub async fn walked_hourly(
        &self,
        user: Uuid,
        date: chrono::NaiveDate,
        steps: i64,
        hourly: Option<Vec<i32>>,
    ) {
        let mut tx = self.pool.begin().await.unwrap();
        sqlx::query(
            "WITH day AS (
                 INSERT INTO step_records (user_id, steps, source, recorded_date, status, is_verified,
                                           verified_steps, credited_steps, hourly_steps)
                 VALUES ($1, $2, 'health_kit', $3, 'verified', true, $2, $2, $4)
             )
             UPDATE users SET total_steps = total_steps + $2 WHERE id = $1",
        )
        .bind(user)
        .bind(steps)
        .bind(date)
        .bind(hourly)
        .execute(&mut *tx)
        .await
        .unwrap();
        // The leaderboards' totals move as crediting moves them.
        fitkart::leaderboard::count_credited(&mut tx, &[(user, date, steps)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// `PATCH /v1/me/privacy` as `user`, with any body.
    pub async fn privacy(&self, user: &User, body: Value) -> TestResponse {
        self.call(
            fitkart_functions::social::update_privacy,
            "PATCH",
            "/v1/me/privacy",
        )
        .bearer(&user.access_token)
        .json(body)
        .send()
        .await
    }

    /// `POST /v1/steps/sync` as `user`, with any body.
    pub async fn sync(&self, user: &User, body: Value) -> TestResponse {
        self.call(fitkart_functions::steps::sync, "POST", "/v1/steps/sync")
            .bearer(&user.access_token)
            .json(body)
            .send()
            .await
    }

    /// `user` syncs `entries` (from `device`, if given), and the sync is accepted: returns
    /// its body (the records).
    pub async fn sync_days(&self, user: &User, device: Option<&str>, entries: Vec<Value>) -> Value {
        let mut body = serde_json::json!({ "entries": entries });
        if let Some(device) = device {
            body["device_id"] = serde_json::json!(device);
        }
        let res = self.sync(user, body).await;
        assert_eq!(res.status, 202, "{}", res.body);
        res.body
    }

    /// `POST /v1/orders` as `user` with the `Idempotency-Key` `key`.
    pub async fn place_order(&self, user: &User, key: &str, body: Value) -> TestResponse {
        self.call(fitkart_functions::orders::create, "POST", "/v1/orders")
            .bearer(&user.access_token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
    }

    /// An order that must be placed: `lines` of (product, quantity); returns its id.
    pub async fn order(&self, user: &User, key: &str, lines: &[(Uuid, i64)]) -> Uuid {
        let res = self.place_order(user, key, order_body(lines)).await;
        assert_eq!(res.status, 201, "order refused: {}", res.body);
        res.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Moves an order through the workflow to `to` (confirmed, processing, shipped, ...)
    /// one allowed step at a time, as the store's integration would.
    pub async fn advance_order(&self, order: Uuid, to: fitkart::orders::Status) {
        use fitkart::audit::ActorKind;
        use fitkart::orders::{workflow, Change, Status};
        let path = [
            Status::Confirmed,
            Status::Processing,
            Status::Shipped,
            Status::Delivered,
        ];
        let steps: Vec<Status> = match path.iter().position(|s| *s == to) {
            Some(i) => path[..=i].to_vec(),
            None => vec![to],
        };
        for status in steps {
            let mut tx = self.pool.begin().await.unwrap();
            let change = Change {
                to: Some(status),
                tracking_number: None,
                notes: None,
                ..Change::default()
            };
            match workflow::by_integration(&mut tx, ActorKind::System, order, &change, None).await {
                Ok(_) => tx.commit().await.unwrap(),
                // Already past this step.
                Err(fitkart::Error::Conflict { .. }) => {}
                Err(e) => panic!("{status:?}: {e}"),
            }
        }
    }

    /// A reward product, as the catalog sync would leave it.
    pub async fn product(&self, name: &str, coin_price: i64, stock: i32) -> Uuid {
        sqlx::query_scalar(
            "INSERT INTO reward_products (shopify_product_id, shopify_variant_id, name, coin_price,
                                         retail_price, stock_quantity, category)
             SELECT 'test-' || v, 'test-' || v || '-1', $1, $2, $2 / 10000.0, $3, 'gear'
             FROM gen_random_uuid() v RETURNING id",
        )
        .bind(name)
        .bind(coin_price)
        .bind(stock)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    pub async fn stock(&self, product: Uuid) -> i32 {
        sqlx::query_scalar("SELECT stock_quantity FROM reward_products WHERE id = $1")
            .bind(product)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Gives `user` coins through the real ledger (a `bonus` row).
    pub async fn grant(&self, user: Uuid, coins: i64) {
        let mut tx = self.pool.begin().await.unwrap();
        fitkart::ledger::post(
            &mut tx,
            &fitkart::ledger::Posting {
                user_id: user,
                amount: coins,
                tx_type: fitkart::ledger::TxType::Bonus,
                reference: None,
                description: "test grant".into(),
                coins_per_step: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// (available, frozen, total_spent) of a wallet.
    pub async fn wallet(&self, user: Uuid) -> (i64, i64, i64) {
        sqlx::query_as(
            "SELECT available_coins, frozen_coins, total_spent FROM wallets WHERE user_id = $1",
        )
        .bind(user)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// `b` asks to be `a`'s friend through a link of `a`'s; `a` has not answered.
    pub async fn friend_request(&self, a: &User, b: &User) {
        use fitkart_functions::social;
        let link = self
            .call(social::create_invite, "POST", "/v1/invites")
            .bearer(&a.access_token)
            .json(json!({}))
            .send()
            .await;
        assert_eq!(link.status, 201, "{}", link.body);
        let asked = self
            .call(social::redeem_invite, "POST", "/v1/redemptions")
            .bearer(&b.access_token)
            .json(json!({ "code": link.body["code"] }))
            .send()
            .await;
        assert_eq!(asked.status, 201, "{}", asked.body);
    }

    /// `a` and `b` become friends the way people do: `b` redeems `a`'s invite link and `a`
    /// accepts the request.
    pub async fn befriend(&self, a: &User, b: &User) {
        use fitkart_functions::social;
        self.friend_request(a, b).await;
        let requests = self
            .call(social::list_friend_requests, "GET", "/v1/friend-requests")
            .bearer(&a.access_token)
            .send()
            .await;
        let accepted = self
            .call(
                social::accept_friend_request,
                "POST",
                "/v1/friend-requests/{id}/accept",
            )
            .bearer(&a.access_token)
            .param("id", requests.body["incoming"][0]["id"].as_str().unwrap())
            .send()
            .await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
    }

    /// Moves challenge `id` `days` into the past, as if it had been created then (a test
    /// cannot wait for midnights), the way the local runner's time travel does.
    pub async fn challenge_moved_back(&self, id: Uuid, days: i32) {
        fitkart_local::clock::move_challenge_back(&self.pool, id, days)
            .await
            .unwrap()
            .expect("the challenge exists");
    }

    /// Asserts every ledger invariant of docs/pipeline-and-ledger.md over the whole database.
    pub async fn assert_ledger_invariants(&self) {
        ledger::assert_invariants(&self.pool).await;
    }
}

/// The two queues of the step pipeline and a client for them.
pub struct Pipeline {
    pub sqs: aws_sdk_sqs::Client,
    pub validation: sqs::TestQueue,
    pub credit: sqs::TestQueue,
}

impl Pipeline {
    /// Fresh validation and credit queues on the emulator, and the test configuration
    /// pointing at them.
    pub async fn create() -> (Config, Self) {
        let sqs = sqs::client().await;
        let validation = sqs::TestQueue::create(&sqs, "step-validation", 1, 5).await;
        let credit = sqs::TestQueue::create(&sqs, "coin-credit", 1, 5).await;
        let mut config = test_config();
        config.step_validation_queue_url = Some(validation.url.clone());
        config.coin_credit_queue_url = Some(credit.url.clone());
        (
            config,
            Pipeline {
                sqs,
                validation,
                credit,
            },
        )
    }

    /// Runs steps-validate and steps-credit until both queues are empty, the way the
    /// event source mappings would. Panics if a message keeps failing.
    pub async fn run(&self, app: &'static App) {
        for _ in 0..50 {
            let (validated, v_failed) = sqs::poll_once(
                &self.sqs,
                &self.validation,
                app,
                fitkart_functions::steps::validate,
            )
            .await;
            let (credited, c_failed) = sqs::poll_once(
                &self.sqs,
                &self.credit,
                app,
                fitkart_functions::steps::credit,
            )
            .await;
            assert!(
                v_failed.is_empty() && c_failed.is_empty(),
                "pipeline failures: {v_failed:?} {c_failed:?}"
            );
            if validated == 0 && credited == 0 {
                return;
            }
        }
        panic!("the pipeline did not drain");
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// Now by the process's clock: the system's, shifted as the whole stack is in the
/// shifted-clock run (`fitkart::clock`). A test that sets its app's clock reads
/// `TestApp::now` instead.
/// The last time step whose code each authenticator secret has used (a step is accepted
/// once per account), across the tests of this process.
fn used_totp_steps() -> std::sync::MutexGuard<'static, std::collections::HashMap<String, i64>> {
    static USED: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, i64>>> =
        std::sync::OnceLock::new();
    USED.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    fitkart::clock::Clock::from_env().now()
}

/// The UTC date `n` days ago by the process's clock (the system's, shifted as the whole
/// stack is in the shifted-clock run). A test that sets its app's clock counts from
/// `TestApp::today` instead.
pub fn days_ago(n: u64) -> chrono::NaiveDate {
    now().date_naive() - chrono::Days::new(n)
}

/// A phone's day: hourly counts over waking hours, 0.75 m strides, 0.04 kcal a step.
pub fn phone_day(date: chrono::NaiveDate, steps: i64) -> Value {
    let weights = [
        0, 0, 0, 0, 0, 0, 2, 6, 9, 5, 4, 6, 10, 7, 4, 5, 6, 10, 12, 8, 4, 2, 0, 0,
    ];
    let total: i64 = weights.iter().sum();
    let mut hours: Vec<i64> = weights.iter().map(|w| steps * w / total).collect();
    hours[18] += steps - hours.iter().sum::<i64>();
    json!({"date": date, "steps": steps, "source": "health_connect", "hourly_steps": hours,
           "distance_km": steps as f64 * 0.00075, "calories": steps as f64 * 0.04})
}

/// An order body: `lines` of (product, quantity) to the test address.
pub fn order_body(lines: &[(Uuid, i64)]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(product, quantity)| json!({"product_id": product, "quantity": quantity}))
        .collect();
    json!({"items": items, "shipping_address": address()})
}

/// A valid shipping address.
pub fn address() -> Value {
    json!({"name": "Ann Walker", "line1": "1 Main St", "city": "Springfield",
           "postal_code": "12345", "country": "US"})
}

/// A registered account as a client holds it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
    /// The authenticator's secret (base32), for an account that set one up: the test
    /// plays the person's phone.
    pub totp_secret: Option<String>,
    pub recovery_codes: Vec<String>,
}

impl User {
    pub fn from_session(body: &Value) -> Self {
        Self {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            email: body["user"]["email"].as_str().unwrap().to_owned(),
            access_token: body["tokens"]["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["tokens"]["refresh_token"].as_str().unwrap().to_owned(),
            totp_secret: None,
            recovery_codes: Vec::new(),
        }
    }
}

/// Waits (polling every 50 ms, at most 10 s) until `condition` holds: tests wait for what
/// they need, never for a fixed time.
pub async fn until<F, Fut>(mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition().await {
        assert!(
            std::time::Instant::now() < deadline,
            "the condition never held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
