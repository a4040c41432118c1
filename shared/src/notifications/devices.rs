//! The devices a person gets pushes on: an app install's push token, registered as an SNS
//! platform endpoint. Registering is idempotent per token, and a token registered by
//! another account moves to it (the phone changed hands); a token SNS refuses is a 422.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::i18n::Text;
use crate::input::Checks;
use crate::{input, App, Error, Result};

crate::text_enum! {
    /// Where the app runs: iOS (APNs) or Android (FCM).
    pub enum Platform {
        Ios = "ios",
        Android = "android",
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Device {
    pub id: Uuid,
    pub platform: Platform,
    pub app_version: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A checked registration request.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub platform: Platform,
    pub token: String,
    pub app_version: Option<String>,
}

impl NewDevice {
    /// The platform, a token of the platform's shape (APNs: 64 to 200 hex digits; FCM:
    /// 32 to 4,096 characters of its alphabet) and an optional app version.
    pub fn check(platform: &str, token: &str, app_version: Option<String>) -> Result<NewDevice> {
        let mut checks = Checks::default();
        let platform = checks.field("platform", Platform::parse(platform));
        let token = token.trim();
        let token_ok = match platform {
            Some(Platform::Ios) => {
                (64..=200).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit())
            }
            Some(Platform::Android) => {
                (32..=4096).contains(&token.len())
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b))
            }
            None => true,
        };
        if !token_ok {
            checks.fail("token", "is not a push token of this platform");
        }
        let app_version = checks.optional("app_version", app_version, |v| input::text(&v, 32));
        checks.finish()?;
        Ok(NewDevice {
            platform: input::checked(platform)?,
            token: token.to_owned(),
            app_version,
        })
    }
}

fn application_arn(app: &App, platform: Platform) -> Result<&str> {
    let (arn, variable) = match platform {
        Platform::Ios => (
            &app.config.push.apns_application_arn,
            "SNS_APNS_APPLICATION_ARN",
        ),
        Platform::Android => (
            &app.config.push.fcm_application_arn,
            "SNS_FCM_APPLICATION_ARN",
        ),
    };
    arn.as_deref().ok_or_else(|| {
        Error::internal(format!(
            "environment variable {variable} is required to register {} devices",
            platform.as_str()
        ))
    })
}

/// Registers (or re-registers) a device for `user_id`: its SNS endpoint, enabled, and its
/// row. Returns the device and whether it was new to this account.
pub async fn register(app: &App, user_id: Uuid, device: &NewDevice) -> Result<Device> {
    let sns = app.sns().await;
    let created = sns
        .create_platform_endpoint()
        .platform_application_arn(application_arn(app, device.platform)?)
        .token(&device.token)
        .send()
        .await;
    let endpoint_arn = match created {
        Ok(out) => out
            .endpoint_arn
            .ok_or_else(|| Error::internal("SNS created an endpoint without an ARN"))?,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_invalid_parameter_exception()) =>
        {
            return Err(Error::Unprocessable {
                code: "invalid_token",
                detail: Text::new("problem-invalid-push-token"),
            })
        }
        Err(e) => {
            return Err(Error::Unavailable(format!(
                "SNS CreatePlatformEndpoint: {e:?}"
            )))
        }
    };
    // An endpoint SNS disabled (the app was reinstalled since) starts receiving again.
    sns.set_endpoint_attributes()
        .endpoint_arn(&endpoint_arn)
        .attributes("Enabled", "true")
        .send()
        .await
        .map_err(|e| Error::Unavailable(format!("SNS SetEndpointAttributes: {e:?}")))?;
    let row = crate::db_query!(
        r#"INSERT INTO push_devices (user_id, platform, token, endpoint_arn, app_version)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (platform, token) DO UPDATE
               SET user_id = EXCLUDED.user_id, endpoint_arn = EXCLUDED.endpoint_arn,
                   app_version = COALESCE(EXCLUDED.app_version, push_devices.app_version), updated_at = now()
           RETURNING id, app_version, created_at, updated_at"#,
        user_id,
        device.platform.as_str(),
        device.token,
        endpoint_arn,
        device.app_version
    )
    .fetch_one(app.db().await?)
    .await?;
    Ok(Device {
        id: row.id,
        platform: device.platform,
        app_version: row.app_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub async fn list(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Device>> {
    crate::db_query!(
        "SELECT id, platform, app_version, created_at, updated_at FROM push_devices
         WHERE user_id = $1 ORDER BY created_at, id",
        user_id
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok(Device {
            id: r.id,
            platform: Platform::parse(&r.platform).map_err(Error::internal)?,
            app_version: r.app_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    })
    .collect()
}

/// Removes one of the user's devices (someone else's is `404`) and its SNS endpoint.
pub async fn remove(app: &App, user_id: Uuid, id: Uuid) -> Result<()> {
    let arn = crate::db_query_scalar!(
        "DELETE FROM push_devices WHERE id = $1 AND user_id = $2 RETURNING endpoint_arn",
        id,
        user_id
    )
    .fetch_optional(app.db().await?)
    .await?
    .ok_or(Error::NotFound)?;
    delete_endpoints(app, &[arn]).await;
    Ok(())
}

/// The SNS endpoints of a user's devices (read before the account is deleted; the rows go
/// with the account).
pub async fn endpoints_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<String>> {
    Ok(crate::db_query_scalar!(
        "SELECT endpoint_arn FROM push_devices WHERE user_id = $1",
        user_id
    )
    .fetch_all(conn)
    .await?)
}

/// Deletes SNS endpoints. Best effort: an endpoint left behind receives nothing (its row
/// is gone), so a failure is logged, not raised.
pub async fn delete_endpoints(app: &App, arns: &[String]) {
    let sns = app.sns().await;
    for arn in arns {
        if let Err(e) = sns.delete_endpoint().endpoint_arn(arn).send().await {
            tracing::warn!(endpoint = %arn, error = ?e, "SNS endpoint not deleted");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_have_their_platforms_shape() {
        let apns = "a".repeat(64);
        assert!(NewDevice::check("ios", &apns, None).is_ok());
        assert!(NewDevice::check("ios", "not-hex", None).is_err());
        let fcm = format!("fcm:{}", "A1_-".repeat(30));
        assert!(NewDevice::check("android", &fcm, Some("2.4.1".into())).is_ok());
        assert!(NewDevice::check("android", "short", None).is_err());
        assert!(NewDevice::check("android", &format!("{fcm} space"), None).is_err());
        assert!(NewDevice::check("windows", &apns, None).is_err());
    }
}
