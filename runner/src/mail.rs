//! Mail on one machine: the functions send through SES v2 on the emulator (from a sender
//! the runner makes a verified identity), and the runner shows what was sent: each new
//! mail's subject and link printed as it arrives, `GET /_local/mail` (JSON, newest first),
//! and two stand-ins for the app's deep-link screens, so a person can click through email
//! verification and a password reset without AWS:
//!
//!   /_local/app/verify-email?token=...    confirms the email (POST /v1/auth/email/verify)
//!   /_local/app/reset-password?token=...  a form that sets a new password (POST /v1/auth/password/reset)

use std::collections::HashSet;

use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The local sender (an identity on the emulator).
pub const SENDER: &str = "FitKart <no-reply@fitkart.local>";
const SENDER_ADDRESS: &str = "no-reply@fitkart.local";

/// Where the app's links point locally: the runner's stand-in screens.
pub fn link_base(port: u16) -> String {
    format!("http://127.0.0.1:{port}/_local/app")
}

/// Makes the sender a verified identity on the emulator, as an operator does in SES.
pub async fn verify_sender(aws: &aws_config::SdkConfig) -> Result<(), String> {
    aws_sdk_sesv2::Client::new(aws)
        .create_email_identity()
        .email_identity(SENDER_ADDRESS)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("creating the SES sender identity: {e}"))
}

/// A mail as SES received it, as `GET /_local/mail` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LocalMail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The first link in the mail that carries a token (verify, reset), if any.
    pub link: Option<String>,
    pub html: String,
}

/// What the emulator received, as its `/moto-api/data.json` shows it (SES mail, SNS
/// pushes): the one place the runner reads it.
pub(crate) async fn emulator_data() -> Result<Value, String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| "AWS_ENDPOINT_URL is not set")?;
    crate::http_client()
        .get(format!("{endpoint}/moto-api/data.json"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())
}

/// Every mail the emulator holds, newest first.
pub async fn sent() -> Result<Vec<LocalMail>, String> {
    let data = emulator_data().await?;
    let mut mails: Vec<LocalMail> = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let html = m["body"].as_str().unwrap_or_default().to_owned();
            LocalMail {
                id: m["id"].as_str().unwrap_or_default().to_owned(),
                from: m["source"].as_str().unwrap_or_default().to_owned(),
                to: m["destinations"]["ToAddresses"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                subject: m["subject"].as_str().unwrap_or_default().to_owned(),
                link: token_link(&html),
                html,
            }
        })
        .collect();
    mails.reverse();
    Ok(mails)
}

fn token_link(html: &str) -> Option<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.contains("?token="))
        .map(str::to_owned)
}

/// The token of the newest mail to `address` whose link opens `screen`.
pub async fn last_token(address: &str, screen: &str) -> Result<Option<String>, String> {
    Ok(sent().await?.into_iter().find_map(|m| {
        let link = m.link?;
        let to_address = m.to.iter().any(|t| t.eq_ignore_ascii_case(address));
        let token = link.split_once(&format!("/{screen}?token="))?.1.to_owned();
        to_address.then_some(token)
    }))
}

/// Prints each new mail (recipient, subject, link) as the emulator receives it.
pub async fn print_new_mail() {
    let mut seen = HashSet::new();
    loop {
        if let Ok(mails) = sent().await {
            for mail in mails.iter().rev() {
                if seen.insert(mail.id.clone()) {
                    println!(
                        "[mail] to {}: {}{}",
                        mail.to.join(", "),
                        mail.subject,
                        mail.link
                            .as_deref()
                            .map(|l| format!("\n[mail]   {l}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// `/_local/mail` and the stand-in app screens; `base` is the runner's own URL.
pub fn routes<S: Clone + Send + Sync + 'static>(base: String) -> axum::Router<S> {
    axum::Router::new()
        .route("/_local/mail", get(list))
        .route("/_local/app/verify-email", get(verify_email))
        .route(
            "/_local/app/reset-password",
            get(reset_form).post(reset_password),
        )
        .with_state(base)
}

async fn list() -> Response {
    match sent().await {
        Ok(mails) => Json(mails).into_response(),
        Err(e) => (
            axum::http::StatusCode::BAD_GATEWAY,
            format!("the SES emulator did not answer: {e}"),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: String,
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto\">\
         <p><small>FitKart app (local stand-in)</small></p><h1>{title}</h1>{body}</body></html>"
    ))
}

fn escape(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn call_api(base: &str, path: &str, body: Value) -> (u16, Value) {
    match crate::http_client()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
    {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(e) => (502, serde_json::json!({ "detail": e.to_string() })),
    }
}

async fn verify_email(State(base): State<String>, Query(q): Query<TokenQuery>) -> Html<String> {
    let (status, body) = call_api(
        &base,
        "/v1/auth/email/verify",
        serde_json::json!({ "token": q.token }),
    )
    .await;
    if status == 200 {
        page(
            "Email confirmed",
            &format!(
                "<p>{} is confirmed. You can close this page.</p>",
                escape(body["email"].as_str().unwrap_or_default())
            ),
        )
    } else {
        page(
            "This link didn't work",
            &format!(
                "<p>{}</p>",
                escape(body["detail"].as_str().unwrap_or("Unknown error"))
            ),
        )
    }
}

async fn reset_form(Query(q): Query<TokenQuery>) -> Html<String> {
    page(
        "Choose a new password",
        &format!(
            "<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <label>New password (8 to 72 bytes)<br><input type=\"password\" name=\"password\" minlength=\"8\" required></label>\
             <p><button type=\"submit\">Set password</button></p></form>",
            escape(&q.token)
        ),
    )
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    password: String,
}

async fn reset_password(State(base): State<String>, Form(form): Form<ResetForm>) -> Html<String> {
    let (status, body) = call_api(
        &base,
        "/v1/auth/password/reset",
        serde_json::json!({ "token": form.token, "password": form.password }),
    )
    .await;
    if status == 204 {
        page(
            "Password changed",
            "<p>Sign in with your new password. Every other session has been signed out.</p>",
        )
    } else {
        let reasons: Vec<String> = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["field"].as_str().unwrap_or(""),
                            e["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        page(
            "The password was not changed",
            &format!(
                "<p>{}</p><p>{}</p>",
                escape(body["detail"].as_str().unwrap_or("Unknown error")),
                escape(&reasons.join("; "))
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_link_is_the_first_link_with_a_token() {
        let html = r#"<a href="https://x/">home</a> <a href="http://127.0.0.1:3000/_local/app/verify-email?token=abc">go</a>"#;
        assert_eq!(
            token_link(html).as_deref(),
            Some("http://127.0.0.1:3000/_local/app/verify-email?token=abc")
        );
        assert_eq!(token_link("<p>no links</p>"), None);
    }
}
