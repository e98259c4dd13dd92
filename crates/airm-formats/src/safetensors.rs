//! safetensors headers: reads the length-prefixed JSON header (capped) and checks it
//! against the file size: dtypes known, shapes matching byte lengths, offsets inside the
//! data, covering it without overlap or holes.

use std::io::Read;

use serde_json::Value;

use crate::FormatError;

/// Largest header accepted (the reference implementation's limit).
pub const MAX_HEADER: u64 = 100 * 1024 * 1024;

/// What was found in a safetensors header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafetensorsCheck {
    /// Number of tensors declared.
    pub tensors: usize,
    /// Problems, each one sentence with the tensor name.
    pub problems: Vec<String>,
}

fn dtype_size(d: &str) -> Option<u64> {
    Some(match d {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" | "F4" | "F6_E2M3" | "F6_E3M2" => {
            1
        }
        "U16" | "I16" | "F16" | "BF16" => 2,
        "U32" | "I32" | "F32" => 4,
        "U64" | "I64" | "F64" | "C64" => 8,
        _ => return None,
    })
}

/// Reads and checks the header of a safetensors file of `file_size` bytes from the start
/// of `r`.
pub fn check_safetensors(
    r: &mut dyn Read,
    file_size: u64,
) -> Result<SafetensorsCheck, FormatError> {
    let mut n = [0u8; 8];
    r.read_exact(&mut n).map_err(|_| FormatError::Truncated {
        what: "safetensors header",
        offset: 0,
    })?;
    let n = u64::from_le_bytes(n);
    let mut out = SafetensorsCheck::default();
    if n > MAX_HEADER {
        out.problems.push(format!(
            "header length {n} exceeds the {MAX_HEADER}-byte limit"
        ));
        return Ok(out);
    }
    if n.saturating_add(8) > file_size {
        out.problems.push(format!(
            "header length {n} runs past the end of the {file_size}-byte file"
        ));
        return Ok(out);
    }
    let mut h = vec![0u8; n as usize];
    r.read_exact(&mut h).map_err(|_| FormatError::Truncated {
        what: "safetensors header",
        offset: 8,
    })?;
    let json: Value = match serde_json::from_slice(&h) {
        Ok(v) => v,
        Err(e) => {
            out.problems.push(format!("header is not valid JSON: {e}"));
            return Ok(out);
        }
    };
    let Some(map) = json.as_object() else {
        out.problems.push("header is not a JSON object".into());
        return Ok(out);
    };
    let data_len = file_size - 8 - n;
    let mut ranges: Vec<(u64, u64, &str)> = Vec::new();
    for (name, t) in map {
        if name == "__metadata__" {
            let ok = t
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_string));
            if !ok {
                out.problems
                    .push("`__metadata__` is not a map of strings to strings".into());
            }
            continue;
        }
        out.tensors += 1;
        let dtype = t.get("dtype").and_then(Value::as_str);
        let shape: Option<Vec<u64>> = t
            .get("shape")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_u64).collect());
        let offs: Option<Vec<u64>> = t
            .get("data_offsets")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_u64).collect());
        let (Some(dtype), Some(shape), Some(offs)) = (dtype, shape, offs) else {
            out.problems.push(format!(
                "tensor `{name}` lacks a valid dtype, shape or data_offsets"
            ));
            continue;
        };
        let [a, b] = offs[..] else {
            out.problems
                .push(format!("tensor `{name}` has {} data offsets", offs.len()));
            continue;
        };
        if a > b || b > data_len {
            out.problems.push(format!(
                "tensor `{name}` spans bytes {a}..{b} outside the {data_len}-byte data"
            ));
            continue;
        }
        match dtype_size(dtype) {
            None => out
                .problems
                .push(format!("tensor `{name}` has unknown dtype `{dtype}`")),
            Some(sz) => {
                let elems = shape.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d));
                let bytes = elems.and_then(|e| e.checked_mul(sz));
                let sub_byte = matches!(dtype, "F4" | "F6_E2M3" | "F6_E3M2");
                if !sub_byte && bytes != Some(b - a) {
                    out.problems.push(format!(
                        "tensor `{name}` of shape {shape:?} and dtype {dtype} needs {} bytes but spans {}",
                        bytes.map_or("too many".to_string(), |x| x.to_string()),
                        b - a
                    ));
                }
            }
        }
        ranges.push((a, b, name));
    }
    ranges.sort_unstable();
    let mut end = 0u64;
    for (a, b, name) in &ranges {
        if *a < end {
            out.problems
                .push(format!("tensor `{name}` overlaps the previous tensor"));
        } else if *a > end {
            out.problems.push(format!(
                "bytes {end}..{a} before tensor `{name}` belong to no tensor"
            ));
        }
        end = end.max(*b);
    }
    if end < data_len && out.problems.is_empty() {
        out.problems.push(format!(
            "{} bytes after the last tensor belong to no tensor",
            data_len - end
        ));
    }
    Ok(out)
}

/// Whether the first bytes look like a safetensors file of `file_size` bytes.
pub fn looks_like_safetensors(head: &[u8], file_size: u64) -> bool {
    let Some(n) = head.get(..8) else {
        return false;
    };
    let mut b = [0u8; 8];
    b.copy_from_slice(n);
    let n = u64::from_le_bytes(b);
    n >= 2 && n.saturating_add(8) <= file_size && head.get(8) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(header: &str, data: usize) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        v.extend(std::iter::repeat_n(0u8, data));
        v
    }

    #[test]
    fn checks_offsets_and_shapes() {
        let ok = st(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#,
            8,
        );
        assert!(looks_like_safetensors(&ok, ok.len() as u64));
        let c = check_safetensors(&mut &ok[..], ok.len() as u64).unwrap();
        assert_eq!(c.problems, Vec::<String>::new());
        assert_eq!(c.tensors, 1);
        let bad = st(
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4096]}}"#,
            8,
        );
        let c = check_safetensors(&mut &bad[..], bad.len() as u64).unwrap();
        assert!(c.problems[0].contains("outside"), "{:?}", c.problems);
        let bad = st(
            r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            8,
        );
        let c = check_safetensors(&mut &bad[..], bad.len() as u64).unwrap();
        assert!(c.problems[0].contains("needs 12 bytes"));
        let bad = st("{not json", 0);
        let c = check_safetensors(&mut &bad[..], bad.len() as u64).unwrap();
        assert!(c.problems[0].contains("JSON"));
    }
}
