//! Outgoing mail: the account mails (email verification, email change, password reset,
//! the notices that an email or password changed or is about to), written in the
//! recipient's language from the catalogs (`shared/locales/<locale>/mail.ftl`) into one
//! HTML layout (`templates/layout.html`) and a plain-text part, and sent through Amazon
//! SES v2 (`SendEmail`, simple content with both parts).
//!
//! A send that SES refuses or that cannot reach SES is `503`: the callers send inside
//! their transaction, so a failed mail rolls back whatever the mail was about and the
//! person can simply try again.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::MailConfig;
use crate::i18n::{self, Locale};
use crate::{App, Error, Result};

crate::text_enum! {
    pub enum Template {
        /// To a new account's address: confirm it (`link` to the app's verify screen).
        VerifyEmail = "verify_email",
        /// To the address a signed-in person wants to switch to: confirm it.
        ChangeEmail = "change_email",
        /// To the account's address: choose a new password.
        ResetPassword = "reset_password",
        /// To the old address once the change is confirmed, so a hijack does not go unseen.
        EmailChanged = "email_changed",
        /// To the account's address when a change of its email is asked for, with the "this
        /// wasn't me" link that cancels it and signs every device out.
        EmailChangeRequested = "email_change_requested",
        /// To the account's address after its password changed or was reset, with the same link.
        PasswordChanged = "password_changed",
    }
}

impl Template {
    fn message(self) -> String {
        format!("mail-{}", self.as_str().replace('_', "-"))
    }
}

/// Who reads a mail: their language, and their time zone for the dates in it.
#[derive(Debug, Clone)]
pub struct Reader {
    pub locale: Locale,
    pub zone: chrono_tz::Tz,
    /// When the mail is written (the clock's now), shown in `zone`.
    pub now: DateTime<Utc>,
}

/// The account's language and time zone, for a mail to it.
pub async fn reader(conn: &mut PgConnection, user_id: Uuid, now: DateTime<Utc>) -> Result<Reader> {
    let row = crate::db_query!(
        r#"SELECT locale, user_timezone(users.*) AS "zone!" FROM users WHERE id = $1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(Reader {
        locale: Locale::from_stored(&row.locale),
        zone: row.zone.parse().unwrap_or(chrono_tz::UTC),
        now,
    })
}

/// A rendered mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Writes `template` for `to` in the reader's language with `vars` (`("name", "Ann")`,
/// `("link", ...)`); `when` (now, in the reader's zone) and `zone` are added.
pub fn render(template: Template, to: &str, vars: &[(&str, &str)], reader: &Reader) -> Mail {
    let mut args: Map<String, Value> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let local = reader.now.with_timezone(&reader.zone);
    args.insert(
        "when".into(),
        local.format("%Y-%m-%dT%H:%M").to_string().into(),
    );
    args.insert("zone".into(), reader.zone.name().into());
    let locale = reader.locale;
    let id = template.message();
    let part = |attribute: &str| -> Option<String> {
        // Parts a mail does not have are simply absent from the (English) catalog.
        i18n::has_attribute(Locale::En, &id, attribute)
            .then(|| i18n::render(locale, &id, Some(attribute), &args))
    };
    let link = vars.iter().find(|(k, _)| *k == "link").map(|(_, v)| *v);
    let subject = i18n::render(locale, &id, None, &args);
    let greeting = i18n::render(locale, "mail-greeting", None, &args);
    let signoff = i18n::render(locale, "mail-signoff", None, &args);
    let paragraphs: Vec<String> = ["intro", "body"].iter().filter_map(|a| part(a)).collect();
    let button = part("button").zip(link);
    let note = part("note");

    let mut text = format!("{greeting}\n\n{}\n\n", paragraphs.join("\n\n"));
    if let Some((label, link)) = &button {
        text.push_str(&format!("{label}:\n{link}\n\n"));
    }
    if let Some(note) = &note {
        text.push_str(&format!("{note}\n\n"));
    }
    text.push_str(&signoff);
    text.push('\n');

    let html_paragraphs: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "    <p style=\"font-size:16px;line-height:1.5;\">{}</p>\n",
                html_escape(p)
            )
        })
        .collect();
    let html_button = button.map_or(String::new(), |(label, link)| {
        format!(
            "    <p style=\"text-align:center;margin:32px 0;\">\n      <a href=\"{link}\" style=\"background:#2e7d32;color:#ffffff;text-decoration:none;padding:14px 28px;border-radius:8px;font-weight:600;font-size:16px;\">{}</a>\n    </p>\n",
            html_escape(&label),
            link = html_escape(link),
        )
    });
    let fallback = link.map_or(String::new(), |link| {
        format!(
            " {} <a href=\"{link}\" style=\"color:#2e7d32;\">{link}</a>",
            html_escape(&i18n::render(locale, "mail-link-fallback", None, &args)),
            link = html_escape(link),
        )
    });
    let html_note = note.as_ref().map_or(String::new(), |note| {
        format!(
            "    <p style=\"font-size:14px;line-height:1.5;color:#5a665a;\">{}{fallback}</p>\n",
            html_escape(note)
        )
    });
    let html = include_str!("templates/layout.html")
        .replace("{{lang}}", locale.as_str())
        .replace("{{greeting}}", &html_escape(&greeting))
        .replace("{{paragraphs}}", &html_paragraphs)
        .replace("{{button}}", &html_button)
        .replace("{{note}}", &html_note)
        .replace("{{signoff}}", &html_escape(&signoff).replace('\n', "<br>"));
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

fn html_escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `template` as a walker in `locale` would read it, with sample facts (the console's
/// preview): the reader lives in Berlin and the mail is written at `now`.
pub fn preview(template: Template, locale: Locale, now: DateTime<Utc>) -> Mail {
    render(
        template,
        "ann@example.com",
        &[
            ("name", "Ann"),
            ("email", "ann.new@example.com"),
            ("link", "https://app.example/preview?token=sample"),
        ],
        &Reader {
            locale,
            zone: chrono_tz::Europe::Berlin,
            now,
        },
    )
}

/// The mail settings, or an internal error naming what is missing: only the functions
/// that send mail are configured for it.
pub fn config(app: &App) -> Result<&MailConfig> {
    app.config
        .mail
        .as_ref()
        .ok_or_else(|| Error::internal("MAIL_FROM and APP_LINK_BASE_URL are not configured"))
}

/// The app's deep link `<APP_LINK_BASE_URL>/<screen>?token=<token>`.
pub fn link(config: &MailConfig, screen: &str, token: &str) -> String {
    format!("{}/{screen}?token={token}", config.link_base_url)
}

/// Sends `mail` through SES. Any failure is `503 service_unavailable`.
pub async fn send(app: &App, mail: &Mail) -> Result<()> {
    let config = config(app)?;
    let content = |data: &str| {
        Content::builder()
            .data(data)
            .charset("UTF-8")
            .build()
            .map_err(Error::internal)
    };
    let message = Message::builder()
        .subject(content(&mail.subject)?)
        .body(
            Body::builder()
                .text(content(&mail.text)?)
                .html(content(&mail.html)?)
                .build(),
        )
        .build();
    app.ses()
        .await
        .send_email()
        .from_email_address(&config.from)
        .destination(Destination::builder().to_addresses(&mail.to).build())
        .content(EmailContent::builder().simple(message).build())
        .set_configuration_set_name(config.configuration_set.clone())
        .send()
        .await
        .map_err(|e| {
            Error::Unavailable(format!(
                "SES SendEmail: {}",
                aws_sdk_sesv2::error::DisplayErrorContext(&e)
            ))
        })?;
    // The subject says which mail; the address is personal data and stays out of logs.
    tracing::info!(subject = %mail.subject, "mail sent");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(locale: Locale) -> Reader {
        Reader {
            locale,
            zone: chrono_tz::Europe::Berlin,
            now: "2026-12-07T13:05:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn every_template_fills_every_part_in_every_language() {
        let vars = [
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("link", "https://app.example/verify-email?token=abc"),
        ];
        for locale in Locale::SHIPPED {
            for &template in Template::ALL {
                let mail = render(template, "ann@example.com", &vars, &reader(locale));
                let what = format!("{template:?} in {locale:?}");
                assert!(
                    !mail.subject.is_empty() && !mail.subject.starts_with("mail-"),
                    "{what}"
                );
                assert!(
                    !mail.text.contains('{') && !mail.html.contains("{{"),
                    "{what}: {}",
                    mail.text
                );
                assert!(
                    mail.text.contains("Ann") && mail.html.contains("Ann"),
                    "{what}"
                );
                assert!(mail
                    .html
                    .contains(&format!("<html lang=\"{}\">", locale.as_str())));
                if template != Template::EmailChanged {
                    assert!(
                        mail.text
                            .contains("https://app.example/verify-email?token=abc"),
                        "{what}"
                    );
                    assert!(
                        mail.html
                            .contains("href=\"https://app.example/verify-email?token=abc\""),
                        "{what}"
                    );
                }
            }
        }
    }

    #[test]
    fn names_are_escaped_in_html_but_not_in_text() {
        let mail = render(
            Template::VerifyEmail,
            "x@example.com",
            &[
                ("name", "<b>Bob & Co</b>"),
                ("email", "x@example.com"),
                ("link", "l"),
            ],
            &reader(Locale::En),
        );
        assert!(mail.html.contains("&lt;b&gt;Bob &amp; Co&lt;/b&gt;"));
        assert!(!mail.html.contains("<b>Bob"));
        assert!(mail.text.contains("<b>Bob & Co</b>"));
        assert_eq!(mail.subject, "Confirm your email for FitKart");
    }

    #[test]
    fn dates_are_in_the_readers_zone_and_language() {
        let vars = [("name", "Ann"), ("email", "new@example.com"), ("link", "l")];
        let english = render(
            Template::PasswordChanged,
            "a@example.com",
            &vars,
            &reader(Locale::En),
        );
        // 13:05 UTC is 14:05 in Berlin in December.
        assert!(
            english.text.contains("Dec 7, 2026, 2:05") && english.text.contains("(Europe/Berlin)"),
            "{}",
            english.text
        );
        let german = render(
            Template::PasswordChanged,
            "a@example.com",
            &vars,
            &reader(Locale::De),
        );
        assert!(german.text.contains("07.12.2026, 14:05"), "{}", german.text);
        assert!(german.subject.contains("Passwort"), "{}", german.subject);
    }
}
