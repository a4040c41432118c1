//! Passwords of live accounts: checking one (every check is throttled like a login),
//! forgetting one (a reset link by mail), resetting it with that link, and changing it
//! while signed in. A reset or a change is a credential change: every session, access
//! token and pending mailed token of the account ends (a pending email change with
//! them), the login locks of the email are lifted, and the account's address gets a
//! notice with a "this wasn't me" link.

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgConnection;
use uuid::Uuid;

use super::tokens::{self, Purpose};
use crate::input::{Email, Password};
use crate::mail::{self, Template};
use crate::ratelimit::{self, Limit, MailRequest};
use crate::sessions::{self, Tokens};
use crate::{password_hash as hashing, users, App, Error, Result};

/// Reset mails, at most 3 an hour per address...
const FORGOT_PER_EMAIL: Limit = Limit::per_hour("reset_mail", 3);
/// ...and requests per source IP, so one client cannot mail every address it knows.
const FORGOT_PER_SOURCE: Limit = Limit::per_hour("reset_request_ip", 20);

/// What a password check needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub password_hash: Option<String>,
    pub is_active: bool,
}

impl Credentials {
    /// The live account with this lower-cased email, if any.
    pub async fn by_email(conn: &mut PgConnection, email_key: &str) -> Result<Option<Self>> {
        Ok(crate::db_query_as!(
            Credentials,
            r#"SELECT id, email, full_name, password_hash, is_active FROM users
               WHERE lower(email) = $1 AND deleted_at IS NULL"#,
            email_key
        )
        .fetch_optional(conn)
        .await?)
    }

    /// The live account `id` (the caller of an authenticated route).
    pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<Self> {
        crate::db_query_as!(
            Credentials,
            r#"SELECT id, email, full_name, password_hash, is_active FROM users
               WHERE id = $1 AND deleted_at IS NULL"#,
            id
        )
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)
    }
}

/// Checks `password` for `account` (looked up by `email_key`), counting the attempt
/// against the login limits of that email and source. Unknown email, wrong password,
/// no password (OAuth-only), deactivated: all the same `401 invalid_credentials`, after
/// the same bcrypt work.
pub async fn check(
    app: &App,
    account: Option<&Credentials>,
    email_key: &str,
    password: &SecretString,
    source_ip: Option<&str>,
) -> Result<()> {
    let settings = app.settings().await?;
    let pool = app.db().await?;
    ratelimit::login_attempt(pool, &settings, email_key, source_ip, app.now()).await?;
    let hash = account.and_then(|a| a.password_hash.clone());
    let matches = hashing::verify(
        password.expose_secret().to_owned(),
        hash,
        app.config.bcrypt_cost,
    )
    .await?;
    match account {
        Some(a) if matches && a.is_active => {
            ratelimit::login_succeeded(pool, email_key, source_ip).await
        }
        _ => Err(Error::InvalidCredentials),
    }
}

/// `POST /v1/auth/password/forgot`: mails a reset link to a live, active account with this
/// email. The answer is the same whether or not one exists (no account enumeration).
pub async fn forgot(app: &App, email: &Email, source_ip: Option<&str>) -> Result<()> {
    let pool = app.db().await?;
    if let Some(ip) = source_ip {
        ratelimit::hit(pool, FORGOT_PER_SOURCE, ip, app.now()).await?;
    }
    ratelimit::hit(pool, FORGOT_PER_EMAIL, &email.key(), app.now()).await?;
    ratelimit::mail(
        pool,
        MailRequest {
            account: None,
            recipient: email.as_str(),
            source_ip,
        },
        app.now(),
    )
    .await?;
    let mut tx = pool.begin().await?;
    let Some(account) = Credentials::by_email(&mut tx, &email.key())
        .await?
        .filter(|a| a.is_active)
    else {
        return Ok(());
    };
    let config = mail::config(app)?;
    let token = tokens::issue(&mut tx, account.id, Purpose::ResetPassword, &account.email).await?;
    let link = mail::link(config, "reset-password", &token);
    let reader = mail::reader(&mut tx, account.id, app.now()).await?;
    let mail = mail::render(
        Template::ResetPassword,
        &account.email,
        &[
            ("name", &account.full_name),
            ("email", &account.email),
            ("link", &link),
        ],
        &reader,
    );
    mail::send(app, &mail).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /v1/auth/password/reset`: sets a new password with a mailed token. The token
/// proves the inbox, so the email counts as confirmed; on an account whose email was not
/// confirmed before, sign-in identities that never proved the address are dropped (they
/// may be a squatter's). Everything issued before ends and the email's login locks are
/// lifted.
pub async fn reset(app: &App, token: &SecretString, new_password: &Password) -> Result<()> {
    let hash = hashing::hash(new_password.expose().to_owned(), app.config.bcrypt_cost).await?;
    let mut tx = app.db().await?.begin().await?;
    let redeemed =
        tokens::redeem(&mut tx, token.expose_secret(), &[Purpose::ResetPassword]).await?;
    let account = redeemed.owner(&mut tx).await?;
    if !redeemed.proves(&account) {
        return Err(tokens::stale());
    }
    if !account.email_verified {
        crate::db_query!(
            "DELETE FROM user_identities WHERE user_id = $1",
            redeemed.user_id
        )
        .execute(&mut *tx)
        .await?;
    }
    crate::db_query!(
        r#"UPDATE users SET password_hash = $2, email_verified = TRUE,
               auth_provider = CASE WHEN email_verified THEN auth_provider ELSE 'email' END,
               provider_id = CASE WHEN email_verified THEN provider_id ELSE NULL END,
               updated_at = now()
           WHERE id = $1"#,
        redeemed.user_id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    super::end_everything(&mut tx, redeemed.user_id).await?;
    ratelimit::forget_logins(&mut tx, &account.email).await?;
    // No mail limit of its own: each reset spends a reset mail, which is limited.
    notify_changed(
        app,
        &mut tx,
        redeemed.user_id,
        &account.full_name,
        &account.email,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Mails the account's address that its password changed, with the "this wasn't me" link
/// (valid 7 days) that signs every device out again. Inside the change's transaction: a
/// notice SES refuses undoes the change (`503`), so no password changes unseen.
async fn notify_changed(
    app: &App,
    conn: &mut PgConnection,
    user_id: Uuid,
    name: &str,
    email: &str,
) -> Result<()> {
    let config = mail::config(app)?;
    let secure = tokens::issue(&mut *conn, user_id, Purpose::SecureAccount, email).await?;
    let reader = mail::reader(conn, user_id, app.now()).await?;
    let notice = mail::render(
        Template::PasswordChanged,
        email,
        &[
            ("name", name),
            ("email", email),
            ("link", &mail::link(config, "secure-account", &secure)),
        ],
        &reader,
    );
    mail::send(app, &notice).await
}

/// `POST /v1/me/password`: the current password (checked like a login) for a new one.
/// Everything issued before ends; the caller gets a fresh pair so they stay signed in,
/// and the account's address gets the notice.
pub async fn change(
    app: &App,
    user_id: Uuid,
    current: &SecretString,
    new_password: &Password,
    source_ip: Option<&str>,
) -> Result<Tokens> {
    let pool = app.db().await?;
    let mut tx = pool.begin().await?;
    let account = Credentials::by_id(&mut tx, user_id).await?;
    tx.commit().await?;
    check(
        app,
        Some(&account),
        &account.email.to_lowercase(),
        current,
        source_ip,
    )
    .await?;
    ratelimit::mail(
        pool,
        MailRequest {
            account: Some(user_id),
            recipient: &account.email,
            source_ip,
        },
        app.now(),
    )
    .await?;
    let hash = hashing::hash(new_password.expose().to_owned(), app.config.bcrypt_cost).await?;
    let mut tx = pool.begin().await?;
    crate::db_query!(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
        user_id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    super::end_everything(&mut tx, user_id).await?;
    ratelimit::forget_logins(&mut tx, &account.email).await?;
    let user = users::get(&mut tx, user_id).await?;
    let amr = vec![crate::jwt::amr::PASSWORD.to_owned()];
    let tokens = sessions::pair(app, &mut tx, &user, Uuid::new_v4(), &amr).await?;
    notify_changed(app, &mut tx, user_id, &account.full_name, &account.email).await?;
    tx.commit().await?;
    Ok(tokens)
}
