//! Properties of the canonical encoding: deterministic, idempotent through JSON parsing,
//! and with object keys in UTF-16 code unit order.

use airm_ledger::canonical::{canonicalize_json, decode_event, encode_event, encode_value};
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
    fn streaming_canonicalizer_matches_value_encoder(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_vec_pretty(&v).unwrap()
        } else {
            serde_json::to_vec(&v).unwrap()
        };
        prop_assert_eq!(canonicalize_json(&text).unwrap(), encode_value(&v).unwrap());
    }

    #[test]
    fn keys_are_sorted_by_utf16_code_units(keys in prop::collection::btree_set("\\PC{0,4}", 0..8)) {
        let map: serde_json::Map<String, Value> =
            keys.iter().map(|k| (k.clone(), Value::Null)).collect();
        let mut expected_keys: Vec<&String> = keys.iter().collect();
        expected_keys.sort_by(|a, b| {
            a.encode_utf16().collect::<Vec<u16>>().cmp(&b.encode_utf16().collect::<Vec<u16>>())
        });
        let mut expected = b"{".to_vec();
        for (i, k) in expected_keys.into_iter().enumerate() {
            if i > 0 {
                expected.push(b',');
            }
            expected.extend(encode_value(&Value::String(k.clone())).unwrap());
            expected.extend_from_slice(b":null");
        }
        expected.push(b'}');
        prop_assert_eq!(encode_value(&Value::Object(map)).unwrap(), expected);
    }
}

#[test]
fn streaming_canonicalizer_refuses_duplicates_and_sorts() {
    assert!(canonicalize_json(br#"{"a":1,"a":2}"#).is_err());
    assert_eq!(
        canonicalize_json(br#"{ "b" : [1.0, -0.0, 1e21], "a": "\u0041\n" }"#).unwrap(),
        br#"{"a":"A\n","b":[1,0,1e+21]}"#.to_vec()
    );
}
