//! Bounded randomised tests: random bytes and mutated valid model files never panic and
//! finish quickly; a mutated file is never reported `clean` unless it still parses.

use std::time::{Duration, Instant};

use airm_scan::{scan_bytes, ScanConfig};
use proptest::prelude::*;

use crate::fixtures::*;

fn seeds() -> Vec<Vec<u8>> {
    vec![
        torch_state_dict_pickle(),
        numpy_array_pickle(),
        sklearn_pickle(),
        stdlib_pickle(),
        torch_zip("archive", &torch_state_dict_pickle()),
        torch_legacy(&numpy_array_pickle()),
        npy("|O", &stdlib_pickle()),
        tar_of(&[("pickle", &stdlib_pickle())]),
        airm_formats::gguf::write_gguf_strings(&[("tokenizer.chat_template", "{{ x }}")]),
        airm_formats::onnx::build::model(&[("", "Conv"), ("x.y", "Op")], &[("w", "a.bin")]),
        safetensors(
            r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            8,
        ),
        joblib_array("f8", &[2], &[0u8; 16]),
        zip_of(&[
            ("config.json", br#"{"class_name": "Lambda"}"#),
            ("metadata.json", b"{}"),
        ]),
        airm_formats::tensorflow::build::saved_model(&airm_formats::tensorflow::build::graph(
            &[("x", "Placeholder")],
            &[("f", &[("r", "ReadFile")])],
        )),
        airm_formats::tensorflow::build::graph(&[("x", "Placeholder"), ("y", "MatMul")], &[]),
        airm_formats::hdf5::build::v0_with_string_attributes(
            &[
                ("keras_version", b"2.15.0"),
                (
                    "model_config",
                    br#"{"class_name": "X", "module": "my.mod"}"#,
                ),
            ],
            true,
        ),
    ]
}

fn check(data: &[u8]) {
    let t = Instant::now();
    let r = scan_bytes("prop", data, &ScanConfig::default());
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(r.size, data.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&data);
        let mut p = vec![0x80, 4];
        p.extend_from_slice(&data);
        check(&p);
    }

    #[test]
    fn mutated_files_never_panic(
        which in 0usize..16,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..8),
        cut in any::<u16>(),
    ) {
        let mut d = seeds().swap_remove(which);
        for (pos, val) in edits {
            let n = d.len();
            if let Some(b) = d.get_mut(pos as usize % n.max(1)) {
                *b = val;
            }
        }
        check(&d);
        let c = cut as usize % (d.len() + 1);
        check(&d[..c]);
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// A mutated pickle gets the same verdict compressed (joblib `compress=`) as plain, and
    /// mutated compressed bytes never panic.
    #[test]
    fn compressed_pickles_match_plain(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..6),
        zedits in proptest::collection::vec((any::<u16>(), any::<u8>()), 1..4),
    ) {
        let mut d = seeds().swap_remove(which);
        for (pos, val) in edits {
            let n = d.len();
            if let Some(b) = d.get_mut(pos as usize % n.max(1)) {
                *b = val;
            }
        }
        let cfg = ScanConfig::default();
        let plain = scan_bytes("p", &d, &cfg);
        let mut z = zlib(&d);
        let packed = scan_bytes("z", &z, &cfg);
        if plain.format == airm_scan::Format::Pickle {
            prop_assert_eq!(plain.verdict, packed.verdict, "{:#?} / {:#?}", plain.findings, packed.findings);
        }
        for (pos, val) in zedits {
            let n = z.len();
            if let Some(b) = z.get_mut(2 + pos as usize % n.saturating_sub(2).max(1)) {
                *b = val;
            }
        }
        check(&z);
    }
}
