//! HTTP glue for lambda_http (API Gateway HTTP API, payload 2.0): JSON bodies in, JSON
//! and RFC 9457 problems out, bearer-token callers, path and query parameters, request
//! metadata. Domain modules never import this; handlers in `fitkart-functions` do.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::{self, Caller};
use crate::error::FieldError;
use crate::i18n::{self, Locale};
use crate::ratelimit;
use crate::{App, Error, Result};

pub use lambda_http::Request;
pub type Response = lambda_http::Response<Body>;
pub use http::StatusCode;

/// The `retry-after` of a `503`: how long a database restart or failover usually takes.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// Request bodies over 64 KiB are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Empty => &[],
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// Parses the JSON body into `T`. Syntax errors are `400 bad_request`; a well-formed body
/// of the wrong shape (wrong type, missing or unknown field — every request type denies
/// unknown fields) is `422 validation_failed` naming the field's JSON path.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Error::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("A JSON request body is required.".into()));
    }
    // Syntax first (400), then shape (422): a body is either JSON or it is not.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::BadRequest(format!("The body is not valid JSON: {}", serde_message(&e)))
    })?;
    // serde would also read a struct from an array of its fields; the API takes objects.
    if !value.is_object() {
        return Err(Error::invalid("body", "must be a JSON object"));
    }
    let value = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = match e.path().to_string() {
            path if path == "." => "body".to_owned(),
            path => path,
        };
        Error::Validation(vec![FieldError::new(field, serde_message(e.inner()))])
    })?;
    Ok(value)
}

/// serde's message without its "at line 1 column 7" suffix (the field path says where).
fn serde_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    }
}

/// The bearer token of the request (`401` without one), for domain calls that resolve
/// the caller themselves.
pub fn bearer(req: &Request) -> Result<&str> {
    bearer_token(req)
}

/// Counts a request to an unauthenticated route against its per-source-IP limit
/// (`ratelimit::source`): `429` for a client that calls it without pause.
pub async fn limit_source(app: &App, req: &Request, route: &'static str) -> Result<()> {
    ratelimit::source(
        app.db().await?,
        route,
        meta(req).source_ip.as_deref(),
        app.now(),
    )
    .await
}

/// The caller of an authenticated route: `401` without a valid token of a live account.
pub async fn caller(app: &App, req: &Request) -> Result<Caller> {
    auth::authenticate(app, bearer_token(req)?)
        .await
        .map(|(caller, _)| caller)
}

/// The transaction an authenticated request runs in.
pub type RequestTx = sqlx::Transaction<'static, sqlx::Postgres>;

/// The caller of an authenticated route and the one transaction the request runs in,
/// begun together with the caller's check (`auth::begin_as`): one pool checkout and one
/// round trip where `caller` and a `begin` of their own take two checkouts and five round
/// trips (through RDS Proxy each is a network hop both ways). The token is verified before
/// anything touches the database, so a bad one costs no connection.
pub async fn caller_tx(app: &App, req: &Request) -> Result<(auth::Account, RequestTx)> {
    let claims = app.jwt().await?.verify(bearer_token(req)?, app.now())?;
    let tx = app.db().await?.begin_with(auth::begin_as(&claims)).await?;
    Ok((
        auth::Account {
            user_id: claims.sub,
        },
        tx,
    ))
}

/// The caller of an admin route: `401` as above, `403` unless an admin by token and database.
pub async fn admin(app: &App, req: &Request) -> Result<Caller> {
    auth::authenticate_admin(app, bearer_token(req)?).await
}

/// The admin behind a mutation, with the request's source IP and user agent from the API
/// Gateway request context, for the audit trail: `401`/`403` as for `admin`.
pub async fn admin_actor(app: &App, req: &Request) -> Result<crate::audit::Actor> {
    let caller = admin(app, req).await?;
    let meta = meta(req);
    Ok(crate::audit::Actor {
        admin_id: caller.user_id,
        ip: meta.source_ip,
        user_agent: meta.user_agent,
    })
}

/// The language of a response: what `Accept-Language` asks for when we speak it (a
/// request may override the walker's choice), else the walker's own (the `locale` claim
/// of their access token), else English.
pub fn locale(req: &Request) -> Locale {
    header(req, "accept-language")
        .and_then(i18n::from_accept_language)
        .or_else(|| token_locale(req))
        .unwrap_or_default()
}

/// The `locale` claim of the bearer token, read without checking the signature: it only
/// chooses the language of the answer (the handler verifies the token before anything
/// else), so a forged one buys nothing but words in another language.
fn token_locale(req: &Request) -> Option<Locale> {
    use base64::Engine;
    let token = bearer_token(req).ok()?;
    let payload = token.split('.').nth(1)?;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    #[derive(serde::Deserialize)]
    struct LocaleClaim {
        locale: Option<String>,
    }
    let claim: LocaleClaim = serde_json::from_slice(&claims).ok()?;
    Locale::parse(&claim.locale?).ok()
}

fn bearer_token(req: &Request) -> Result<&str> {
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Unauthorized)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(Error::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Error::Unauthorized);
    }
    Ok(token.trim())
}

/// A UUID path parameter. A malformed id names no resource: `404`, like an unknown one.
pub fn path_id(req: &Request, name: &str) -> Result<Uuid> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .and_then(|raw| Uuid::parse_str(raw).ok())
        .ok_or(Error::NotFound)
}

pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.path_parameters_ref().and_then(|p| p.first(name))
}

/// A query parameter, given at most once: the API has no list parameters, so a repeated
/// one (`?from=a&from=b`) is a `422` naming it rather than one of its values picked.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>> {
    let Some(query) = req.query_string_parameters_ref() else {
        return Ok(None);
    };
    match query.all(name).as_deref() {
        Some([_, _, ..]) => Err(Error::invalid(name, "must be given once")),
        _ => Ok(query.first(name)),
    }
}

/// An optional query parameter parsed by `parse`: absent is `None`, a value `parse`
/// refuses is a `422` naming the parameter.
pub fn parse_query<T>(
    req: &Request,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>> {
    query_param(req, name)?
        .map(parse)
        .transpose()
        .map_err(|m| Error::invalid(name, m))
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Who sent a request, for logs and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

pub fn meta(req: &Request) -> RequestMeta {
    let context: Option<&ApiGatewayV2httpRequestContext> = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
        _ => None,
    };
    let request_id = context
        .and_then(|c| c.request_id.clone())
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    RequestMeta {
        request_id,
        // Only a well-formed address: it is stored as `inet` (audit trail, rate limits).
        source_ip: context
            .and_then(|c| c.http.source_ip.clone())
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()),
        user_agent: context
            .and_then(|c| c.http.user_agent.clone())
            .or_else(|| header(req, "user-agent").map(str::to_owned)),
    }
}

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response> {
    let body = serde_json::to_string(body).map_err(Error::internal)?;
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .map_err(Error::internal)
}

pub fn ok<T: Serialize>(body: &T) -> Result<Response> {
    json(StatusCode::OK, body)
}

/// `202 Accepted` with no body: the work (a mail) is on its way.
pub fn accepted() -> Result<Response> {
    http::Response::builder()
        .status(StatusCode::ACCEPTED)
        .body(Body::Empty)
        .map_err(Error::internal)
}

pub fn no_content() -> Result<Response> {
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(Error::internal)
}

/// `{"items": [...], "next_cursor": ...}`, every list's shape in openapi.yaml.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The RFC 9457 response for `err`. Internal causes never reach the body.
pub fn problem(err: &Error, locale: Locale) -> Response {
    #[derive(Serialize)]
    struct Problem<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        title: String,
        status: u16,
        code: &'static str,
        detail: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        errors: Option<&'a [FieldError]>,
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = Problem {
        kind: "about:blank",
        title: i18n::render(
            locale,
            &format!("problem-status-{}", status.as_u16()),
            None,
            &Default::default(),
        ),
        status: status.as_u16(),
        code: err.code(),
        detail: err.detail_text().render(locale),
        errors: match err {
            Error::Validation(errors) => Some(errors),
            _ => None,
        },
    };
    let mut builder = http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/problem+json")
        .header(
            http::header::CONTENT_LANGUAGE,
            i18n::content_language(locale),
        );
    match err {
        Error::TooManyRequests { retry_after } => {
            builder = builder.header(
                http::header::RETRY_AFTER,
                retry_after.as_secs().max(1).to_string(),
            );
        }
        Error::MethodNotAllowed { allow } => {
            builder = builder.header(http::header::ALLOW, allow.join(", "));
        }
        // A restart or failover of the database takes seconds: ask clients to come back
        // after a short pause rather than hammer it.
        Error::Unavailable(_) => {
            builder = builder.header(
                http::header::RETRY_AFTER,
                UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
            );
        }
        _ => {}
    }
    builder
        .body(Body::Text(serde_json::to_string(&body).unwrap_or_default()))
        .expect("a static status and headers always build")
}

/// Query parameters of a list endpoint: `limit` (default 20, at most 100) and an opaque
/// `cursor` carrying the keyset position of the last row served.
pub struct PageRequest {
    pub limit: i64,
    pub cursor: Option<String>,
}

pub fn page_request(req: &Request) -> Result<PageRequest> {
    let limit = match query_param(req, "limit")? {
        None => 20,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(Error::invalid("limit", "must be an integer from 1 to 100")),
        },
    };
    Ok(PageRequest {
        limit,
        cursor: query_param(req, "cursor")?.map(str::to_owned),
    })
}
