//! Secrets resolved on first use: a plain value in local runs and tests, or a Secrets
//! Manager secret in AWS (fetched once per execution environment, never logged).

use crate::config::SecretSource;
use crate::{Error, Result};

/// Resolves `source`. For Secrets Manager, a JSON secret with a `password` field (the
/// shape RDS uses for database credentials) yields that field; any other string is the
/// secret itself.
pub async fn resolve(aws: &aws_config::SdkConfig, source: &SecretSource) -> Result<String> {
    match source {
        SecretSource::Value(v) => Ok(v.clone()),
        SecretSource::SecretsManager { arn } => {
            let client = aws_sdk_secretsmanager::Client::new(aws);
            let out = client
                .get_secret_value()
                .secret_id(arn)
                .send()
                .await
                .map_err(|e| Error::Unavailable(format!("secret {arn}: {e}")))?;
            let raw = out
                .secret_string()
                .ok_or_else(|| Error::internal(format!("secret {arn} has no string value")))?;
            Ok(password_field(raw).unwrap_or_else(|| raw.to_owned()))
        }
    }
}

/// The version before the last rotation (Secrets Manager's `AWSPREVIOUS` stage), if the
/// secret was ever rotated; a plain value has none.
pub async fn resolve_previous(
    aws: &aws_config::SdkConfig,
    source: &SecretSource,
) -> Result<Option<String>> {
    let SecretSource::SecretsManager { arn } = source else {
        return Ok(None);
    };
    let out = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(arn)
        .version_stage("AWSPREVIOUS")
        .send()
        .await;
    match out {
        Ok(out) => Ok(out
            .secret_string()
            .map(|raw| password_field(raw).unwrap_or_else(|| raw.to_owned()))),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::Unavailable(format!(
            "secret {arn} (previous version): {e}"
        ))),
    }
}

fn password_field(raw: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(raw).ok()?;
    value.get("password")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rds_credential_secrets_yield_their_password() {
        assert_eq!(
            super::password_field(r#"{"username":"fitkart","password":"s3cret"}"#).as_deref(),
            Some("s3cret")
        );
        assert_eq!(super::password_field("plain-value"), None);
    }
}
