//! Mail through the SES v2 emulator: the test sender is created as a verified identity,
//! and what the functions sent is read back from the emulator's `/moto-api/data.json`
//! (it keeps each message's subject, recipients and HTML part).

use serde_json::Value;
use tokio::sync::OnceCell;

/// The `From` of every test mail; an identity on the emulator.
pub const SENDER: &str = "FitKart <no-reply@fitkart.test>";
/// The app's deep-link base in tests. Each `TestApp` makes it its own
/// (`https://<tag>.app.fitkart.test`), so that tests mailing the same address at the same
/// time read back only their own links.
pub const LINK_BASE: &str = "https://app.fitkart.test";

fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: run the suite with scripts/test, which starts the emulator",
    )
}

/// Makes `SENDER` a verified identity on the emulator (once per test process).
pub async fn verify_sender() {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        aws_sdk_sesv2::Client::new(&config)
            .create_email_identity()
            .email_identity("no-reply@fitkart.test")
            .send()
            .await
            .expect("the emulator creates the sender identity");
    })
    .await;
}

/// A mail as SES received it.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The HTML part (the emulator keeps only that one of a two-part mail).
    pub html: String,
}

impl SentMail {
    /// The token of the app link `<link_base>/<screen>?token=...` in the mail.
    pub fn token(&self, link_base: &str, screen: &str) -> Option<String> {
        let start = format!("{link_base}/{screen}?token=");
        let at = self.html.find(&start)? + start.len();
        let token: String = self.html[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

/// Every mail sent to `address`, newest first.
pub async fn sent_to(address: &str) -> Vec<SentMail> {
    let data: Value = fitkart_local::http_client()
        .get(format!("{}/moto-api/data.json", endpoint()))
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("JSON");
    let mut mails: Vec<SentMail> = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|m| SentMail {
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
            html: m["body"].as_str().unwrap_or_default().to_owned(),
        })
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
        .collect();
    mails.reverse();
    mails
}

/// The token in the newest mail to `address` that links to `<link_base>/<screen>`.
pub async fn last_token(link_base: &str, address: &str, screen: &str) -> String {
    sent_to(address)
        .await
        .iter()
        .find_map(|m| m.token(link_base, screen))
        .unwrap_or_else(|| panic!("no mail to {address} links to {link_base}/{screen}"))
}
