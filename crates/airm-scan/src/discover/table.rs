//! What the columnar dataset readers ([`super::parquet`], [`super::arrow`]) learn from a
//! file's metadata, and how they fail. The readers never read values.

/// The metadata of a columnar dataset file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableInfo {
    /// Rows, when the metadata states them.
    pub rows: Option<u64>,
    /// Top-level column names, in schema order.
    pub columns: Vec<String>,
    /// Dotted paths of fields nested in struct, list and map columns.
    pub nested: Vec<String>,
    /// Row groups (Parquet) or record batches (Arrow).
    pub batches: Option<u64>,
    /// The writing library, when recorded (Parquet `created_by`).
    pub created_by: Option<String>,
}

/// Why a columnar file's metadata could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Reading the file failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The metadata is not what the format says it must be.
    #[error("damaged metadata: {0}")]
    Damaged(String),
    /// The metadata is larger than the reader's limit.
    #[error("metadata of {0} bytes is larger than the reader's limit")]
    TooLarge(u64),
    /// The metadata is encrypted (Parquet modular encryption).
    #[error("the footer is encrypted")]
    Encrypted,
}
