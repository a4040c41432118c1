//! Platform settings: the typed registry of every key the functions read, validation of
//! admin changes, and loading all of them in one query. Functions read them per invocation
//! through `App::settings`, cached for a few seconds at most, so an admin change takes
//! effect everywhere without a redeploy.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use sqlx::PgConnection;

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// Bounds as decimal strings, so they stay exact.
    Decimal {
        min: &'static str,
        max: &'static str,
    },
    /// A set of ISO 3166-1 alpha-2 country codes (empty: none), stored as "DE,US".
    Countries,
    /// A set of app ids (bundle ids, package names), each matching itself or, ending in
    /// `*`, every id it begins; stored as "com.a,com.b*".
    Writers,
}

#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    pub key: &'static str,
    pub kind: Kind,
    /// The seeded value, in its text form.
    pub default: &'static str,
    pub guard: Guard,
}

/// A value a setting can hold, parsed from its text form.
trait SettingValue: Sized {
    fn parse(kind: Kind, raw: &str) -> Result<Self, String>;
}

impl SettingValue for i64 {
    fn parse(kind: Kind, raw: &str) -> Result<Self, String> {
        let Kind::Int { min, max } = kind else {
            return Err("not an integer setting".into());
        };
        match raw.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            Ok(_) => Err(format!("must be between {min} and {max}")),
            Err(_) => Err("must be an integer".into()),
        }
    }
}

impl SettingValue for bool {
    fn parse(_: Kind, raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("must be true or false".into()),
        }
    }
}

impl SettingValue for Decimal {
    fn parse(kind: Kind, raw: &str) -> Result<Self, String> {
        let Kind::Decimal { min, max } = kind else {
            return Err("not a decimal setting".into());
        };
        let (min, max) = (
            Decimal::from_str(min).expect("bound"),
            Decimal::from_str(max).expect("bound"),
        );
        match Decimal::from_str(raw.trim()) {
            Ok(d) if d >= min && d <= max && d.scale() <= 6 => Ok(d.normalize()),
            Ok(_) => Err(format!(
                "must be between {min} and {max} with at most 6 decimal places"
            )),
            Err(_) => Err("must be a decimal number".into()),
        }
    }
}

/// A set of countries, sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Countries(pub Vec<String>);

impl Countries {
    pub fn contains(&self, code: &str) -> bool {
        self.0.iter().any(|c| c == code)
    }
}

/// The apps whose steps are paid without a look (`step_writers_allowed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Writers(pub Vec<String>);

impl Writers {
    /// Whether `app_id` is one of the writers, or begins with a `prefix*` entry.
    pub fn allows(&self, app_id: &str) -> bool {
        self.0.iter().any(|w| match w.strip_suffix('*') {
            Some(prefix) => app_id.starts_with(prefix),
            None => app_id == w,
        })
    }
}

impl SettingValue for Writers {
    fn parse(_: Kind, raw: &str) -> Result<Self, String> {
        let mut ids: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|w| {
                let id = w.strip_suffix('*').unwrap_or(w);
                let ok = !id.is_empty()
                    && id.len() <= 200
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
                if ok {
                    Ok(w.to_owned())
                } else {
                    Err(format!(
                        "{w:?} is not an app id (letters, digits, . _ -, an optional trailing *)"
                    ))
                }
            })
            .collect::<Result<_, String>>()?;
        ids.sort();
        ids.dedup();
        Ok(Writers(ids))
    }
}

impl SettingValue for Countries {
    fn parse(_: Kind, raw: &str) -> Result<Self, String> {
        let mut codes = raw
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(crate::input::country_code)
            .collect::<Result<Vec<String>, String>>()?;
        codes.sort();
        codes.dedup();
        Ok(Countries(codes))
    }
}

/// Who may change a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Any admin, at once (audited).
    OneAdmin,
    /// The setting moves money or a fraud defence: a change is a request a second admin
    /// approves (`approvals`).
    FourEyes,
}

macro_rules! settings {
    (@guard) => { Guard::OneAdmin };
    (@guard four_eyes) => { Guard::FourEyes };
    ($($key:ident : $ty:ty = $kind:expr, default $default:literal $(, $guard:ident)?;)*) => {
        /// Every setting, typed. Built from the `settings` table.
        #[derive(Debug, Clone)]
        pub struct Settings { $(pub $key: $ty,)* }

        /// The registry: every known key, the type and range of its value, the value
        /// the seed migrations give it (a test keeps the two equal), and who may change it.
        pub const REGISTRY: &[SettingDef] = &[$(SettingDef {
            key: stringify!($key),
            kind: $kind,
            default: $default,
            guard: settings!(@guard $($guard)?),
        },)*];

        impl Settings {
            fn from_map(map: &HashMap<String, String>) -> Result<Self> {
                Ok(Self { $($key: field::<$ty>(map, stringify!($key), $kind)?,)* })
            }
        }
    };
}

// `four_eyes`: the setting decides how many coins a step, a bonus or an adjustment is
// worth, who gets them (the daily goal gates the streak and referral bonuses), or how hard
// a fraud defence looks; a change is a request a second admin approves.
settings! {
    coins_per_step: Decimal = Kind::Decimal { min: "0", max: "100" }, default "1", four_eyes;
    daily_step_goal: i64 = Kind::Int { min: 100, max: 100_000 }, default "10000", four_eyes;
    anti_cheat_enabled: bool = Kind::Bool, default "true", four_eyes;
    new_user_bonus_coins: i64 = Kind::Int { min: 0, max: 1_000_000 }, default "100", four_eyes;
    referral_bonus_coins: i64 = Kind::Int { min: 0, max: 1_000_000 }, default "250", four_eyes;
    max_daily_coins: i64 = Kind::Int { min: 1, max: 100_000_000 }, default "20000", four_eyes;
    max_backfill_days: i64 = Kind::Int { min: 0, max: 31 }, default "7", four_eyes;
    coins_per_usd: i64 = Kind::Int { min: 1, max: 100_000_000 }, default "10000", four_eyes;
    anti_cheat_threshold: i64 = Kind::Int { min: 1, max: 100 }, default "60", four_eyes;
    anti_cheat_review_steps: i64 = Kind::Int { min: 1_000, max: 200_000 }, default "50000", four_eyes;
    anti_cheat_max_auto_steps: i64 = Kind::Int { min: 1_000, max: 200_000 }, default "100000", four_eyes;
    anti_cheat_max_steps_per_minute: i64 = Kind::Int { min: 60, max: 400 }, default "250", four_eyes;
    anti_cheat_min_stride_m: Decimal = Kind::Decimal { min: "0.05", max: "1.5" }, default "0.3", four_eyes;
    anti_cheat_max_stride_m: Decimal = Kind::Decimal { min: "0.5", max: "5" }, default "1.6", four_eyes;
    anti_cheat_min_kcal_per_step: Decimal = Kind::Decimal { min: "0", max: "1" }, default "0.02", four_eyes;
    anti_cheat_max_kcal_per_step: Decimal = Kind::Decimal { min: "0.01", max: "5" }, default "0.2", four_eyes;
    anti_cheat_late_backfill_days: i64 = Kind::Int { min: 0, max: 31 }, default "3", four_eyes;
    anti_cheat_late_increase_steps: i64 = Kind::Int { min: 0, max: 200_000 }, default "1500", four_eyes;
    login_max_failures: i64 = Kind::Int { min: 1, max: 1_000 }, default "5", four_eyes;
    login_window_minutes: i64 = Kind::Int { min: 1, max: 1_440 }, default "15", four_eyes;
    login_max_failures_per_email: i64 = Kind::Int { min: 1, max: 100_000 }, default "20", four_eyes;
    new_account_days: i64 = Kind::Int { min: 0, max: 365 }, default "14", four_eyes;
    new_account_review_steps: i64 = Kind::Int { min: 1_000, max: 200_000 }, default "25000", four_eyes;
    hourly_required_steps: i64 = Kind::Int { min: 0, max: 200_000 }, default "15000", four_eyes;
    shared_device_days: i64 = Kind::Int { min: 1, max: 365 }, default "30", four_eyes;
    high_day_steps: i64 = Kind::Int { min: 1_000, max: 200_000 }, default "20000", four_eyes;
    high_days_per_week: i64 = Kind::Int { min: 2, max: 7 }, default "3", four_eyes;
    registrations_per_ip_hour: i64 = Kind::Int { min: 1, max: 100_000 }, default "20", four_eyes;
    syncs_per_user_hour: i64 = Kind::Int { min: 1, max: 10_000 }, default "30", four_eyes;
    referral_min_verified_days: i64 = Kind::Int { min: 0, max: 60 }, default "3", four_eyes;
    referrals_per_month: i64 = Kind::Int { min: 0, max: 10_000 }, default "10", four_eyes;
    auto_confirm_orders: bool = Kind::Bool, default "false", four_eyes;
    anomaly_model_weight: i64 = Kind::Int { min: 0, max: 100 }, default "60", four_eyes;
    anomaly_model_version: i64 = Kind::Int { min: 0, max: 1_000_000 }, default "0", four_eyes;
    coin_adjust_four_eyes_above: i64 = Kind::Int { min: 0, max: 100_000_000 }, default "1000", four_eyes;
    challenge_max_stake: i64 = Kind::Int { min: 0, max: 100_000_000 }, default "140000", four_eyes;
    challenge_stake_countries: Countries = Kind::Countries, default "", four_eyes;
    challenge_stakes_per_week: i64 = Kind::Int { min: 0, max: 100 }, default "2", four_eyes;
    gift_max_coins: i64 = Kind::Int { min: 1, max: 100_000_000 }, default "20000", four_eyes;
    gift_max_coins_month: i64 = Kind::Int { min: 1, max: 1_000_000_000 }, default "60000", four_eyes;
    charity_min_payout_cents: i64 = Kind::Int { min: 1, max: 100_000_000 }, default "10000", four_eyes;
    transfer_sender_coins_30d: i64 = Kind::Int { min: 0, max: 1_000_000_000 }, default "150000", four_eyes;
    transfer_recipient_coins_30d: i64 = Kind::Int { min: 0, max: 1_000_000_000 }, default "200000", four_eyes;
    transfer_pair_coins_30d: i64 = Kind::Int { min: 0, max: 1_000_000_000 }, default "60000", four_eyes;
    admin_alone_coins_day: i64 = Kind::Int { min: 0, max: 1_000_000_000 }, default "5000", four_eyes;
    admin_alone_coins_beneficiary_day: i64 = Kind::Int { min: 0, max: 1_000_000_000 }, default "2000", four_eyes;
    step_writers_allowed: Writers = Kind::Writers, default "android,com.apple.health*,com.fitbit.FitbitMobile,com.garmin.android.apps.connectmobile,com.garmin.connect.mobile,com.google.android.apps.fitness,com.google.android.healthconnect.controller,com.huawei.health,com.ouraring.oura,com.sec.android.app.shealth,com.withings.wiscale2,com.xiaomi.wearable", four_eyes;
    push_step_equivalents: Decimal = Kind::Decimal { min: "0", max: "10" }, default "1.8", four_eyes;
    anti_cheat_max_pushes_per_minute: i64 = Kind::Int { min: 10, max: 400 }, default "110", four_eyes;
    anti_cheat_review_pushes: i64 = Kind::Int { min: 1_000, max: 200_000 }, default "20000", four_eyes;
}

impl Settings {
    /// Every setting at its seeded value: what a fresh database holds. For rules tested
    /// without one, and tools that need the defaults.
    pub fn defaults() -> Self {
        let map = REGISTRY
            .iter()
            .map(|d| (d.key.to_owned(), d.default.to_owned()))
            .collect();
        Self::from_map(&map).expect("the registry's defaults are valid values")
    }
}

fn field<T: SettingValue>(map: &HashMap<String, String>, key: &str, kind: Kind) -> Result<T> {
    let raw = map.get(key).ok_or_else(|| {
        Error::internal(format!("setting {key} is missing from the settings table"))
    })?;
    T::parse(kind, raw)
        .map_err(|reason| Error::internal(format!("setting {key} holds {raw:?}: {reason}")))
}

pub fn definition(key: &str) -> Option<&'static SettingDef> {
    REGISTRY.iter().find(|d| d.key == key)
}

/// Checks a proposed value for `key` and returns its canonical text form, or why not.
pub fn validate(def: &SettingDef, value: &serde_json::Value) -> Result<String, String> {
    // Admins send JSON; accept the natural JSON type and the same value as a string.
    let raw = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Array(items) if matches!(def.kind, Kind::Countries | Kind::Writers) => {
            items
                .iter()
                .map(|i| i.as_str().ok_or("must be a list of strings"))
                .collect::<Result<Vec<&str>, &str>>()?
                .join(",")
        }
        _ => return Err("must be a string, number or boolean".into()),
    };
    match def.kind {
        Kind::Int { .. } => i64::parse(def.kind, &raw).map(|n| n.to_string()),
        Kind::Bool => bool::parse(def.kind, &raw).map(|b| b.to_string()),
        Kind::Decimal { .. } => Decimal::parse(def.kind, &raw).map(|d| d.to_string()),
        Kind::Countries => Countries::parse(def.kind, &raw).map(|c| c.0.join(",")),
        Kind::Writers => Writers::parse(def.kind, &raw).map(|w| w.0.join(",")),
    }
}

/// Loads every setting in one query.
pub async fn load(conn: &mut PgConnection) -> Result<Settings> {
    let rows = crate::db_query!("SELECT key, value FROM settings")
        .fetch_all(conn)
        .await?;
    let map: HashMap<String, String> = rows.into_iter().map(|r| (r.key, r.value)).collect();
    Settings::from_map(&map)
}

/// A setting as admins see it: the value typed as JSON (integers and booleans natively,
/// decimals as exact strings) with the type and range a form needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Setting {
    pub key: String,
    pub value: serde_json::Value,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub min: Option<serde_json::Value>,
    pub max: Option<serde_json::Value>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub updated_by_admin_id: Option<uuid::Uuid>,
    /// A change is a request a second admin approves.
    pub needs_second_admin: bool,
}

impl Setting {
    fn new(
        key: String,
        raw: String,
        description: Option<String>,
        updated_at: chrono::DateTime<chrono::Utc>,
        updated_by_admin_id: Option<uuid::Uuid>,
    ) -> Self {
        use serde_json::{json, Value};
        let needs_second_admin = definition(&key).is_some_and(|d| d.guard == Guard::FourEyes);
        let (kind, value, min, max) = match definition(&key).map(|d| d.kind) {
            Some(Kind::Int { min, max }) => (
                "integer",
                raw.parse::<i64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(raw)),
                Some(json!(min)),
                Some(json!(max)),
            ),
            Some(Kind::Bool) => ("boolean", json!(raw == "true"), None, None),
            Some(Kind::Decimal { min, max }) => (
                "decimal",
                Value::String(raw),
                Some(json!(min)),
                Some(json!(max)),
            ),
            Some(Kind::Writers) => (
                "app_ids",
                json!(raw.split(',').filter(|c| !c.is_empty()).collect::<Vec<_>>()),
                None,
                None,
            ),
            Some(Kind::Countries) => (
                "countries",
                json!(raw.split(',').filter(|c| !c.is_empty()).collect::<Vec<_>>()),
                None,
                None,
            ),
            None => ("unknown", Value::String(raw), None, None),
        };
        Setting {
            key,
            value,
            description,
            kind,
            min,
            max,
            updated_at,
            updated_by_admin_id,
            needs_second_admin,
        }
    }
}

/// Every setting, by key.
pub async fn list(conn: &mut PgConnection) -> Result<Vec<Setting>> {
    let rows = crate::db_query!(
        "SELECT key, value, description, updated_at, updated_by_admin_id FROM settings ORDER BY key"
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            Setting::new(
                r.key,
                r.value,
                r.description,
                r.updated_at,
                r.updated_by_admin_id,
            )
        })
        .collect())
}

/// Checks a proposed value for `key`: its definition and the value's canonical text
/// form. Unknown keys are `404`, a value of the wrong type or out of range `422` naming
/// `value`. (What a value must refer to, such as a trained model's version, is checked
/// by the area that owns it; `approvals` asks.)
pub fn check(key: &str, value: &serde_json::Value) -> Result<(&'static SettingDef, String)> {
    let def = definition(key).ok_or(Error::NotFound)?;
    let canonical = validate(def, value).map_err(|m| Error::invalid("value", m))?;
    Ok((def, canonical))
}

/// One setting as admins see it.
pub async fn get(conn: &mut PgConnection, key: &str) -> Result<Setting> {
    let row = crate::db_query!(
        "SELECT key, value, description, updated_at, updated_by_admin_id FROM settings WHERE key = $1",
        key
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(Setting::new(
        row.key,
        row.value,
        row.description,
        row.updated_at,
        row.updated_by_admin_id,
    ))
}

/// Sets a known key to a checked value; returns the setting before and after. Whether an
/// admin may do it alone (`Guard`) is the caller's to decide: a `FourEyes` setting comes
/// here only from an approved change request.
pub async fn update(
    conn: &mut PgConnection,
    key: &str,
    value: &serde_json::Value,
    admin_id: uuid::Uuid,
) -> Result<(Setting, Setting)> {
    let (_, canonical) = check(key, value)?;
    let before = crate::db_query!(
        "SELECT key, value, description, updated_at, updated_by_admin_id FROM settings WHERE key = $1 FOR UPDATE",
        key
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    let after = crate::db_query!(
        "UPDATE settings SET value = $2, updated_by_admin_id = $3, updated_at = now() WHERE key = $1
         RETURNING key, value, description, updated_at, updated_by_admin_id",
        key,
        canonical,
        admin_id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((
        Setting::new(
            before.key,
            before.value,
            before.description,
            before.updated_at,
            before.updated_by_admin_id,
        ),
        Setting::new(
            after.key,
            after.value,
            after.description,
            after.updated_at,
            after.updated_by_admin_id,
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_typed_and_range_checked() {
        let goal = definition("daily_step_goal").unwrap();
        assert_eq!(validate(goal, &json!(12000)).unwrap(), "12000");
        assert_eq!(validate(goal, &json!("8000")).unwrap(), "8000");
        assert!(validate(goal, &json!("lots")).is_err());
        assert!(validate(goal, &json!(5)).is_err());
        assert!(validate(goal, &json!(1.5)).is_err());
        let flag = definition("anti_cheat_enabled").unwrap();
        assert_eq!(validate(flag, &json!(false)).unwrap(), "false");
        assert!(validate(flag, &json!("yes")).is_err());
        let rate = definition("coins_per_step").unwrap();
        assert_eq!(validate(rate, &json!("0.010")).unwrap(), "0.01");
        assert!(validate(rate, &json!(-1)).is_err());
        assert!(validate(rate, &json!([1])).is_err());
        assert!(definition("no_such_key").is_none());
        let countries = definition("challenge_stake_countries").unwrap();
        assert_eq!(validate(countries, &json!("us, DE,us")).unwrap(), "DE,US");
        assert_eq!(validate(countries, &json!(["GB"])).unwrap(), "GB");
        assert_eq!(validate(countries, &json!("")).unwrap(), "");
        assert!(validate(countries, &json!("USA")).is_err());
        assert!(validate(countries, &json!([1])).is_err());
    }

    #[test]
    fn every_default_is_a_valid_value_of_its_kind() {
        for def in REGISTRY {
            let value = serde_json::Value::String(def.default.into());
            assert_eq!(
                validate(def, &value).as_deref(),
                Ok(def.default),
                "{}",
                def.key
            );
        }
        assert_eq!(Settings::defaults().new_account_days, 14);
    }
}
