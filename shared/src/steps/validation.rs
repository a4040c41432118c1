//! The step-validation consumer's domain: score a batch of records with the anti-cheat
//! rules in a few set-based statements, record each verdict once per record version, and
//! pass verified records on to crediting.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{Connection, PgConnection};

use uuid::Uuid;

use super::anticheat::{self, DayFacts};
use super::crediting::CreditRecord;
use super::{RecordKey, Source, Status, ValidateRecord};
use crate::notifications::{self, Kind, Notice};
use crate::queue;
use crate::settings::Settings;
use crate::{App, Result};

/// Validates the requested record versions and sends the verified ones to crediting.
/// Returns the requests that cannot be processed (their record does not exist): every
/// other one is done, including replays of versions already validated (nothing new is
/// written) and requests for versions a newer sync has replaced (the newer version has
/// its own request).
pub async fn validate_batch(app: &App, requests: &[ValidateRecord]) -> Result<Vec<ValidateRecord>> {
    let settings = app.settings().await?;
    let (missing, creditable) = validate(app.db().await?, &settings, requests).await?;
    if !creditable.is_empty() {
        let url = queue::url(&app.config.coin_credit_queue_url, "COIN_CREDIT_QUEUE_URL")?;
        let messages: Vec<CreditRecord> = creditable.into_iter().map(CreditRecord::from).collect();
        queue::send(app.sqs().await, url, &messages).await?;
    }
    Ok(missing)
}

/// The database half of `validate_batch`: scores and records the verdicts, and returns
/// (requests without a record, records to credit). Verified records with uncredited
/// steps are returned for new verdicts and for replays whose earlier attempt stopped
/// before the send (crediting is idempotent).
pub async fn validate(
    pool: &sqlx::PgPool,
    settings: &Settings,
    requests: &[ValidateRecord],
) -> Result<(Vec<ValidateRecord>, Vec<RecordKey>)> {
    // One transaction for the whole batch: its reads, then the write.
    let mut conn = pool.begin().await?;
    let keys = super::keys(
        &mut conn,
        requests.iter().map(|r| (r.record_id, r.recorded_date)),
    )
    .await?;
    let (ids, dates) = RecordKey::ids_and_days(&keys);
    let records = Record::load(&mut conn, &ids, &dates).await?;
    // Sets, not nested scans: a batch is up to 500 requests.
    let found: HashSet<Uuid> = records.iter().map(|r| r.id).collect();
    let missing: Vec<ValidateRecord> = requests
        .iter()
        .filter(|q| !found.contains(&q.record_id))
        .copied()
        .collect();

    // Only the current, not yet validated version of each record needs scoring.
    let requested: HashSet<(Uuid, i32)> =
        requests.iter().map(|q| (q.record_id, q.version)).collect();
    let mut todo: Vec<&Record> = records
        .iter()
        .filter(|r| requested.contains(&(r.id, r.version)))
        .filter(|r| r.validated_version != Some(r.version))
        .collect();
    todo.sort_by_key(|r| r.id);
    todo.dedup_by_key(|r| r.id);

    let mut written: Vec<Written> = Vec::new();
    if !todo.is_empty() {
        let around = Surroundings::load(&mut conn, settings, &todo).await?;
        let model = super::anomaly::in_use(&mut conn, settings).await?;
        let mut out = VerdictRows::default();
        for r in &todo {
            let verdict = anticheat::score(&around.facts(r), settings, model.as_deref());
            out.push(r, &verdict);
        }
        let held = out.suspicious.iter().filter(|s| **s).count();
        written = out.write(&mut conn).await?;
        // The pipeline's health on the dashboard: verdicts and holds per minute.
        crate::metrics::emit(
            &[("Pipeline", "validation")],
            &[
                ("RecordsValidated", "Count", todo.len() as f64),
                ("RecordsHeld", "Count", held as f64),
            ],
            serde_json::json!({}),
        );
    }

    // To crediting: what this batch verified with steps to pay, and the requested records
    // verified earlier and still unpaid (a replay whose first attempt stopped before its
    // send). Crediting pays under the record's lock, so a record sent twice is paid once.
    let changed: HashSet<Uuid> = written.iter().map(|w| w.key.id).collect();
    let mut creditable: Vec<RecordKey> = written.iter().filter(|w| w.owed).map(|w| w.key).collect();
    creditable.extend(
        records
            .iter()
            .filter(|r| !changed.contains(&r.id))
            .filter(|r| r.status == Status::Verified && r.verified_steps > r.credited_steps)
            .map(|r| RecordKey {
                id: r.id,
                date: r.recorded_date,
            }),
    );
    conn.commit().await?;
    Ok((missing, creditable))
}

/// A step record as the rules need it.
struct Record {
    id: Uuid,
    user_id: Uuid,
    version: i32,
    validated_version: Option<i32>,
    recorded_date: NaiveDate,
    signup_date: NaiveDate,
    day_began: bool,
    steps: i64,
    distance: Option<Decimal>,
    calories: Option<Decimal>,
    source: Source,
    first_source: Source,
    manual_steps: i64,
    hourly_steps: Option<Vec<i32>>,
    lowered_from: Option<i64>,
    lowered_to: Option<i64>,
    device_id: Option<String>,
    days_late: i32,
    status: Status,
    verified_steps: i64,
    credited_steps: i64,
    on_time_steps: Option<i64>,
    provenance: Option<serde_json::Value>,
    pushes: Option<i32>,
    hourly_pushes: Option<Vec<i32>>,
    push_steps: i32,
    hours_hash: Option<i64>,
}

impl Record {
    async fn load(
        conn: &mut PgConnection,
        ids: &[Uuid],
        dates: &[NaiveDate],
    ) -> Result<Vec<Record>> {
        Ok(crate::db_query_as!(
            Record,
            r#"SELECT r.id, r.user_id, r.version, r.validated_version, r.recorded_date,
                      COALESCE(u.signup_date, (u.created_at AT TIME ZONE u.timezone)::date) AS "signup_date!",
                      -- Whether the day began for the account in the zones it had (a
                      -- jump to a zone far ahead skips dates; an account of the release
                      -- before zone history has none, and every day counts).
                      (NOT EXISTS (SELECT 1 FROM timezone_periods p WHERE p.user_id = r.user_id)
                       OR EXISTS (
                           SELECT 1 FROM (
                               SELECT p.timezone, p.effective_from,
                                      lead(p.effective_from) OVER (ORDER BY p.effective_from) AS until,
                                      -- Days before the first zone are before sign-up: that
                                      -- rule speaks for them.
                                      row_number() OVER (ORDER BY p.effective_from) = 1 AS first
                               FROM timezone_periods p WHERE p.user_id = r.user_id
                           ) z
                           WHERE z.effective_from <= now()
                             AND (z.first OR (z.effective_from AT TIME ZONE z.timezone)::date <= r.recorded_date)
                             AND r.recorded_date <= (LEAST(z.until - interval '1 microsecond', now())
                                                     AT TIME ZONE z.timezone)::date)) AS "day_began!",
                      r.steps, r.distance, r.calories, r.source AS "source: Source",
                      COALESCE(r.first_source, r.source) AS "first_source!: Source", r.manual_steps,
                      r.hourly_steps, r.lowered_from, r.lowered_to, r.device_id,
                      ((r.created_at AT TIME ZONE user_timezone(u.*))::date - r.recorded_date) AS "days_late!",
                      r.status AS "status: Status", r.verified_steps, r.credited_steps, r.on_time_steps,
                      r.provenance, r.pushes, r.hourly_pushes, r.push_steps, r.hours_hash
               FROM step_records r JOIN users u ON u.id = r.user_id
               WHERE r.id = ANY($1) AND r.recorded_date = ANY($2)"#,
            ids,
            dates
        )
        .fetch_all(&mut *conn)
        .await?)
    }
}

/// What the rules need to know around the records of a batch, read in four set-based
/// statements: each user's baseline, the devices' earlier accounts, the high days near
/// each day, and other accounts with the same hours on the same day.
struct Surroundings {
    baselines: HashMap<(Uuid, NaiveDate), Baseline>,
    earlier_on_device: HashMap<(Uuid, NaiveDate), i64>,
    high_days_nearby: HashMap<(Uuid, NaiveDate), i64>,
    same_hours: HashMap<(Uuid, NaiveDate), i64>,
}

impl Surroundings {
    async fn load(conn: &mut PgConnection, settings: &Settings, todo: &[&Record]) -> Result<Self> {
        let user_ids: Vec<Uuid> = todo.iter().map(|r| r.user_id).collect();
        let dates: Vec<NaiveDate> = todo.iter().map(|r| r.recorded_date).collect();
        let with_sources: Vec<bool> = todo.iter().map(|r| r.provenance.is_some()).collect();
        let devices: Vec<Option<String>> = todo.iter().map(|r| r.device_id.clone()).collect();
        // The batch's span of days, as constants the planner prunes months with (a bound
        // that depends on each row alone is only applied after every month is opened).
        let first_day = dates.iter().min().copied().unwrap_or_default();
        let last_day = dates.iter().max().copied().unwrap_or_default();

        // Each user's 30 most recent days in the 120 before the day scored (older days say
        // little about today's walker, and the bound keeps the read to the months it
        // needs), whatever their verdict: the verified ones are the personal baseline, all
        // of them the walker's weeks (hours as text: arrays of arrays do not decode).
        let baselines: HashMap<(Uuid, NaiveDate), Baseline> = crate::db_query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!",
                      COALESCE(array_agg(h.recorded_date ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "dates!",
                      COALESCE(array_agg(h.steps ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "steps!",
                      COALESCE(array_agg(h.verified_steps ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "verified_steps!",
                      COALESCE(array_agg(h.status = 'verified' ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "verified!",
                      COALESCE(array_agg(COALESCE(h.hourly_steps::text, '') ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "hours!",
                      COALESCE(array_agg(COALESCE(h.distance, 0) > 0 ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "with_distance!",
                      COALESCE(array_agg(GREATEST(h.steps - COALESCE(h.on_time_steps, h.steps), 0)
                                         ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "late_growth!",
                      -- The app that recorded most of each of the latest days
                      -- (`provenance::main_writer`), only where the rule reads it: for a
                      -- scored day with sources, its `WRITER_DAYS` latest days.
                      COALESCE(array_agg(COALESCE(
                                   CASE WHEN q.with_sources AND h.nth <= $6 THEN
                                       (SELECT w.value->>'app_id'
                                        FROM jsonb_array_elements(h.provenance) WITH ORDINALITY w
                                        WHERE (w.value->>'steps')::int8 > 0
                                        ORDER BY (w.value->>'steps')::int8 DESC, w.ordinality LIMIT 1)
                                   END, '') ORDER BY h.recorded_date DESC)
                               FILTER (WHERE h.recorded_date IS NOT NULL), '{}') AS "main_writers!"
               FROM UNNEST($1::uuid[], $2::date[], $5::bool[]) AS q(user_id, day, with_sources)
               LEFT JOIN LATERAL (
                   SELECT recorded_date, steps, verified_steps, status, hourly_steps, distance, on_time_steps,
                          provenance, row_number() OVER (ORDER BY s.recorded_date DESC) AS nth
                   FROM step_records s
                   WHERE s.user_id = q.user_id AND s.recorded_date < q.day
                     AND s.recorded_date >= q.day - 120 AND s.recorded_date BETWEEN $3::date - 120 AND $4::date
                   ORDER BY s.recorded_date DESC LIMIT 30
               ) h ON TRUE
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            first_day,
            last_day,
            &with_sources,
            anticheat::WRITER_DAYS as i64,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|h| {
            let days: Vec<anticheat::RecentDay> = (0..h.dates.len())
                .map(|i| anticheat::RecentDay {
                    date: h.dates[i],
                    steps: h.steps[i],
                    verified: h.verified[i],
                    hourly_steps: parse_hours(&h.hours[i]),
                    has_distance: h.with_distance[i],
                    late_growth: h.late_growth[i],
                    main_writer: Some(h.main_writers[i].clone()).filter(|w| !w.is_empty()),
                })
                .collect();
            let verified_days: Vec<i64> = days
                .iter()
                .zip(&h.verified_steps)
                .filter(|(d, _)| d.verified)
                .map(|(_, v)| *v)
                .collect();
            let with_hours = days
                .iter()
                .filter(|d| d.verified && d.hourly_steps.is_some())
                .count() as i64;
            ((h.user_id, h.day), Baseline { days, verified_days, with_hours })
        })
        .collect();

        // Other accounts that synced from the same device within the window before the
        // day and first synced from it before this user did: one device, one earner.
        let earlier_on_device = crate::db_query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!", count(*) AS "earlier!"
               FROM UNNEST($1::uuid[], $2::date[], $3::text[]) AS q(user_id, day, device_id)
               JOIN device_accounts mine ON mine.device_id = q.device_id AND mine.user_id = q.user_id
               JOIN device_accounts other ON other.device_id = q.device_id AND other.user_id <> q.user_id
                AND other.first_used_at < mine.first_used_at AND other.last_day > q.day - $4::int
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            &devices as &[Option<String>],
            settings.shared_device_days as i32,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|d| ((d.user_id, d.day), d.earlier))
        .collect();

        // The user's other very high days in the week before or the week after the day,
        // whichever has more: days above `high_day_steps` and, for a user with a
        // baseline, at least twice their usual day (a very active walker's 20k days are
        // ordinary days).
        let usual: Vec<f64> = todo
            .iter()
            .map(|r| {
                baselines
                    .get(&(r.user_id, r.recorded_date))
                    .map_or(0.0, |b| anticheat::usual_day(&b.verified_days))
            })
            .collect();
        let high_days_nearby = crate::db_query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!",
                      GREATEST(count(*) FILTER (WHERE s.recorded_date < q.day),
                               count(*) FILTER (WHERE s.recorded_date > q.day)) AS "others!"
               FROM UNNEST($1::uuid[], $2::date[], $4::float8[]) AS q(user_id, day, usual)
               JOIN step_records s ON s.user_id = q.user_id AND s.steps >= GREATEST($3, 2 * q.usual)
                                  AND s.recorded_date BETWEEN q.day - 6 AND q.day + 6
                                  AND s.recorded_date <> q.day
                                  AND s.recorded_date BETWEEN $5::date - 6 AND $6::date + 6
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            settings.high_day_steps as f64,
            &usual,
            first_day,
            last_day
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|h| ((h.user_id, h.day), h.others))
        .collect();

        // Other accounts whose same day has exactly these hours (`hours_hash`, kept for
        // days of 2,000 steps or more).
        let hashes: Vec<Option<i64>> = todo.iter().map(|r| r.hours_hash).collect();
        let same_hours = crate::db_query!(
            r#"SELECT q.user_id AS "user_id!", q.day AS "day!", count(DISTINCT s.user_id) AS "others!"
               FROM UNNEST($1::uuid[], $2::date[], $3::int8[]) AS q(user_id, day, hash)
               JOIN step_records s ON s.recorded_date = q.day AND s.hours_hash = q.hash
                                  AND s.user_id <> q.user_id AND s.recorded_date BETWEEN $4 AND $5
               GROUP BY q.user_id, q.day"#,
            &user_ids,
            &dates,
            &hashes as &[Option<i64>],
            first_day,
            last_day
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|h| ((h.user_id, h.day), h.others))
        .collect();

        Ok(Self {
            baselines,
            earlier_on_device,
            high_days_nearby,
            same_hours,
        })
    }

    fn facts(&self, r: &Record) -> DayFacts {
        let key = (r.user_id, r.recorded_date);
        let baseline = self.baselines.get(&key);
        DayFacts {
            date: r.recorded_date,
            signup_date: r.signup_date,
            day_began: r.day_began,
            steps: r.steps,
            distance_km: r.distance,
            calories: r.calories,
            source: r.source,
            first_source: r.first_source,
            manual_steps: r.manual_steps,
            hourly_steps: r.hourly_steps.clone(),
            lowered: r.lowered_from.zip(r.lowered_to),
            reported_days_late: i64::from(r.days_late),
            earlier_accounts_on_device: self.earlier_on_device.get(&key).copied().unwrap_or(0),
            other_high_days_nearby: self.high_days_nearby.get(&key).copied().unwrap_or(0),
            recent_verified_days: baseline
                .map(|b| b.verified_days.clone())
                .unwrap_or_default(),
            recent_days_with_hours: baseline.map_or(0, |b| b.with_hours),
            recent_days: baseline.map(|b| b.days.clone()).unwrap_or_default(),
            on_time_steps: r.on_time_steps,
            verified_before: r.verified_steps,
            version: r.version,
            sources: r
                .provenance
                .clone()
                .and_then(|p| serde_json::from_value(p).ok()),
            // Pushes count only for a walker who counts them (their equivalents are in
            // the day).
            pushes: if r.push_steps > 0 {
                i64::from(r.pushes.unwrap_or(0))
            } else {
                0
            },
            hourly_pushes: r.hourly_pushes.clone().filter(|_| r.push_steps > 0),
            accounts_with_same_hours: self.same_hours.get(&key).copied().unwrap_or(0),
        }
    }
}

/// A walker's recent days (most recent first): all of them, the verified steps of the
/// verified ones (the personal baseline), and how many of those came with hours.
struct Baseline {
    days: Vec<anticheat::RecentDay>,
    verified_days: Vec<i64>,
    with_hours: i64,
}

/// A day's hourly counts from their text form (`{1,2,...}`), or none.
fn parse_hours(text: &str) -> Option<Vec<i32>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    inner.split(',').map(|h| h.trim().parse().ok()).collect()
}

/// Column arrays for the set-based write of a batch's verdicts.
#[derive(Default)]
struct VerdictRows {
    ids: Vec<Uuid>,
    dates: Vec<NaiveDate>,
    users: Vec<Uuid>,
    versions: Vec<i32>,
    reported: Vec<i64>,
    expected: Vec<Option<i64>>,
    scores: Vec<Decimal>,
    suspicious: Vec<bool>,
    verified: Vec<i64>,
    reasons: Vec<serde_json::Value>,
    /// Every verdict's features, one after another (`anticheat::features::N` each): one
    /// flat array the statement slices, instead of a JSON document per row to parse.
    features: Vec<f64>,
    summaries: Vec<Option<String>>,
    rules: Vec<serde_json::Value>,
}

/// A record the write changed: its key and whether it now waits for coins.
struct Written {
    key: RecordKey,
    owed: bool,
}

impl VerdictRows {
    fn push(&mut self, r: &Record, verdict: &anticheat::Verdict) {
        self.ids.push(r.id);
        self.dates.push(r.recorded_date);
        self.users.push(r.user_id);
        self.versions.push(r.version);
        self.reported.push(r.steps);
        self.expected.push(verdict.expected_steps);
        self.scores.push(Decimal::from(verdict.score));
        self.suspicious.push(verdict.suspicious);
        self.verified.push(verdict.verified_steps);
        self.reasons.push(serde_json::json!(verdict.reasons));
        self.features.extend_from_slice(&verdict.features);
        self.rules.push(serde_json::json!(verdict.rules));
        self.summaries.push(if verdict.reasons.is_empty() {
            None
        } else {
            Some(verdict.reasons.join(" "))
        });
    }

    /// One statement in one transaction: each record takes its verdict once per version
    /// (the UPDATE's condition: a replay, or a twin that waited for this one's row lock,
    /// finds the version validated and changes nothing), and only what it changed gets
    /// its validation row and leaves the queue. Returns the records it changed.
    async fn write(self, conn: &mut PgConnection) -> Result<Vec<Written>> {
        // Validation ids are made here, time-ordered (UUIDv7): new rows append to the
        // primary key's right edge instead of landing on random pages, and the held
        // days' notices can name theirs without reading them back.
        let validation_ids: Vec<Uuid> = self.ids.iter().map(|_| Uuid::now_v7()).collect();
        let first_day = self.dates.iter().min().copied().unwrap_or_default();
        let last_day = self.dates.iter().max().copied().unwrap_or_default();
        let mut tx = conn.begin().await?;
        let changed = crate::db_query!(
            r#"WITH q AS (
                   SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int4[], $4::int8[], $5::int8[], $6::numeric[],
                                        $7::bool[], $8::text[], $9::jsonb[], $10::int8[], $11::jsonb[], $12::date[],
                                        $13::uuid[])
                       WITH ORDINALITY AS q(id, user_id, version, expected, reported, score, suspicious, summary,
                                            reasons, verified, rules, day, validation_id, n)
               ),
               r AS (
                   UPDATE step_records r SET
                       status = CASE WHEN q.suspicious THEN 'suspicious' ELSE 'verified' END,
                       is_verified = NOT q.suspicious,
                       verified_steps = CASE WHEN q.suspicious THEN r.verified_steps ELSE q.verified END,
                       anomaly_score = q.score, reasons = ARRAY(SELECT jsonb_array_elements_text(q.reasons)),
                       rules = ARRAY(SELECT jsonb_array_elements_text(q.rules)),
                       validated_version = q.version, updated_at = now()
                   FROM q
                   WHERE r.id = q.id AND r.recorded_date = q.day AND r.version = q.version
                     AND r.validated_version IS DISTINCT FROM q.version
                     -- The batch's keys and span of days as conditions on the table itself:
                     -- the months outside the span are pruned (by the planner, or by the
                     -- executor for a generic plan) and each record is found by its key,
                     -- where a join alone let the planner hash every row of every month.
                     AND r.id = ANY($1) AND r.recorded_date BETWEEN $16 AND $17
                   RETURNING q.*, r.reasons AS reason_list, r.verified_steps > r.credited_steps AS owed
               ),
               v AS (
                   INSERT INTO step_validations (id, user_id, step_record_id, recorded_date, record_version,
                                                 expected_steps, reported_steps, anomaly_score, is_suspicious,
                                                 validation_reason, reasons, rules, status, reviewed_at, features)
                   SELECT r.validation_id, r.user_id, r.id, r.day, r.version, r.expected, r.reported, r.score,
                          r.suspicious, r.summary, r.reason_list, ARRAY(SELECT jsonb_array_elements_text(r.rules)),
                          CASE WHEN r.suspicious THEN 'pending' ELSE 'approved' END,
                          CASE WHEN r.suspicious THEN NULL ELSE now() END,
                          ($14::float8[])[(r.n - 1) * $15 + 1 : r.n * $15]
                   FROM r
                   ON CONFLICT (step_record_id, record_version) DO NOTHING
               ),
               -- The version waits no more (a newer one, synced meanwhile, still does).
               done AS (
                   DELETE FROM validation_queue w USING r
                   WHERE w.step_record_id = r.id AND w.recorded_date = r.day AND w.version = r.version
               )
               SELECT r.n AS "n!", r.owed AS "owed!" FROM r"#,
            &self.ids,
            &self.users,
            &self.versions,
            &self.expected as &[Option<i64>],
            &self.reported,
            &self.scores,
            &self.suspicious,
            &self.summaries as &[Option<String>],
            &self.reasons,
            &self.verified,
            &self.rules,
            &self.dates,
            &validation_ids,
            &self.features,
            anticheat::features::N as i64,
            first_day,
            last_day,
        )
        .fetch_all(&mut *tx)
        .await?;
        // Each changed record as its position in the batch, and whether it is owed coins.
        let changed: Vec<(usize, bool)> = changed
            .into_iter()
            .filter_map(|c| Some((usize::try_from(c.n - 1).ok()?, c.owed)))
            .filter(|(i, _)| *i < self.ids.len())
            .collect();
        // The owner hears that a day is held, and why.
        let held: Vec<Notice> = changed
            .iter()
            .filter(|(i, _)| self.suspicious[*i])
            .map(|&(i, _)| {
                Notice::new(
                    format!("day_held:{}", validation_ids[i]),
                    self.users[i],
                    Kind::DayHeld,
                    serde_json::json!({ "date": self.dates[i], "reasons": self.reasons[i], "rules": self.rules[i] }),
                )
            })
            .collect();
        notifications::record(&mut tx, &held).await?;
        // A day held for review is a fraud hold on its walker: nothing of theirs moves to
        // anyone until it is decided (`transfers`: new transfers refused, pending gifts
        // wait); a rejection then reverses what can still be reversed (`review`).
        tx.commit().await?;
        Ok(changed
            .into_iter()
            .map(|(i, owed)| Written {
                key: RecordKey {
                    id: self.ids[i],
                    date: self.dates[i],
                },
                owed,
            })
            .collect())
    }
}
