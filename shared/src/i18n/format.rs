//! What Fluent leaves to the application: numbers and dates in the locale's own way
//! (ICU4X's CLDR data), and the pseudo-locale's transform.

use std::borrow::Cow;

use fluent_bundle::memoizer::MemoizerKind;
use fluent_bundle::types::FluentNumber;
use fluent_bundle::{FluentArgs, FluentValue};
use icu_calendar::{Date, Gregorian};
use icu_datetime::fieldsets::{MDE, YMD};
use icu_datetime::input::{DateTime, Time};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_decimal::input::Decimal;
use icu_decimal::DecimalFormatter;
use unic_langid::LanguageIdentifier;

use super::Locale;

fn icu_locale(tag: &str) -> icu_locale_core::Locale {
    icu_locale_core::Locale::try_from_str(tag).unwrap_or(icu_locale_core::Locale::UNKNOWN)
}

/// ICU4X's decimal formatter, built once per bundle by Fluent's memoizer.
struct Numbers(DecimalFormatter);

impl intl_memoizer::Memoizable for Numbers {
    type Args = ();
    type Error = ();

    fn construct(lang: LanguageIdentifier, _: ()) -> Result<Self, ()> {
        let locale = icu_locale(&lang.to_string());
        DecimalFormatter::try_new((&locale).into(), Default::default())
            .map(Numbers)
            .map_err(|_| ())
    }
}

/// `n` with at most `fraction_digits` decimals (fewer when they are zeros: 12 coins, 12.5 km).
fn to_decimal(n: f64, fraction_digits: i16) -> Decimal {
    let scale = 10f64.powi(i32::from(fraction_digits));
    let mut decimal = Decimal::from((n * scale).round() as i64);
    decimal.multiply_pow10(-fraction_digits);
    decimal.absolute.trim_end();
    decimal
}

/// The bundle's formatter for number placeables: CLDR grouping and separators for the
/// bundle's locale. Other values keep Fluent's own formatting.
pub(super) fn number<M: MemoizerKind>(value: &FluentValue, memoizer: &M) -> Option<String> {
    let FluentValue::Number(FluentNumber { value, options }) = value else {
        return None;
    };
    let digits = options.maximum_fraction_digits.unwrap_or(2).min(6) as i16;
    let mut decimal = to_decimal(*value, digits);
    if let Some(min) = options.minimum_fraction_digits {
        // Money keeps its cents: NUMBER($amount, minimumFractionDigits: 2).
        decimal.absolute.pad_end(-(min.min(6) as i16));
    }
    memoizer
        .with_try_get_threadsafe::<Numbers, _, _>((), |f| f.0.format(&decimal).to_string())
        .ok()
}

/// A number formatted for `locale` outside a message.
pub(super) fn decimal(locale: Locale, n: f64, fraction_digits: i16) -> String {
    let locale = icu_locale(locale.as_str());
    match DecimalFormatter::try_new((&locale).into(), Default::default()) {
        Ok(f) => f.format(&to_decimal(n, fraction_digits)).to_string(),
        Err(_) => n.to_string(),
    }
}

/// `DATE($day)`: a `YYYY-MM-DD` date as the locale writes a day ("Monday, December 7",
/// "Montag, 7. Dezember"); `DATE($at)` with `YYYY-MM-DDTHH:MM` adds the time ("Dec 7,
/// 2026, 14:05"). Callers pass the walker's local date and time; anything else is shown
/// as it is.
pub(super) fn date_function(
    locale: Locale,
) -> impl for<'a> Fn(&[FluentValue<'a>], &FluentArgs) -> FluentValue<'a> + Send + Sync + 'static {
    move |positional, _named| {
        let Some(FluentValue::String(raw)) = positional.first() else {
            return FluentValue::Error;
        };
        match format_date(locale, raw) {
            Some(text) => FluentValue::from(text),
            None => FluentValue::from(raw.to_string()),
        }
    }
}

fn format_date(locale: Locale, raw: &str) -> Option<String> {
    let prefs = (&icu_locale(locale.as_str())).into();
    let (day, time) = match raw.split_once('T') {
        Some((day, time)) => (day, Some(time)),
        None => (raw, None),
    };
    let day: chrono::NaiveDate = day.parse().ok()?;
    use chrono::Datelike;
    let date = Date::try_new_gregorian(day.year(), day.month() as u8, day.day() as u8).ok()?;
    match time {
        None => {
            let f =
                FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(prefs, MDE::long()).ok()?;
            Some(f.format(&date).to_string())
        }
        Some(time) => {
            let time = chrono::NaiveTime::parse_from_str(time.get(..5)?, "%H:%M").ok()?;
            use chrono::Timelike;
            let time = Time::try_new(time.hour() as u8, time.minute() as u8, 0, 0).ok()?;
            let f = FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new(
                prefs,
                YMD::medium().with_time_hm(),
            )
            .ok()?;
            Some(f.format(&DateTime { date, time }).to_string())
        }
    }
}

/// The pseudo-locale: every letter accented and each text 40% longer, so untranslated
/// strings (plain ASCII) and cramped layouts stand out.
pub(super) fn pseudo(text: &str) -> Cow<'_, str> {
    if text.trim().is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out: String = text
        .chars()
        .map(|c| match c {
            'a' => 'á',
            'e' => 'é',
            'i' => 'í',
            'o' => 'ö',
            'u' => 'ü',
            'y' => 'ý',
            'c' => 'ç',
            'n' => 'ñ',
            's' => 'š',
            'z' => 'ž',
            'A' => 'Å',
            'E' => 'É',
            'I' => 'Î',
            'O' => 'Ö',
            'U' => 'Ü',
            'C' => 'Ç',
            'N' => 'Ñ',
            'S' => 'Š',
            c => c,
        })
        .collect();
    let padding = (text.chars().count() * 2).div_ceil(5);
    out.push_str(&"·".repeat(padding));
    Cow::Owned(out)
}
