//! The HDF5 root-attribute reader on arbitrary bytes, with and without a valid signature.
#![no_main]

use airm_formats::hdf5::{read_root_attributes, SIGNATURE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_root_attributes(data);
    let mut signed = SIGNATURE.to_vec();
    signed.extend_from_slice(data);
    let _ = read_root_attributes(&signed);
});
