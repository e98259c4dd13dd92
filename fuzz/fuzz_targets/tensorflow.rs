//! The TensorFlow graph walker (SavedModel and frozen GraphDef) on arbitrary bytes.
#![no_main]

use airm_formats::tensorflow::{graph_kind, read_graph, GraphKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = graph_kind(data);
    for kind in [GraphKind::SavedModel, GraphKind::GraphDef] {
        let _ = read_graph(&mut &data[..], kind);
    }
});
