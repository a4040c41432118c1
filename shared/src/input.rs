//! Request input: parsing fields into trusted values. Each parser returns the reason a person
//! can read; `Checks` collects every reason of a request into one 422 response.

use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, FieldError};

/// Collects field errors so a client learns about every bad field at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// Keeps the value if it parsed, or records why it did not.
    pub fn field<T>(&mut self, name: impl Into<String>, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(message) => {
                self.0.push(FieldError::new(name, message));
                None
            }
        }
    }

    /// Like `field` for an optional input: `None` stays `None` without an error.
    pub fn optional<T, R>(
        &mut self,
        name: impl Into<String>,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        raw.and_then(|r| self.field(name, parse(r)))
    }

    pub fn fail(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(name, message));
    }

    pub fn is_ok(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}

/// An email address as the person typed it (trimmed; case kept for display). Accounts
/// are matched case-insensitively, through `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-cased form every comparison and lookup uses.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trimmed; one `@` with a non-empty local part and a dotted domain; at most 254 bytes.
pub fn email(raw: &str) -> Result<Email, String> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if valid {
        Ok(Email(email.to_owned()))
    } else {
        Err("must be a valid email address".into())
    }
}

/// A new password that meets the rules. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// 8 to 72 bytes. bcrypt reads at most 72 bytes: a longer password is refused, never
/// silently truncated.
pub fn password(raw: &SecretString) -> Result<Password, String> {
    match raw.expose_secret().len() {
        0..=7 => Err("must be at least 8 bytes long".into()),
        8..=72 => Ok(Password(raw.clone())),
        _ => Err("must be at most 72 bytes long (bcrypt's limit)".into()),
    }
}

/// A field that `Checks::finish` vouched for: once it succeeded every parsed field is
/// `Some`, so this never fails; if it ever did, it is a 500, never a panic.
pub fn checked<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::internal("a field that passed its checks is missing"))
}

/// Serde helpers for PATCH bodies, where an absent field, `null` and a value say three
/// different things. Use each with `#[serde(default, deserialize_with = "...")]`.
pub mod patch {
    use serde::{Deserialize, Deserializer};

    /// Tells an absent field (`None`) from an explicit `null` (`Some(None)`, "clear it").
    pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }

    /// A field that may be left out but has no `null`: `null` is refused like any other
    /// wrong type (a 422 naming the field) instead of passing as "absent".
    pub fn not_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }
}

/// An opaque client value (a sync token): 1 to `max` bytes, kept exactly as sent (no
/// trimming), no control characters (Postgres refuses NUL in text).
pub fn opaque(raw: &str, max: usize) -> Result<String, String> {
    if raw.is_empty() || raw.len() > max {
        Err(format!("must be 1 to {max} bytes"))
    } else if raw.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(raw.to_owned())
    }
}

/// A one-time code as typed: the authenticator's 6 digits, or a recovery code (16
/// characters in groups); spaces and dashes allowed, nothing else odd.
pub fn one_time_code(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    let plain = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if code.is_empty() || code.len() > 32 || !plain {
        Err("must be the 6-digit code from your authenticator app, or a recovery code".into())
    } else {
        Ok(code.to_owned())
    }
}

/// Trimmed, 1 to `max` characters, no control characters. The length counts what was
/// sent, before trimming, as the spec's `maxLength` does: a value over it is refused even
/// when its tail is only whitespace.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        Err("must not be empty".into())
    } else if raw.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        Err("must not contain control characters".into())
    } else {
        Ok(text.to_owned())
    }
}

/// Like `text`, on one line: no line breaks (nor any other control character). For
/// what FitKart writes into mails and shows other people (a name in "Hi {{name}},"
/// must not open a new paragraph of our mail in someone else's words).
pub fn single_line(raw: &str, max: usize) -> Result<String, String> {
    let text = text(raw, max)?;
    if text.contains(['\n', '\u{2028}', '\u{2029}']) {
        Err("must be on one line (no line breaks)".into())
    } else {
        Ok(text)
    }
}

pub fn full_name(raw: &str) -> Result<String, String> {
    single_line(raw, 200)
}

/// An international phone number: optional `+`, 6 to 15 digits, common separators.
pub fn phone(raw: &str) -> Result<String, String> {
    let phone = raw.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().enumerate().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
    });
    if allowed && (6..=15).contains(&digits) && phone.len() <= 32 {
        Ok(phone.to_owned())
    } else {
        Err("must be a phone number with 6 to 15 digits, e.g. +14155550100".into())
    }
}

/// ISO 3166-1 alpha-2 codes currently assigned.
const COUNTRY_CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

pub fn country_code(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && COUNTRY_CODES.split(' ').any(|c| c == code) {
        Ok(code)
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code, e.g. US".into())
    }
}

/// A calendar date as `YYYY-MM-DD`, from 1900 to 9999: nobody walked earlier, and every
/// later computation (a range's default start, Postgres's `date`) stays in range.
pub fn date(raw: &str) -> Result<chrono::NaiveDate, String> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| "must be a date as YYYY-MM-DD".to_owned())?;
    if (1900..=9999).contains(&date.year()) {
        Ok(date)
    } else {
        Err("must be a date between 1900-01-01 and 9999-12-31".into())
    }
}

/// The `from`/`to` query range of a report: each optional (defaults: `to` =
/// `default_to`, `from` = `days` before `to`), `from` not after `to`, at most 366 days.
pub fn date_range(
    from: Option<&str>,
    to: Option<&str>,
    default_to: chrono::NaiveDate,
    days: u64,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), Error> {
    let mut checks = Checks::default();
    let to = checks.optional("to", to, date).unwrap_or(default_to);
    let from = match checks.optional("from", from, date) {
        Some(from) => from,
        // Only computed when needed; `to` is at least 1900, so this never underflows.
        None => to.checked_sub_days(chrono::Days::new(days)).unwrap_or(to),
    };
    if checks.is_ok() && from > to {
        checks.fail("from", "must not be after to");
    } else if checks.is_ok() && (to - from).num_days() > 366 {
        checks.fail("to", "the range must be at most 366 days");
    }
    checks.finish()?;
    Ok((from, to))
}

/// An IANA time zone name such as `Europe/Berlin`.
pub fn timezone(raw: &str) -> Result<chrono_tz::Tz, String> {
    chrono_tz::Tz::from_str(raw.trim())
        .map_err(|_| "must be an IANA time zone, e.g. Europe/Berlin".into())
}

/// An absolute https URL (profile pictures are shown to other users).
pub fn https_url(raw: &str) -> Result<String, String> {
    let url = raw.trim();
    let valid = url.len() <= 2048
        && url.strip_prefix("https://").is_some_and(|rest| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
        });
    if valid {
        Ok(url.to_owned())
    } else {
        Err("must be an https URL".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let ann = email("  Ann@Example.com ").unwrap();
        assert_eq!(ann.as_str(), "Ann@Example.com");
        assert_eq!(ann.key(), "ann@example.com");
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@@b.com",
            "a@b..com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn text_is_trimmed_but_its_length_is_what_was_sent() {
        assert_eq!(text("  Dear reviewer \n", 20).unwrap(), "Dear reviewer");
        assert_eq!(text(&"é".repeat(5), 5).unwrap(), "é".repeat(5));
        assert_eq!(text(" \u{85}\t", 5).unwrap_err(), "must not be empty");
        // The fuzzer's 1,001 characters that trim to two.
        let padded = format!("à9{}", "\u{85}".repeat(999));
        assert_eq!(
            text(&padded, 1000).unwrap_err(),
            "must be at most 1000 characters"
        );
        assert!(text("a\u{1}b", 5).is_err());
    }

    #[test]
    fn passwords_respect_bcrypts_72_byte_limit_and_never_print() {
        let password = |raw: &str| password(&SecretString::from(raw));
        assert!(password("short").is_err());
        assert!(password(&"x".repeat(72)).is_ok());
        assert!(password(&"x".repeat(73)).is_err());
        // 24 three-byte characters are 72 bytes; one more is over the limit.
        assert!(password(&"€".repeat(24)).is_ok());
        assert!(password(&"€".repeat(25)).is_err());
        let secret = password("correct horse battery").unwrap();
        assert!(!format!("{secret:?}").contains("horse"));
        assert_eq!(secret.expose(), "correct horse battery");
    }

    #[test]
    fn date_ranges_default_and_are_bounded() {
        let today = date("2026-11-25").unwrap();
        assert_eq!(
            date_range(None, None, today, 29).unwrap(),
            (date("2026-10-27").unwrap(), today)
        );
        assert!(date_range(Some("2026-11-26"), Some("2026-11-25"), today, 29).is_err());
        assert!(date_range(Some("2025-01-01"), None, today, 29).is_err());
        let bad = date_range(Some("yesterday"), Some("2026-13-01"), today, 29).unwrap_err();
        assert_eq!(bad.status(), 422);
        // Found by the fuzzer: a far-away `to` once panicked computing the default `from`.
        for far in ["-262143-01-01", "+262142-12-31", "0001-01-01", "1899-12-31"] {
            assert_eq!(
                date_range(None, Some(far), today, 29).unwrap_err().status(),
                422
            );
            assert_eq!(
                date_range(Some(far), None, today, 29).unwrap_err().status(),
                422
            );
        }
        assert!(date_range(None, Some("1900-01-01"), today, 29).is_ok());
    }

    #[test]
    fn profile_fields() {
        assert_eq!(country_code("de").unwrap(), "DE");
        assert!(country_code("XX").is_err());
        assert!(timezone("Europe/Berlin").is_ok());
        assert!(timezone("Mars/Olympus").is_err());
        assert!(phone("+1 (415) 555-0100").is_ok());
        assert!(phone("call me").is_err());
        assert!(https_url("https://cdn.example.com/a.png").is_ok());
        assert!(https_url("http://cdn.example.com/a.png").is_err());
        assert!(https_url("javascript:alert(1)").is_err());
        assert!(full_name("   ").is_err());
        assert!(full_name(&"a".repeat(201)).is_err());
        // A name is written into mails: it stays on its line.
        assert_eq!(full_name("  Ann Walker ").unwrap(), "Ann Walker");
        for forged in [
            "Ann\n\nYour account is locked",
            "Ann\r\nBcc: x",
            "Ann\u{2028}Hi",
            "Ann\tB",
        ] {
            assert!(full_name(forged).is_err(), "{forged:?}");
        }
        assert!(text("line one\nline two", 100).is_ok());
    }
}
