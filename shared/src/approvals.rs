//! Admin power: the one owner of every admin action that creates coins, returns coins to
//! someone or changes who can act (`act`): a coin adjustment, deciding a held day,
//! cancelling a challenge with its stakes back, releasing a held payout, reversing a gift,
//! (de)activating an account, a role, a money or defence setting, a reward price pinned
//! below its catalog price, opening a charity campaign. Handlers parse and call `act`;
//! it decides (`second_admin_needed`) whether the action applies now or waits for a
//! second admin, and an approval applies it through the same `apply`.
//!
//! It waits when the action always needs two (a role, a reactivation, a money setting, a
//! campaign, a price below the catalog), when its effect (an approved day is worth its
//! coins) is above `coin_adjust_four_eyes_above`, when it would take the admin past their
//! rolling 24-hour budget of coins moved alone (`admin_alone_coins_day`) or the
//! beneficiary past theirs (`admin_alone_coins_beneficiary_day`: splitting an action in
//! parts does not help), or when the admin is a party to it (their own challenge or gift,
//! an account linked to theirs by a device, a phone number or an address). A waiting
//! action becomes a change request, shown with who asked, what changes (before and after),
//! why and why it waits; a *different* admin approves one with a fresh code from their
//! authenticator, and the change is applied in the approving transaction, checked again
//! against the state of that moment and audited with both names.
//!
//! Nobody approves their own request, nor may an admin promoted through a request in the
//! last 7 days (two accounts of one person cannot approve each other into power at once).
//! A request expires 72 hours after it was asked for. With one admin only, requests wait.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::accounts::{self, AccountState};
use crate::audit::{EntityType, Entry};
use crate::challenges::{entry as challenge_entry, settlement};
use crate::giving::{campaigns, gifts};
use crate::i18n::Text;
use crate::rewards::{self, ProductChanges};
use crate::settings::{self, Guard, Settings};
use crate::steps::review::{self, Decision};
use crate::users::{self, Role};
use crate::{pagination, wallet, Error, Result};

/// How long a request waits for its second admin.
pub const LIFETIME: Duration = Duration::hours(72);
/// How long a newly promoted admin waits before approving anything.
pub const NEW_ADMIN_WAIT: Duration = Duration::days(7);

crate::text_enum! {
    /// What a change request changes.
    pub enum Kind {
        Role = "role",
        Coins = "coins",
        Setting = "setting",
        Price = "price",
        /// Opening a charity campaign commits its sponsor's purse.
        Campaign = "campaign",
        /// Deciding a day held for review (approving one pays its coins).
        Day = "day",
        /// Cancelling a challenge: every stake back.
        Challenge = "challenge",
        /// Paying a challenge's held payout.
        Payout = "payout",
        /// Reversing a pending gift: the coins back to its sender.
        Gift = "gift",
        /// Deactivating or reactivating an account.
        Account = "account",
    }
}

crate::text_enum! {
    /// Where a request stands (`expired` is a pending one past `expires_at`).
    pub enum Status {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
        Expired = "expired",
    }
}

/// A change an admin asked for, checked field by field.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposal {
    Role {
        user_id: Uuid,
        role: Role,
    },
    Coins {
        user_id: Uuid,
        amount: i64,
    },
    Setting {
        key: String,
        value: Value,
    },
    Price {
        product_id: Uuid,
        coin_price: i64,
    },
    OpenCampaign {
        campaign_id: Uuid,
    },
    /// A held day decided: approved (its coins paid) or rejected.
    DecideDay {
        validation_id: Uuid,
        approve: bool,
        note: String,
    },
    CancelChallenge {
        challenge_id: Uuid,
    },
    ReleasePayout {
        challenge_id: Uuid,
    },
    ReverseGift {
        gift_id: Uuid,
    },
    SetActive {
        user_id: Uuid,
        active: bool,
    },
}

impl Proposal {
    fn kind(&self) -> Kind {
        match self {
            Proposal::Role { .. } => Kind::Role,
            Proposal::Coins { .. } => Kind::Coins,
            Proposal::Setting { .. } => Kind::Setting,
            Proposal::Price { .. } => Kind::Price,
            Proposal::OpenCampaign { .. } => Kind::Campaign,
            Proposal::DecideDay { .. } => Kind::Day,
            Proposal::CancelChallenge { .. } => Kind::Challenge,
            Proposal::ReleasePayout { .. } => Kind::Payout,
            Proposal::ReverseGift { .. } => Kind::Gift,
            Proposal::SetActive { .. } => Kind::Account,
        }
    }

    fn payload(&self) -> Value {
        match self {
            Proposal::Role { user_id, role } => json!({"user_id": user_id, "role": role}),
            Proposal::Coins { user_id, amount } => json!({"user_id": user_id, "amount": amount}),
            Proposal::Setting { key, value } => json!({"key": key, "value": value}),
            Proposal::Price {
                product_id,
                coin_price,
            } => json!({"product_id": product_id, "coin_price": coin_price}),
            Proposal::OpenCampaign { campaign_id } => json!({"campaign_id": campaign_id}),
            Proposal::DecideDay {
                validation_id,
                approve,
                note,
            } => json!({"validation_id": validation_id, "approve": approve, "note": note}),
            Proposal::CancelChallenge { challenge_id }
            | Proposal::ReleasePayout { challenge_id } => {
                json!({"challenge_id": challenge_id})
            }
            Proposal::ReverseGift { gift_id } => json!({"gift_id": gift_id}),
            Proposal::SetActive { user_id, active } => {
                json!({"user_id": user_id, "active": active})
            }
        }
    }

    fn from_payload(kind: Kind, payload: &Value) -> Result<Self> {
        let uuid = |field: &str| -> Result<Uuid> {
            payload[field]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| Error::internal(format!("change request payload lacks {field}")))
        };
        let int = |field: &str| -> Result<i64> {
            payload[field]
                .as_i64()
                .ok_or_else(|| Error::internal(format!("change request payload lacks {field}")))
        };
        Ok(match kind {
            Kind::Role => Proposal::Role {
                user_id: uuid("user_id")?,
                role: Role::parse(payload["role"].as_str().unwrap_or_default())
                    .map_err(Error::internal)?,
            },
            Kind::Coins => Proposal::Coins {
                user_id: uuid("user_id")?,
                amount: int("amount")?,
            },
            Kind::Setting => Proposal::Setting {
                key: payload["key"].as_str().unwrap_or_default().to_owned(),
                value: payload["value"].clone(),
            },
            Kind::Price => Proposal::Price {
                product_id: uuid("product_id")?,
                coin_price: int("coin_price")?,
            },
            Kind::Campaign => Proposal::OpenCampaign {
                campaign_id: uuid("campaign_id")?,
            },
            Kind::Day => Proposal::DecideDay {
                validation_id: uuid("validation_id")?,
                approve: payload["approve"].as_bool().unwrap_or(false),
                note: payload["note"].as_str().unwrap_or_default().to_owned(),
            },
            Kind::Challenge => Proposal::CancelChallenge {
                challenge_id: uuid("challenge_id")?,
            },
            Kind::Payout => Proposal::ReleasePayout {
                challenge_id: uuid("challenge_id")?,
            },
            Kind::Gift => Proposal::ReverseGift {
                gift_id: uuid("gift_id")?,
            },
            Kind::Account => Proposal::SetActive {
                user_id: uuid("user_id")?,
                active: payload["active"].as_bool().unwrap_or(false),
            },
        })
    }

    /// (entity type, entity id, setting key) the request is about.
    fn entity(&self) -> (EntityType, Option<Uuid>, Option<&str>) {
        match self {
            Proposal::Role { user_id, .. } | Proposal::Coins { user_id, .. } => {
                (EntityType::User, Some(*user_id), None)
            }
            Proposal::Setting { key, .. } => (EntityType::Setting, None, Some(key)),
            Proposal::Price { product_id, .. } => {
                (EntityType::RewardProduct, Some(*product_id), None)
            }
            Proposal::OpenCampaign { campaign_id } => {
                (EntityType::Campaign, Some(*campaign_id), None)
            }
            Proposal::DecideDay { validation_id, .. } => {
                (EntityType::StepValidation, Some(*validation_id), None)
            }
            Proposal::CancelChallenge { challenge_id }
            | Proposal::ReleasePayout { challenge_id } => {
                (EntityType::Challenge, Some(*challenge_id), None)
            }
            Proposal::ReverseGift { gift_id } => (EntityType::Gift, Some(*gift_id), None),
            Proposal::SetActive { user_id, .. } => (EntityType::User, Some(*user_id), None),
        }
    }
}

/// What an action is worth and to whom, for the decision: the coins it creates or
/// returns, the people who get them, and whether the acting admin is one of its parties.
struct Effect {
    coins: i64,
    beneficiaries: Vec<Uuid>,
    party: bool,
}

async fn effect(
    conn: &mut PgConnection,
    settings: &Settings,
    admin: Uuid,
    proposal: &Proposal,
    now: DateTime<Utc>,
) -> Result<Option<Effect>> {
    Ok(match proposal {
        Proposal::Coins { user_id, amount } => Some(Effect {
            coins: amount.abs(),
            beneficiaries: vec![*user_id],
            party: *user_id == admin,
        }),
        Proposal::DecideDay {
            validation_id,
            approve: true,
            ..
        } => {
            let (user, coins) = review::worth(conn, settings, *validation_id).await?;
            Some(Effect {
                coins,
                beneficiaries: vec![user],
                party: user == admin,
            })
        }
        Proposal::CancelChallenge { challenge_id } | Proposal::ReleasePayout { challenge_id } => {
            let challenge = crate::challenges::inspect(conn, *challenge_id, now).await?;
            let people: Vec<Uuid> = challenge.standings.iter().map(|s| s.person.id).collect();
            Some(Effect {
                coins: challenge.pot_coins,
                party: people.contains(&admin) || challenge.creator_id == admin,
                beneficiaries: challenge
                    .standings
                    .iter()
                    .filter(|s| s.stake_coins > 0)
                    .map(|s| s.person.id)
                    .collect(),
            })
        }
        Proposal::ReverseGift { gift_id } => {
            let gift = gifts::inspect(conn, *gift_id).await?;
            Some(Effect {
                coins: gift.coins,
                beneficiaries: vec![gift.sender.id],
                party: gift.sender.id == admin || gift.recipient.id == admin,
            })
        }
        _ => None,
    })
}

/// Why `admin` may not apply `proposal` alone now (`None`: they may). The one place this
/// is decided (module comment).
pub async fn second_admin_needed(
    conn: &mut PgConnection,
    settings: &Settings,
    admin: Uuid,
    proposal: &Proposal,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    match proposal {
        Proposal::Role { .. } => return Ok(Some("a role change decides who can act".into())),
        Proposal::OpenCampaign { .. } => {
            return Ok(Some("opening a campaign commits a sponsor's purse".into()))
        }
        Proposal::SetActive {
            user_id,
            active: true,
        } => {
            // Only a deactivated account's return needs two; an active one stays as it is.
            let user = users::get(conn, *user_id).await?;
            return Ok((!user.is_active)
                .then(|| "reactivating an account decides who can act".into()));
        }
        Proposal::SetActive { active: false, .. } => return Ok(None),
        Proposal::Setting { key, .. } => {
            return Ok(settings::definition(key)
                .is_some_and(|d| d.guard == Guard::FourEyes)
                .then(|| "the setting decides what coins are worth, who gets them, or how hard a fraud defence looks".into()))
        }
        Proposal::Price {
            product_id,
            coin_price,
        } => {
            let product = rewards::admin_view(conn, *product_id).await?;
            let reference =
                rewards::catalog_price(product.product.retail_price, settings.coins_per_usd)
                    .unwrap_or(product.product.coin_price);
            return Ok((*coin_price < reference).then(|| {
                format!("a price below the catalog's ({reference} coins) gives goods away")
            }));
        }
        _ => {}
    }
    let Some(effect) = effect(conn, settings, admin, proposal, now).await? else {
        return Ok(None);
    };
    if effect.party {
        return Ok(Some("you are a party to it".into()));
    }
    let mut people = effect.beneficiaries.clone();
    people.push(admin);
    if crate::transfers::linked(conn, &people)
        .await?
        .iter()
        .any(|(a, b)| *a == admin || *b == admin)
    {
        return Ok(Some(
            "an account it pays shares a device, a phone number or an address with yours".into(),
        ));
    }
    let alone = settings.coin_adjust_four_eyes_above;
    if effect.coins > alone {
        return Ok(Some(format!(
            "it is worth {} coins, over the {alone} one admin moves alone",
            effect.coins
        )));
    }
    let used = crate::db_query!(
        r#"SELECT
               (SELECT COALESCE(sum(coins), 0)::int8 FROM admin_power_uses
                WHERE admin_id = $1 AND used_at > $3::timestamptz - interval '24 hours') AS "by_admin!",
               (SELECT COALESCE(max(s), 0)::int8 FROM (
                    SELECT sum(coins) AS s FROM admin_power_uses
                    WHERE beneficiary_id = ANY($2) AND used_at > $3::timestamptz - interval '24 hours'
                    GROUP BY beneficiary_id) b) AS "for_one!""#,
        admin,
        &effect.beneficiaries,
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    if used.by_admin + effect.coins > settings.admin_alone_coins_day {
        return Ok(Some(format!(
            "you moved {} coins alone in the last 24 hours; with this {} would pass the {} an admin moves alone in a day",
            used.by_admin,
            used.by_admin + effect.coins,
            settings.admin_alone_coins_day
        )));
    }
    if used.for_one + effect.coins > settings.admin_alone_coins_beneficiary_day {
        return Ok(Some(format!(
            "admins gave this account {} coins alone in the last 24 hours; with this {} would pass the {} one account gets from admins alone in a day",
            used.for_one,
            used.for_one + effect.coins,
            settings.admin_alone_coins_beneficiary_day
        )));
    }
    Ok(None)
}

/// What `act` did: applied now, or recorded as a change request that waits (and why).
pub enum Acted {
    Applied(Applied),
    Waiting(Box<ChangeRequest>),
}

/// An admin's action that moves value or power, in the caller's audited transaction:
/// applied now when `second_admin_needed` says nothing against it (and counted against
/// the budgets), else a change request that says why it waits. Checked against the state
/// now either way (the same refusals as the change itself).
pub async fn act(
    conn: &mut PgConnection,
    settings: &Settings,
    admin: Uuid,
    proposal: &Proposal,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Acted> {
    // What the change itself refuses comes first (`own_account`, `404`, a finished
    // challenge...), whoever would apply it.
    // Boxed: each is a state machine over every kind of action's domain calls.
    Box::pin(describe(conn, settings, admin, proposal, now)).await?;
    match Box::pin(second_admin_needed(conn, settings, admin, proposal, now)).await? {
        Some(why) => Ok(Acted::Waiting(Box::new(
            Box::pin(request(conn, settings, admin, proposal, reason, &why, now)).await?,
        ))),
        None => {
            // Its size as it is before it applies (an approved day is worth nothing after).
            let effect = Box::pin(effect(conn, settings, admin, proposal, now)).await?;
            let applied =
                Box::pin(apply(conn, settings, proposal, admin, admin, reason, now)).await?;
            if let Some(effect) = effect {
                record_use(conn, admin, proposal, &effect, now).await?;
            }
            Ok(Acted::Applied(applied))
        }
    }
}

/// Counts an action applied alone against the budgets, split over its beneficiaries.
async fn record_use(
    conn: &mut PgConnection,
    admin: Uuid,
    proposal: &Proposal,
    effect: &Effect,
    now: DateTime<Utc>,
) -> Result<()> {
    let each = effect.coins / (effect.beneficiaries.len().max(1) as i64);
    crate::db_query!(
        "INSERT INTO admin_power_uses (admin_id, beneficiary_id, kind, coins, used_at)
         SELECT $1, b, $3, $4, $5 FROM UNNEST($2::uuid[]) AS b",
        admin,
        &effect.beneficiaries,
        proposal.kind().as_str(),
        each,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A change request as admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRequest {
    pub id: Uuid,
    pub kind: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub setting_key: Option<String>,
    /// What the approval would change, then and now.
    pub before: Value,
    pub after: Value,
    pub reason: String,
    pub status: String,
    pub requested_by: Uuid,
    pub requested_by_email: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_by_email: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// Admins who could approve it now: active, with an authenticator, not its requester,
    /// not promoted in the last 7 days. 0 means it waits for a second admin.
    pub approvers_available: i64,
    /// Why one admin could not apply it alone.
    pub waits_because: String,
}

impl ChangeRequest {
    /// Its own audit row: who asked for what.
    pub fn audit_entry(&self, action: &'static str) -> Entry<'_, Value, Self> {
        Entry {
            action,
            entity_type: EntityType::ChangeRequest,
            entity_id: Some(self.id),
            before: &Value::Null,
            after: self,
        }
    }
}

/// What the proposal would change, as people read it, checked against the state now:
/// the same refusals as the change itself (`404`, `422`, `403 own_account`).
async fn describe(
    conn: &mut PgConnection,
    settings: &Settings,
    requester: Uuid,
    proposal: &Proposal,
    now: DateTime<Utc>,
) -> Result<(Value, Value)> {
    match proposal {
        Proposal::Role { user_id, role } => {
            let user = users::get(conn, *user_id).await?;
            if user.role == *role {
                return Err(Error::invalid(
                    "role",
                    format!("the account is already {role}"),
                ));
            }
            Ok((
                json!({"email": user.email, "role": user.role}),
                json!({"email": user.email, "role": role}),
            ))
        }
        Proposal::Coins { user_id, amount } => {
            if *user_id == requester {
                return Err(own_account());
            }
            let user = users::get(conn, *user_id).await?;
            let wallet = wallet::get(conn, *user_id).await?;
            if wallet.available_coins + amount < 0 {
                return Err(Error::conflict(
                    "insufficient_coins",
                    Text::new("problem-insufficient-coins"),
                ));
            }
            Ok((
                json!({"email": user.email, "available_coins": wallet.available_coins}),
                json!({"email": user.email, "available_coins": wallet.available_coins + amount, "amount": amount}),
            ))
        }
        Proposal::Setting { key, value } => {
            let (_, canonical) = check_setting(conn, key, value).await?;
            let current = settings::get(conn, key).await?;
            Ok((
                json!({"key": key, "value": current.value}),
                json!({"key": key, "value": canonical}),
            ))
        }
        Proposal::Price {
            product_id,
            coin_price,
        } => {
            let product = rewards::admin_view(conn, *product_id).await?;
            Ok((
                json!({"name": product.product.name, "coin_price": product.product.coin_price,
                       "pinned": product.coin_price_pinned}),
                json!({"name": product.product.name, "coin_price": coin_price, "pinned": true}),
            ))
        }
        Proposal::OpenCampaign { campaign_id } => {
            campaigns::describe_opening(conn, *campaign_id).await
        }
        Proposal::DecideDay {
            validation_id,
            approve,
            ..
        } => {
            let (user, coins) = review::worth(conn, settings, *validation_id).await?;
            if user == requester {
                return Err(Error::denied(
                    "own_account",
                    Text::new("problem-own-account-review"),
                ));
            }
            Ok((
                json!({"validation_id": validation_id, "status": "pending", "user_id": user}),
                json!({"validation_id": validation_id,
                       "status": if *approve { "approved" } else { "rejected" },
                       "coins": if *approve { coins } else { 0 }}),
            ))
        }
        Proposal::CancelChallenge { challenge_id } => {
            let challenge = crate::challenges::inspect(conn, *challenge_id, now).await?;
            if matches!(
                challenge.status,
                crate::challenges::Status::Settled | crate::challenges::Status::Cancelled
            ) {
                return Err(Error::conflict(
                    "challenge_finished",
                    Text::new("problem-challenge-finished"),
                ));
            }
            Ok((
                json!({"challenge_id": challenge_id, "status": challenge.status, "pot_coins": challenge.pot_coins}),
                json!({"challenge_id": challenge_id, "status": "cancelled", "stakes_back": challenge.pot_coins}),
            ))
        }
        Proposal::ReleasePayout { challenge_id } => {
            let challenge = crate::challenges::inspect(conn, *challenge_id, now).await?;
            let Some(held) = challenge.payout_held_reason.clone() else {
                return Err(Error::conflict(
                    "payout_not_held",
                    Text::new("problem-payout-not-held"),
                ));
            };
            Ok((
                json!({"challenge_id": challenge_id, "payout_held_reason": held, "pot_coins": challenge.pot_coins}),
                json!({"challenge_id": challenge_id, "status": "settled"}),
            ))
        }
        Proposal::ReverseGift { gift_id } => {
            let gift = gifts::inspect(conn, *gift_id).await?;
            if gift.status != gifts::Status::Pending {
                return Err(gifts::not_pending());
            }
            Ok((
                json!({"gift_id": gift_id, "status": "pending", "coins": gift.coins, "sender": gift.sender.id}),
                json!({"gift_id": gift_id, "status": "reversed", "coins_back_to_sender": gift.coins}),
            ))
        }
        Proposal::SetActive { user_id, active } => {
            let user = users::get(conn, *user_id).await?;
            Ok((
                json!({"email": user.email, "is_active": user.is_active}),
                json!({"email": user.email, "is_active": active}),
            ))
        }
    }
}

/// A setting's value checked as the change would check it, with what it must refer to.
async fn check_setting(
    conn: &mut PgConnection,
    key: &str,
    value: &Value,
) -> Result<(&'static settings::SettingDef, String)> {
    let checked = settings::check(key, value)?;
    if key == "anomaly_model_version" && checked.1 != "0" {
        let version: i32 = checked.1.parse().map_err(Error::internal)?;
        if !crate::steps::anomaly::exists(conn, version).await? {
            return Err(Error::invalid(
                "value",
                format!("no anomaly model has version {version}; 0 selects the newest"),
            ));
        }
    }
    Ok(checked)
}

fn own_account() -> Error {
    Error::denied("own_account", Text::new("problem-own-account-coins"))
}

/// Records `proposal` as a request of `requester` with `reason`, in the caller's
/// transaction (an `AuditedTx`, which audits it as `change_request.create`).
#[allow(clippy::too_many_arguments)]
async fn request(
    conn: &mut PgConnection,
    settings: &Settings,
    requester: Uuid,
    proposal: &Proposal,
    reason: &str,
    waits_because: &str,
    now: DateTime<Utc>,
) -> Result<ChangeRequest> {
    let (before, after) = describe(conn, settings, requester, proposal, now).await?;
    let (entity_type, entity_id, setting_key) = proposal.entity();
    let id = crate::db_query_scalar!(
        r#"INSERT INTO change_requests (kind, entity_type, entity_id, setting_key, payload, before, after, reason,
                                        requested_by, expires_at, waits_because)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10), $11)
           RETURNING id"#,
        proposal.kind().as_str(),
        entity_type.as_str(),
        entity_id,
        setting_key,
        proposal.payload(),
        before,
        after,
        reason,
        requester,
        LIFETIME.num_seconds() as f64,
        waits_because
    )
    .fetch_one(&mut *conn)
    .await?;
    get(conn, id).await
}

/// What an approval applied, for its audit row.
pub struct Applied {
    pub action: &'static str,
    pub entity_type: EntityType,
    pub entity_id: Option<Uuid>,
    pub before: Value,
    pub after: Value,
}

impl Applied {
    pub fn entry(&self) -> Entry<'_, Value, Value> {
        Entry {
            action: self.action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            before: &self.before,
            after: &self.after,
        }
    }
}

/// Approves request `id` as `approver` and applies its change, in the caller's
/// transaction (an `AuditedTx` marked `approving`, so the change's audit row names both
/// admins). The approver's fresh second factor is checked before (`accounts::mfa::verify`).
/// Refused: the requester (`403 own_request`), an admin promoted in the last 7 days
/// (`403 recently_promoted`), a decided request (`409 already_decided`), an expired one
/// (`409 change_request_expired`); and whatever the change itself refuses now.
pub async fn approve(
    conn: &mut PgConnection,
    settings: &Settings,
    approver: Uuid,
    id: Uuid,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(ChangeRequest, Applied)> {
    let row = lock_pending(conn, id).await?;
    if row.requested_by == approver {
        return Err(Error::denied(
            "own_request",
            Text::new("problem-own-request"),
        ));
    }
    let granted_at =
        crate::db_query_scalar!("SELECT admin_granted_at FROM users WHERE id = $1", approver)
            .fetch_one(&mut *conn)
            .await?;
    if granted_at.is_some_and(|at| at > now - NEW_ADMIN_WAIT) {
        return Err(Error::denied(
            "recently_promoted",
            Text::new("problem-recently-promoted"),
        ));
    }
    let kind = Kind::parse(&row.kind).map_err(Error::internal)?;
    let proposal = Proposal::from_payload(kind, &row.payload)?;
    let applied = Box::pin(apply(
        conn,
        settings,
        &proposal,
        row.requested_by,
        approver,
        &row.reason,
        now,
    ))
    .await?;
    crate::db_query!(
        "UPDATE change_requests SET status = 'approved', decided_by = $2, decided_at = now(), decision_note = $3
         WHERE id = $1",
        id,
        approver,
        note
    )
    .execute(&mut *conn)
    .await?;
    Ok((get(conn, id).await?, applied))
}

/// Rejects request `id` (another admin) or withdraws it (its requester), in the caller's
/// transaction, which audits it. Nothing changes but the request.
pub async fn reject(
    conn: &mut PgConnection,
    admin: Uuid,
    id: Uuid,
    note: Option<&str>,
) -> Result<ChangeRequest> {
    let row = lock_pending(conn, id).await?;
    let status = if row.requested_by == admin {
        Status::Withdrawn
    } else {
        Status::Rejected
    };
    crate::db_query!(
        "UPDATE change_requests SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4
         WHERE id = $1",
        id,
        status.as_str(),
        admin,
        note
    )
    .execute(&mut *conn)
    .await?;
    get(conn, id).await
}

struct Pending {
    kind: String,
    payload: Value,
    reason: String,
    requested_by: Uuid,
}

async fn lock_pending(conn: &mut PgConnection, id: Uuid) -> Result<Pending> {
    let row = crate::db_query!(
        "SELECT kind, payload, reason, requested_by, status, expires_at <= now() AS \"expired!\"
         FROM change_requests WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    if row.status != "pending" {
        return Err(Error::conflict(
            "already_decided",
            Text::new("problem-already-decided").arg("status", row.status),
        ));
    }
    if row.expired {
        return Err(Error::conflict(
            "change_request_expired",
            Text::new("problem-change-request-expired"),
        ));
    }
    Ok(Pending {
        kind: row.kind,
        payload: row.payload,
        reason: row.reason,
        requested_by: row.requested_by,
    })
}

/// Makes the change, checked against the state now: the one place every admin action that
/// moves value or power is applied, alone (`act`) or approved (`approve`).
#[allow(clippy::too_many_arguments)]
async fn apply(
    conn: &mut PgConnection,
    settings: &Settings,
    proposal: &Proposal,
    requester: Uuid,
    approver: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Applied> {
    match proposal {
        Proposal::Role { user_id, role } => {
            let change = AccountState {
                is_active: None,
                role: Some(*role),
            };
            let (before, after) = accounts::set_state(conn, *user_id, change).await?;
            Ok(Applied {
                action: "user.update",
                entity_type: EntityType::User,
                entity_id: Some(*user_id),
                before: json!(before),
                after: json!(after),
            })
        }
        Proposal::Coins { user_id, amount } => {
            // Neither admin may pay themselves.
            if *user_id == requester {
                return Err(own_account());
            }
            let before = wallet::get(conn, *user_id).await?;
            let transaction =
                accounts::admin::adjust(conn, *user_id, *amount, reason, approver).await?;
            Ok(Applied {
                action: "user.coins",
                entity_type: EntityType::User,
                entity_id: Some(*user_id),
                before: json!({"available_coins": before.available_coins}),
                after: json!({"available_coins": transaction.balance_after, "transaction": transaction}),
            })
        }
        Proposal::Setting { key, value } => {
            check_setting(conn, key, value).await?;
            let (before, after) = settings::update(conn, key, value, approver).await?;
            Ok(Applied {
                action: "setting.update",
                entity_type: EntityType::Setting,
                entity_id: None,
                before: json!({"key": key, "value": before.value}),
                after: json!({"key": key, "value": after.value}),
            })
        }
        Proposal::Price {
            product_id,
            coin_price,
        } => {
            let changes = ProductChanges {
                coin_price: Some(*coin_price),
                ..ProductChanges::default()
            };
            let (before, after) = rewards::update(conn, *product_id, &changes).await?;
            Ok(Applied {
                action: "reward.update",
                entity_type: EntityType::RewardProduct,
                entity_id: Some(*product_id),
                before: json!(before),
                after: json!(after),
            })
        }
        Proposal::OpenCampaign { campaign_id } => {
            let (before, after) = campaigns::open(conn, *campaign_id).await?;
            Ok(Applied {
                action: "campaign.open",
                entity_type: EntityType::Campaign,
                entity_id: Some(*campaign_id),
                before: json!({"status": before.status}),
                after: json!({"status": after.status, "purse_cents": after.purse_cents}),
            })
        }
        Proposal::DecideDay {
            validation_id,
            approve,
            note,
        } => {
            let decision = if *approve {
                Decision::Approve
            } else {
                Decision::Reject
            };
            let (before, after) = review::decide(
                conn,
                settings,
                approver,
                *validation_id,
                decision,
                note,
                now,
            )
            .await?;
            Ok(Applied {
                action: if *approve {
                    "validation.approve"
                } else {
                    "validation.reject"
                },
                entity_type: EntityType::StepValidation,
                entity_id: Some(*validation_id),
                before: json!({"status": before.status}),
                after: json!(after),
            })
        }
        Proposal::CancelChallenge { challenge_id } => {
            let before = challenge_entry::cancel_by_admin(conn, *challenge_id, now).await?;
            let after = crate::challenges::inspect(conn, *challenge_id, now).await?;
            Ok(Applied {
                action: "challenge.cancel",
                entity_type: EntityType::Challenge,
                entity_id: Some(*challenge_id),
                before: json!({ "status": before }),
                after: json!(after),
            })
        }
        Proposal::ReleasePayout { challenge_id } => {
            settlement::release_held(conn, settings, *challenge_id, now).await?;
            let after = crate::challenges::inspect(conn, *challenge_id, now).await?;
            Ok(Applied {
                action: "challenge.release",
                entity_type: EntityType::Challenge,
                entity_id: Some(*challenge_id),
                before: json!({ "status": "running" }),
                after: json!(after),
            })
        }
        Proposal::ReverseGift { gift_id } => {
            let after =
                gifts::reverse(conn, *gift_id, gifts::Reversal::Admin, Some(approver)).await?;
            Ok(Applied {
                action: "gift.reverse",
                entity_type: EntityType::Gift,
                entity_id: Some(*gift_id),
                before: json!({ "status": "pending", "coins": after.coins }),
                after: json!(after),
            })
        }
        Proposal::SetActive { user_id, active } => {
            let change = AccountState {
                is_active: Some(*active),
                role: None,
            };
            let (before, after) = accounts::set_state(conn, *user_id, change).await?;
            Ok(Applied {
                action: "user.update",
                entity_type: EntityType::User,
                entity_id: Some(*user_id),
                before: json!(before),
                after: json!(after),
            })
        }
    }
}

/// One request.
pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<ChangeRequest> {
    let (mut items, _) = list_where(conn, None, Some(id), 1, None).await?;
    items.pop().ok_or(Error::NotFound)
}

/// A page of requests, newest first; `status` filters (`expired`: pending ones past
/// their time).
pub async fn list(
    conn: &mut PgConnection,
    status: Option<Status>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<ChangeRequest>, Option<String>)> {
    list_where(conn, status, None, limit, cursor).await
}

async fn list_where(
    conn: &mut PgConnection,
    status: Option<Status>,
    id: Option<Uuid>,
    limit: i64,
    cursor: Option<&str>,
) -> Result<(Vec<ChangeRequest>, Option<String>)> {
    let (before_at, before_id): (DateTime<Utc>, Uuid) = match cursor {
        Some(c) => pagination::decode(c)?,
        None => (DateTime::<Utc>::MAX_UTC, Uuid::max()),
    };
    let rows = crate::db_query_as!(
        ChangeRequest,
        r#"SELECT c.id, c.kind, c.entity_type, c.entity_id, c.setting_key, c.before, c.after, c.reason,
                  CASE WHEN c.status = 'pending' AND c.expires_at <= now() THEN 'expired' ELSE c.status END
                      AS "status!",
                  c.requested_by, r.email AS requested_by_email, c.requested_at, c.expires_at,
                  c.decided_by, d.email AS "decided_by_email?", c.decided_at, c.decision_note,
                  (SELECT count(*) FROM users a JOIN mfa_totp t ON t.user_id = a.id AND t.confirmed_at IS NOT NULL
                   WHERE a.role = 'admin' AND a.is_active AND a.deleted_at IS NULL AND a.id <> c.requested_by
                     AND (a.admin_granted_at IS NULL OR a.admin_granted_at <= now() - make_interval(secs => $6)))
                      AS "approvers_available!",
                  c.waits_because
           FROM change_requests c
           JOIN users r ON r.id = c.requested_by
           LEFT JOIN users d ON d.id = c.decided_by
           WHERE ($1::uuid IS NULL OR c.id = $1)
             AND ($2::text IS NULL
                  OR ($2 = 'expired' AND c.status = 'pending' AND c.expires_at <= now())
                  OR ($2 = 'pending' AND c.status = 'pending' AND c.expires_at > now())
                  OR ($2 NOT IN ('expired', 'pending') AND c.status = $2))
             AND (c.requested_at, c.id) < ($3, $4)
           ORDER BY c.requested_at DESC, c.id DESC
           LIMIT $5"#,
        id,
        status.map(Status::as_str),
        before_at,
        before_id,
        limit + 1,
        NEW_ADMIN_WAIT.num_seconds() as f64
    )
    .fetch_all(conn)
    .await?;
    Ok(pagination::finish(rows, limit, |r| (r.requested_at, r.id)))
}
