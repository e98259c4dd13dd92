//! The model-file (`MF`) and asset-discovery (`AS`) rules, one file each, and their sorted
//! registry.

mod ai_api_key_hardcoded;
mod analysis_incomplete;
mod archive_decompression_bomb;
mod archive_path_traversal;
mod dataset_personal_data;
mod file_not_inspected;
mod gguf_chat_template_code;
mod hub_revision_unpinned;
mod hub_trust_remote_code;
mod keras_custom_object;
mod keras_lambda_layer;
mod notebook_output_personal_data;
mod numpy_object_array;
mod onnx_custom_operator;
mod onnx_external_data_path;
mod pickle_nested_loader;
mod pickle_trailing_data;
mod pickle_unknown_global;
mod pickle_unsafe_global;
mod safetensors_invalid_header;
mod tensorflow_graph_unsafe_op;

pub use ai_api_key_hardcoded::AiApiKeyHardcoded;
pub use analysis_incomplete::AnalysisIncomplete;
pub use archive_decompression_bomb::ArchiveDecompressionBomb;
pub use archive_path_traversal::ArchivePathTraversal;
pub use dataset_personal_data::DatasetPersonalData;
pub use file_not_inspected::FileNotInspected;
pub use gguf_chat_template_code::GgufChatTemplateCode;
pub use hub_revision_unpinned::HubRevisionUnpinned;
pub use hub_trust_remote_code::HubTrustRemoteCode;
pub use keras_custom_object::KerasCustomObject;
pub use keras_lambda_layer::KerasLambdaLayer;
pub use notebook_output_personal_data::NotebookOutputPersonalData;
pub use numpy_object_array::NumpyObjectArray;
pub use onnx_custom_operator::OnnxCustomOperator;
pub use onnx_external_data_path::OnnxExternalDataPath;
pub use pickle_nested_loader::PickleNestedLoader;
pub use pickle_trailing_data::PickleTrailingData;
pub use pickle_unknown_global::PickleUnknownGlobal;
pub use pickle_unsafe_global::PickleUnsafeGlobal;
pub use safetensors_invalid_header::SafetensorsInvalidHeader;
pub use tensorflow_graph_unsafe_op::TensorflowGraphUnsafeOp;

use airm_core::RuleMeta;

/// All rules of this crate, sorted by id: asset discovery (`AS`), then model files (`MF`).
pub fn rules() -> Vec<&'static RuleMeta> {
    vec![
        &HubRevisionUnpinned::META,
        &HubTrustRemoteCode::META,
        &AiApiKeyHardcoded::META,
        &NotebookOutputPersonalData::META,
        &DatasetPersonalData::META,
        &FileNotInspected::META,
        &PickleUnsafeGlobal::META,
        &PickleUnknownGlobal::META,
        &PickleNestedLoader::META,
        &PickleTrailingData::META,
        &AnalysisIncomplete::META,
        &NumpyObjectArray::META,
        &SafetensorsInvalidHeader::META,
        &ArchivePathTraversal::META,
        &ArchiveDecompressionBomb::META,
        &GgufChatTemplateCode::META,
        &KerasLambdaLayer::META,
        &OnnxCustomOperator::META,
        &OnnxExternalDataPath::META,
        &TensorflowGraphUnsafeOp::META,
        &KerasCustomObject::META,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_valid_and_sorted() {
        let r = rules();
        airm_core::validate_registry(&r).unwrap();
        assert_eq!(r.len(), 21);
        assert_eq!(r.iter().filter(|m| m.id.starts_with("MF")).count(), 15);
        assert_eq!(r.iter().filter(|m| m.id.starts_with("AS")).count(), 6);
    }
}
