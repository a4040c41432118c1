//! CloudWatch metrics through the Embedded Metric Format: one JSON log line per metric
//! set, which CloudWatch Logs turns into metrics without an API call (and without a
//! PutMetricData permission). Written straight to stdout, outside the tracing formatter,
//! because EMF needs the object at the top level of the log event.

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "FitKart";

fn wall_clock_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// One EMF record: `metrics` are (name, unit, value) under `dimensions`, plus any extra
/// properties (searchable in Logs Insights, not metrics).
pub fn record(
    dimensions: &[(&str, &str)],
    metrics: &[(&str, &str, f64)],
    properties: Value,
) -> Value {
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            // Wall time, not the domain's clock: CloudWatch drops a record stamped more
            // than two weeks before or two hours after its own time.
            "Timestamp": wall_clock_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        root.insert((*k).into(), json!(v));
    }
    for (name, _, value) in metrics {
        root.insert((*name).into(), json!(value));
    }
    if let Value::Object(extra) = properties {
        root.extend(extra);
    }
    Value::Object(root)
}

/// Emits a record to stdout (the function's log stream).
pub fn emit(dimensions: &[(&str, &str)], metrics: &[(&str, &str, f64)], properties: Value) {
    println!("{}", record(dimensions, metrics, properties));
}

#[cfg(test)]
mod tests {
    #[test]
    fn records_follow_the_embedded_metric_format() {
        let r = super::record(
            &[("Check", "wallet_vs_ledger")],
            &[("LedgerDrift", "Count", 2.0)],
            serde_json::json!({"job": "x"}),
        );
        assert_eq!(r["_aws"]["CloudWatchMetrics"][0]["Namespace"], "FitKart");
        assert_eq!(
            r["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0],
            "Check"
        );
        assert_eq!(
            r["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "LedgerDrift"
        );
        assert_eq!(r["Check"], "wallet_vs_ledger");
        assert_eq!(r["LedgerDrift"], 2.0);
        assert_eq!(r["job"], "x");
        assert!(r["_aws"]["Timestamp"].is_i64());
    }
}
