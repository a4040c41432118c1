//! What FitKart owes each charity (by registration number, across its campaigns), month by
//! month: the cents its donations raised in the month plus what was carried in (raised
//! before and not paid yet). A charity is paid for a month once it is owed at least
//! `charity_min_payout_cents`; less is carried to the next month. Marking a month paid
//! records what was paid (the handler audits it) and is final: a month is paid once.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::{Error, Result};

/// One charity's line of a month's report.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub charity_registration: String,
    pub charity_name: String,
    pub month: NaiveDate,
    /// Donations in the month, the cents they raised, the first and the last.
    pub donations: i64,
    pub donated_cents: i64,
    pub first_donation_at: Option<DateTime<Utc>>,
    pub last_donation_at: Option<DateTime<Utc>>,
    /// Raised before the month and not paid yet.
    pub carried_in_cents: i64,
    /// What the charity is owed for the month: carried in plus donated.
    pub owed_cents: i64,
    /// Owed at least the minimum payout (otherwise it carries to the next month).
    pub payable: bool,
    pub paid: Option<Paid>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Paid {
    pub cents: i64,
    pub reference: Option<String>,
    pub paid_by: Uuid,
    pub paid_at: DateTime<Utc>,
}

/// The first day of the month `raw` (`YYYY-MM`) names.
pub fn month(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 7)
        .ok_or_else(|| "must be a month, YYYY-MM".to_owned())
}

/// The report for `month` (its first day), one line per charity owed anything.
pub async fn report(conn: &mut PgConnection, month: NaiveDate, minimum: i64) -> Result<Vec<Line>> {
    let next = month + Months::new(1);
    let rows = crate::db_query!(
        r#"WITH given AS (
               SELECT c.charity_registration AS registration, c.charity_name AS name, d.cents, d.created_at
               FROM donations d JOIN campaigns c ON c.id = d.campaign_id
               WHERE d.created_at < $2::date::timestamp AT TIME ZONE 'UTC'
           ),
           charities AS (
               SELECT registration, max(name) AS name,
                      count(*) FILTER (WHERE created_at >= $1::date::timestamp AT TIME ZONE 'UTC') AS donations,
                      COALESCE(sum(cents) FILTER (WHERE created_at >= $1::date::timestamp AT TIME ZONE 'UTC'), 0) AS donated,
                      min(created_at) FILTER (WHERE created_at >= $1::date::timestamp AT TIME ZONE 'UTC') AS first_at,
                      max(created_at) FILTER (WHERE created_at >= $1::date::timestamp AT TIME ZONE 'UTC') AS last_at,
                      COALESCE(sum(cents) FILTER (WHERE created_at < $1::date::timestamp AT TIME ZONE 'UTC'), 0) AS before
               FROM given GROUP BY registration
           )
           SELECT ch.registration AS "registration!", ch.name AS "name!", ch.donations AS "donations!",
                  ch.donated::int8 AS "donated!", ch.first_at, ch.last_at,
                  (ch.before - COALESCE((SELECT sum(p.cents) FROM charity_payouts p
                                         WHERE p.charity_registration = ch.registration AND p.month < $1), 0))::int8
                      AS "carried_in!",
                  paid.cents AS "paid_cents?", paid.reference, paid.paid_by AS "paid_by?", paid.paid_at AS "paid_at?"
           FROM charities ch
           LEFT JOIN charity_payouts paid ON paid.charity_registration = ch.registration AND paid.month = $1
           ORDER BY ch.name, ch.registration"#,
        month,
        next
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let owed = r.carried_in + r.donated;
            Line {
                charity_registration: r.registration,
                charity_name: r.name,
                month,
                donations: r.donations,
                donated_cents: r.donated,
                first_donation_at: r.first_at,
                last_donation_at: r.last_at,
                carried_in_cents: r.carried_in,
                owed_cents: owed,
                payable: owed >= minimum,
                paid: r
                    .paid_cents
                    .zip(r.paid_by)
                    .zip(r.paid_at)
                    .map(|((cents, by), at)| Paid {
                        cents,
                        reference: r.reference.clone(),
                        paid_by: by,
                        paid_at: at,
                    }),
            }
        })
        .filter(|l| l.owed_cents > 0 || l.paid.is_some())
        .collect())
}

/// Records that `registration` was paid what it is owed for `month` (a month that is
/// over, owed at least the minimum, not paid yet). Returns the line after.
pub async fn mark_paid(
    conn: &mut PgConnection,
    registration: &str,
    month: NaiveDate,
    minimum: i64,
    admin: Uuid,
    reference: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Line> {
    if month + Months::new(1) > now.date_naive() {
        return Err(Error::conflict(
            "month_not_over",
            Text::new("problem-month-not-over"),
        ));
    }
    // One payout per charity at a time, so two admins cannot both record it.
    crate::db_query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('charity_payout:' || $1, 0))",
        registration
    )
    .execute(&mut *conn)
    .await?;
    let line = report(conn, month, minimum)
        .await?
        .into_iter()
        .find(|l| l.charity_registration == registration)
        .ok_or(Error::NotFound)?;
    if line.paid.is_some() {
        return Err(Error::conflict(
            "already_paid",
            Text::new("problem-already-paid"),
        ));
    }
    if !line.payable {
        return Err(Error::conflict(
            "below_minimum_payout",
            Text::new("problem-below-minimum-payout")
                .arg("cents", line.owed_cents)
                .arg("minimum", minimum),
        ));
    }
    crate::db_query!(
        "INSERT INTO charity_payouts (charity_registration, month, cents, reference, paid_by) VALUES ($1, $2, $3, $4, $5)",
        registration,
        month,
        line.owed_cents,
        reference,
        admin
    )
    .execute(&mut *conn)
    .await?;
    report(conn, month, minimum)
        .await?
        .into_iter()
        .find(|l| l.charity_registration == registration)
        .ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_written_year_dash_month() {
        assert_eq!(month("2026-11").unwrap().to_string(), "2026-11-01");
        assert!(month("2026-13").is_err());
        assert!(month("2026-1").is_err());
        assert!(month("2026-11-05").is_err());
    }
}
