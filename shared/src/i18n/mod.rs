//! The walker's language. Every text a walker reads (mails, pushes, the reasons a day was
//! held, achievement and challenge names, notification preference names, the `title` and
//! `detail` of problems) is a Fluent message in the catalogs under `shared/locales/`,
//! rendered here for a [`Locale`]:
//!
//! - plural and select forms follow CLDR's rules (Fluent's `intl_pluralrules`), so a Polish
//!   "2 osoby" and "5 osób" come from the catalog, never from code;
//! - numbers are formatted by ICU4X for the locale (`1,234` / `1.234` / `1 234`), dates by
//!   the `DATE()` function (ICU4X too, in the walker's zone: callers pass local dates);
//! - a message missing from a locale falls back to English and is counted
//!   ([`missing_messages`], and a `MissingMessage` metric), never shown as its id;
//! - `en-XA` is a pseudo-locale (accented, 40% longer English) for seeing what breaks in
//!   the console and mails; it is accepted only where `FITKART_PSEUDO_LOCALE` is set.
//!
//! A message is referred to by a [`Text`]: its id and its arguments, which can be stored
//! (a held day's reasons, a push's facts) and rendered later in whichever locale reads it.

mod format;
mod negotiate;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use negotiate::{content_language, from_accept_language};

crate::text_enum! {
    /// The languages FitKart speaks (BCP 47 tags). `en-XA` is the pseudo-locale.
    #[derive(Default)]
    pub enum Locale {
        #[default]
        En = "en",
        De = "de",
        Fr = "fr",
        Es = "es",
        Pl = "pl",
        Ja = "ja",
        Pseudo = "en-XA",
    }
}

/// The catalogs' files, one set per locale: `(file, source)`.
macro_rules! catalog {
    ($dir:literal) => {
        &[
            (
                "mail.ftl",
                include_str!(concat!("../../locales/", $dir, "/mail.ftl")),
            ),
            (
                "push.ftl",
                include_str!(concat!("../../locales/", $dir, "/push.ftl")),
            ),
            (
                "problems.ftl",
                include_str!(concat!("../../locales/", $dir, "/problems.ftl")),
            ),
            (
                "reasons.ftl",
                include_str!(concat!("../../locales/", $dir, "/reasons.ftl")),
            ),
            (
                "names.ftl",
                include_str!(concat!("../../locales/", $dir, "/names.ftl")),
            ),
        ]
    };
}

type Catalog = &'static [(&'static str, &'static str)];

impl Locale {
    /// The real locales (the pseudo-locale is English, transformed).
    pub const SHIPPED: [Locale; 6] = [
        Locale::En,
        Locale::De,
        Locale::Fr,
        Locale::Es,
        Locale::Pl,
        Locale::Ja,
    ];

    /// The locale's catalog files.
    pub fn catalog(self) -> Catalog {
        match self {
            Locale::En | Locale::Pseudo => catalog!("en"),
            Locale::De => catalog!("de"),
            Locale::Fr => catalog!("fr"),
            Locale::Es => catalog!("es"),
            Locale::Pl => catalog!("pl"),
            Locale::Ja => catalog!("ja"),
        }
    }

    /// Whether a walker may choose it here: the pseudo-locale only where
    /// `FITKART_PSEUDO_LOCALE` is set (local runs), never in production.
    pub fn selectable(self) -> bool {
        self != Locale::Pseudo || pseudo_enabled()
    }

    /// A locale a walker asked for by name (`PATCH /v1/me`): a selectable tag, any case.
    pub fn choose(tag: &str) -> Result<Locale, String> {
        let refusal = || {
            let names: Vec<&str> = Locale::ALL
                .iter()
                .filter(|l| l.selectable())
                .map(|l| l.as_str())
                .collect();
            format!("must be one of {}", names.join(", "))
        };
        Locale::ALL
            .iter()
            .copied()
            .find(|l| l.as_str().eq_ignore_ascii_case(tag.trim()))
            .filter(|l| l.selectable())
            .ok_or_else(refusal)
    }

    /// A stored tag (`users.locale`); anything unknown reads as English.
    pub fn from_stored(tag: &str) -> Locale {
        Locale::parse(tag).unwrap_or_default()
    }

    /// The locale's bundle, parsed on first use: a function answering in German never
    /// parses the other five catalogs (a cold start pays for the languages it speaks).
    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        static BUNDLES: [OnceLock<FluentBundle<FluentResource>>; Locale::ALL.len()] =
            [const { OnceLock::new() }; Locale::ALL.len()];
        let index = Locale::ALL.iter().position(|l| *l == self).unwrap_or(0);
        BUNDLES[index].get_or_init(|| build_bundle(self))
    }
}

fn pseudo_enabled() -> bool {
    std::env::var_os("FITKART_PSEUDO_LOCALE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// One locale's bundle. A catalog that does not parse is a bug the catalog test catches;
/// at run time its good messages still load.
fn build_bundle(locale: Locale) -> FluentBundle<FluentResource> {
    let langid = locale
        .as_str()
        .parse()
        .expect("every Locale is a valid language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Unicode isolation marks around placeables help right-to-left scripts; none of ours
    // is, and they would show as stray characters in mail subjects and pushes.
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(format::number));
    if locale == Locale::Pseudo {
        bundle.set_transform(Some(format::pseudo));
    }
    bundle
        .add_function("DATE", format::date_function(locale))
        .expect("DATE is added once");
    for (file, source) in locale.catalog() {
        let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(r, e)| {
            tracing::error!(locale = locale.as_str(), file, errors = ?e, "catalog does not parse");
            r
        });
        bundle.add_resource_overriding(resource);
    }
    bundle
}

static MISSING: AtomicU64 = AtomicU64::new(0);

/// How many times a message was missing from a locale (and English was used instead)
/// since the process started.
pub fn missing_messages() -> u64 {
    MISSING.load(Ordering::Relaxed)
}

fn count_missing(locale: Locale, id: &str) {
    MISSING.fetch_add(1, Ordering::Relaxed);
    crate::metrics::emit(
        &[("Locale", locale.as_str())],
        &[("MissingMessage", "Count", 1.0)],
        serde_json::json!({ "message": id }),
    );
}

/// A message and its arguments: what a walker will read, before choosing the language.
/// Serialises as `{"id": ..., "args": {...}}` so it can be stored and rendered later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text {
    pub id: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub args: Map<String, Value>,
}

impl Text {
    pub fn new(id: &'static str) -> Self {
        Text {
            id: Cow::Borrowed(id),
            args: Map::new(),
        }
    }

    /// A message whose id is built at run time (`achievement-<code>`).
    pub fn named(id: String) -> Self {
        Text {
            id: Cow::Owned(id),
            args: Map::new(),
        }
    }

    /// Adds an argument: numbers select plural forms and are formatted for the locale;
    /// dates travel as `YYYY-MM-DD` strings for the catalog's `DATE()`.
    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.args.insert(name.to_owned(), value.into());
        self
    }

    pub fn render(&self, locale: Locale) -> String {
        render(locale, &self.id, None, &self.args)
    }

    /// A stored reason: a serialised `Text`, or (rows written before the catalogs) the
    /// English words themselves, shown as they are.
    pub fn render_stored(stored: &str, locale: Locale) -> String {
        match serde_json::from_str::<Text>(stored) {
            Ok(text) => text.render(locale),
            Err(_) => stored.to_owned(),
        }
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl std::fmt::Display for Text {
    /// English: logs, and the texts only admins read.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Locale::En))
    }
}

/// Renders message `id` (or its `attribute`) in `locale`, falling back to English (and
/// counting it) when the locale lacks it. A message English lacks too renders as its id:
/// the catalog test makes sure no code refers to one.
pub fn render(
    locale: Locale,
    id: &str,
    attribute: Option<&str>,
    args: &Map<String, Value>,
) -> String {
    if let Some(text) = try_render(locale, id, attribute, args) {
        return text;
    }
    count_missing(locale, id);
    try_render(Locale::En, id, attribute, args).unwrap_or_else(|| id.to_owned())
}

/// Whether `locale`'s catalog has message `id` with attribute `attribute`.
pub fn has_attribute(locale: Locale, id: &str, attribute: &str) -> bool {
    locale
        .bundle()
        .get_message(id)
        .is_some_and(|m| m.get_attribute(attribute).is_some())
}

/// Whether `locale`'s catalog has message `id`.
pub fn has(locale: Locale, id: &str) -> bool {
    locale.bundle().has_message(id)
}

fn try_render(
    locale: Locale,
    id: &str,
    attribute: Option<&str>,
    args: &Map<String, Value>,
) -> Option<String> {
    let bundle = locale.bundle();
    let message = bundle.get_message(id)?;
    let pattern = match attribute {
        Some(name) => message.get_attribute(name)?.value(),
        None => message.value()?,
    };
    let args = fluent_args(args);
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
    if !errors.is_empty() {
        tracing::warn!(locale = locale.as_str(), id, errors = ?errors, "message rendered with errors");
    }
    Some(text.into_owned())
}

fn fluent_args(args: &Map<String, Value>) -> FluentArgs<'_> {
    let mut out = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        let value = match value {
            Value::Number(n) => FluentValue::from(n.as_f64().unwrap_or_default()),
            Value::String(s) => FluentValue::from(s.as_str()),
            Value::Bool(b) => FluentValue::from(if *b { "true" } else { "false" }),
            _ => FluentValue::None,
        };
        out.set(name.as_str(), value);
    }
    out
}

/// A number formatted for the locale, outside a message (the console's previews, CSV).
pub fn number(locale: Locale, n: i64) -> String {
    format::decimal(locale, n as f64, 0)
}

#[cfg(test)]
mod tests;
