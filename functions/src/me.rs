//! `/v1/me/*`: the caller's own account: profile, password and email changes, the second
//! factor (an authenticator app), deletion, stats and the data export.

use fitkart::accounts;
use fitkart::http::{
    accepted, bearer, caller, caller_tx, json, json_body, meta, no_content, ok, Request, Response,
    StatusCode,
};
use fitkart::i18n::Locale;
use fitkart::input::{self, patch, Checks};
use fitkart::users::{self, ProfilePatch};
use fitkart::{App, Error, Result};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = users::get(&mut tx, me.user_id).await?;
    tx.commit().await?;
    ok(&out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default, deserialize_with = "patch::nullable")]
    full_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    country_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    profile_picture_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    timezone: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::not_null")]
    counts_pushes: Option<bool>,
    #[serde(default, deserialize_with = "patch::not_null")]
    locale: Option<String>,
}

impl PatchBody {
    fn parse(self) -> Result<ProfilePatch> {
        let mut checks = Checks::default();
        // Required profile fields can change but not be cleared.
        let mut required = |name: &str,
                            value: Option<Option<String>>,
                            parse: fn(&str) -> Result<String, String>| {
            match value {
                None => None,
                Some(None) => {
                    checks.fail(name, "cannot be null");
                    None
                }
                Some(Some(v)) => checks.field(name, parse(&v)),
            }
        };
        let full_name = required("full_name", self.full_name, input::full_name);
        let timezone = required("timezone", self.timezone, |t| {
            input::timezone(t).map(|tz| tz.name().to_owned())
        });
        // Optional ones may be cleared with null.
        let mut clearable =
            |name: &str,
             value: Option<Option<String>>,
             parse: fn(&str) -> Result<String, String>| {
                value.map(|inner| inner.and_then(|v| checks.field(name, parse(&v))))
            };
        let phone = clearable("phone", self.phone, input::phone);
        let country_code = clearable("country_code", self.country_code, input::country_code);
        let bio = clearable("bio", self.bio, |b| input::text(b, 500));
        let profile_picture_url = clearable(
            "profile_picture_url",
            self.profile_picture_url,
            input::https_url,
        );
        let locale = checks.optional("locale", self.locale, |l| Locale::choose(&l));
        checks.finish()?;
        Ok(ProfilePatch {
            full_name,
            phone,
            country_code,
            bio,
            profile_picture_url,
            timezone,
            counts_pushes: self.counts_pushes,
            locale,
        })
    }
}

/// `PATCH /v1/me`. A new time zone applies from the next local midnight, at most one
/// change per 24 hours (`409 timezone_change_too_soon`, and nothing else changes).
pub async fn update(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let patch = json_body::<PatchBody>(&req)?.parse()?;
    let chosen = patch.locale;
    let user = users::update_profile(&mut tx, me.user_id, patch, app.now()).await?;
    tx.commit().await?;
    let mut response = ok(&user)?;
    // The answer to a change of language is already in the new one (unless the request
    // asked for another); the access token carries the old one until it is refreshed.
    if let (Some(locale), None) = (chosen, fitkart::http::header(&req, "accept-language")) {
        response.headers_mut().insert(
            http::header::CONTENT_LANGUAGE,
            http::HeaderValue::from_static(fitkart::i18n::content_language(locale)),
        );
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: SecretString,
    new_password: SecretString,
}

/// `POST /v1/me/password`: every other session ends; the caller gets a fresh pair.
pub async fn change_password(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: PasswordBody = json_body(&req)?;
    let new_password =
        input::password(&body.new_password).map_err(|m| Error::invalid("new_password", m))?;
    let tokens = accounts::password::change(
        app,
        me.user_id,
        &body.current_password,
        &new_password,
        meta(&req).source_ip.as_deref(),
    )
    .await?;
    ok(&json!({ "tokens": tokens }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
    password: SecretString,
}

/// `POST /v1/me/email`: a confirmation mail goes to the new address; the change applies
/// when its link comes back.
pub async fn change_email(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    let body: EmailBody = json_body(&req)?;
    let email = input::email(&body.email).map_err(|m| Error::invalid("email", m))?;
    accounts::email::request_change(
        app,
        me.user_id,
        &email,
        &body.password,
        meta(&req).source_ip.as_deref(),
    )
    .await?;
    accepted()
}

/// `GET /v1/me/mfa`: whether an authenticator is set up, and how many recovery codes are left.
pub async fn mfa_status(app: &App, req: Request) -> Result<Response> {
    let me = caller(app, &req).await?;
    ok(&accounts::mfa::status(app.db().await?, me.user_id).await?)
}

/// `POST /v1/me/mfa/totp`: a new authenticator secret, as an `otpauth://` URI and its QR
/// code, waiting for its first code (`POST /v1/me/mfa/totp/confirm`).
pub async fn enrol_authenticator(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let user = users::get(&mut tx, me.user_id).await?;
    tx.commit().await?;
    json(
        StatusCode::CREATED,
        &accounts::mfa::begin(app.db().await?, me.user_id, &user.email).await?,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: SecretString,
}

/// `POST /v1/me/mfa/totp/confirm`: the authenticator's first code. Answers the ten
/// recovery codes (shown once) and a session that carries the second factor.
pub async fn confirm_authenticator(app: &App, req: Request) -> Result<Response> {
    use secrecy::ExposeSecret;
    let body: CodeBody = json_body(&req)?;
    let code =
        input::one_time_code(body.code.expose_secret()).map_err(|m| Error::invalid("code", m))?;
    let (recovery_codes, session) =
        fitkart::auth::confirm_authenticator(app, bearer(&req)?, &code).await?;
    ok(&json!({ "recovery_codes": recovery_codes, "user": session.user, "tokens": session.tokens }))
}

pub async fn delete(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let endpoints = accounts::delete(&mut tx, me.user_id, app.now()).await?;
    tx.commit().await?;
    fitkart::notifications::devices::delete_endpoints(app, &endpoints).await;
    no_content()
}

pub async fn stats(app: &App, req: Request) -> Result<Response> {
    let goal = app.settings().await?.daily_step_goal;
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = fitkart::stats::me(&mut tx, me.user_id, goal, app.now()).await?;
    tx.commit().await?;
    ok(&out)
}

/// Everything held about the caller, as a download.
pub async fn export(app: &App, req: Request) -> Result<Response> {
    let (me, mut tx) = caller_tx(app, &req).await?;
    let document = fitkart::export::export(&mut tx, me.user_id).await?;
    tx.commit().await?;
    let mut response = ok(&document)?;
    response.headers_mut().insert(
        "content-disposition",
        lambda_http::http::HeaderValue::from_static("attachment; filename=\"fitkart-export.json\""),
    );
    Ok(response)
}
