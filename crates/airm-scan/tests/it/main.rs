//! Integration tests of `airm-scan`: verdicts on benign and malicious fixtures built at
//! test time, every rule's good and bad case, hashes, and bounded behaviour.

#![allow(clippy::unwrap_used)]

mod bom;
mod discover;
mod fixtures;
mod props;

use airm_formats::pickle::PickleWriter as W;
use airm_scan::{rules, scan_bytes, scan_file, FileReport, Format, ScanConfig, Verdict};
use fixtures::*;

fn scan(data: &[u8]) -> FileReport {
    scan_bytes("fixture", data, &ScanConfig::default())
}

fn ids(r: &FileReport) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule_id).collect()
}

#[track_caller]
fn assert_clean(data: &[u8]) -> FileReport {
    let r = scan(data);
    assert_eq!(r.verdict, Verdict::Clean, "{:#?}", r.findings);
    assert!(r.findings.iter().all(|f| f.verdict == Verdict::Clean));
    r
}

#[track_caller]
fn assert_malicious(data: &[u8], evidence: &str) -> FileReport {
    let r = scan(data);
    assert_eq!(r.verdict, Verdict::Malicious, "{:#?}", r.findings);
    assert!(
        r.findings.iter().any(|f| f.rule_id == "MF001"
            && f.evidence.as_deref().unwrap_or("").contains(evidence)),
        "no MF001 with evidence {evidence}: {:#?}",
        r.findings
    );
    r
}

#[test]
fn registry_is_valid() {
    let r = rules();
    airm_core::validate_registry(&r).unwrap();
    assert!(r.len() >= 11);
}

// ----- benign checkpoints --------------------------------------------------------------

#[test]
fn pytorch_state_dict_zip_is_clean() {
    let p = torch_state_dict_pickle();
    assert_clean(&p);
    let r = assert_clean(&torch_zip("archive", &p));
    assert_eq!(r.format, Format::PytorchZip);
    // Any top folder name is accepted, as PyTorch does.
    let r = assert_clean(&torch_zip("resnet18-weights", &p));
    assert_eq!(r.format, Format::PytorchZip);
}

#[test]
fn legacy_pytorch_is_clean() {
    let r = assert_clean(&torch_legacy(&torch_state_dict_pickle()));
    assert_eq!(r.format, Format::PytorchLegacy);
}

#[test]
fn pytorch_tar_is_scanned() {
    let t = tar_of(&[
        ("sys_info", &W::proto(2).empty_dict().stop()),
        ("pickle", &torch_state_dict_pickle()),
    ]);
    let r = assert_clean(&t);
    assert_eq!(r.format, Format::Tar);
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    let t = tar_of(&[("pickle", &evil)]);
    let r = assert_malicious(&t, "os.system");
    assert_eq!(r.findings[0].member.as_deref(), Some("pickle"));
}

#[test]
fn numpy_sklearn_and_stdlib_pickles_are_clean() {
    assert_clean(&numpy_array_pickle());
    assert_clean(&sklearn_pickle());
    assert_clean(&stdlib_pickle());
}

#[test]
fn numpy_ufunc_references() {
    let ok = W::proto(2)
        .call_global("numpy.core", "_ufunc_reconstruct", &["numpy", "log1p"])
        .stop();
    assert_clean(&ok);
    let evil = W::proto(2)
        .call_global("numpy.core", "_ufunc_reconstruct", &["posix", "system"])
        .stop();
    assert_malicious(&evil, "posix.system");
}

#[test]
fn numeric_npy_and_npz_are_clean() {
    let r = assert_clean(&npy("<f8", &[0u8; 8]));
    assert_eq!(r.format, Format::Numpy);
    let z = zip_of(&[
        ("a.npy", &npy("<f4", &[0u8; 4])),
        ("b.npy", &npy("|u1", &[1])),
    ]);
    let r = assert_clean(&z);
    assert_eq!(r.format, Format::NumpyZip);
}

#[test]
fn joblib_arrays_are_skipped_or_analysed() {
    // Raw array bytes that look like pickle opcodes are data, not code.
    let data: Vec<u8> = b"cos\nsystem\n(S'x'\ntR."
        .iter()
        .cycle()
        .take(48)
        .copied()
        .collect();
    let r = assert_clean(&joblib_array("f8", &[2, 3], &data));
    assert_eq!(r.format, Format::Pickle);
    assert_clean(&joblib_array("<i4", &[3], &[0u8; 12]));
    // An object array is a pickle stream in place, and it runs on load.
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    assert_malicious(&joblib_array("O8", &[1], &evil), "os.system");
    let ok = W::proto(2).mark().str("a").op(b'l').stop();
    assert_clean(&joblib_array("O8", &[1], &ok));
    // Wrong size: the stream is damaged, never clean.
    let r = scan(&joblib_array("f8", &[2, 3], &data[..40]));
    assert_ne!(r.verdict, Verdict::Clean);
}

// ----- malicious pickles ---------------------------------------------------------------

#[test]
fn process_execution_callables() {
    for (m, n) in [
        ("os", "system"),
        ("posix", "system"),
        ("nt", "system"),
        ("subprocess", "Popen"),
        ("subprocess", "check_output"),
        ("pty", "spawn"),
        ("webbrowser", "open"),
    ] {
        let b = W::proto(2).call_global(m, n, &["true"]).stop();
        let r = assert_malicious(&b, &format!("{m}.{n}"));
        assert!(r.findings[0].message.contains("calls"));
    }
}

#[test]
fn code_evaluation_file_and_network_callables() {
    for (m, n) in [
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("builtins", "compile"),
        ("__builtin__", "eval"),
        ("runpy", "run_path"),
        ("shutil", "rmtree"),
        ("socket", "create_connection"),
        ("urllib.request", "urlopen"),
        ("builtins", "open"),
        ("importlib", "import_module"),
        ("marshal", "loads"),
        ("torch.serialization.os", "system"),
    ] {
        assert_malicious(&W::proto(2).call_global(m, n, &["1"]).stop(), n);
    }
    // Protocol 0 text form, as Python writes it.
    let r = assert_malicious(
        b"cposix\nsystem\np0\n(Vecho hi\np1\ntp2\nRp3\n.",
        "posix.system",
    );
    assert!(r.findings[0]
        .evidence
        .as_deref()
        .unwrap()
        .contains("echo hi"));
}

#[test]
fn stack_global_with_memoised_names() {
    let b = W::proto(4)
        .str("o")
        .memoize()
        .pop()
        .str("os")
        .memoize()
        .str("system")
        .memoize()
        .pop()
        .pop()
        .get(1)
        .get(2)
        .stack_global()
        .str("true")
        .tuple_n(1)
        .reduce()
        .stop();
    assert_malicious(&b, "os.system");
}

#[test]
fn getattr_and_import_chains() {
    // getattr(__import__('builtins'), 'eval')('1')
    let b = W::proto(2)
        .global("builtins", "getattr")
        .mark()
        .call_global("builtins", "__import__", &["builtins"])
        .str("eval")
        .tuple()
        .reduce()
        .mark()
        .str("1")
        .tuple()
        .reduce()
        .stop();
    let r = assert_malicious(&b, "builtins.eval");
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("via `builtins.getattr`")));
    // getattr on an allowlisted module object reaching os.
    let b = W::proto(2)
        .global("builtins", "getattr")
        .mark()
        .global("collections", "OrderedDict")
        .str("__reduce__")
        .tuple()
        .reduce()
        .stop();
    assert_eq!(scan(&b).verdict, Verdict::Malicious);
    // __import__('os').system via attrgetter-free getattr.
    let b = W::proto(2)
        .global("builtins", "getattr")
        .mark()
        .call_global("builtins", "__import__", &["os"])
        .str("system")
        .tuple()
        .reduce()
        .mark()
        .str("true")
        .tuple()
        .reduce()
        .stop();
    assert_malicious(&b, "os.system");
}

#[test]
fn partial_methodcaller_and_callable_results() {
    let b = W::proto(2)
        .global("functools", "partial")
        .mark()
        .global("os", "system")
        .str("true")
        .tuple()
        .reduce()
        .empty_tuple()
        .reduce()
        .stop();
    assert_malicious(&b, "os.system");
    let b = W::proto(2)
        .call_global("operator", "methodcaller", &["system", "true"])
        .mark()
        .call_global("importlib", "import_module", &["os"])
        .tuple()
        .reduce()
        .stop();
    let r = assert_malicious(&b, "os.system");
    assert!(ids(&r).contains(&"MF001"));
    // The result of an unknown call, called again: suspicious at least.
    let b = W::proto(2)
        .call_global("mylib", "factory", &["x"])
        .empty_tuple()
        .reduce()
        .stop();
    let r = scan(&b);
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("<result of mylib.factory>")));
}

#[test]
fn extension_registry_trick() {
    let b = W::proto(2)
        .global("copyreg", "add_extension")
        .mark()
        .str("os")
        .str("system")
        .int(200)
        .tuple()
        .reduce()
        .pop()
        .ext1(200)
        .mark()
        .str("true")
        .tuple()
        .reduce()
        .stop();
    let r = assert_malicious(&b, "os.system");
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("extension registry")));
    // An unregistered code alone is suspicious.
    let b = W::proto(2).ext1(3).empty_tuple().reduce().stop();
    let r = scan(&b);
    assert_eq!(r.verdict, Verdict::Suspicious);
    // Codes the loading process registers resolve to their callable.
    let cfg = ScanConfig {
        extensions: vec![airm_scan::ExtensionCode {
            code: 3,
            name: "collections.OrderedDict".into(),
        }],
        ..Default::default()
    };
    assert_eq!(scan_bytes("x", &b, &cfg).verdict, Verdict::Clean);
}

#[test]
fn inst_and_obj_forms() {
    let b = W::new()
        .mark()
        .string_line("true")
        .inst("subprocess", "Popen")
        .stop();
    assert_malicious(&b, "subprocess.Popen");
    let b = W::new()
        .mark()
        .global("builtins", "exec")
        .string_line("x=1")
        .op(b'o')
        .stop();
    assert_malicious(&b, "builtins.exec");
}

#[test]
fn nested_pickle_passed_to_loader() {
    let inner = W::proto(2).call_global("os", "system", &["true"]).stop();
    let b = W::proto(3)
        .global("pickle", "loads")
        .bytes_val(&inner)
        .tuple_n(1)
        .reduce()
        .stop();
    let r = assert_malicious(&b, "os.system");
    assert!(ids(&r).contains(&"MF003"));
    assert!(r
        .findings
        .iter()
        .any(|f| f.member.as_deref().unwrap_or("").contains("nested@")));
    // Protocol 2 form: bytes encoded through _codecs.encode, passed to torch.load via
    // io.BytesIO.
    let latin: String = inner.iter().map(|b| char::from(*b)).collect();
    let b = W::proto(2)
        .global("torch", "load")
        .global("io", "BytesIO")
        .global("_codecs", "encode")
        .str(&latin)
        .str("latin1")
        .tuple_n(2)
        .reduce()
        .tuple_n(1)
        .reduce()
        .tuple_n(1)
        .reduce()
        .stop();
    let r = assert_malicious(&b, "os.system");
    assert!(r.findings.iter().any(|f| f.message.contains("torch.load")));
}

#[test]
fn torch_storage_load_from_bytes_opens_the_nested_checkpoint() {
    // skorch-style: a pickled module holding `torch.save` bytes of its storages.
    let wrap = |inner: &[u8]| {
        W::proto(2)
            .global("torch.storage", "_load_from_bytes")
            .bytes_val(inner)
            .tuple_n(1)
            .reduce()
            .stop()
    };
    let r = assert_clean(&wrap(&torch_zip("archive", &torch_state_dict_pickle())));
    assert!(r.findings.is_empty());
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    let r = assert_malicious(&wrap(&torch_zip("archive", &evil)), "os.system");
    assert!(r.findings[0]
        .member
        .as_deref()
        .unwrap()
        .ends_with("archive/data.pkl"));
}

#[test]
fn embedded_pickle_not_loaded_is_suspicious() {
    let inner = W::proto(2).call_global("os", "system", &["true"]).stop();
    let b = W::proto(3).bytes_val(&inner).stop();
    let r = scan(&b);
    assert_eq!(r.verdict, Verdict::Suspicious, "{:#?}", r.findings);
    assert_eq!(ids(&r), ["MF003"]);
}

#[test]
fn malicious_pytorch_zip_and_legacy() {
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    let r = assert_malicious(&torch_zip("archive", &evil), "os.system");
    assert_eq!(r.findings[0].member.as_deref(), Some("archive/data.pkl"));
    assert_malicious(&torch_legacy(&evil), "os.system");
}

#[test]
fn npy_object_dtype_pickle_is_analysed() {
    let evil = W::proto(3).call_global("os", "system", &["true"]).stop();
    let r = assert_malicious(&npy("|O", &evil), "os.system");
    assert!(ids(&r).contains(&"MF006"));
    let ok = W::proto(3).mark().str("a").op(b'l').stop();
    let r = assert_clean(&npy("|O", &ok));
    assert_eq!(ids(&r), ["MF006"]);
    let z = zip_of(&[("x.npy", &npy("|O", &evil))]);
    let r = assert_malicious(&z, "os.system");
    assert_eq!(r.format, Format::NumpyZip);
    assert_eq!(r.findings[0].member.as_deref(), Some("x.npy"));
}

// ----- other rules ---------------------------------------------------------------------

#[test]
fn unknown_global_is_suspicious_and_allow_list_extends() {
    let b = W::proto(2)
        .global("mypackage.layers", "CustomBlock")
        .empty_tuple()
        .newobj()
        .stop();
    let r = scan(&b);
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF002"]);
    let cfg = ScanConfig {
        allow: vec!["mypackage.*".into()],
        ..Default::default()
    };
    assert_eq!(scan_bytes("x", &b, &cfg).verdict, Verdict::Clean);
    let cfg = ScanConfig {
        deny: vec!["mypackage.layers.*".into()],
        ..Default::default()
    };
    assert_eq!(scan_bytes("x", &b, &cfg).verdict, Verdict::Malicious);
}

#[test]
fn trailing_data_and_multiple_streams() {
    let mut b = W::proto(2).none().stop();
    b.extend_from_slice(b"garbage that is not a pickle");
    let r = scan(&b);
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF004"]);
    let mut b = W::proto(2).none().stop();
    b.extend(W::proto(2).call_global("os", "system", &["true"]).stop());
    let r = assert_malicious(&b, "os.system");
    assert!(ids(&r).contains(&"MF004"));
}

#[test]
fn truncated_and_corrupt_are_never_clean() {
    let full = torch_state_dict_pickle();
    let r = scan(&full[..full.len() / 2]);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert_eq!(ids(&r), ["MF005"]);
    // A harmful call before the damage still counts.
    let b = W::proto(2)
        .call_global("os", "system", &["true"])
        .raw(&[0xff])
        .stop();
    let r = assert_malicious(&b, "os.system");
    assert!(ids(&r).contains(&"MF005"));
}

#[test]
fn damaged_archives_are_unknown() {
    let z = torch_zip("archive", &torch_state_dict_pickle());
    let r = scan(&z[..z.len() - 30]);
    assert_eq!(r.verdict, Verdict::Unknown, "{:#?}", r.findings);
    assert_eq!(ids(&r), ["MF005"]);
    let t = tar_of(&[("pickle", &torch_state_dict_pickle())]);
    let r = scan(&t[..700]);
    assert_eq!(r.verdict, Verdict::Unknown, "{:#?}", r.findings);
}

#[test]
fn cap_reached_is_unknown() {
    let mut w = W::proto(4).mark();
    for i in 0..100 {
        w = w
            .str(&format!("a string longer than fourteen bytes {i}"))
            .memoize();
    }
    let b = w.op(b'l').op(b'j').raw(&99u32.to_le_bytes()).pop().stop();
    let cfg = ScanConfig {
        max_memo: 10,
        ..Default::default()
    };
    let r = scan_bytes("x", &b, &cfg);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.findings[0].message.contains("max-memo"));
}

#[test]
fn unknown_format_is_unknown() {
    let r = scan(b"just some text, not a model");
    assert_eq!(r.format, Format::Unknown);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.findings.is_empty());
}

#[test]
fn safetensors_header_checks() {
    let ok = safetensors(
        r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#,
        16,
    );
    let r = assert_clean(&ok);
    assert_eq!(r.format, Format::Safetensors);
    let bad = safetensors(
        r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,4096]}}"#,
        16,
    );
    let r = scan(&bad);
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF007"]);
}

#[test]
fn gguf_chat_template() {
    use airm_formats::gguf::write_gguf_strings;
    let ok = write_gguf_strings(&[(
        "tokenizer.chat_template",
        "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}",
    )]);
    let r = assert_clean(&ok);
    assert_eq!(r.format, Format::Gguf);
    let bad = write_gguf_strings(&[(
        "tokenizer.chat_template",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    )]);
    let r = scan(&bad);
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF010"]);
    let r = scan(&bad[..bad.len() - 5]);
    assert_eq!(r.verdict, Verdict::Unknown);
}

#[test]
fn archive_path_traversal_and_bombs() {
    let z = zip_of(&[("../../evil.sh", b"echo"), ("ok.txt", b"x")]);
    let r = scan(&z);
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF008"]);
    let z = zip_of(&[("ok.txt", b"x")]);
    assert_clean(&z);
    let t = tar_of(&[("/etc/cron.d/x", b"x")]);
    assert_eq!(ids(&scan(&t)), ["MF008"]);
    // 64 MiB of zeros deflates to ~64 KiB: ratio ~1000.
    let zeros = vec![0u8; 64 << 20];
    let z = zip_of(&[("zeros.bin", &zeros)]);
    let cfg = ScanConfig {
        max_ratio: 100,
        ..Default::default()
    };
    let r = scan_bytes("x", &z, &cfg);
    assert_eq!(ids(&r), ["MF009"], "{:#?}", r.findings);
}

#[test]
fn keras_lambda_layers() {
    use airm_formats::hdf5::build::v0_with_string_attributes as h5;
    let cfg_ok =
        br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}]}}"#;
    let cfg_bad = br#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"function": "4wEAAAAA"}}]}}"#;
    let weights = h5(&[], false);
    let ok = zip_of(&[
        ("metadata.json", b"{}"),
        ("config.json", cfg_ok),
        ("model.weights.h5", &weights),
    ]);
    let r = assert_clean(&ok);
    assert_eq!(r.format, Format::Keras);
    let bad = zip_of(&[("metadata.json", b"{}"), ("config.json", cfg_bad)]);
    let r = scan(&bad);
    assert_eq!(ids(&r), ["MF011"]);
    assert!(
        r.findings[0].message.contains("/config/layers/0"),
        "{:?}",
        r.findings
    );
    // Escapes and spacing do not hide a Lambda layer from the JSON parse.
    let hidden =
        br#"{"class_name":"Sequential","config":{"layers":[{"class_name" :  "Lambd\u0061"}]}}"#;
    let r = scan(&zip_of(&[
        ("metadata.json", b"{}"),
        ("config.json", hidden),
    ]));
    assert_eq!(ids(&r), ["MF011"]);
    // Legacy HDF5: the `model_config` root attribute, in the header or a continuation.
    for split in [false, true] {
        let ok = h5(
            &[("keras_version", b"2.15.0"), ("model_config", cfg_ok)],
            split,
        );
        let r = assert_clean(&ok);
        assert_eq!(r.format, Format::Hdf5);
        let bad = h5(
            &[("keras_version", b"2.15.0"), ("model_config", cfg_bad)],
            split,
        );
        assert_eq!(ids(&scan(&bad)), ["MF011"]);
    }
    // The same text elsewhere in a readable file is not a model config.
    let mut elsewhere = h5(&[("model_config", cfg_ok)], false);
    elsewhere.extend_from_slice(cfg_bad);
    assert_clean(&elsewhere);
    // A structure airm cannot read is never clean, and is still searched as bytes.
    let mut broken = b"\x89HDF\r\n\x1a\n".to_vec();
    broken.extend_from_slice(&[0u8; 3000]);
    broken.extend_from_slice(cfg_bad);
    let r = scan(&broken);
    assert_eq!(r.format, Format::Hdf5);
    assert_eq!(ids(&r), ["MF011", "MF005"]);
    let r = scan(&h5(&[("model_config", b"{not json")], false));
    assert_eq!((r.verdict, ids(&r)), (Verdict::Unknown, vec!["MF005"]));
}

#[test]
fn keras_references_outside_keras() {
    use airm_formats::hdf5::build::v0_with_string_attributes as h5;
    let custom = br#"{"module": "keras", "class_name": "Functional", "config": {"layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": null},
        {"module": "my_pkg.layers", "class_name": "Attention", "config": {}, "registered_name": "MyPkg>Attention"}]}}"#;
    let r = scan(&zip_of(&[
        ("metadata.json", b"{}"),
        ("config.json", custom),
    ]));
    assert_eq!((r.verdict, ids(&r)), (Verdict::Suspicious, vec!["MF015"]));
    assert_eq!(
        r.findings[0].evidence.as_deref(),
        Some("my_pkg.layers.Attention")
    );
    // A function resolved in `builtins` (CVE-2025-1550 style) is malicious.
    let exec = br#"{"module": "keras.layers", "class_name": "Dense", "config": {"activation":
        {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}}"#;
    let r = scan(&zip_of(&[("metadata.json", b"{}"), ("config.json", exec)]));
    assert_eq!((r.verdict, ids(&r)), (Verdict::Malicious, vec!["MF015"]));
    let r = scan(&h5(&[("model_config", exec)], false));
    assert_eq!((r.verdict, ids(&r)), (Verdict::Malicious, vec!["MF015"]));
    let subprocess =
        br#"{"class_name": "X", "module": "subprocess", "config": {}, "registered_name": null}"#;
    let r = scan(&h5(&[("training_config", subprocess)], false));
    assert_eq!(r.verdict, Verdict::Malicious);
    // Users can allow a reviewed package.
    let cfg = ScanConfig {
        allow: vec!["my_pkg.*".into()],
        ..Default::default()
    };
    let r = scan_bytes(
        "m.keras",
        &zip_of(&[("metadata.json", b"{}"), ("config.json", custom)]),
        &cfg,
    );
    assert_eq!(r.verdict, Verdict::Clean, "{:?}", r.findings);
}

#[test]
fn onnx_custom_ops_and_external_data() {
    use airm_formats::onnx::build::model;
    let r = assert_clean(&model(
        &[("", "Conv"), ("com.microsoft", "FusedGemm")],
        &[("w", "weights.bin")],
    ));
    assert_eq!(r.format, Format::Onnx);
    let r = scan(&model(
        &[("", "Relu"), ("com.example.ops", "Backdoor")],
        &[],
    ));
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF012"]);
    let r = scan(&model(&[("", "Relu")], &[("w", "../../etc/passwd")]));
    assert_eq!(ids(&r), ["MF013"]);
    let m = model(&[("", "Relu")], &[]);
    assert_eq!(scan(&m[..m.len() - 2]).verdict, Verdict::Unknown);
}

#[test]
fn tensorflow_graph_ops() {
    use airm_formats::tensorflow::build::{graph, saved_model};
    let r = assert_clean(&saved_model(&graph(
        &[("x", "Placeholder"), ("y", "MatMul")],
        &[],
    )));
    assert_eq!(r.format, Format::Tensorflow);
    let r = scan(&saved_model(&graph(
        &[
            ("x", "Placeholder"),
            ("w", "WriteFile"),
            ("p", "EagerPyFunc"),
        ],
        &[],
    )));
    assert_eq!(r.verdict, Verdict::Suspicious);
    assert_eq!(ids(&r), ["MF014", "MF014"]);
    // TF2: the work runs inside library functions called by `StatefulPartitionedCall`.
    let inner = saved_model(&graph(
        &[("call", "StatefulPartitionedCall")],
        &[(
            "__inference_serve_7",
            &[("r", "ReadFile"), ("id", "Identity")],
        )],
    ));
    let r = scan(&inner);
    assert_eq!(ids(&r), ["MF014"]);
    assert!(
        r.findings[0].message.contains("__inference_serve_7"),
        "{:?}",
        r.findings
    );
    // What a node is named does not matter, only its operation.
    assert_clean(&saved_model(&graph(
        &[("ReadFile", "Identity")],
        &[("PyFunc", &[])],
    )));
    // An unsafe operation before damage is reported, and the damage too.
    let r = scan(&inner[..inner.len() - 3]);
    assert_eq!(ids(&r), ["MF014", "MF005"]);
    // A frozen graph (a bare GraphDef) is recognised from its content.
    let frozen = graph(&[("input", "Placeholder"), ("leak", "MatchingFiles")], &[]);
    let r = scan(&frozen);
    assert_eq!(r.format, Format::Tensorflow);
    assert_eq!(ids(&r), ["MF014"]);
}

// ----- files, hashes, findings ---------------------------------------------------------

#[test]
fn scan_file_hashes_in_the_same_pass() {
    let dir = std::env::temp_dir().join(format!("airm-scan-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("model.bin");
    let data = torch_zip("archive", &torch_state_dict_pickle());
    std::fs::write(&p, &data).unwrap();
    let r = scan_file(&p, &ScanConfig::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Clean);
    assert_eq!(r.size, data.len() as u64);
    assert_eq!(r.blake3, blake3::hash(&data).to_hex().to_string());
    let p2 = dir.join("evil.txt");
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    std::fs::write(&p2, &evil).unwrap();
    let r = scan_file(&p2, &ScanConfig::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Malicious);
    assert_eq!(r.sha256.len(), 64);
    assert_eq!(
        r,
        scan_bytes(&p2.display().to_string(), &evil, &ScanConfig::default())
    );
    let rs = airm_scan::scan_files(&[p.clone(), dir.join("missing")], &ScanConfig::default());
    assert!(rs[0].is_ok() && rs[1].is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_rejects_unknown_keys_and_defaults_the_rest() {
    let cfg: ScanConfig =
        serde_json::from_str(r#"{"allow": ["mypkg.*"], "max_ratio": 50}"#).unwrap();
    assert_eq!(cfg.allow, ["mypkg.*"]);
    assert_eq!(cfg.max_ratio, 50);
    assert_eq!(cfg.max_memo, ScanConfig::default().max_memo);
    let err = serde_json::from_str::<ScanConfig>(r#"{"alow": []}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"));
}

#[test]
fn findings_convert_to_core_findings() {
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    let r = scan(&evil);
    let f = r.findings[0].clone();
    let fp = f.fingerprint("m.pkl");
    let core = f.into_finding("m.pkl", "fnd_1".into(), airm_core::Timestamp(0));
    assert_eq!(core.rule_id, "MF001");
    assert_eq!(core.severity, airm_core::Severity::Critical);
    assert_eq!(core.location.path, "m.pkl");
    assert_eq!(core.location.offset, Some(2));
    assert_eq!(core.fingerprint, fp);
    assert!(core.message.contains("os.system"));
}

#[test]
fn huge_memo_and_long_string_finish_quickly() {
    // 10 million memo entries of an empty dict, one of the last read back.
    let mut b = vec![0x80, 4, b'}'];
    b.extend(std::iter::repeat_n(0x94, 10_000_000));
    b.extend_from_slice(b"j");
    b.extend_from_slice(&9_999_999u32.to_le_bytes());
    b.extend_from_slice(b"0.");
    let t = std::time::Instant::now();
    let r = scan(&b);
    assert_eq!(r.verdict, Verdict::Unknown, "{:#?}", r.findings);
    assert!(r.findings[0].message.contains("max-memo"));
    assert!(t.elapsed().as_secs() < 20);
    // A 256 MiB single-line protocol 0 string.
    let mut s = b"S'".to_vec();
    s.resize(256 << 20, b'a');
    s.extend_from_slice(b"'\n.");
    let t = std::time::Instant::now();
    let r = scan(&s);
    assert_eq!(r.verdict, Verdict::Clean, "{:#?}", r.findings);
    assert!(t.elapsed().as_secs() < 20);
}

// ----- compressed (joblib `compress=`) ---------------------------------------------------

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// joblib < 0.10: `ZF`, the hexadecimal length left-justified in 19 bytes, then zlib.
fn zfile(data: &[u8]) -> Vec<u8> {
    let mut out = format!("ZF{:<19}", format!("{:#x}", data.len())).into_bytes();
    out.extend_from_slice(&zlib(data));
    out
}

#[test]
fn compressed_joblib_is_decompressed_and_analysed() {
    let evil = W::proto(2).call_global("os", "system", &["true"]).stop();
    let benign = joblib_array("f8", &[2, 3], &[0u8; 48]);
    for wrap in [zlib, gzip, zfile] {
        let r = assert_clean(&wrap(&benign));
        assert_eq!(r.format, Format::Pickle);
        assert_malicious(&wrap(&evil), "os.system");
        assert_malicious(&wrap(&joblib_array("O8", &[1], &evil)), "os.system");
    }
    // Compressed twice.
    assert_malicious(&gzip(&zlib(&evil)), "os.system");
    // Damaged compressed data after the harmful call: still malicious; never clean.
    let z = zlib(&evil);
    let r = scan(&z[..z.len() - 6]);
    assert_ne!(r.verdict, Verdict::Clean);
    let z = zlib(&benign);
    let r = scan(&z[..z.len() / 2]);
    assert_eq!(r.verdict, Verdict::Unknown, "{:#?}", r.findings);
}

#[test]
fn compressed_beyond_the_read_cap_is_incomplete() {
    // 8 MiB of `EMPTY_LIST; POP` pairs compress to a few kB; the cap stops at 1 MiB.
    let mut body = vec![0x80, 2];
    body.extend(std::iter::repeat_n([b']', b'0'], 4 << 20).flatten());
    body.extend_from_slice(b"N.");
    let cfg = ScanConfig {
        max_member_read: 1 << 20,
        ..ScanConfig::default()
    };
    let r = scan_bytes("bomb", &zlib(&body), &cfg);
    assert_eq!(r.verdict, Verdict::Unknown, "{:#?}", r.findings);
    assert!(r.findings.iter().any(|f| f.message.contains("read cap")));
    assert_eq!(scan(&zlib(&body)).verdict, Verdict::Clean);
}

#[test]
fn codecs_not_decompressed_are_never_clean() {
    let mut lzma = vec![0x5d, 0, 0, 0x80, 0];
    lzma.extend_from_slice(&[0xff; 8]);
    lzma.extend_from_slice(&[0x00; 32]);
    for data in [
        b"BZh91AY&SY\x00\x00\x00\x00".to_vec(),
        b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46".to_vec(),
        b"\x04\x22\x4d\x18\x64\x40\xa7".to_vec(),
        lzma,
    ] {
        let r = scan(&data);
        assert_eq!(r.format, Format::Compressed);
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(ids(&r).contains(&"MF005"), "{:#?}", r.findings);
    }
    // Text that happens to start like a zlib header is not analysed (unknown), not an error.
    let r = scan(b"x^2 + y^2 = 1\n");
    assert_eq!(r.verdict, Verdict::Unknown);
    assert_eq!(r.format, Format::Unknown);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}
