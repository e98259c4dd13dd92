//! Integration tests of airm-ledger: an independent RFC 6962 implementation checked against
//! the crate, export round trips, and property tests that any tampering fails verification.

mod canonical;
mod common;
mod export;
mod rfc6962;
mod tamper;
