//! The ledger invariants of docs/pipeline-and-ledger.md over a whole database, checked with the same
//! queries the `ops-reconcile` job runs (whose own tests plant each kind of drift and
//! see it found). Every money-moving test ends with `assert_invariants`.

use sqlx::PgPool;

pub async fn assert_invariants(pool: &PgPool) {
    let mut conn = pool.begin().await.unwrap();
    let drifts = fitkart::reconcile::run(&mut conn).await.unwrap();
    assert!(
        drifts.is_empty(),
        "ledger invariants violated:\n{}",
        drifts
            .iter()
            .map(|d| format!(
                "  {}: user {} expected {} but has {}",
                d.check, d.id, d.expected, d.actual
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
