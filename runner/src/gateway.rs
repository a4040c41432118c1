//! The HTTP gateway: routes from the template's HttpApi events, each request turned into
//! an API Gateway HTTP API payload 2.0 event and the function's answer turned back into
//! HTTP, the way API Gateway does it. Also `/_local/invoke/<LogicalId>` to run any
//! function on demand.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};

use crate::lambda::{Outcome, Pool};
use crate::template::Route;

/// A route compiled for matching.
#[derive(Debug, Clone)]
pub struct CompiledRoute {
    pub route: Route,
    pub function: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Static(String),
    Param(String),
    Greedy(String),
}

impl CompiledRoute {
    pub fn new(route: Route, function: String) -> Self {
        let segments = route
            .path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) if name.ends_with('+') => {
                        Segment::Greedy(name.trim_end_matches('+').to_owned())
                    }
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Static(s.to_owned()),
                },
            )
            .collect();
        Self {
            route,
            function,
            segments,
        }
    }

    fn route_key(&self) -> String {
        if self.route.path == "$default" {
            "$default".into()
        } else {
            format!("{} {}", self.route.method, self.route.path)
        }
    }

    /// Path parameters if `path` matches, with a specificity score (static segments count most).
    fn matches(&self, method: &str, path: &str) -> Option<(usize, BTreeMap<String, String>)> {
        if self.route.path == "$default" {
            return Some((0, BTreeMap::new()));
        }
        if self.route.method != "ANY" && self.route.method != method {
            return None;
        }
        let parts: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let mut params = BTreeMap::new();
        let mut score = 1;
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Static(s) => {
                    if parts.get(i) != Some(&s.as_str()) {
                        return None;
                    }
                    score += 100;
                }
                Segment::Param(name) => {
                    params.insert(name.clone(), (*parts.get(i)?).to_owned());
                    score += 10;
                }
                Segment::Greedy(name) => {
                    if parts.len() <= i {
                        return None;
                    }
                    params.insert(name.clone(), parts[i..].join("/"));
                    return Some((score, params));
                }
            }
        }
        (parts.len() == self.segments.len()).then_some((score, params))
    }
}

/// The best route for a request: the most specific match, `$default` last.
pub fn find<'a>(
    routes: &'a [CompiledRoute],
    method: &str,
    path: &str,
) -> Option<(&'a CompiledRoute, BTreeMap<String, String>)> {
    routes
        .iter()
        .filter_map(|r| {
            r.matches(method, path)
                .map(|(score, params)| (score, r, params))
        })
        .max_by_key(|(score, _, _)| *score)
        .map(|(_, r, params)| (r, params))
}

pub struct Gateway {
    pub routes: Vec<CompiledRoute>,
    pub pools: BTreeMap<String, Arc<Pool>>,
    /// What `/_local/invoke/<Id>` sends when the request has no body.
    pub default_events: BTreeMap<String, Bytes>,
}

/// Builds the payload 2.0 event API Gateway would send for this request.
pub fn event(
    route: &CompiledRoute,
    params: &BTreeMap<String, String>,
    parts: &axum::http::request::Parts,
    body: &[u8],
    source_ip: &str,
) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = value.to_str().unwrap_or_default().to_owned();
        if name == "cookie" {
            cookies.extend(value.split("; ").map(str::to_owned));
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| *v = format!("{v},{value}"))
            .or_insert(value);
    }
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in url_pairs(&raw_query) {
        query
            .entry(k)
            .and_modify(|e| *e = format!("{e},{v}"))
            .or_insert(v);
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let now = crate::clock::now();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key(),
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host").cloned().unwrap_or_else(|| "localhost".into()),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route.route_key(),
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "isBase64Encoded": encoded,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = json!(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if !body.is_empty() {
        event["body"] = json!(body);
    }
    event
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(byte) = s
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Turns the function's payload 2.0 response into HTTP.
pub fn response(output: &[u8]) -> Response {
    let Ok(value) = serde_json::from_slice::<Value>(output) else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The function returned a malformed response.",
        );
    };
    if value.get("statusCode").is_none() {
        // API Gateway treats any other JSON as a 200 body.
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            output.to_vec(),
        )
            .into_response();
    }
    let status = StatusCode::from_u16(value["statusCode"].as_u64().unwrap_or(500) as u16)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match value["body"].as_str() {
        Some(b) if value["isBase64Encoded"].as_bool() == Some(true) => {
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .unwrap_or_default()
        }
        Some(b) => b.as_bytes().to_vec(),
        None => Vec::new(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(map) = value["headers"].as_object() {
        for (k, v) in map {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(k.as_str()),
                v.as_str().map(HeaderValue::from_str),
            ) {
                headers.insert(name, value);
            }
        }
    }
    if let Some(map) = value["multiValueHeaders"].as_object() {
        for (k, values) in map {
            for v in values.as_array().into_iter().flatten() {
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::try_from(k.as_str()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    headers.append(name, value);
                }
            }
        }
    }
    for cookie in value["cookies"].as_array().into_iter().flatten() {
        if let Some(Ok(v)) = cookie.as_str().map(HeaderValue::from_str) {
            headers.append("set-cookie", v);
        }
    }
    response
}

pub fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    let body = json!({"type": "about:blank", "title": status.canonical_reason().unwrap_or("Error"),
                      "status": status.as_u16(), "code": code, "detail": detail});
    (
        status,
        [("content-type", "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// What an invocation means to an HTTP client when the function itself failed.
pub fn failure(function: &str, outcome: &Outcome) -> Response {
    match outcome {
        Outcome::Response(_) => unreachable!("not a failure"),
        Outcome::TimedOut => problem(
            StatusCode::GATEWAY_TIMEOUT,
            "function_timeout",
            &format!("{function} timed out."),
        ),
        Outcome::Error { error_type, .. } => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &format!("{function} failed ({error_type})."),
        ),
        Outcome::Crashed(_) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &format!("{function} crashed."),
        ),
    }
}

pub async fn handle(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 10 * 1024 * 1024).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            r#"{"message":"Request Entity Too Large"}"#,
        )
            .into_response();
    };
    let path = parts.uri.path().to_owned();
    if let Some(function) = path.strip_prefix("/_local/invoke/") {
        return invoke(&gateway, function, body).await;
    }
    let Some((route, params)) = find(&gateway.routes, parts.method.as_str(), &path) else {
        return (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            r#"{"message":"Not Found"}"#,
        )
            .into_response();
    };
    let event = event(route, &params, &parts, &body, &peer.ip().to_string());
    let pool = &gateway.pools[&route.function];
    match pool.invoke(Bytes::from(event.to_string())).await {
        Outcome::Response(output) => response(&output),
        failed => failure(&route.function, &failed),
    }
}

/// `POST /_local/invoke/<LogicalId>`: runs the function with the body as its event
/// (`{}` when empty) and returns what it returned.
async fn invoke(gateway: &Gateway, function: &str, body: Bytes) -> Response {
    let Some(pool) = gateway.pools.get(function) else {
        let known: Vec<&String> = gateway.pools.keys().collect();
        return problem(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no function {function}; known: {known:?}"),
        );
    };
    let event = if body.is_empty() {
        gateway
            .default_events
            .get(function)
            .cloned()
            .unwrap_or_default()
    } else {
        body
    };
    match pool.invoke(event).await {
        Outcome::Response(output) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            output,
        )
            .into_response(),
        Outcome::Error {
            error_type,
            message,
        } => (
            StatusCode::BAD_GATEWAY,
            [("content-type", "application/json")],
            json!({"errorType": error_type, "errorMessage": message}).to_string(),
        )
            .into_response(),
        failed => failure(function, &failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};

    fn routes() -> Vec<CompiledRoute> {
        [
            ("GET", "/v1/steps", "List"),
            ("POST", "/v1/steps/sync", "Sync"),
            ("POST", "/v1/steps/{id}/appeal", "Appeal"),
            ("GET", "/v1/files/{path+}", "Files"),
            ("ANY", "$default", "Default"),
        ]
        .into_iter()
        .map(|(m, p, f)| {
            CompiledRoute::new(
                Route {
                    method: m.into(),
                    path: p.into(),
                },
                f.into(),
            )
        })
        .collect()
    }

    #[test]
    fn routes_match_by_method_path_and_specificity() {
        let routes = routes();
        let hit =
            |m: &str, p: &str| find(&routes, m, p).map(|(r, params)| (r.function.clone(), params));
        assert_eq!(hit("GET", "/v1/steps").unwrap().0, "List");
        assert_eq!(
            hit("POST", "/v1/steps/sync").unwrap().0,
            "Sync",
            "a static segment beats a parameter"
        );
        let (f, params) = hit("POST", "/v1/steps/abc/appeal").unwrap();
        assert_eq!((f.as_str(), params["id"].as_str()), ("Appeal", "abc"));
        assert_eq!(
            hit("GET", "/v1/files/a/b/c.png").unwrap().1["path"],
            "a/b/c.png"
        );
        assert_eq!(
            hit("DELETE", "/v1/steps").unwrap().0,
            "Default",
            "wrong method falls to $default"
        );
        let without_default: Vec<CompiledRoute> = routes
            .into_iter()
            .filter(|r| r.function != "Default")
            .collect();
        assert!(find(&without_default, "GET", "/v1/nothing").is_none());
        assert!(find(&without_default, "GET", "/v1/steps/extra").is_none());
    }

    #[test]
    fn events_round_trip_through_the_aws_lambda_events_types() {
        let routes = routes();
        let (route, params) = find(&routes, "POST", "/v1/steps/abc/appeal").unwrap();
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/v1/steps/abc/appeal?lang=en&tag=a&tag=b&q=hello%20world")
            .header("content-type", "application/json")
            .header("cookie", "a=1; b=2")
            .header("user-agent", "curl/8")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let event = event(route, &params, &parts, br#"{"message":"hi"}"#, "10.1.2.3");
        let typed: ApiGatewayV2httpRequest = serde_json::from_value(event.clone()).unwrap();
        assert_eq!(
            typed.route_key.as_deref(),
            Some("POST /v1/steps/{id}/appeal")
        );
        assert_eq!(typed.raw_path.as_deref(), Some("/v1/steps/abc/appeal"));
        assert_eq!(typed.path_parameters["id"], "abc");
        assert_eq!(
            typed.query_string_parameters.all("tag"),
            Some(vec!["a", "b"]),
            "repeated keys are comma-joined"
        );
        assert_eq!(
            typed.query_string_parameters.first("q"),
            Some("hello world")
        );
        assert_eq!(
            typed.cookies,
            Some(vec!["a=1".to_owned(), "b=2".to_owned()])
        );
        assert_eq!(
            typed.request_context.http.source_ip.as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(typed.request_context.http.method, http::Method::POST);
        assert!(typed.request_context.request_id.is_some());
        assert!(!typed.is_base64_encoded);
        assert_eq!(typed.body.as_deref(), Some(r#"{"message":"hi"}"#));
        // Binary bodies travel base64-encoded.
        let binary = super::event(route, &params, &parts, &[0xff, 0xfe], "10.1.2.3");
        assert_eq!(binary["isBase64Encoded"], true);

        let mut response = ApiGatewayV2httpResponse::default();
        response.status_code = 201;
        response
            .headers
            .insert("x-request-id", "r-1".parse().unwrap());
        response.body = Some(aws_lambda_events::encodings::Body::Text(
            "{\"ok\":true}".into(),
        ));
        let http = super::response(&serde_json::to_vec(&response).unwrap());
        assert_eq!(http.status(), 201);
        assert_eq!(http.headers()["x-request-id"], "r-1");
    }
}
