//! `metrics.json`: one flat JSON object of headline numbers, `"<experiment>.<metric>"` keys,
//! sorted, so the file is byte-identical whenever the numbers are.

use anyhow::Result;
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Flat, sorted headline numbers.
pub type Metrics = BTreeMap<String, f64>;

/// Checks a metric name (dot-separated segments of `[a-z0-9_-]`, e.g. `multi-mnist.lif-fc.task1_acc`)
/// and value (finite) and returns the full key.
pub fn metric_key(experiment: &str, metric: &str, value: f64) -> Result<String> {
    let valid = metric.split('.').all(|segment| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    });
    anyhow::ensure!(
        valid,
        "metric name '{metric}' of experiment {experiment} must be dot-separated segments of a-z, 0-9, '_' and '-'"
    );
    anyhow::ensure!(
        value.is_finite(),
        "metric {experiment}.{metric} is {value}, not a finite number; the experiment must report a real value"
    );
    Ok(format!("{experiment}.{metric}"))
}

/// Reads an existing `metrics.json`, keeping only numeric entries (anything else is dropped
/// and recomputed); a missing or unreadable file gives an empty set.
pub fn read(path: &Path) -> Metrics {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Metrics::new();
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) else {
        return Metrics::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| v.as_f64().map(|v| (k, v)))
        .collect()
}

/// The JSON text of `metrics`: one flat object, keys sorted, two-space indent.
pub fn to_json(metrics: &Metrics) -> Result<String> {
    let mut map = Map::new();
    for (key, &value) in metrics {
        let number = Number::from_f64(value)
            .ok_or_else(|| anyhow::anyhow!("metric {key} is {value}, not a finite number"))?;
        map.insert(key.clone(), Value::Number(number));
    }
    // serde_json's Map may preserve insertion order; BTreeMap iteration already sorted it.
    let mut text = serde_json::to_string_pretty(&Value::Object(map))?;
    text.push('\n');
    Ok(text)
}

/// Writes `metrics.json` atomically.
pub fn write(path: &Path, metrics: &Metrics) -> Result<()> {
    crate::fsutil::write_atomic(path, to_json(metrics)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_one_flat_sorted_object() {
        let mut m = Metrics::new();
        m.insert(metric_key("fig3d", "isi_error", 0.5).unwrap(), 0.5);
        m.insert(metric_key("fig2", "max_abs_dv_mv", 1e-13).unwrap(), 1e-13);
        let text = to_json(&m).unwrap();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let obj = parsed.as_object().unwrap();
        assert!(
            obj.values().all(Value::is_number),
            "flat: every value is a number"
        );
        let keys: Vec<_> = text
            .lines()
            .filter_map(|l| l.trim().split('"').nth(1))
            .collect();
        assert_eq!(keys, vec!["fig2.max_abs_dv_mv", "fig3d.isi_error"]);
        assert_eq!(to_json(&m).unwrap(), text, "deterministic");
    }

    #[test]
    fn bad_names_and_values_are_rejected() {
        assert!(metric_key("e", "Bad-Name", 1.0).is_err());
        assert!(metric_key("e", "", 1.0).is_err());
        assert!(metric_key("e", "a..b", 1.0).is_err());
        assert!(metric_key("e", "multi-mnist.lif-fc.task1_acc", 1.0).is_ok());
        assert!(metric_key("e", "x", f64::NAN).is_err());
        assert!(metric_key("e", "x", f64::INFINITY).is_err());
    }

    #[test]
    fn reading_keeps_only_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.json");
        std::fs::write(
            &path,
            r#"{"a.x": 1.5, "b.y": {"nested": 1}, "c.z": "text"}"#,
        )
        .unwrap();
        let m = read(&path);
        assert_eq!(m.len(), 1);
        assert_eq!(m["a.x"], 1.5);
        assert!(read(&dir.path().join("absent.json")).is_empty());
    }
}
