//! The catalogs' own checks: every catalog parses, every locale has every English message
//! (and attribute), no message uses a variable English does not give it, and the
//! language rules (plurals, numbers, negotiation) are the CLDR ones.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

use super::*;

type Messages = BTreeMap<String, BTreeSet<String>>;

/// Each message (and `id.attribute`) of a locale with the variables it uses.
fn messages(locale: Locale) -> Messages {
    let mut out = Messages::new();
    for (file, source) in locale.catalog() {
        let resource = fluent_syntax::parser::parse(*source).unwrap_or_else(|(_, errors)| {
            panic!("{}/{file} does not parse: {errors:?}", locale.as_str())
        });
        for entry in resource.body {
            let ast::Entry::Message(message) = entry else {
                continue;
            };
            let id = message.id.name.to_owned();
            if let Some(value) = &message.value {
                out.insert(id.clone(), variables(value));
            }
            for attribute in &message.attributes {
                out.insert(
                    format!("{id}.{}", attribute.id.name),
                    variables(&attribute.value),
                );
            }
        }
    }
    out
}

fn variables(pattern: &ast::Pattern<&str>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, &mut found);
        }
    }
    found
}

fn expression_variables(expression: &ast::Expression<&str>, found: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => inline_variables(inline, found),
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, found);
            for variant in variants {
                found.extend(variables(&variant.value));
            }
        }
    }
}

fn inline_variables(inline: &ast::InlineExpression<&str>, found: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            found.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                inline_variables(argument, found);
            }
        }
        ast::InlineExpression::Placeable { expression } => expression_variables(expression, found),
        _ => {}
    }
}

#[test]
fn every_locale_has_every_english_message_and_no_variable_english_lacks() {
    let english = messages(Locale::En);
    assert!(
        english.len() > 150,
        "the English catalog has {} messages",
        english.len()
    );
    let mut problems = Vec::new();
    for locale in Locale::SHIPPED.into_iter().skip(1) {
        let theirs = messages(locale);
        for id in english.keys() {
            if !theirs.contains_key(id) {
                problems.push(format!("{}: {id} is missing", locale.as_str()));
            }
        }
        for (id, used) in &theirs {
            match english.get(id) {
                None => problems.push(format!(
                    "{}: {id} is not an English message",
                    locale.as_str()
                )),
                Some(declared) => {
                    for variable in used.difference(declared) {
                        problems.push(format!(
                            "{}: {id} uses ${variable}, which English does not",
                            locale.as_str()
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_message_renders_without_errors_in_every_locale() {
    // Every variable a message may use, with a value of the kind it takes.
    let args: Map<String, Value> = serde_json::from_str(
        r#"{"date": "2026-12-07", "when": "2026-12-07T14:05", "zone": "Europe/Berlin",
        "coins": 1234, "steps": 12345, "left": 3, "limit": 5, "friends": 2, "bonus": 50,
        "bonus_coins": 50, "payout_coins": 2000, "stake_coins": 500, "streak_days": 6,
        "days": 30, "verified_days": 7, "quarter": 250, "max": 1000, "cents": 400,
        "cap": 2000, "minimum": 5000, "seconds": 30, "name": "Ann", "email": "a@example.com",
        "alias": "Ann W.", "title": "Daily Showdown", "charity": "Clean Water", "team": "Walkers",
        "order_code": "FK-1", "carrier": "UPS", "tracking_number": "1Z", "note": "Thanks",
        "reasons": "Because.", "reason": "bad", "allow": "GET", "kind": "team", "whose": "yours",
        "what": "you", "status": "approved", "from": "paid", "to": "shipped", "product": "Bottle",
        "after": "2026-12-08 10:00 UTC"}"#,
    )
    .unwrap();
    for locale in Locale::ALL {
        let bundle = locale.bundle();
        for (id, _) in messages(Locale::En) {
            let (message, attribute) = match id.split_once('.') {
                Some((m, a)) => (m.to_owned(), Some(a.to_owned())),
                None => (id.clone(), None),
            };
            let message = bundle.get_message(&message).unwrap();
            let pattern = match &attribute {
                Some(a) => message.get_attribute(a).unwrap().value(),
                None => message.value().unwrap(),
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args(&args)), &mut errors);
            assert!(errors.is_empty(), "{} {id}: {errors:?}", locale.as_str());
            assert!(
                !text.trim().is_empty() || id.contains("achievement"),
                "{} {id} is empty",
                locale.as_str()
            );
        }
    }
}

#[test]
fn polish_counts_friends_with_its_own_plural_forms() {
    let body = |friends: i64| {
        Text::new("push-friend-accepted")
            .arg("alias", "Ola")
            .arg("friends", friends)
            .render(Locale::Pl)
    };
    // Polish: 1 osoba (one), 2-4 osoby (few), 5-21 osób (many), 22 osoby again.
    assert!(body(1).contains("1 osobę"), "{}", body(1));
    assert!(body(2).contains("2 osoby"), "{}", body(2));
    assert!(body(5).contains("5 osób"), "{}", body(5));
    assert!(body(22).contains("22 osoby"), "{}", body(22));
    // Coins too: "2 monety", "5 monet", "22 monety".
    let gift = |coins: i64| {
        Text::new("push-gift-arrived")
            .arg("alias", "Ola")
            .arg("coins", coins)
            .render(Locale::Pl)
    };
    assert!(gift(2).contains("2 monety."), "{}", gift(2));
    assert!(gift(5).contains("5 monet."), "{}", gift(5));
    assert!(gift(22).contains("22 monety."), "{}", gift(22));
    // English has only one and other.
    let english = Text::new("push-friend-accepted")
        .arg("alias", "Ann")
        .arg("friends", 5);
    assert!(english.render(Locale::En).contains("5 friends"));
}

#[test]
fn numbers_and_dates_are_written_the_way_each_language_writes_them() {
    let coins = |locale| {
        Text::new("push-coins-credited")
            .arg("coins", 12345)
            .arg("date", "2026-12-07")
            .render(locale)
    };
    assert_eq!(
        coins(Locale::En),
        "+12,345 coins for your steps on Monday, December 7."
    );
    assert!(
        coins(Locale::De).contains("12.345") && coins(Locale::De).contains("Montag, 7. Dezember"),
        "{}",
        coins(Locale::De)
    );
    // French groups with a narrow no-break space.
    assert!(
        coins(Locale::Fr).contains("12\u{202f}345"),
        "{:?}",
        coins(Locale::Fr)
    );
    assert!(
        coins(Locale::Ja).contains("12,345"),
        "{}",
        coins(Locale::Ja)
    );
    assert_eq!(number(Locale::De, 1234), "1.234");
    // Polish and Spanish group only from five digits (CLDR's minimum grouping).
    assert_eq!(number(Locale::Pl, 1234), "1234");
    assert_eq!(number(Locale::Es, 12345), "12.345");
}

#[test]
fn accept_language_picks_the_best_language_we_speak() {
    assert_eq!(
        from_accept_language("de-AT,de;q=0.9,en;q=0.8"),
        Some(Locale::De)
    );
    assert_eq!(from_accept_language("fr-CA"), Some(Locale::Fr));
    assert_eq!(from_accept_language("pt-BR, ja;q=0.5"), Some(Locale::Ja));
    assert_eq!(from_accept_language("en-GB"), Some(Locale::En));
    assert_eq!(from_accept_language("pt-BR"), None);
    assert_eq!(from_accept_language(""), None);
}

#[test]
fn a_locale_is_chosen_by_its_tag_and_the_pseudo_locale_only_where_enabled() {
    assert_eq!(Locale::choose("PL"), Ok(Locale::Pl));
    assert!(Locale::choose("pt")
        .unwrap_err()
        .contains("en, de, fr, es, pl, ja"));
    // The pseudo-locale needs FITKART_PSEUDO_LOCALE (tests do not set it).
    assert!(Locale::choose("en-XA").is_err());
    let pseudo = Text::new("problem-not-found").render(Locale::Pseudo);
    assert!(
        pseudo.starts_with("Thé réšöürçé")
            && pseudo.chars().count() > "The resource does not exist.".len() * 13 / 10,
        "{pseudo}"
    );
}

#[test]
fn a_missing_message_falls_back_and_is_counted() {
    let before = missing_messages();
    assert_eq!(
        render(Locale::De, "no-such-message", None, &Map::new()),
        "no-such-message"
    );
    assert!(missing_messages() > before);
}
