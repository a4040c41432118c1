//! Mail on one machine: the functions send through SES v2 on the emulator (from a sender
//! the runner makes a verified identity), and the runner shows what was sent: each new
//! mail's subject and link printed as it arrives, `GET /_local/mail` (JSON, newest first),
//! and two stand-ins for the app's deep-link screens, so a person can click through email
//! verification and a password reset without AWS:
//!
//!   /_local/app/verify-email?token=...    confirms the email (POST /v1/auth/email/verify)
//!   /_local/app/reset-password?token=...  a form that sets a new password (POST /v1/auth/password/reset)
//!   /_local/app/secure-account?token=...  "this wasn't me": a button that signs every device
//!                                          out (POST /v1/auth/secure-account)

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
pub async fn verify_sender(aws: &aws_config::SdkConfig) -> crate::Result<()> {
    aws_sdk_sesv2::Client::new(aws)
        .create_email_identity()
        .email_identity(SENDER_ADDRESS)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| crate::Error::Emulator(format!("creating the SES sender identity: {e}")))
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
///
/// The emulator serves requests on many threads over state it does not lock, so a read
/// that overlaps other calls now and then fails inside it (a 500 with an HTML page, e.g.
/// "dictionary changed size during iteration"). The AWS SDK clients retry such answers;
/// this plain HTTP read does the same, a few times, before it gives up.
pub(crate) async fn emulator_data() -> crate::Result<Value> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .map_err(|_| crate::Error::Emulator("AWS_ENDPOINT_URL is not set".into()))?;
    emulator_data_at(&endpoint).await
}

async fn emulator_data_at(endpoint: &str) -> crate::Result<Value> {
    const ATTEMPTS: u32 = 5;
    let url = format!("{endpoint}/moto-api/data.json");
    let mut attempt = 1;
    loop {
        match read_json(&url).await {
            Ok(data) => return Ok(data),
            Err(e) if attempt == ATTEMPTS => {
                return Err(crate::Error::Emulator(format!(
                    "{url} failed {ATTEMPTS} times, last: {e}"
                )))
            }
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
        }
    }
}

async fn read_json(url: &str) -> crate::Result<Value> {
    let response = crate::http_client().get(url).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() {
        let head = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(crate::Error::Emulator(format!("status {status}: {head}")));
    }
    serde_json::from_slice(&body).map_err(|e| crate::Error::Emulator(format!("not JSON ({e})")))
}

/// Every mail the emulator holds, newest first.
pub async fn sent() -> crate::Result<Vec<LocalMail>> {
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
pub async fn last_token(address: &str, screen: &str) -> crate::Result<Option<String>> {
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
        .route(
            "/_local/app/secure-account",
            get(secure_form).post(secure_account),
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

/// A page with a button, not an action on GET: mail scanners open links to check them.
async fn secure_form(Query(q): Query<TokenQuery>) -> Html<String> {
    page(
        "Wasn't you?",
        &format!(
            "<p>This signs every device out of the account and cancels a pending change of its email. \
             Then choose a new password with \"Forgot password\".</p>\
             <form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <p><button type=\"submit\">Sign every device out</button></p></form>",
            escape(&q.token)
        ),
    )
}

async fn secure_account(State(base): State<String>, Form(form): Form<TokenQuery>) -> Html<String> {
    let (status, body) = call_api(
        &base,
        "/v1/auth/secure-account",
        serde_json::json!({ "token": form.token }),
    )
    .await;
    if status == 204 {
        page(
            "Every device is signed out",
            "<p>Nobody is signed in to the account any more, and a pending email change is cancelled. \
             Choose a new password with \"Forgot password\" before you sign in again.</p>",
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
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// A stand-in emulator whose `data.json` fails its first `failures` reads the way moto
    /// does when a read races a write (a 500 with an HTML page); returns its URL and the
    /// count of reads.
    async fn flaky_emulator(failures: u32) -> (String, Arc<AtomicU32>) {
        let reads = Arc::new(AtomicU32::new(0));
        let counter = reads.clone();
        let app = axum::Router::new().route(
            "/moto-api/data.json",
            get(move || {
                let read = counter.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    if read <= failures {
                        (
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            Html("<h1>Internal Server Error</h1>".to_owned()),
                        )
                            .into_response()
                    } else {
                        Json(serde_json::json!({ "ses": { "Message": [] } })).into_response()
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, reads)
    }

    #[tokio::test]
    async fn a_read_that_fails_inside_the_emulator_is_tried_again() {
        let (url, reads) = flaky_emulator(2).await;
        let data = emulator_data_at(&url)
            .await
            .expect("the third read answers");
        assert_eq!(data["ses"]["Message"], serde_json::json!([]));
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_emulator_that_keeps_failing_is_an_error_naming_its_answer() {
        let (url, reads) = flaky_emulator(u32::MAX).await;
        let error = emulator_data_at(&url).await.unwrap_err().to_string();
        assert!(
            error.contains("500") && error.contains("Internal Server Error"),
            "{error}"
        );
        assert_eq!(reads.load(Ordering::SeqCst), 5);
    }

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
