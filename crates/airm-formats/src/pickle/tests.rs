//! Unit tests of the symbolic machine on hand-built and Python-produced pickles.

use super::*;

fn run(b: &[u8]) -> PickleReport {
    analyse_bytes(b, 0, &PickleOptions::default())
}

fn ref_names(r: &PickleReport) -> Vec<&str> {
    r.refs.iter().map(|x| x.name.as_str()).collect()
}

fn callees(r: &PickleReport) -> Vec<&str> {
    r.calls.iter().map(|x| x.callee.as_str()).collect()
}

#[test]
fn python_protocol4_reduce_with_memoised_names() {
    let b = b"\x80\x04\x95\"\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x07echo hi\x94\x85\x94R\x94.";
    let r = run(b);
    assert_eq!(ref_names(&r), ["posix.system"]);
    assert_eq!(r.refs[0].kind, RefKind::StackGlobal);
    assert_eq!(callees(&r), ["posix.system"]);
    assert_eq!(r.calls[0].arg_preview.as_deref(), Some("echo hi"));
    assert!(r.is_complete());
    assert_eq!(r.streams.len(), 1);
    assert_eq!(r.streams[0].protocol, Some(4));
}

#[test]
fn python_protocol0_text_form() {
    let r = run(b"cposix\nsystem\np0\n(Vecho hi\np1\ntp2\nRp3\n.");
    assert_eq!(callees(&r), ["posix.system"]);
    assert_eq!(r.calls[0].arg_preview.as_deref(), Some("echo hi"));
    assert!(r.is_complete());
}

#[test]
fn python_protocol2_codecs_and_builtins_are_resolved() {
    let b = b"\x80\x02]q\x00(cdatetime\ndatetime\nq\x01c_codecs\nencode\nq\x02X\x0b\x00\x00\x00\x07\xc3\xa4\x01\x01\x00\x00\x00\x00\x00\x00q\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06\x85q\x07Rq\x08cdecimal\nDecimal\nq\tX\x03\x00\x00\x001.5q\n\x85q\x0bRq\x0ch\x02X\x06\x00\x00\x00\xc2\x80\x04abcq\rh\x04\x86q\x0eRq\x0fc__builtin__\nset\nq\x10]q\x11(K\x01K\x02e\x85q\x12Rq\x13c__builtin__\nfrozenset\nq\x14]q\x15K\x03a\x85q\x16Rq\x17e.";
    let r = run(b);
    assert_eq!(
        ref_names(&r),
        [
            "datetime.datetime",
            "_codecs.encode",
            "decimal.Decimal",
            "builtins.set",
            "builtins.frozenset"
        ]
    );
    assert!(r.is_complete(), "{:?}", r.incomplete);
    assert!(r.nested.is_empty());
}

#[test]
fn getattr_chain_resolves_to_target() {
    // getattr(__import__('builtins'), 'eval')('1+1')
    let b = PickleWriter::proto(2)
        .global("builtins", "getattr")
        .mark()
        .call_global("builtins", "__import__", &["builtins"])
        .str("eval")
        .tuple()
        .reduce()
        .mark()
        .str("1+1")
        .tuple()
        .reduce()
        .stop();
    let r = run(&b);
    assert!(ref_names(&r).contains(&"builtins.eval"), "{r:?}");
    let ev = r.refs.iter().find(|x| x.name == "builtins.eval").unwrap();
    assert_eq!(ev.kind, RefKind::Indirect);
    assert_eq!(ev.via.as_deref(), Some("builtins.getattr"));
    assert!(callees(&r).contains(&"builtins.eval"));
    assert!(ref_names(&r).contains(&"builtins"));
}

#[test]
fn partial_and_methodcaller_calls_are_followed() {
    let b = PickleWriter::proto(2)
        .global("functools", "partial")
        .mark()
        .global("os", "system")
        .str("id")
        .tuple()
        .reduce()
        .empty_tuple()
        .reduce()
        .stop();
    let r = run(&b);
    let c = r.calls.iter().find(|c| c.callee == "os.system").unwrap();
    assert_eq!(c.via.as_deref(), Some("functools.partial"));

    let b = PickleWriter::proto(2)
        .call_global("operator", "methodcaller", &["system", "id"])
        .mark()
        .call_global("importlib", "import_module", &["os"])
        .tuple()
        .reduce()
        .stop();
    let r = run(&b);
    assert!(callees(&r).contains(&"os.system"), "{r:?}");
}

#[test]
fn attrgetter_reaches_attribute() {
    let b = PickleWriter::proto(2)
        .call_global("operator", "attrgetter", &["system"])
        .mark()
        .global("os", "path")
        .tuple()
        .reduce()
        .stop();
    let r = run(&b);
    assert!(ref_names(&r).contains(&"os.path.system"));
}

#[test]
fn extension_registry_trick_is_resolved() {
    let b = PickleWriter::proto(2)
        .global("copyreg", "add_extension")
        .mark()
        .str("os")
        .str("system")
        .int(7)
        .tuple()
        .reduce()
        .pop()
        .ext1(7)
        .mark()
        .str("id")
        .tuple()
        .reduce()
        .stop();
    let r = run(&b);
    let e = r
        .refs
        .iter()
        .find(|x| x.kind == RefKind::Extension)
        .unwrap();
    assert_eq!(e.name, "os.system");
    assert!(callees(&r).contains(&"os.system"));
    let r = run(&PickleWriter::proto(2).ext1(9).stop());
    assert_eq!(ref_names(&r), ["<extension code 9>"]);
}

#[test]
fn inst_and_obj_forms() {
    let r = run(&PickleWriter::new()
        .mark()
        .string_line("id")
        .inst("subprocess", "Popen")
        .stop());
    assert_eq!(ref_names(&r), ["subprocess.Popen"]);
    assert_eq!(r.calls[0].kind, CallKind::Instantiate);
    let r = run(&PickleWriter::new()
        .mark()
        .global("builtins", "exec")
        .string_line("print(1)")
        .op(b'o')
        .stop());
    assert_eq!(callees(&r), ["builtins.exec"]);
    assert_eq!(r.calls[0].arg_preview.as_deref(), Some("print(1)"));
}

#[test]
fn nested_pickle_passed_to_loader_is_analysed() {
    let inner = PickleWriter::proto(2)
        .call_global("os", "system", &["id"])
        .stop();
    let b = PickleWriter::proto(3)
        .global("pickle", "loads")
        .bytes_val(&inner)
        .tuple_n(1)
        .reduce()
        .stop();
    let r = run(&b);
    assert_eq!(r.nested.len(), 1);
    let n = &r.nested[0];
    assert_eq!(n.loader.as_deref(), Some("pickle.loads"));
    let nr = n.report.as_ref().unwrap();
    assert_eq!(callees(nr), ["os.system"]);
    // Embedded but never loaded: still recorded, without a loader.
    let b = PickleWriter::proto(3).bytes_val(&inner).stop();
    let r = run(&b);
    assert_eq!(r.nested.len(), 1);
    assert_eq!(r.nested[0].loader, None);
}

#[test]
fn large_nested_payload_is_analysed_while_streaming() {
    let mut inner = PickleWriter::proto(4).bytes_val(&vec![7u8; 200_000]).pop();
    inner = inner.call_global("os", "system", &["id"]);
    let inner = inner.stop();
    let b = PickleWriter::proto(4)
        .global("pickle", "loads")
        .bytes_val(&inner)
        .tuple_n(1)
        .reduce()
        .stop();
    let r = run(&b);
    let nr = r.nested[0].report.as_ref().unwrap();
    assert_eq!(r.nested[0].loader.as_deref(), Some("pickle.loads"));
    assert!(callees(nr).contains(&"os.system"));
}

#[test]
fn truncated_stream_keeps_what_was_reached() {
    let full = PickleWriter::proto(2)
        .call_global("os", "system", &["id"])
        .mark()
        .finish();
    let r = run(&full);
    assert_eq!(callees(&r), ["os.system"]);
    assert!(matches!(r.incomplete[0], Incomplete::Truncated { .. }));
    assert!(!r.is_complete());
}

#[test]
fn corrupt_stream_is_reported_with_offset() {
    let b = PickleWriter::proto(2)
        .global("os", "system")
        .raw(&[0xff, 0xff])
        .stop();
    let r = run(&b);
    assert_eq!(ref_names(&r), ["os.system"]);
    match &r.incomplete[0] {
        Incomplete::Corrupt { offset, .. } => assert_eq!(*offset, 13),
        other => panic!("{other:?}"),
    }
    let r = run(&PickleWriter::proto(2).op(b'R').stop());
    assert!(matches!(r.incomplete[0], Incomplete::Corrupt { .. }));
}

#[test]
fn multiple_streams_and_trailing_data() {
    let mut b = PickleWriter::proto(2).none().stop();
    b.extend(
        PickleWriter::proto(2)
            .call_global("os", "system", &["x"])
            .stop(),
    );
    let r = run(&b);
    assert_eq!(r.streams.len(), 2);
    assert_eq!(callees(&r), ["os.system"]);
    assert!(r.trailing.is_none());

    let mut b = PickleWriter::proto(2).none().stop();
    b.extend_from_slice(&[0xfe; 100]);
    let r = run(&b);
    assert_eq!(r.trailing, Some((4, 100)));
    assert!(r.is_complete());
}

#[test]
fn stop_after_streams_ignores_the_rest() {
    let mut b = PickleWriter::proto(2).none().stop();
    b.extend_from_slice(&[0xfe; 100]);
    let opts = PickleOptions {
        stop_after_streams: Some(1),
        ..Default::default()
    };
    let r = analyse_bytes(&b, 0, &opts);
    assert_eq!(r.trailing, None);
    assert_eq!(r.streams.len(), 1);
}

#[test]
fn memo_cap_is_reported_and_analysis_continues() {
    let mut w = PickleWriter::proto(4).mark();
    for _ in 0..50 {
        w = w.none().memoize();
    }
    let b = w.op(b'l').call_global("os", "system", &["x"]).stop();
    let opts = PickleOptions {
        max_memo: 10,
        ..Default::default()
    };
    // Cheap values past the cap are kept; nothing read back was lost.
    let r = analyse_bytes(&b, 0, &opts);
    assert!(r.is_complete(), "{:?}", r.incomplete);
    assert_eq!(callees(&r), ["os.system"]);
    // Entries with heap past both caps are dropped; reading one back is a cap hit.
    let mut w = PickleWriter::proto(4).mark();
    for i in 0..40 {
        w = w.str(&format!("a long string number {i}")).memoize();
    }
    let b = w
        .op(b'l')
        .op(b'j')
        .raw(&39u32.to_le_bytes())
        .pop()
        .call_global("os", "system", &["x"])
        .stop();
    let r = analyse_bytes(&b, 0, &opts);
    assert!(r
        .incomplete
        .iter()
        .any(|i| matches!(i, Incomplete::CapReached { cap, .. } if cap == "max-memo")));
    assert_eq!(callees(&r), ["os.system"]);
}

#[test]
fn memoize_after_a_dropped_entry_does_not_shift_indices() {
    // The loader numbers `MEMOIZE` entries by its memo's size. Once an entry has been
    // dropped here, this memo is smaller, so a later `MEMOIZE`d entry must not be stored
    // under its own (wrong) count: the loader's `memo[11]` is "os" and `memo[13]` "system",
    // and they must not be read as "collections" and "OrderedDict".
    let mut w = PickleWriter::proto(4);
    for _ in 0..10 {
        w = w.none().memoize();
    }
    w = w.empty_tuple().memoize().pop(); // Index 10, past the cap and not cheap: dropped.
    for s in ["os", "collections", "system", "OrderedDict"] {
        w = w.str(s).memoize().pop(); // Indices 11 to 14 (cheap: room for 5 past the cap).
    }
    let b = w
        .get(11)
        .get(13)
        .stack_global()
        .empty_tuple()
        .reduce()
        .stop();
    let opts = PickleOptions {
        max_memo: 10,
        ..Default::default()
    };
    let r = analyse_bytes(&b, 0, &opts);
    assert!(
        !ref_names(&r).contains(&"collections.OrderedDict"),
        "{:?}",
        r.refs
    );
    assert_eq!(ref_names(&r), ["<unresolved>"]);
    assert!(r
        .incomplete
        .iter()
        .any(|i| matches!(i, Incomplete::CapReached { cap, .. } if cap == "max-memo")));
}

#[test]
fn deep_tuples_do_not_overflow() {
    let mut w = PickleWriter::proto(2).none();
    for _ in 0..200_000 {
        w = w.tuple_n(1);
    }
    let r = run(&w.stop());
    assert!(r.is_complete());
}

#[test]
fn huge_line_is_bounded() {
    let mut b = b"S'".to_vec();
    b.extend(std::iter::repeat_n(b'a', 3_000_000));
    b.extend_from_slice(b"'\n.");
    let r = run(&b);
    assert!(r.is_complete(), "{:?}", r.incomplete);
}

#[test]
fn stack_global_with_non_strings_is_corrupt() {
    let r = run(&PickleWriter::proto(4).int(1).int(2).stack_global().stop());
    assert!(matches!(r.incomplete[0], Incomplete::Corrupt { .. }));
}

#[test]
fn dotted_stack_global_names() {
    let r = run(&PickleWriter::proto(4)
        .str("torch")
        .str("serialization.os.system")
        .stack_global()
        .stop());
    assert_eq!(ref_names(&r), ["torch.serialization.os.system"]);
}

#[test]
fn base64_wrapped_nested_pickle_is_decoded() {
    // pickle.loads(base64.b64decode("<base64 of a pickle calling os.system>"))
    let b64 = "gAJjb3MKc3lzdGVtCnEAWAIAAABpZHEBhXECUnEDLg==";
    let b = PickleWriter::proto(2)
        .global("pickle", "loads")
        .call_global("base64", "b64decode", &[b64])
        .tuple_n(1)
        .reduce()
        .stop();
    let r = run(&b);
    let n = r.nested.iter().find(|n| n.loader.is_some()).unwrap();
    assert_eq!(n.loader.as_deref(), Some("pickle.loads"));
    assert_eq!(callees(n.report.as_ref().unwrap()), ["os.system"]);
}

#[test]
fn record_cap_is_shared_with_nested_pickles() {
    let inner = |i: u32| {
        let mut w = PickleWriter::proto(2);
        for j in 0..30 {
            w = w.global(&format!("m{i}"), &format!("f{j}")).pop();
        }
        w.none().stop()
    };
    let mut w = PickleWriter::proto(3);
    for i in 0..10 {
        w = w.bytes_val(&inner(i)).pop();
    }
    let opts = PickleOptions {
        max_records: 100,
        ..Default::default()
    };
    let r = analyse_bytes(&w.none().stop(), 0, &opts);
    let total: usize = r
        .nested
        .iter()
        .map(|n| n.report.as_ref().map_or(0, |x| x.refs.len()))
        .sum();
    assert!(total <= 100, "{total}");
    assert!(!r.is_complete());
}

#[test]
fn numpy_ufunc_reconstruct_is_an_import() {
    let b = PickleWriter::proto(2)
        .call_global("numpy.core", "_ufunc_reconstruct", &["os", "system"])
        .mark()
        .str("true")
        .tuple()
        .reduce()
        .stop();
    let r = run(&b);
    let t = r.refs.iter().find(|x| x.name == "os.system").unwrap();
    assert_eq!(t.via.as_deref(), Some("numpy.core._ufunc_reconstruct"));
    assert!(callees(&r).contains(&"os.system"));
}
