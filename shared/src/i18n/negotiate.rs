//! Which of our locales a request asks for: `Accept-Language` negotiated with Project
//! Fluent's `fluent-langneg` (RFC 4647 lookup with likely subtags, so `de-AT` and
//! `de-CH;q=0.9` read as German, `pt-BR` as nothing we speak).

use fluent_langneg::{accepted_languages, negotiate_languages, NegotiationStrategy};
use unic_langid::LanguageIdentifier;

use super::Locale;

/// The best of our selectable locales for an `Accept-Language` header, if any of them is
/// acceptable to it at all (a header of only `pt-BR, *;q=0.1` gives `None`: the caller
/// decides, usually the walker's own locale or English).
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let requested = accepted_languages::parse(header);
    if requested.is_empty() {
        return None;
    }
    let available: Vec<LanguageIdentifier> = Locale::ALL
        .iter()
        .filter(|l| l.selectable())
        .filter_map(|l| l.as_str().parse().ok())
        .collect();
    let chosen = negotiate_languages(&requested, &available, None, NegotiationStrategy::Lookup);
    let chosen = chosen.first()?;
    Locale::parse(&chosen.to_string()).ok()
}

/// The `Content-Language` value of a response rendered in `locale`.
pub fn content_language(locale: Locale) -> &'static str {
    locale.as_str()
}
