//! What a person wants to hear about, and when not: each kind on or off, and quiet hours
//! in their own time zone (a notification due then waits until they end).

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Kind;
use crate::input::Checks;
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QuietHours {
    /// `HH:MM` in `time_zone`; `end` may be earlier than `start` (past midnight).
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Preferences {
    /// Every kind, `true` when it is pushed.
    pub kinds: BTreeMap<&'static str, bool>,
    pub quiet_hours: Option<QuietHours>,
    /// The person's time zone (their profile's), which quiet hours are read in.
    pub time_zone: String,
    /// Every kind's name in the reader's language, for the settings screen.
    pub labels: BTreeMap<&'static str, String>,
}

impl Preferences {
    /// Names each kind in `locale` (`notification-kind-<kind>` of the catalogs).
    pub fn in_language(mut self, locale: crate::i18n::Locale) -> Self {
        self.labels = Kind::ALL
            .iter()
            .map(|k| {
                let id = format!("notification-kind-{}", k.as_str().replace('_', "-"));
                (k.as_str(), crate::i18n::Text::named(id).render(locale))
            })
            .collect();
        self
    }
}

/// A checked change: kinds to switch, and quiet hours to set (`Some(None)` clears them).
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub kinds: Vec<(Kind, bool)>,
    pub quiet_hours: Option<Option<(NaiveTime, NaiveTime)>>,
}

fn time(raw: &Value) -> Result<NaiveTime, String> {
    raw.as_str()
        .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .ok_or_else(|| "must be a time of day as HH:MM, e.g. 22:00".into())
}

impl Changes {
    /// `kinds`: kind name → on/off; `quiet_hours`: absent (unchanged), `null` (none) or
    /// `{start, end}`.
    pub fn check(
        kinds: Option<BTreeMap<String, bool>>,
        quiet_hours: Option<Value>,
    ) -> Result<Changes> {
        let mut checks = Checks::default();
        let mut changes = Changes::default();
        for (name, on) in kinds.unwrap_or_default() {
            if let Some(kind) = checks.field(format!("kinds.{name}"), Kind::parse(&name)) {
                changes.kinds.push((kind, on));
            }
        }
        changes.quiet_hours = match quiet_hours {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Object(hours)) => {
                let null = Value::Null;
                let start = checks.field(
                    "quiet_hours.start",
                    time(hours.get("start").unwrap_or(&null)),
                );
                let end = checks.field("quiet_hours.end", time(hours.get("end").unwrap_or(&null)));
                if let Some(unknown) = hours
                    .keys()
                    .find(|k| !["start", "end"].contains(&k.as_str()))
                {
                    checks.fail(
                        format!("quiet_hours.{unknown}"),
                        "is not a field of quiet hours",
                    );
                }
                if start.is_some() && start == end {
                    checks.fail("quiet_hours.end", "must differ from start");
                }
                start.zip(end).map(Some)
            }
            Some(_) => {
                checks.fail(
                    "quiet_hours",
                    "must be null or {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}",
                );
                None
            }
        };
        checks.finish()?;
        Ok(changes)
    }
}

pub async fn get(conn: &mut PgConnection, user_id: Uuid) -> Result<Preferences> {
    let row = crate::db_query!(
        r#"SELECT user_timezone(u.*) AS "timezone!", p.muted AS "muted?", p.quiet_start, p.quiet_end
           FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id WHERE u.id = $1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    let muted = row.muted.unwrap_or_default();
    Ok(Preferences {
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.as_str(), !muted.iter().any(|m| m == k.as_str())))
            .collect(),
        quiet_hours: row
            .quiet_start
            .zip(row.quiet_end)
            .map(|(start, end)| QuietHours {
                start: start.format("%H:%M").to_string(),
                end: end.format("%H:%M").to_string(),
            }),
        time_zone: row.timezone,
        labels: BTreeMap::new(),
    })
}

pub async fn update(
    conn: &mut PgConnection,
    user_id: Uuid,
    changes: &Changes,
) -> Result<Preferences> {
    let muted: Vec<&str> = changes
        .kinds
        .iter()
        .filter(|(_, on)| !on)
        .map(|(k, _)| k.as_str())
        .collect();
    let unmuted: Vec<&str> = changes
        .kinds
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| k.as_str())
        .collect();
    let (set_quiet, start, end) = match changes.quiet_hours {
        None => (false, None, None),
        Some(None) => (true, None, None),
        Some(Some((start, end))) => (true, Some(start), Some(end)),
    };
    crate::db_query!(
        "INSERT INTO notification_preferences AS p (user_id, muted, quiet_start, quiet_end)
         VALUES ($1, ARRAY(SELECT DISTINCT unnest($2::text[]) ORDER BY 1), $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET
             muted = ARRAY(SELECT DISTINCT m FROM unnest(p.muted || $2::text[]) m WHERE m <> ALL($3) ORDER BY 1),
             quiet_start = CASE WHEN $6 THEN $4 ELSE p.quiet_start END,
             quiet_end = CASE WHEN $6 THEN $5 ELSE p.quiet_end END,
             updated_at = now()",
        user_id,
        &muted as &[&str],
        &unmuted as &[&str],
        start,
        end,
        set_quiet
    )
    .execute(&mut *conn)
    .await?;
    get(conn, user_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_known_kinds_and_well_formed_hours() {
        let changes = Changes::check(
            Some(BTreeMap::from([("day_held".to_owned(), false)])),
            Some(json!({"start": "22:30", "end": "07:00"})),
        )
        .unwrap();
        assert_eq!(changes.kinds, vec![(Kind::DayHeld, false)]);
        assert!(matches!(changes.quiet_hours, Some(Some(_))));
        assert!(matches!(
            Changes::check(None, Some(Value::Null)).unwrap().quiet_hours,
            Some(None)
        ));
        for bad in [
            Changes::check(Some(BTreeMap::from([("spam".to_owned(), true)])), None),
            Changes::check(None, Some(json!({"start": "25:00", "end": "07:00"}))),
            Changes::check(None, Some(json!({"start": "07:00", "end": "07:00"}))),
            Changes::check(None, Some(json!({"start": "22:00"}))),
            Changes::check(None, Some(json!("22-07"))),
        ] {
            assert!(matches!(bad, Err(Error::Validation(_))), "{bad:?}");
        }
    }
}
