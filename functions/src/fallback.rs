//! The API's `$default` route: every request that no route matches. API Gateway alone
//! would answer those with its own `404 {"message":"Not Found"}`; here they get the
//! problem details every other error has, and the HTTP status that says what is wrong:
//!
//! - a path the API has, asked with a method it does not have: `405 method_not_allowed`
//!   with `Allow` listing the methods it has (RFC 9110), so a client sees its mistake;
//! - `OPTIONS` on such a path: `204` with the same `Allow`;
//! - any other path: `404 not_found`.
//!
//! The routes are read from the OpenAPI document built into the binary: the contract the
//! tests hold template.yaml's routes to, so the two cannot drift apart.

use std::sync::LazyLock;

use fitkart::http::{Request, Response};
use fitkart::{App, Error, Result};

/// Parsed once per execution environment. A spec that does not parse (a build defect the
/// unit test below catches) is a 500 for each request, never a panic that ends the
/// environment.
static ROUTES: LazyLock<Result<Routes, String>> =
    LazyLock::new(|| Routes::from_openapi(include_str!("../../openapi.yaml")));

pub async fn unmatched(_app: &App, req: Request) -> Result<Response> {
    let routes = ROUTES
        .as_ref()
        .map_err(|e| Error::internal(format!("the built-in openapi.yaml: {e}")))?;
    let Some(allow) = routes.allowed(req.uri().path()) else {
        return Err(Error::NotFound);
    };
    if req.method() == lambda_http::http::Method::OPTIONS {
        return lambda_http::http::Response::builder()
            .status(lambda_http::http::StatusCode::NO_CONTENT)
            .header(lambda_http::http::header::ALLOW, allow.join(", "))
            .body(lambda_http::Body::Empty)
            .map_err(Error::internal);
    }
    Err(Error::MethodNotAllowed {
        allow: allow.to_vec(),
    })
}

/// Each documented path, split into segments, with the methods it has (upper case, plus
/// `OPTIONS`, which this function answers).
struct Routes(Vec<(Vec<Segment>, Vec<String>)>);

#[derive(Debug, PartialEq)]
enum Segment {
    Static(String),
    Param,
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "trace"];

impl Routes {
    fn from_openapi(text: &str) -> Result<Self, String> {
        let spec: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let paths = spec["paths"].as_mapping().ok_or("no paths")?;
        let routes = paths
            .iter()
            .filter_map(|(path, item)| {
                let methods: Vec<String> = METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .chain(["OPTIONS".to_owned()])
                    .collect();
                Some((segments(path.as_str()?), methods))
            })
            .collect();
        Ok(Self(routes))
    }

    /// The methods of the documented path `path` falls on; with several (`/x/{id}` and
    /// `/x/new`), the most specific, as API Gateway picks routes.
    fn allowed(&self, path: &str) -> Option<&[String]> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(s, p)| match s {
                        Segment::Static(s) => s == p,
                        Segment::Param => true,
                    })
            })
            .max_by_key(|(segments, _)| {
                segments
                    .iter()
                    .filter(|s| matches!(s, Segment::Static(_)))
                    .count()
            })
            .map(|(_, methods)| methods.as_slice())
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Static(s.to_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_by_segment_and_the_most_specific_wins() {
        let routes = Routes::from_openapi(
            "paths:\n  /v1/orders/{id}:\n    get: {}\n  /v1/orders/{id}/cancel:\n    post: {}\n  \
             /v1/orders/mine:\n    delete: {}\n    summary: not a method\n",
        )
        .unwrap();
        assert_eq!(routes.allowed("/v1/orders/42").unwrap(), ["GET", "OPTIONS"]);
        assert_eq!(
            routes.allowed("/v1/orders/42/cancel/").unwrap(),
            ["POST", "OPTIONS"]
        );
        assert_eq!(
            routes.allowed("/v1/orders/mine").unwrap(),
            ["DELETE", "OPTIONS"]
        );
        assert_eq!(routes.allowed("/v1/orders"), None);
        assert_eq!(routes.allowed("/v1/orders/42/cancel/now"), None);
    }

    #[test]
    fn the_built_in_spec_has_every_route() {
        let routes = ROUTES.as_ref().unwrap();
        assert_eq!(routes.allowed("/v1/wallet").unwrap(), ["GET", "OPTIONS"]);
        assert_eq!(
            routes.allowed("/v1/me").unwrap(),
            ["GET", "DELETE", "PATCH", "OPTIONS"]
        );
        assert_eq!(routes.allowed("/v1/nothing-here"), None);
    }
}
