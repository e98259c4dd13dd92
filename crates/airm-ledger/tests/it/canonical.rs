//! Properties of the canonical encoding: deterministic, idempotent through JSON parsing,
//! and independent of key insertion order.

use airm_ledger::canonical::{decode_event, encode_event, encode_value};
use proptest::prelude::*;
use serde_json::Value;

use crate::common::{event, json_value};

proptest! {
    #[test]
    fn encoding_is_idempotent(e in event()) {
        let once = encode_event(&e).unwrap();
        let back = decode_event(&once).unwrap();
        prop_assert_eq!(encode_event(&back).unwrap(), once);
    }

    #[test]
    fn values_reencode_identically_and_parse_as_json(v in json_value()) {
        let once = encode_value(&v).unwrap();
        let parsed: Value = serde_json::from_slice(&once).unwrap();
        prop_assert_eq!(encode_value(&parsed).unwrap(), once);
    }

    #[test]
    fn key_order_does_not_matter(pairs in prop::collection::vec(("\\PC{0,6}", json_value()), 0..6)) {
        let forward: serde_json::Map<String, Value> = pairs.iter().cloned().collect();
        let backward: serde_json::Map<String, Value> = pairs.iter().rev().cloned().collect();
        // Later duplicates win in `collect`, so compare only when keys are distinct.
        prop_assume!(forward.len() == pairs.len());
        prop_assert_eq!(
            encode_value(&Value::Object(forward)).unwrap(),
            encode_value(&Value::Object(backward)).unwrap()
        );
    }
}
