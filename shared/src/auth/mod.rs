//! Signing up and signing in: registration (with its verification mail), login with
//! throttling, refresh-token rotation, logout, sign-in with Google and Apple (`oauth`),
//! and resolving the caller of an authenticated request.

pub mod oauth;

use secrecy::SecretString;
use uuid::Uuid;

use crate::accounts::password::{self as passwords, Credentials};
use crate::accounts::{self, NewAccount};
use crate::i18n::Text;
use crate::input::{Email, Password};
use crate::jwt;
use crate::password_hash;
use crate::ratelimit::{self, Limit};
use crate::sessions::{self, Session, Tokens};
use crate::users::{self, Role};
use crate::{App, Error, Result};

/// The authenticated caller of a request: a live, active account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
    /// Whether the account has proven its email (redemption needs it).
    pub email_verified: bool,
    /// Whether this session proved a second factor (`otp` in the token's `amr`).
    pub second_factor: bool,
}

impl Caller {
    /// Redeeming coins needs a confirmed email (`403 email_unverified`).
    pub fn require_verified_email(&self) -> Result<()> {
        if self.email_verified {
            Ok(())
        } else {
            Err(Error::denied(
                "email_unverified",
                Text::new("problem-email-unverified"),
            ))
        }
    }
}

/// A sign-up, already checked field by field.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub full_name: String,
    pub phone: Option<String>,
    pub country_code: Option<String>,
    pub timezone: Option<String>,
    pub referral_code: Option<String>,
    /// The language the person signed up in (`Accept-Language`).
    pub locale: crate::i18n::Locale,
}

/// Creates an account with its wallet, the new-user bonus and a first session, and mails
/// the link that confirms its email, in one transaction: an account never exists without
/// its wallet and bonus, and a mail SES refuses leaves nothing behind (`503`; the person
/// simply registers again). At most `registrations_per_ip_hour` per source IP (`429`).
pub async fn register(app: &App, input: Registration, source_ip: Option<&str>) -> Result<Session> {
    let settings = app.settings().await?;
    if let Some(ip) = source_ip {
        let limit = Limit::per_hour("register_ip", settings.registrations_per_ip_hour);
        ratelimit::hit(app.db().await?, limit, ip, app.now()).await?;
    }
    // A taken address is refused before anything counts against it.
    let taken = crate::db_query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1 AND deleted_at IS NULL) AS "taken!""#,
        input.email.key()
    )
    .fetch_one(app.db().await?)
    .await?;
    if taken {
        return Err(Error::conflict(
            "email_taken",
            Text::new("problem-email-taken"),
        ));
    }
    // The verification mail counts like every other (an address nobody owns bounces).
    ratelimit::mail(
        app.db().await?,
        ratelimit::MailRequest {
            account: None,
            recipient: input.email.as_str(),
            source_ip,
        },
        app.now(),
    )
    .await?;
    let password_hash =
        password_hash::hash(input.password.expose().to_owned(), app.config.bcrypt_cost).await?;
    let mut tx = app.db().await?.begin().await?;
    if let Some(tz) = &input.timezone {
        users::check_timezone(&mut tx, tz).await?;
    }

    let referrer = match &input.referral_code {
        None => None,
        Some(code) => Some(
            crate::db_query_scalar!(
                "SELECT id FROM users WHERE referral_code = $1 AND deleted_at IS NULL",
                code.to_ascii_uppercase()
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::invalid("referral_code", "is not a known referral code"))?,
        ),
    };
    let user_id = accounts::create(
        &mut tx,
        &NewAccount {
            email: input.email.as_str(),
            password_hash: Some(&password_hash),
            full_name: &input.full_name,
            phone: input.phone.as_deref(),
            country_code: input.country_code.as_deref(),
            timezone: input.timezone.as_deref().unwrap_or("UTC"),
            referred_by: referrer,
            provider: None,
            email_verified: false,
            now: app.now(),
            locale: input.locale,
        },
        settings.new_user_bonus_coins,
    )
    .await?;
    // A referral code is a friend link too: the referrer is asked to be friends.
    if let Some(referrer) = referrer {
        crate::social::friends::request(&mut tx, user_id, referrer, None).await?;
    }
    let session = sessions::start(app, &mut tx, user_id, &[jwt::amr::PASSWORD]).await?;
    accounts::email::send_verification(
        app,
        &mut tx,
        user_id,
        &input.full_name,
        input.email.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// Email and password login, throttled per (email, source IP) and per email. Unknown
/// email, wrong password, deleted or deactivated account: all the same
/// `invalid_credentials`, after the same bcrypt work.
pub async fn login(
    app: &App,
    email: &Email,
    password: &SecretString,
    source_ip: Option<&str>,
) -> Result<Session> {
    let pool = app.db().await?;
    let key = email.key();
    let mut tx = pool.begin().await?;
    let account = Credentials::by_email(&mut tx, &key).await?;
    tx.commit().await?;
    passwords::check(app, account.as_ref(), &key, password, source_ip).await?;
    let account = account.ok_or(Error::InvalidCredentials)?;
    let mut tx = pool.begin().await?;
    users::touch_login(&mut tx, account.id).await?;
    let session = sessions::start(app, &mut tx, account.id, &[jwt::amr::PASSWORD]).await?;
    tx.commit().await?;
    Ok(session)
}

/// Rotates a refresh token: the presented one is used up and a new pair is returned.
pub async fn refresh(app: &App, refresh_token: &str) -> Result<Tokens> {
    let mut tx = app.db().await?.begin().await?;
    let (user_id, family, amr) = match sessions::rotate(&mut tx, refresh_token).await? {
        sessions::Rotation::Rotated {
            user_id,
            family,
            amr,
        } => (user_id, family, amr),
        sessions::Rotation::Reused => {
            // The family's revocation must stick even though this request fails.
            tx.commit().await?;
            return Err(Error::InvalidRefreshToken);
        }
        sessions::Rotation::Invalid => return Err(Error::InvalidRefreshToken),
    };
    let user = match users::get(&mut tx, user_id).await {
        Ok(user) if user.is_active => user,
        Ok(_) | Err(Error::NotFound) => return Err(Error::InvalidRefreshToken),
        Err(e) => return Err(e),
    };
    let tokens = sessions::pair(app, &mut tx, &user, family, &amr).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// `POST /v1/auth/mfa`: the signed-in caller proves their authenticator's code (or a
/// recovery code); the answer is a new session whose tokens carry `otp` in `amr` (what
/// admin routes need), as the first one was proven plus the second factor.
pub async fn second_factor(app: &App, bearer: &str, code: &str) -> Result<Session> {
    let (caller, claims) = authenticate(app, bearer).await?;
    let pool = app.db().await?;
    accounts::mfa::verify(pool, caller.user_id, code, app.now()).await?;
    let mut amr: Vec<&str> = claims
        .amr
        .iter()
        .map(String::as_str)
        .filter(|m| *m != jwt::amr::OTP)
        .collect();
    amr.push(jwt::amr::OTP);
    let mut tx = pool.begin().await?;
    let session = sessions::start(app, &mut tx, caller.user_id, &amr).await?;
    tx.commit().await?;
    Ok(session)
}

/// `POST /v1/me/mfa/totp/confirm`: the first code of a new authenticator confirms it. The
/// answer holds the recovery codes (shown this once) and a session proven by the code.
pub async fn confirm_authenticator(
    app: &App,
    bearer: &str,
    code: &str,
) -> Result<(Vec<String>, Session)> {
    let (caller, claims) = authenticate(app, bearer).await?;
    let pool = app.db().await?;
    let codes = accounts::mfa::confirm(pool, caller.user_id, code, app.now()).await?;
    let mut amr: Vec<&str> = claims.amr.iter().map(String::as_str).collect();
    if !amr.contains(&jwt::amr::OTP) {
        amr.push(jwt::amr::OTP);
    }
    let mut tx = pool.begin().await?;
    let session = sessions::start(app, &mut tx, caller.user_id, &amr).await?;
    tx.commit().await?;
    Ok((codes, session))
}

pub async fn logout(app: &App, refresh_token: &str) -> Result<()> {
    let mut tx = app.db().await?.begin().await?;
    sessions::revoke(&mut tx, refresh_token).await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves a bearer token to a live, active account. The role comes from the database,
/// so a demotion takes effect at once, whatever the token says; a token issued before the
/// account's last credential change (its `cv` behind the account's) is refused. Both ride
/// on the one row every authenticated request reads.
pub async fn authenticate(app: &App, bearer: &str) -> Result<(Caller, jwt::Claims)> {
    let claims = app.jwt().await?.verify(bearer, app.now())?;
    let caller = caller_of(app.db().await?, &claims).await?;
    Ok((caller, claims))
}

/// The live account behind verified `claims` (`live_caller`, in the database: the one
/// definition of an account a token may act for), `401` otherwise.
pub async fn caller_of(
    on: impl Into<crate::db::Target<'_>>,
    claims: &jwt::Claims,
) -> Result<Caller> {
    let account = crate::db_query!(
        r#"SELECT role AS "role!: Role", email_verified AS "email_verified!" FROM live_caller($1, $2)"#,
        claims.sub,
        claims.cv
    )
    .fetch_one(on)
    .await?;
    Ok(Caller {
        user_id: claims.sub,
        role: account.role,
        email_verified: account.email_verified,
        second_factor: claims.amr.iter().any(|m| m == jwt::amr::OTP),
    })
}

/// The account a walker's request acts for: its token verified, and the account found
/// live by the statement that began the request's transaction (`begin_as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub user_id: Uuid,
}

/// The statement that begins a request's transaction with its caller check, sent as one
/// message (the simple protocol): one round trip where a `BEGIN` and a check of their own
/// took three (sqlx sends each parameterised statement in two). The check comes first,
/// so a refused token (`live_caller` raises `FK401`, the API's `401`) stops the message
/// before its `BEGIN` and leaves the connection outside any transaction. The values are
/// written into the text, which is safe only because both are typed, checked values (a
/// UUID and an integer from a verified token): nothing a client wrote reaches it.
pub fn begin_as(claims: &jwt::Claims) -> String {
    let (user, version): (Uuid, i32) = (claims.sub, claims.cv);
    format!("SELECT FROM live_caller('{user}', {version}); BEGIN")
}

/// An admin route's guard: the token must say admin *and* the account must still be one,
/// and the session must have proven the admin's second factor (`403 mfa_required`
/// otherwise: enrol an authenticator, or sign in with its code).
pub async fn authenticate_admin(app: &App, bearer: &str) -> Result<Caller> {
    let (caller, claims) = authenticate(app, bearer).await?;
    if claims.role != Role::Admin || caller.role != Role::Admin {
        return Err(Error::Forbidden);
    }
    if !caller.second_factor {
        return Err(Error::denied(
            "mfa_required",
            Text::new("problem-mfa-required"),
        ));
    }
    Ok(caller)
}
