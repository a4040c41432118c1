//! What a customer sends to place an order, checked field by field: 1 to 20 lines of 1
//! to 10 units, each product once, and a shipping address.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::input::{self, Checks};
use crate::Result;

/// 1 to 20 lines of 1 to 10 units each.
pub const MAX_LINES: usize = 20;
pub const MAX_QUANTITY: i32 = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Address {
    /// The address with every field trimmed and checked, or the reasons under `at`.
    pub fn check(self, at: &str, checks: &mut Checks) -> Option<Address> {
        let field = |name: &str| format!("{at}.{name}");
        let postal = |raw: String| {
            let p = input::text(&raw, 16)?;
            if p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
            {
                Ok(p)
            } else {
                Err("must be letters, digits, spaces or dashes".into())
            }
        };
        let name = checks.field(field("name"), input::text(&self.name, 200));
        let line1 = checks.field(field("line1"), input::text(&self.line1, 200));
        let line2 = checks.optional(field("line2"), self.line2, |l| input::text(&l, 200));
        let city = checks.field(field("city"), input::text(&self.city, 100));
        let region = checks.optional(field("region"), self.region, |r| input::text(&r, 100));
        let postal_code = checks.field(field("postal_code"), postal(self.postal_code));
        let country = checks.field(field("country"), input::country_code(&self.country));
        let phone = checks.optional(field("phone"), self.phone, |p| input::phone(&p));
        Some(Address {
            name: name?,
            line1: line1?,
            line2,
            city: city?,
            region,
            postal_code: postal_code?,
            country: country?,
            phone,
        })
    }
}

/// A checked order request. Its JSON form is what an `Idempotency-Key` is bound to.
#[derive(Debug, Clone, Serialize)]
pub struct NewOrder {
    pub items: Vec<NewLine>,
    pub shipping_address: Address,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct NewLine {
    pub product_id: Uuid,
    pub quantity: i32,
}

impl NewOrder {
    /// Checks the lines (1 to 20, quantities 1 to 10, each product once) and the address;
    /// every problem is reported at once.
    pub fn check(lines: Vec<(Uuid, i64)>, address: Address) -> Result<NewOrder> {
        let mut checks = Checks::default();
        if !(1..=MAX_LINES).contains(&lines.len()) {
            checks.fail(
                "items",
                format!("must have 1 to {MAX_LINES} lines, got {}", lines.len()),
            );
        }
        let mut seen = std::collections::HashSet::new();
        let mut items = Vec::new();
        for (i, (product_id, quantity)) in lines.into_iter().enumerate() {
            if !seen.insert(product_id) {
                checks.fail(
                    format!("items[{i}].product_id"),
                    "appears more than once; order several units in one line",
                );
            }
            match i32::try_from(quantity) {
                Ok(q) if (1..=MAX_QUANTITY).contains(&q) => items.push(NewLine {
                    product_id,
                    quantity: q,
                }),
                _ => checks.fail(
                    format!("items[{i}].quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ),
            }
        }
        let shipping_address = address.check("shipping_address", &mut checks);
        checks.finish()?;
        Ok(NewOrder {
            items,
            shipping_address: input::checked(shipping_address)?,
        })
    }
}
