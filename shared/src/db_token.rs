//! IAM authentication tokens for RDS Proxy: a SigV4-presigned `connect` request for the
//! database user, signed in process with the function's own credentials and used as the
//! password. Valid 15 minutes for new connections (open ones stay open); the pool asks
//! for a fresh one well before that (see `App::db`). No password exists in the function.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    self, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::{Error, Result};

/// How long a token is valid (RDS accepts at most 15 minutes).
pub const LIFETIME: Duration = Duration::from_secs(900);

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub region: String,
}

/// A token for `target`, signed with the credentials the SDK configuration provides.
pub async fn mint(aws: &aws_config::SdkConfig, target: &Target) -> Result<String> {
    let credentials = aws
        .credentials_provider()
        .ok_or_else(|| Error::internal("no AWS credentials to sign a database token with"))?
        .provide_credentials()
        .await
        .map_err(|e| Error::Unavailable(format!("AWS credentials: {e}")))?;
    // Wall time, not the domain's clock: AWS refuses a signature from a skewed clock.
    sign(credentials, target, SystemTime::now())
}

/// The token itself: `host:port/?Action=connect&DBUser=...&X-Amz-...`, signed for the
/// `rds-db` service at `time`.
pub fn sign(credentials: Credentials, target: &Target, time: SystemTime) -> Result<String> {
    let identity: Identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.expires_in = Some(LIFETIME);
    settings.signature_location = SignatureLocation::QueryParams;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&target.region)
        .name("rds-db")
        .time(time)
        .settings(settings)
        .build()
        .map_err(Error::internal)?;
    let url = format!(
        "https://{}:{}/?Action=connect&DBUser={}",
        target.host, target.port, target.user
    );
    let request = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::empty())
        .map_err(Error::internal)?;
    let (instructions, _) = http_request::sign(request, &params.into())
        .map_err(Error::internal)?
        .into_parts();
    let mut url = url::Url::parse(&url).map_err(Error::internal)?;
    for (name, value) in instructions.params() {
        url.query_pairs_mut().append_pair(name, value);
    }
    Ok(url.as_str().trim_start_matches("https://").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AWS SDK's own test vector for RDS auth tokens: same inputs, same token.
    #[test]
    fn signs_like_the_aws_sdk() {
        let token = sign(
            Credentials::new("akid", "secret", None, None, "test"),
            &Target {
                host: "prod-instance.us-east-1.rds.amazonaws.com".into(),
                port: 3306,
                user: "peccy".into(),
                region: "us-east-1".into(),
            },
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_724_709_600),
        )
        .unwrap();
        assert_eq!(
            token,
            "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=peccy\
             &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=akid%2F20240826%2Fus-east-1%2Frds-db%2Faws4_request\
             &X-Amz-Date=20240826T220000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=dd0cba843009474347af724090233265628ace491ea17ce3eb3da098b983ad89"
        );
    }
}
