//! Assets: the concrete things an AI system is made of — model files, datasets, notebooks,
//! endpoints, AI services, repositories and uses of AI API keys.

use serde::{Deserialize, Serialize};

use crate::parse::string_enum;
use crate::Timestamp;

string_enum! {
    /// What kind of thing an asset is.
    pub enum AssetKind: "asset kind" {
        /// A model artefact (weights, checkpoint, serialized estimator).
        Model = "model",
        /// A dataset (table, corpus, image folder).
        Dataset = "dataset",
        /// A Jupyter notebook.
        Notebook = "notebook",
        /// A deployed inference endpoint.
        Endpoint = "endpoint",
        /// A hosted AI service (OpenAI, Bedrock, Vertex AI, …).
        AiService = "ai-service",
        /// A source-code repository that uses AI.
        CodeRepository = "code-repository",
        /// A place where an AI API key is used or stored.
        ApiKeyUsage = "api-key-usage",
        /// An AI library dependency.
        Library = "library",
        /// Infrastructure-as-code resource for AI workloads.
        Infrastructure = "infrastructure",
    }
}

/// A content hash of an asset's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentHash {
    /// Algorithm, e.g. `sha256` or `blake3`.
    pub alg: String,
    /// Lower-case hex digest.
    pub hex: String,
}

/// Where an asset came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provenance {
    /// Origin, e.g. `huggingface:org/name`, a URL or `local`.
    pub source: Option<String>,
    /// Pinned revision (commit hash, tag) if known.
    pub revision: Option<String>,
    /// Licence identifier (SPDX) if known.
    pub license: Option<String>,
    /// Who signed it, if a signature verified.
    pub signed_by: Option<String>,
}

/// One AI asset, deduplicated by content hash where it has content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Asset {
    /// Stable id (`ast_…`).
    pub id: String,
    /// Kind of asset.
    pub kind: AssetKind,
    /// Display name (file name, model id, service name).
    pub name: String,
    /// Where it is: a path, URL or resource address.
    pub location: String,
    /// Content hashes of its bytes, if it has content.
    pub hashes: Vec<ContentHash>,
    /// Format, e.g. `pytorch-zip`, `safetensors`, `csv`.
    pub format: Option<String>,
    /// Size in bytes, if it has content.
    pub size: Option<u64>,
    /// Where it came from.
    pub provenance: Provenance,
    /// Names of the AI systems that use it.
    pub systems: Vec<String>,
    /// When airm first recorded it.
    pub first_seen: Timestamp,
    /// When airm last saw it.
    pub last_seen: Timestamp,
}

impl Asset {
    /// The SHA-256 digest, if known.
    pub fn sha256(&self) -> Option<&str> {
        self.hashes
            .iter()
            .find(|h| h.alg == "sha256")
            .map(|h| h.hex.as_str())
    }
}
