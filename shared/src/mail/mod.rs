//! Outgoing mail: the account mails (email verification, email change, password reset,
//! the notices that an email or password changed or is about to), rendered from the text and HTML templates next to
//! this file and sent through Amazon SES v2 (`SendEmail`, simple content with both parts).
//!
//! Templates are plain files: the text file's first line is the subject, `{{name}}`-style
//! placeholders are filled in (HTML-escaped in the HTML part). A send that SES refuses or
//! that cannot reach SES is `503`: the callers send inside their transaction, so a failed
//! mail rolls back whatever the mail was about and the person can simply try again.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::config::MailConfig;
use crate::{App, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// To a new account's address: confirm it (`{{link}}` to the app's verify screen).
    VerifyEmail,
    /// To the address a signed-in person wants to switch to: confirm it.
    ChangeEmail,
    /// To the account's address: choose a new password.
    ResetPassword,
    /// To the old address once the change is confirmed, so a hijack does not go unseen.
    EmailChanged,
    /// To the account's address when a change of its email is asked for, with the "this
    /// wasn't me" link (`{{link}}`) that cancels it and signs every device out.
    EmailChangeRequested,
    /// To the account's address after its password changed or was reset, with the same link.
    PasswordChanged,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::VerifyEmail,
        Template::ChangeEmail,
        Template::ResetPassword,
        Template::EmailChanged,
        Template::EmailChangeRequested,
        Template::PasswordChanged,
    ];

    /// (text with the subject on its first line, html)
    fn source(self) -> (&'static str, &'static str) {
        match self {
            Template::VerifyEmail => (
                include_str!("templates/verify_email.txt"),
                include_str!("templates/verify_email.html"),
            ),
            Template::ChangeEmail => (
                include_str!("templates/change_email.txt"),
                include_str!("templates/change_email.html"),
            ),
            Template::ResetPassword => (
                include_str!("templates/reset_password.txt"),
                include_str!("templates/reset_password.html"),
            ),
            Template::EmailChanged => (
                include_str!("templates/email_changed.txt"),
                include_str!("templates/email_changed.html"),
            ),
            Template::EmailChangeRequested => (
                include_str!("templates/email_change_requested.txt"),
                include_str!("templates/email_change_requested.html"),
            ),
            Template::PasswordChanged => (
                include_str!("templates/password_changed.txt"),
                include_str!("templates/password_changed.html"),
            ),
        }
    }
}

/// A rendered mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Fills `template` for `to` with `vars` (`("name", "Ann")` fills `{{name}}`).
pub fn render(template: Template, to: &str, vars: &[(&str, &str)]) -> Mail {
    let (text, html) = template.source();
    let (subject, text) = text.split_once('\n').unwrap_or((text, ""));
    let fill = |source: &str, escape: fn(&str) -> String| {
        vars.iter().fold(source.to_owned(), |out, (key, value)| {
            out.replace(&format!("{{{{{key}}}}}"), &escape(value))
        })
    };
    Mail {
        to: to.to_owned(),
        subject: fill(subject, |v| v.to_owned()),
        text: fill(text.trim_start_matches('\n'), |v| v.to_owned()),
        html: fill(html, html_escape),
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

    #[test]
    fn every_template_fills_every_placeholder_in_both_parts() {
        let vars = [
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("link", "https://app.example/verify-email?token=abc"),
        ];
        for template in Template::ALL {
            let mail = render(template, "ann@example.com", &vars);
            assert!(!mail.subject.is_empty() && !mail.subject.contains("{{"));
            assert!(
                !mail.text.contains("{{"),
                "{template:?} text: {}",
                mail.text
            );
            assert!(!mail.html.contains("{{"), "{template:?} html");
            assert!(mail.text.contains("Ann") && mail.html.contains("Ann"));
            if template != Template::EmailChanged {
                assert!(mail
                    .text
                    .contains("https://app.example/verify-email?token=abc"));
                assert!(mail
                    .html
                    .contains("href=\"https://app.example/verify-email?token=abc\""));
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
        );
        assert!(mail.html.contains("&lt;b&gt;Bob &amp; Co&lt;/b&gt;"));
        assert!(!mail.html.contains("<b>Bob"));
        assert!(mail.text.contains("<b>Bob & Co</b>"));
        assert_eq!(mail.subject, "Confirm your email for FitKart");
    }
}
