//! Mail through the SES v2 emulator: the test sender is created as a verified identity,
//! and what the functions sent is read back from the emulator's `/moto-api/data.json`
//! (it keeps each message's subject, recipients and HTML part).

use tokio::sync::OnceCell;

/// The `From` of every test mail; an identity on the emulator.
pub const SENDER: &str = "FitKart <no-reply@fitkart.test>";
/// The app's deep-link base in tests. Each `TestApp` makes it its own
/// (`https://<tag>.app.fitkart.test`), so that tests mailing the same address at the same
/// time read back only their own links.
pub const LINK_BASE: &str = "https://app.fitkart.test";

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

/// Every mail sent to `address`, newest first (read the way the runner's `/_local/mail`
/// reads them).
pub async fn sent_to(address: &str) -> Vec<SentMail> {
    fitkart_local::mail::sent()
        .await
        .expect("the emulator answers")
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
        .map(|m| SentMail {
            from: m.from,
            to: m.to,
            subject: m.subject,
            html: m.html,
        })
        .collect()
}

/// The token in the newest mail to `address` that links to `<link_base>/<screen>`.
pub async fn last_token(link_base: &str, address: &str, screen: &str) -> String {
    sent_to(address)
        .await
        .iter()
        .find_map(|m| m.token(link_base, screen))
        .unwrap_or_else(|| panic!("no mail to {address} links to {link_base}/{screen}"))
}
