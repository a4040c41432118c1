//! Demo data for a local run, made through the real routes wherever one exists: accounts
//! by registration with their emails confirmed through the mailed link, a week of steps
//! by syncing (so they flow through validation and crediting), the admins' authenticators
//! enrolled with their first codes; what no route can do (the first two admins' role, as
//! the operator's `admin-bootstrap` gives it, a demo walker who joined weeks ago, a
//! friendship of two weeks, days from before a phone's backfill window) directly in SQL,
//! and so are the two changes that need both admins' authenticator codes in a deployment
//! (the stake countries, an open charity campaign), so that a start never waits for a
//! code. The reward catalog comes from the local Shopify stand-in through the real sync.
//! Safe to run on every start.

use chrono::Days;
use serde_json::{json, Value};

pub const ADMIN_EMAIL: &str = "admin@fitkart.local";
pub const ADMIN_PASSWORD: &str = "local-admin-password";
/// The second admin: money-relevant changes one admin asks for, another approves.
pub const SECOND_ADMIN_EMAIL: &str = "ops@fitkart.local";
pub const SECOND_ADMIN_PASSWORD: &str = "local-ops-password";
pub const DEMO_EMAIL: &str = "demo@fitkart.local";
/// The demo walker's (made-up) APNs device token.
pub const DEMO_PUSH_TOKEN: &str =
    "dec0de0000000000000000000000000000000000000000000000000000f17ca7";
pub const DEMO_PASSWORD: &str = "local-demo-password";
/// A walker whose week has a day anti-cheat holds for review: work for the console's review
/// queue (a day held is a fraud hold, so it is not the demo walker's, who gives coins).
pub const HELD_EMAIL: &str = "riley@fitkart.local";
pub const HELD_PASSWORD: &str = "local-riley-password";
/// The demo walker's friend of two weeks, to send gifts to.
pub const FRIEND_EMAIL: &str = "sam@fitkart.local";
pub const FRIEND_PASSWORD: &str = "local-friend-password";
/// The seeded charity campaign's registration number.
pub const CHARITY_REGISTRATION: &str = "LOCAL-WATER-1";

async fn account(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    name: &str,
) -> crate::Result<Value> {
    let registered = http
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({"email": email, "password": password, "full_name": name}))
        .send()
        .await?;
    if registered.status().as_u16() == 201 {
        return Ok(registered.json().await?);
    }
    let login = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    if !login.status().is_success() {
        return Err(crate::Error::Seed(format!(
            "{email}: login answered {} (the demo account was changed, by a fuzzing run \
             say; to start over with an empty database: rm -rf .local/pg)",
            login.status()
        )));
    }
    Ok(login.json().await?)
}

/// Confirms the account's email the way a person does: the link in the newest
/// verification mail (asking for another mail when the emulator has none, e.g. after a
/// restart).
async fn confirm_email(http: &reqwest::Client, base: &str, session: &Value) -> crate::Result<()> {
    if session["user"]["email_verified"] == true {
        return Ok(());
    }
    let email = session["user"]["email"].as_str().unwrap_or_default();
    let token = match crate::mail::last_token(email, "verify-email").await? {
        Some(token) => token,
        None => {
            http.post(format!("{base}/v1/auth/email/resend"))
                .bearer_auth(
                    session["tokens"]["access_token"]
                        .as_str()
                        .unwrap_or_default(),
                )
                .send()
                .await?;
            crate::mail::last_token(email, "verify-email")
                .await?
                .ok_or(crate::Error::Seed(format!(
                    "no verification mail reached {email}"
                )))?
        }
    };
    let verified = http
        .post(format!("{base}/v1/auth/email/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await?;
    if !verified.status().is_success() {
        return Err(crate::Error::Seed(format!(
            "{email}: verification answered {}",
            verified.status()
        )));
    }
    Ok(())
}

/// A phone's hourly counts for a day of `steps`: a commute, lunch and an evening walk.
fn daytime_hours(steps: i64) -> Vec<i64> {
    const WEIGHTS: [i64; 24] = [
        0, 0, 0, 0, 0, 0, 2, 6, 9, 5, 4, 6, 10, 7, 4, 5, 6, 10, 12, 8, 4, 2, 0, 0,
    ];
    let total: i64 = WEIGHTS.iter().sum();
    let mut hours: Vec<i64> = WEIGHTS.iter().map(|w| steps * w / total).collect();
    hours[18] += steps - hours.iter().sum::<i64>();
    hours
}

pub async fn run(base: &str, database_url: &str) -> crate::Result<()> {
    let http = crate::http_client();
    let pool = sqlx::PgPool::connect(database_url).await?;
    // Every local request comes from 127.0.0.1, so the last session's failed logins (a
    // fuzzing run, say) would hold the demo accounts' logins below to the limit for the
    // rest of its window: a local run starts with the rate limits forgotten, as a
    // restarted limiter would.
    sqlx::query("DELETE FROM login_attempts")
        .execute(&pool)
        .await?;
    sqlx::query("DELETE FROM rate_limit_windows")
        .execute(&pool)
        .await?;
    let admin = account(&http, base, ADMIN_EMAIL, ADMIN_PASSWORD, "FitKart Admin").await?;
    confirm_email(&http, base, &admin).await?;
    let demo = account(&http, base, DEMO_EMAIL, DEMO_PASSWORD, "Demo Walker").await?;
    confirm_email(&http, base, &demo).await?;
    let token = demo["tokens"]["access_token"].as_str().unwrap_or_default();

    // The demo walker joined weeks ago (earning starts at sign-up), so their week is paid.
    sqlx::query(
        "UPDATE users SET created_at = LEAST(created_at, now() - interval '45 days'),
                          signup_date = LEAST(signup_date, current_date - 45)
         WHERE lower(email) = $1 AND deleted_at IS NULL",
    )
    .bind(DEMO_EMAIL)
    .execute(&pool)
    .await?;

    demo_week(&http, base, token).await?;
    order_when_paid(&http, base, token).await?;
    a_walker_with_a_held_day(&http, base, &pool).await?;

    admins(&http, base, &pool).await?;
    stakes_in_the_us(&http, base, &pool, token).await?;
    charity_campaign(&pool).await?;
    a_friend_of_two_weeks(&http, base, &pool, token).await?;
    pool.close().await;
    Ok(())
}

/// The demo walker's phone, registered for pushes before the week is synced (its coins and
/// its order updates are pushed to it, printed as [push]), then a plausible week:
/// distance ~0.75 m a step, ~0.04 kcal a step, daytime hours.
async fn demo_week(http: &reqwest::Client, base: &str, token: &str) -> crate::Result<()> {
    let device = http
        .post(format!("{base}/v1/me/devices"))
        .bearer_auth(token)
        .json(&json!({"platform": "ios", "token": DEMO_PUSH_TOKEN, "app_version": "1.0.0"}))
        .send()
        .await?;
    if !device.status().is_success() {
        return Err(crate::Error::Seed(format!(
            "demo device registration answered {}: {}",
            device.status(),
            device.text().await.unwrap_or_default()
        )));
    }

    let counts: [i64; 7] = [6_480, 8_210, 11_050, 7_340, 9_870, 12_400, 5_120];
    sync_week(http, base, token, "demo-phone", &counts).await
}

/// A plausible phone week of `counts` (oldest first, ending today) synced for `token`,
/// with its sources: a watch and the phone both counting (the platform's total removes
/// their overlap).
async fn sync_week(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    device: &str,
    counts: &[i64; 7],
) -> crate::Result<()> {
    let today = crate::clock::now().date_naive();
    let entries: Vec<Value> = counts
        .iter()
        .enumerate()
        .map(|(i, steps)| {
            json!({"date": today - Days::new(6 - i as u64), "steps": steps, "source": "health_connect",
                   "hourly_steps": daytime_hours(*steps),
                   "distance_km": *steps as f64 * 0.00075, "calories": *steps as f64 * 0.04,
                   "sources": [
                       {"app_id": "com.garmin.android.apps.connectmobile", "device_type": "watch",
                        "recording_method": "automatic", "steps": steps * 9 / 10},
                       {"app_id": "android", "device_type": "phone",
                        "recording_method": "automatic", "steps": steps * 6 / 10}]})
        })
        .collect();
    let synced = http
        .post(format!("{base}/v1/steps/sync"))
        .bearer_auth(token)
        .json(&json!({"device_id": device, "entries": entries}))
        .send()
        .await?;
    if !synced.status().is_success() {
        return Err(crate::Error::Seed(format!(
            "demo sync answered {}: {}",
            synced.status(),
            synced.text().await.unwrap_or_default()
        )));
    }

    Ok(())
}

/// Riley, a walker of six weeks whose phone synced a 60,000-step day this week: anti-cheat
/// holds it for the admins' review queue (worth more than one admin pays alone, so
/// approving it waits for the second admin).
async fn a_walker_with_a_held_day(
    http: &reqwest::Client,
    base: &str,
    pool: &sqlx::PgPool,
) -> crate::Result<()> {
    let riley = account(http, base, HELD_EMAIL, HELD_PASSWORD, "Riley Walker").await?;
    confirm_email(http, base, &riley).await?;
    sqlx::query(
        "UPDATE users SET created_at = LEAST(created_at, now() - interval '45 days'),
                          signup_date = LEAST(signup_date, current_date - 45)
         WHERE lower(email) = $1 AND deleted_at IS NULL",
    )
    .bind(HELD_EMAIL)
    .execute(pool)
    .await?;
    let token = riley["tokens"]["access_token"].as_str().unwrap_or_default();
    sync_week(
        http,
        base,
        token,
        "riley-phone",
        &[7_900, 9_150, 60_000, 8_420, 10_300, 6_870, 4_950],
    )
    .await
}

/// The first two admins, as the operator's admin-bootstrap makes them, each with an
/// authenticator (their codes: GET /_local/totp/<email>).
async fn admins(http: &reqwest::Client, base: &str, pool: &sqlx::PgPool) -> crate::Result<()> {
    let second = account(
        http,
        base,
        SECOND_ADMIN_EMAIL,
        SECOND_ADMIN_PASSWORD,
        "FitKart Ops",
    )
    .await?;
    confirm_email(http, base, &second).await?;
    sqlx::query(
        "UPDATE users SET role = 'admin' WHERE lower(email) = ANY($1) AND deleted_at IS NULL AND role <> 'admin'",
    )
    .bind([ADMIN_EMAIL, SECOND_ADMIN_EMAIL])
    .execute(pool)
    .await
    ?;
    for (email, password) in [
        (ADMIN_EMAIL, ADMIN_PASSWORD),
        (SECOND_ADMIN_EMAIL, SECOND_ADMIN_PASSWORD),
    ] {
        enrol_authenticator(http, base, email, password).await?;
    }
    Ok(())
}

/// Coin stakes in challenges are off until operators list countries (prize contests are
/// regulated in places): the local run lists the US, and the demo walker lives there. In a
/// deployment the listing is a change request a second admin approves (`approvals`); the
/// seed writes it directly, as it makes the first admins, so that a local start does not
/// wait for the admins' authenticator codes (single-use, one every 30 seconds).
async fn stakes_in_the_us(
    http: &reqwest::Client,
    base: &str,
    pool: &sqlx::PgPool,
    demo_token: &str,
) -> crate::Result<()> {
    http.patch(format!("{base}/v1/me"))
        .bearer_auth(demo_token)
        .json(&json!({ "country_code": "US" }))
        .send()
        .await?;
    sqlx::query(
        "UPDATE settings SET value = 'US', updated_at = now()
         WHERE key = 'challenge_stake_countries' AND value = ''",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A charity campaign to give to: $500 at 25 cents per 1,000 coins, at most $10 a person
/// a month, open from yesterday for 90 days. In a deployment one admin drafts it and
/// another approves opening it (it commits a sponsor's purse); the seed writes it open,
/// drafted by the first admin, for the reason above.
async fn charity_campaign(pool: &sqlx::PgPool) -> crate::Result<()> {
    sqlx::query(
        "INSERT INTO campaigns (charity_name, charity_registration, charity_website, title, description,
                                starts_at, ends_at, purse_cents, cents_per_1000_coins, monthly_cap_cents,
                                status, created_by, opened_at)
         SELECT 'Clean Water Local', $1, 'https://water.example.org', 'Steps for clean water',
                'A sponsor gives 25 cents for every 1,000 coins walkers donate, up to $500.',
                now() - interval '1 day', now() + interval '90 days', 50000, 25, 1000, 'open', u.id, now()
         FROM users u
         WHERE lower(u.email) = $2 AND u.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM campaigns WHERE charity_registration = $1)",
    )
    .bind(CHARITY_REGISTRATION)
    .bind(ADMIN_EMAIL)
    .execute(pool)
    .await?;
    Ok(())
}

/// Sam, the demo walker's friend (made through the real invite link), and the demo
/// walker's standing to send gifts: gifts go to friends of 7 days from accounts with 14
/// verified days. What no route can do is done directly: the friendship dated two weeks
/// back, and two earlier weeks of the demo walker's days (`earlier_weeks`).
async fn a_friend_of_two_weeks(
    http: &reqwest::Client,
    base: &str,
    pool: &sqlx::PgPool,
    demo_token: &str,
) -> crate::Result<()> {
    let friend = account(http, base, FRIEND_EMAIL, FRIEND_PASSWORD, "Sam Friend").await?;
    confirm_email(http, base, &friend).await?;
    let friend_token = friend["tokens"]["access_token"]
        .as_str()
        .unwrap_or_default();
    let friends: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM friendships f JOIN users a ON a.id = f.user_a JOIN users b ON b.id = f.user_b
                        WHERE lower(a.email) = ANY($1) AND lower(b.email) = ANY($1))",
    )
    .bind([DEMO_EMAIL, FRIEND_EMAIL])
    .fetch_one(pool)
    .await?;
    if !friends {
        let link: Value = http
            .post(format!("{base}/v1/invites"))
            .bearer_auth(demo_token)
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        http.post(format!("{base}/v1/redemptions"))
            .bearer_auth(friend_token)
            .json(&json!({ "code": link["code"] }))
            .send()
            .await?;
        let asked: Value = http
            .get(format!("{base}/v1/friend-requests"))
            .bearer_auth(demo_token)
            .send()
            .await?
            .json()
            .await?;
        let request = asked["incoming"][0]["id"].as_str().unwrap_or_default();
        http.post(format!("{base}/v1/friend-requests/{request}/accept"))
            .bearer_auth(demo_token)
            .send()
            .await?;
    }
    // Sam lives in the US too, so the two can race for a stake.
    http.patch(format!("{base}/v1/me"))
        .bearer_auth(friend_token)
        .json(&json!({ "country_code": "US" }))
        .send()
        .await?;
    sqlx::query(
        "UPDATE friendships f SET created_at = LEAST(f.created_at, now() - interval '14 days')
         FROM users a, users b
         WHERE a.id = f.user_a AND b.id = f.user_b AND lower(a.email) = ANY($1) AND lower(b.email) = ANY($1)",
    )
    .bind([DEMO_EMAIL, FRIEND_EMAIL])
    .execute(pool)
    .await?;
    // Both of long standing, as the transfer policy wants of people who give each other
    // coins (gifts, stakes): weeks old, their country and phone held since then.
    sqlx::query(
        "UPDATE users SET created_at = LEAST(created_at, now() - interval '45 days'),
                          signup_date = LEAST(signup_date, current_date - 45)
         WHERE lower(email) = $1 AND deleted_at IS NULL",
    )
    .bind(FRIEND_EMAIL)
    .execute(pool)
    .await?;
    sqlx::query(
        "UPDATE profile_history h SET set_at = LEAST(h.set_at, now() - interval '45 days')
         FROM users u WHERE u.id = h.user_id AND lower(u.email) = ANY($1) AND u.deleted_at IS NULL",
    )
    .bind([DEMO_EMAIL, FRIEND_EMAIL])
    .execute(pool)
    .await?;
    for email in [DEMO_EMAIL, FRIEND_EMAIL] {
        earlier_weeks(pool, email).await?;
    }
    Ok(())
}

/// Two weeks of `email`'s days from before the 7 days a phone may sync back, as an
/// earlier install left them: verified and counted in the walker's totals and boards
/// (moved the way crediting moves them), their coins not carried over. Once only.
async fn earlier_weeks(pool: &sqlx::PgPool, email: &str) -> crate::Result<()> {
    let mut tx = pool.begin().await?;
    let days: Vec<(uuid::Uuid, chrono::NaiveDate, i64)> = sqlx::query_as(
        "INSERT INTO step_records (user_id, recorded_date, steps, source, first_source, status, is_verified,
                                   verified_steps, credited_steps, created_at, updated_at)
         SELECT u.id, d::date, s.steps, 'health_connect', 'health_connect', 'verified', true, s.steps, s.steps,
                d + interval '21 hours', d + interval '21 hours'
         FROM users u
         CROSS JOIN generate_series(current_date - 21, current_date - 8, interval '1 day') AS d
         CROSS JOIN LATERAL (SELECT (9000 + (extract(doy FROM d)::int % 5) * 700)::int8 AS steps) s
         WHERE lower(u.email) = $1 AND u.deleted_at IS NULL
         ON CONFLICT (user_id, recorded_date) DO NOTHING
         RETURNING user_id, recorded_date, steps",
    )
    .bind(email)
    .fetch_all(&mut *tx)
    .await?;
    if let Some(&(user, _, _)) = days.first() {
        let total: i64 = days.iter().map(|d| d.2).sum();
        sqlx::query("UPDATE users SET total_steps = total_steps + $2 WHERE id = $1")
            .bind(user)
            .bind(total)
            .execute(&mut *tx)
            .await?;
        fitkart::leaderboard::count_credited(&mut tx, &days)
            .await
            .map_err(|e| crate::Error::Seed(format!("{email}'s earlier weeks: {e}")))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets up the admin's authenticator through the real routes, as the admin would with
/// their phone: a secret, then its first code. Already set up: nothing to do.
async fn enrol_authenticator(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> crate::Result<()> {
    let session = account(http, base, email, password, "").await?;
    let token = session["tokens"]["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let status: Value = http
        .get(format!("{base}/v1/me/mfa"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    if status["totp_enrolled"] == true {
        return Ok(());
    }
    let enrolment: Value = http
        .post(format!("{base}/v1/me/mfa/totp"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let secret = enrolment["secret"]
        .as_str()
        .ok_or(crate::Error::Seed(format!(
            "{email}: no authenticator secret: {enrolment}"
        )))?;
    let code = crate::totp::code_at(secret, crate::clock::now().timestamp() as u64)?;
    let confirmed = http
        .post(format!("{base}/v1/me/mfa/totp/confirm"))
        .bearer_auth(&token)
        .json(&json!({ "code": code }))
        .send()
        .await?;
    if !confirmed.status().is_success() {
        return Err(crate::Error::Seed(format!(
            "{email}: confirming the authenticator answered {}",
            confirmed.status()
        )));
    }
    Ok(())
}

/// The seeded admins' authenticator secrets (base32), for the banner.
pub async fn authenticator_secrets(database_url: &str) -> Vec<(String, String)> {
    let Ok(pool) = sqlx::PgPool::connect(database_url).await else {
        return Vec::new();
    };
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.email::text, t.secret FROM mfa_totp t JOIN users u ON u.id = t.user_id
         WHERE lower(u.email) = ANY($1) AND t.confirmed_at IS NOT NULL ORDER BY u.email",
    )
    .bind([ADMIN_EMAIL, SECOND_ADMIN_EMAIL])
    .fetch_all(&pool)
    .await
    .unwrap_or_default();
    pool.close().await;
    rows
}

/// Once the pipeline has credited the demo week, the demo user orders the cheapest
/// reward (one order, whatever the number of starts: the Idempotency-Key is fixed), so
/// the admin's order screen has work in it.
async fn order_when_paid(http: &reqwest::Client, base: &str, token: &str) -> crate::Result<()> {
    let get = |path: &'static str| async move {
        http.get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?
            .json::<Value>()
            .await
    };
    let rewards = get("/v1/rewards?limit=100").await?;
    let Some(cheapest) = rewards["items"]
        .as_array()
        .and_then(|items| items.iter().min_by_key(|p| p["coin_price"].as_i64()))
        .cloned()
    else {
        return Ok(());
    };
    let price = cheapest["coin_price"].as_i64().unwrap_or(i64::MAX);
    for _ in 0..60 {
        let wallet = get("/v1/wallet").await?;
        if wallet["available_coins"].as_i64().unwrap_or(0) >= price
            || wallet["frozen_coins"].as_i64().unwrap_or(0) > 0
        {
            let placed = http
                .post(format!("{base}/v1/orders"))
                .bearer_auth(token)
                .header("Idempotency-Key", "demo-seed-order")
                .json(&json!({"items": [{"product_id": cheapest["id"], "quantity": 1}],
                              "shipping_address": {"name": "Demo Walker", "line1": "1 Market Street",
                                                   "city": "San Francisco", "region": "CA",
                                                   "postal_code": "94105", "country": "US"}}))
                .send()
                .await
                ?;
            return match placed.status().as_u16() {
                201 => Ok(()),
                status => Err(crate::Error::Seed(format!(
                    "demo order answered {status}: {}",
                    placed.text().await.unwrap_or_default()
                ))),
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(crate::Error::Seed(
        "the demo week was not credited within 30 seconds".into(),
    ))
}
