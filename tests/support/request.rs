//! Requests built the way API Gateway (HTTP API, payload format 2.0) delivers them: a JSON
//! event parsed by lambda_http itself, then run through the same dispatch as in Lambda.

use std::collections::HashMap;
use std::future::Future;

use fitkart::http::{Request, Response};
use fitkart::App;
use lambda_http::Body;
use serde_json::{json, Value};

/// A Lambda invocation's deadline `left` from now: wall time, as Lambda gives it.
pub fn lambda_deadline_in(left: std::time::Duration) -> std::time::SystemTime {
    std::time::SystemTime::now() + left
}

pub struct Call<H> {
    app: &'static App,
    handler: H,
    method: String,
    path: String,
    params: HashMap<String, String>,
    query: Vec<(String, String)>,
    headers: HashMap<String, String>,
    body: Option<String>,
    source_ip: String,
    /// Lambda's deadline for the invocation, when the test gives one.
    deadline: Option<std::time::SystemTime>,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem `code` of an error response.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Field names of a 422's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl<H, Fut> Call<H>
where
    H: Fn(&'static App, Request) -> Fut + Copy,
    Fut: Future<Output = fitkart::Result<Response>>,
{
    pub fn new(app: &'static App, handler: H, method: &str, path: &str) -> Self {
        Self {
            app,
            handler,
            method: method.to_owned(),
            path: path.to_owned(),
            params: HashMap::new(),
            query: Vec::new(),
            headers: HashMap::from([("user-agent".to_owned(), "fitkart-tests".to_owned())]),
            body: None,
            source_ip: "203.0.113.7".into(),
            deadline: None,
        }
    }

    /// Fills `{name}` in the path and the event's pathParameters.
    pub fn param(mut self, name: &str, value: impl ToString) -> Self {
        let value = value.to_string();
        self.path = self.path.replace(&format!("{{{name}}}"), &value);
        self.params.insert(name.to_owned(), value);
        self
    }

    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_lowercase(), value.to_owned());
        self
    }

    /// The caller's address as API Gateway reports it (default 203.0.113.7).
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.to_owned();
        self
    }

    /// Invokes the handler as Lambda would with `left` of its timeout remaining (the
    /// invocation's deadline is wall time, as Lambda gives it). Without this a handler
    /// runs as long as it takes.
    pub fn deadline_in(mut self, left: std::time::Duration) -> Self {
        self.deadline = Some(lambda_deadline_in(left));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn json(mut self, body: Value) -> Self {
        self.headers
            .insert("content-type".into(), "application/json".into());
        self.body = Some(body.to_string());
        self
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.headers
            .insert("content-type".into(), "application/json".into());
        self.body = Some(body.to_owned());
        self
    }

    pub fn build(&self) -> Request {
        let raw_query = self
            .query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let query_params: HashMap<&str, &str> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let event = json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.path),
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": self.headers,
            "queryStringParameters": if query_params.is_empty() { Value::Null } else { json!(query_params) },
            "pathParameters": if self.params.is_empty() { Value::Null } else { json!(self.params) },
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": "localhost",
                "domainPrefix": "localhost",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": self.headers.get("user-agent").cloned().unwrap_or_default(),
                },
                "requestId": uuid::Uuid::new_v4().to_string(),
                "routeKey": format!("{} {}", self.method, self.path),
                "stage": "$default",
                "time": "25/Nov/2026:14:03:00 +0000",
                "timeEpoch": 1_795_615_380_000_i64,
            },
            "body": self.body,
            "isBase64Encoded": false,
        });
        let req = lambda_http::request::from_str(&event.to_string())
            .expect("a valid API Gateway v2 event");
        match self.deadline {
            Some(deadline) => {
                use lambda_http::RequestExt;
                let mut context = lambda_http::Context::default();
                context.deadline = deadline
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as u64;
                req.with_lambda_context(context)
            }
            None => req,
        }
    }

    pub async fn send(self) -> TestResponse {
        let req = self.build();
        let response = fitkart::lambda::dispatch(self.app, req, self.handler)
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let raw = match body {
            Body::Empty => String::new(),
            Body::Text(s) => s,
            Body::Binary(b) => String::from_utf8(b).unwrap(),
            _ => String::new(),
        };
        let body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&raw).expect("JSON body")
        };
        let res = TestResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            raw,
        };
        if res.header("content-type") == Some("application/problem+json") {
            crate::spec::check_problem(&self.method, &self.path, res.status, res.code());
        }
        res
    }
}
