//! `/v1/auth/*`: register, login, refresh, logout, sign-in with Google and Apple, and
//! the signed-out half of the account lifecycle: confirming an email, asking for the
//! confirmation mail again, and resetting a forgotten password.

use fitkart::accounts;
use fitkart::auth::oauth::{self, Provider};
use fitkart::auth::{self, Registration};
use fitkart::http::{
    accepted, bearer, caller, json, json_body, limit_source, meta, no_content, ok, Request,
    Response, StatusCode,
};
use fitkart::input::{self, Checks};
use fitkart::{App, Error, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    password: SecretString,
    full_name: String,
    phone: Option<String>,
    country_code: Option<String>,
    timezone: Option<String>,
    referral_code: Option<String>,
}

impl RegisterBody {
    fn parse(self) -> Result<Registration> {
        let mut checks = Checks::default();
        let email = checks.field("email", input::email(&self.email));
        let password = checks.field("password", input::password(&self.password));
        let full_name = checks.field("full_name", input::full_name(&self.full_name));
        let phone = checks.optional("phone", self.phone, |p| input::phone(&p));
        let country_code = checks.optional("country_code", self.country_code, |c| {
            input::country_code(&c)
        });
        let timezone = checks.optional("timezone", self.timezone, |t| input::timezone(&t));
        let referral_code = checks.optional("referral_code", self.referral_code, |c| {
            let code = c.trim().to_ascii_uppercase();
            match code.len() {
                4..=16 if code.chars().all(|ch| ch.is_ascii_alphanumeric()) => Ok(code),
                _ => Err("is not a known referral code".into()),
            }
        });
        checks.finish()?;
        Ok(Registration {
            email: input::checked(email)?,
            password: input::checked(password)?,
            full_name: input::checked(full_name)?,
            phone,
            country_code,
            timezone: timezone.map(|tz| tz.name().to_owned()),
            referral_code,
            locale: Default::default(),
        })
    }
}

pub async fn register(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:register").await?;
    let mut input = json_body::<RegisterBody>(&req)?.parse()?;
    input.locale = fitkart::http::locale(&req);
    let session = auth::register(app, input, meta(&req).source_ip.as_deref()).await?;
    json(StatusCode::CREATED, &session)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: SecretString,
}

pub async fn login(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:login").await?;
    let body: LoginBody = json_body(&req)?;
    let email = input::email(&body.email).map_err(|m| Error::invalid("email", m))?;
    let source_ip = meta(&req).source_ip;
    let session = auth::login(app, &email, &body.password, source_ip.as_deref()).await?;
    ok(&session)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: SecretString,
}

pub async fn refresh(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:refresh").await?;
    let body: RefreshBody = json_body(&req)?;
    let tokens = auth::refresh(app, body.refresh_token.expose_secret()).await?;
    ok(&json!({ "tokens": tokens }))
}

pub async fn logout(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:logout").await?;
    let body: RefreshBody = json_body(&req)?;
    auth::logout(app, body.refresh_token.expose_secret()).await?;
    no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: SecretString,
}

/// `POST /v1/auth/email/verify`: the token from a verification or email-change mail.
pub async fn verify_email(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:email_verify").await?;
    let body: TokenBody = json_body(&req)?;
    ok(&accounts::email::verify(app, &body.token).await?)
}

/// `POST /v1/auth/email/resend`: another verification mail for the signed-in caller.
pub async fn resend_verification(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    accounts::email::resend(app, me.user_id, meta(&req).source_ip.as_deref()).await?;
    accepted()
}

/// `POST /v1/auth/secure-account`: the "this wasn't me" link of a notice mail. Every
/// session of the account ends and a pending email change is cancelled.
pub async fn secure_account(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:secure_account").await?;
    let body: TokenBody = json_body(&req)?;
    accounts::email::secure(app, &body.token).await?;
    no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: SecretString,
}

/// `POST /v1/auth/mfa`: the authenticator's code (or a recovery code) for a session that
/// carries the second factor.
pub async fn second_factor(app: &App, req: Request) -> Result<Response> {
    let body: CodeBody = json_body(&req)?;
    let code =
        input::one_time_code(body.code.expose_secret()).map_err(|m| Error::invalid("code", m))?;
    ok(&auth::second_factor(app, bearer(&req)?, &code).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotBody {
    email: String,
}

/// `POST /v1/auth/password/forgot`: `202` whether or not the email has an account.
pub async fn forgot_password(app: &App, req: Request) -> Result<Response> {
    let body: ForgotBody = json_body(&req)?;
    let email = input::email(&body.email).map_err(|m| Error::invalid("email", m))?;
    accounts::password::forgot(app, &email, meta(&req).source_ip.as_deref()).await?;
    accepted()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    token: SecretString,
    password: SecretString,
}

/// `POST /v1/auth/password/reset`: a new password with the token from a reset mail.
pub async fn reset_password(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:password_reset").await?;
    let body: ResetBody = json_body(&req)?;
    let password = input::password(&body.password).map_err(|m| Error::invalid("password", m))?;
    accounts::password::reset(app, &body.token, &password).await?;
    no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoogleBody {
    id_token: String,
    nonce: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppleBody {
    id_token: String,
    nonce: Option<String>,
    /// Apple sends the user's name to the app only on the first sign-in.
    full_name: Option<String>,
}

/// `POST /v1/auth/oauth/google`
pub async fn oauth_google(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:oauth").await?;
    let body: GoogleBody = json_body(&req)?;
    oauth_sign_in(
        app,
        Provider::Google,
        &body.id_token,
        body.nonce.as_deref(),
        None,
        fitkart::http::locale(&req),
    )
    .await
}

/// `POST /v1/auth/oauth/apple`
pub async fn oauth_apple(app: &App, req: Request) -> Result<Response> {
    limit_source(app, &req, "ip:oauth").await?;
    let body: AppleBody = json_body(&req)?;
    let full_name = body
        .full_name
        .map(|n| input::full_name(&n).map_err(|m| Error::invalid("full_name", m)))
        .transpose()?;
    oauth_sign_in(
        app,
        Provider::Apple,
        &body.id_token,
        body.nonce.as_deref(),
        full_name.as_deref(),
        fitkart::http::locale(&req),
    )
    .await
}

async fn oauth_sign_in(
    app: &App,
    provider: Provider,
    id_token: &str,
    nonce: Option<&str>,
    full_name: Option<&str>,
    locale: fitkart::i18n::Locale,
) -> Result<Response> {
    let claims = oauth::verify(app, provider, id_token, nonce).await?;
    let (session, created) = oauth::sign_in(app, provider, &claims, full_name, locale).await?;
    json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &session,
    )
}
