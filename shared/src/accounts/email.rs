//! Email ownership: the verification mail a new account gets (and may ask for again),
//! confirming an address with the mailed token, and changing the address (confirmed from
//! the new inbox; the old one is told when the change is asked for, with a link that
//! cancels it, and again once it happens). Confirming a new address is a credential
//! change: every session and pending mailed token of the account ends.
//!
//! Every mail is sent inside the transaction that stores its token: if SES refuses it,
//! nothing was stored and the person simply asks again. Every mail counts against the
//! mail limits of the account, the recipient and the source (`ratelimit::mail`).

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgConnection;
use uuid::Uuid;

use super::password::{self, Credentials};
use super::tokens::{self, Purpose};
use crate::i18n::Text;
use crate::input::Email;
use crate::mail::{self, Template};
use crate::ratelimit::{self, Limit, MailRequest};
use crate::users::{self, User};
use crate::{referrals, App, Error, Result};

/// At most 3 verification mails an hour per account.
const RESEND: Limit = Limit::per_hour("verification_mail", 3);
/// At most 3 email changes asked for an hour per account.
const CHANGE_REQUESTS: Limit = Limit::per_hour("email_change", 3);

/// Issues a verification token for `email` and mails its link. Call it inside the
/// transaction that should only commit if the mail went out.
pub async fn send_verification(
    app: &App,
    conn: &mut PgConnection,
    user_id: Uuid,
    name: &str,
    email: &str,
) -> Result<()> {
    let config = mail::config(app)?;
    let token = tokens::issue(&mut *conn, user_id, Purpose::VerifyEmail, email).await?;
    let link = mail::link(config, "verify-email", &token);
    let reader = mail::reader(&mut *conn, user_id, app.now()).await?;
    let mail = mail::render(
        Template::VerifyEmail,
        email,
        &[("name", name), ("email", email), ("link", &link)],
        &reader,
    );
    mail::send(app, &mail).await
}

/// `POST /v1/auth/email/resend`: a new verification mail (the older link stops working).
pub async fn resend(app: &App, user_id: Uuid, source_ip: Option<&str>) -> Result<()> {
    let pool = app.db().await?;
    let mut tx = pool.begin().await?;
    let user = users::get(&mut tx, user_id).await?;
    tx.commit().await?;
    if user.email_verified {
        return Err(Error::conflict(
            "already_verified",
            Text::new("problem-already-verified"),
        ));
    }
    ratelimit::hit(pool, RESEND, &user_id.to_string(), app.now()).await?;
    ratelimit::mail(
        pool,
        MailRequest {
            account: Some(user_id),
            recipient: &user.email,
            source_ip,
        },
        app.now(),
    )
    .await?;
    let mut tx = pool.begin().await?;
    send_verification(app, &mut tx, user.id, &user.full_name, &user.email).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /v1/auth/email/verify`: a verification or email-change token from a mail. A
/// verification confirms the address it was sent to (if the account still has it); an
/// email change moves the account to the new, now proven, address and tells the old one.
pub async fn verify(app: &App, token: &SecretString) -> Result<User> {
    // Read before the transaction: a function runs on one pooled connection.
    let settings = app.settings().await?;
    let mut tx = app.db().await?.begin().await?;
    let redeemed = tokens::redeem(
        &mut tx,
        token.expose_secret(),
        &[Purpose::VerifyEmail, Purpose::ChangeEmail],
    )
    .await?;
    let account = redeemed.owner(&mut tx).await?;
    match redeemed.purpose {
        Purpose::VerifyEmail => {
            if !redeemed.proves(&account) {
                return Err(tokens::stale());
            }
            crate::db_query!(
                "UPDATE users SET email_verified = TRUE, updated_at = now() WHERE id = $1",
                redeemed.user_id
            )
            .execute(&mut *tx)
            .await?;
        }
        Purpose::ChangeEmail => {
            // A live account that took the address meanwhile makes this a 409 email_taken.
            crate::db_query!(
                "UPDATE users SET email = $2, email_verified = TRUE, updated_at = now() WHERE id = $1",
                redeemed.user_id,
                redeemed.email
            )
            .execute(&mut *tx)
            .await?;
            // The address is a credential: whoever was signed in must prove it again.
            super::end_everything(&mut tx, redeemed.user_id).await?;
            let reader = mail::reader(&mut tx, redeemed.user_id, app.now()).await?;
            let notice = mail::render(
                Template::EmailChanged,
                &account.email,
                &[("name", &account.full_name), ("email", &redeemed.email)],
                &reader,
            );
            mail::send(app, &notice).await?;
        }
        Purpose::ResetPassword | Purpose::SecureAccount => return Err(tokens::stale()),
    }
    // A referral waits for the referee's confirmed email (docs/pipeline-and-ledger.md, fraud defences).
    referrals::pay_due(&mut tx, &settings, &[redeemed.user_id], app.now()).await?;
    let user = users::get(&mut tx, redeemed.user_id).await?;
    tx.commit().await?;
    Ok(user)
}

/// `POST /v1/me/email`: after the password is confirmed, mails a link to `new_email`.
/// The account keeps its address until that link comes back through `verify`.
pub async fn request_change(
    app: &App,
    user_id: Uuid,
    new_email: &Email,
    current_password: &SecretString,
    source_ip: Option<&str>,
) -> Result<()> {
    let pool = app.db().await?;
    let mut tx = pool.begin().await?;
    let account = Credentials::by_id(&mut tx, user_id).await?;
    tx.commit().await?;
    password::check(
        app,
        Some(&account),
        &account.email.to_lowercase(),
        current_password,
        source_ip,
    )
    .await?;
    if account.email.to_lowercase() == new_email.key() {
        return Err(Error::invalid("email", "is already your email"));
    }
    let taken = crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1 AND deleted_at IS NULL) AS "taken!""#,
        new_email.key()
    )
    .fetch_one(pool)
    .await?;
    if taken {
        return Err(Error::conflict(
            "email_taken",
            Text::new("problem-email-taken"),
        ));
    }
    // Two mails go out: the confirmation to the new address and the notice to this one.
    ratelimit::hit(pool, CHANGE_REQUESTS, &user_id.to_string(), app.now()).await?;
    for recipient in [new_email.as_str(), account.email.as_str()] {
        ratelimit::mail(
            pool,
            MailRequest {
                account: Some(user_id),
                recipient,
                source_ip,
            },
            app.now(),
        )
        .await?;
    }
    let config = mail::config(app)?;
    let mut tx = pool.begin().await?;
    let token = tokens::issue(&mut tx, user_id, Purpose::ChangeEmail, new_email.as_str()).await?;
    let link = mail::link(config, "verify-email", &token);
    let reader = mail::reader(&mut tx, user_id, app.now()).await?;
    let mail = mail::render(
        Template::ChangeEmail,
        new_email.as_str(),
        &[
            ("name", &account.full_name),
            ("email", new_email.as_str()),
            ("link", &link),
        ],
        &reader,
    );
    mail::send(app, &mail).await?;
    // The address the account has now hears of it, with the way to stop it.
    let secure = tokens::issue(&mut tx, user_id, Purpose::SecureAccount, &account.email).await?;
    let notice = mail::render(
        Template::EmailChangeRequested,
        &account.email,
        &[
            ("name", &account.full_name),
            ("email", new_email.as_str()),
            ("link", &mail::link(config, "secure-account", &secure)),
        ],
        &reader,
    );
    mail::send(app, &notice).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /v1/auth/secure-account`: the "this wasn't me" link of a notice. Whatever
/// happened since the notice, the account's sessions and pending mailed tokens end (a
/// pending email change with them) and every access token becomes stale; the owner then
/// takes the account back with a password reset. The link can only take access away, so
/// it works even if the account's address has changed since.
pub async fn secure(app: &App, token: &SecretString) -> Result<()> {
    let mut tx = app.db().await?.begin().await?;
    let redeemed =
        tokens::redeem(&mut tx, token.expose_secret(), &[Purpose::SecureAccount]).await?;
    redeemed.owner(&mut tx).await?;
    super::end_everything(&mut tx, redeemed.user_id).await?;
    tx.commit().await?;
    tracing::warn!(user_id = %redeemed.user_id, "account secured from a notice's link: every session ended");
    Ok(())
}
