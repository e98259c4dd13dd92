//! Signed checkpoints (tree size, root, time) and the Ed25519 key that signs them.
//!
//! The signed message is a text body in the style of C2SP signed notes / tlog checkpoints:
//!
//! ```text
//! airm-ledger/v1
//! <tree size, decimal>
//! <root hash, standard base64 with padding>
//! <time, decimal milliseconds since the Unix epoch>
//! ```
//!
//! with every line ending in `\n`. The signature is Ed25519 (RFC 8032, strict verification)
//! over those bytes. Key texts: the public key is `ed25519:<base64 of 32 bytes>`; the key
//! id is the first 8 bytes of `SHA-256(public key bytes)` as 16 hex digits; the secret key
//! file holds one line `ed25519-secret:<base64 of the 32-byte seed>` and is created with
//! mode 0600 by [`SigningKey::load_or_create`] (the only file I/O in this crate; keys whose
//! file is readable by group or others are refused on Unix).

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use airm_core::Timestamp;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _};
use rand::RngCore as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Digest, Error, VerifyError};

/// First line of every signed checkpoint body.
pub const CHECKPOINT_ORIGIN: &str = "airm-ledger/v1";

const PUBLIC_PREFIX: &str = "ed25519:";
const SECRET_PREFIX: &str = "ed25519-secret:";

/// A signed statement that the log had `tree_size` entries with Merkle root `root_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Number of entries covered.
    pub tree_size: u64,
    /// Merkle root of those entries (hex).
    pub root_hash: Digest,
    /// When it was signed.
    pub time: Timestamp,
    /// Id of the signing key (16 hex digits).
    pub key_id: String,
    /// Ed25519 signature over [`Checkpoint::signed_body`], standard base64.
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn signed_body(tree_size: u64, root: &Digest, time: Timestamp) -> String {
        format!(
            "{CHECKPOINT_ORIGIN}\n{tree_size}\n{}\n{}\n",
            B64.encode(root.0),
            time.millis()
        )
    }
}

/// The Ed25519 key that signs checkpoints.
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public_key().key_id())
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        SigningKey::from_seed(seed)
    }

    /// The key with this 32-byte seed (RFC 8032 private key).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SigningKey {
            inner: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// The secret key file text: `ed25519-secret:<base64 seed>\n`.
    pub fn to_secret_text(&self) -> String {
        format!("{SECRET_PREFIX}{}\n", B64.encode(self.inner.to_bytes()))
    }

    /// Parses the secret key file text.
    pub fn from_secret_text(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::Key {
            path: None,
            reason: reason.to_string(),
        };
        let body = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| bad("expected `ed25519-secret:<base64>`"))?;
        let bytes = B64.decode(body).map_err(|_| bad("seed is not base64"))?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| bad("seed is not 32 bytes"))?;
        Ok(SigningKey::from_seed(seed))
    }

    /// Loads the key at `path`, or creates it (mode 0600, parent directories too) if the
    /// file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, Error> {
        let io = |what: &str, source| Error::Io {
            context: format!("{what} {}", path.display()),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => SigningKey::from_file_text(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| io("creating directory for", e))?;
                }
                let key = SigningKey::generate();
                let mut file = match create_private(path) {
                    Ok(f) => f,
                    // Another process created it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        return SigningKey::load_existing(path)
                    }
                    Err(e) => return Err(io("creating key file", e)),
                };
                file.write_all(key.to_secret_text().as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| io("writing key file", e))?;
                Ok(key)
            }
            Err(e) => Err(io("reading key file", e)),
        }
    }

    /// Loads the key at `path`, which must exist.
    pub fn load_existing(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            context: format!("reading key file {}", path.display()),
            source,
        })?;
        SigningKey::from_file_text(path, &text)
    }

    fn from_file_text(path: &Path, text: &str) -> Result<Self, Error> {
        check_private(path)?;
        SigningKey::from_secret_text(text).map_err(|e| match e {
            Error::Key { reason, .. } => Error::Key {
                path: Some(path.to_path_buf()),
                reason,
            },
            other => other,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.verifying_key(),
        }
    }

    /// Signs a checkpoint for a tree of `tree_size` entries with root `root` at `time`.
    pub fn sign_checkpoint(&self, tree_size: u64, root: Digest, time: Timestamp) -> Checkpoint {
        let body = Checkpoint::signed_body(tree_size, &root, time);
        let sig = self.inner.sign(body.as_bytes());
        Checkpoint {
            tree_size,
            root_hash: root,
            time,
            key_id: self.public_key().key_id(),
            signature: B64.encode(sig.to_bytes()),
        }
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        context: format!("reading permissions of {}", path.display()),
        source,
    })?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(Error::Key {
            path: Some(path.to_path_buf()),
            reason: format!(
                "file mode {:o} lets others read it; chmod 600 it",
                mode & 0o777
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), Error> {
    Ok(())
}

/// An Ed25519 public key; text form `ed25519:<base64>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.inner.to_bytes()
    }

    /// First 8 bytes of SHA-256 of the key bytes, as 16 lowercase hex digits.
    pub fn key_id(&self) -> String {
        let d = Digest::sha256(self.inner.as_bytes());
        hex::encode(d.0.get(..8).unwrap_or_default())
    }

    /// Checks the checkpoint's key id and signature.
    pub fn verify_checkpoint(&self, cp: &Checkpoint) -> Result<(), VerifyError> {
        let bad = |reason: &str| VerifyError::BadCheckpoint {
            size: cp.tree_size,
            reason: reason.to_string(),
        };
        if cp.key_id != self.key_id() {
            return Err(bad(&format!(
                "signed by key {} but the trusted key is {}",
                cp.key_id.chars().take(32).collect::<String>(),
                self.key_id()
            )));
        }
        let raw = B64
            .decode(&cp.signature)
            .map_err(|_| bad("signature is not base64"))?;
        let sig = Signature::from_slice(&raw).map_err(|_| bad("signature is not 64 bytes"))?;
        let body = Checkpoint::signed_body(cp.tree_size, &cp.root_hash, cp.time);
        self.inner
            .verify_strict(body.as_bytes(), &sig)
            .map_err(|_| bad("signature does not verify"))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", B64.encode(self.inner.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    /// Parses `ed25519:<base64 of 32 bytes>` (surrounding whitespace allowed, so a key file's
    /// contents can be passed as they are).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| Error::Key {
            path: None,
            reason: reason.to_string(),
        };
        let body = s
            .trim()
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| bad("expected `ed25519:<base64>`"))?;
        let bytes = B64.decode(body).map_err(|_| bad("key is not base64"))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| bad("key is not 32 bytes"))?;
        let inner = ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map_err(|_| bad("not a valid Ed25519 point"))?;
        Ok(PublicKey { inner })
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::from_seed([7u8; 32]);
        let pk = key.public_key();
        let root = Digest::sha256(b"root");
        let cp = key.sign_checkpoint(5, root, Timestamp(1_700_000_000_000));
        pk.verify_checkpoint(&cp).unwrap();
        assert_eq!(cp.key_id.len(), 16);

        let mut bad = cp.clone();
        bad.tree_size = 6;
        assert!(pk.verify_checkpoint(&bad).is_err());
        let mut bad = cp.clone();
        bad.time = Timestamp(1);
        assert!(pk.verify_checkpoint(&bad).is_err());
        let mut bad = cp.clone();
        bad.root_hash = Digest::ZERO;
        assert!(pk.verify_checkpoint(&bad).is_err());
        let other = SigningKey::from_seed([8u8; 32]).public_key();
        assert!(other.verify_checkpoint(&cp).is_err());
        assert_eq!(
            Checkpoint::signed_body(5, &Digest::ZERO, Timestamp(42)),
            "airm-ledger/v1\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n42\n"
        );
    }

    #[test]
    fn key_texts_round_trip() {
        let key = SigningKey::generate();
        let pk = key.public_key();
        let text = pk.to_string();
        assert!(text.starts_with("ed25519:"));
        assert_eq!(text.parse::<PublicKey>().unwrap(), pk);
        let again = SigningKey::from_secret_text(&key.to_secret_text()).unwrap();
        assert_eq!(again.public_key(), pk);
        assert!("ed25519:AAAA".parse::<PublicKey>().is_err());
        assert!("rsa:AAAA".parse::<PublicKey>().is_err());
        assert!(SigningKey::from_secret_text("ed25519-secret:!!").is_err());
    }

    #[test]
    fn load_or_create_persists_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/ledger.key");
        let a = SigningKey::load_or_create(&path).unwrap();
        let b = SigningKey::load_or_create(&path).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(SigningKey::load_or_create(&path).is_err());
        }
    }
}
