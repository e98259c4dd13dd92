//! Fixtures built at test time from harmless parts: realistic benign checkpoints and
//! payload-shaped pickles whose "commands" are inert strings.

use std::io::Write;

use airm_formats::pickle::PickleWriter as W;

/// The body of a PyTorch state_dict pickle (protocol 2, as `torch.save` writes it).
pub fn torch_state_dict_pickle() -> Vec<u8> {
    let mut w = W::proto(2)
        .global("collections", "OrderedDict")
        .put(0)
        .empty_tuple()
        .reduce()
        .put(1)
        .mark();
    for (i, name) in ["fc.weight", "fc.bias"].iter().enumerate() {
        w = w
            .str(name)
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            .mark()
            .str("storage")
            .global("torch", "FloatStorage")
            .str(&i.to_string())
            .str("cpu")
            .int(6)
            .tuple()
            .binpersid()
            .int(0)
            .int(2)
            .int(3)
            .tuple_n(2)
            .int(3)
            .int(1)
            .tuple_n(2)
            .op(0x89)
            .global("collections", "OrderedDict")
            .empty_tuple()
            .reduce()
            .tuple()
            .reduce();
    }
    // state_dict._metadata = OrderedDict(...) via BUILD.
    w.op(b'u')
        .empty_dict()
        .str("_metadata")
        .global("collections", "OrderedDict")
        .empty_tuple()
        .reduce()
        .setitem()
        .build()
        .stop()
}

/// A PyTorch zip checkpoint around `pickle` (stored, like `torch.save`).
pub fn torch_zip(top: &str, pickle: &[u8]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        z.start_file(format!("{top}/data.pkl"), o).unwrap();
        z.write_all(pickle).unwrap();
        z.start_file(format!("{top}/byteorder"), o).unwrap();
        z.write_all(b"little").unwrap();
        z.start_file(format!("{top}/data/0"), o).unwrap();
        z.write_all(&[0x80, 0x02, 0xff, 0xff, 0, 0, 0, 0]).unwrap();
        z.start_file(format!("{top}/data/1"), o).unwrap();
        z.write_all(&[0u8; 12]).unwrap();
        z.start_file(format!("{top}/version"), o).unwrap();
        z.write_all(b"3\n").unwrap();
        z.start_file(format!("{top}/.data/serialization_id"), o)
            .unwrap();
        z.write_all(b"1234").unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// A zip with the given members (deflated).
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        for (n, d) in members {
            z.start_file(*n, o).unwrap();
            z.write_all(d).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// A legacy (pre-zip) PyTorch file: magic, protocol, sys_info, the object, storage keys,
/// then raw storage bytes.
pub fn torch_legacy(obj: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, b'.',
    ];
    v.extend(W::proto(2).int(1001).stop());
    v.extend(
        W::proto(2)
            .empty_dict()
            .str("little_endian")
            .op(0x88)
            .setitem()
            .stop(),
    );
    v.extend_from_slice(obj);
    v.extend(W::proto(2).mark().str("0").op(b'l').stop());
    v.extend_from_slice(&6u64.to_le_bytes());
    v.extend_from_slice(&[0xfe; 24]);
    v
}

/// `numpy.core.multiarray._reconstruct` pickle of a float64 array of 3 elements.
pub fn numpy_array_pickle() -> Vec<u8> {
    W::proto(2)
        .global("numpy.core.multiarray", "_reconstruct")
        .global("numpy", "ndarray")
        .int(0)
        .tuple_n(1)
        .bytes_val(b"b")
        .tuple_n(3)
        .reduce()
        .mark()
        .int(1)
        .int(3)
        .tuple_n(1)
        .global("numpy", "dtype")
        .str("f8")
        .op(0x89)
        .op(0x88)
        .tuple_n(3)
        .reduce()
        .mark()
        .int(3)
        .str("<")
        .none()
        .none()
        .none()
        .int(-1)
        .int(-1)
        .int(0)
        .tuple()
        .build()
        .op(0x89)
        .bytes_val(&[0u8; 24])
        .tuple()
        .build()
        .stop()
}

/// A scikit-learn LogisticRegression as pickled with protocol 4 (NEWOBJ + BUILD).
pub fn sklearn_pickle() -> Vec<u8> {
    let arr = numpy_array_pickle();
    // Reuse the array body (without PROTO and STOP) as the coef_ value.
    let body = &arr[2..arr.len() - 1];
    W::proto(4)
        .str("sklearn.linear_model._logistic")
        .memoize()
        .str("LogisticRegression")
        .memoize()
        .stack_global()
        .memoize()
        .empty_tuple()
        .newobj()
        .memoize()
        .empty_dict()
        .memoize()
        .mark()
        .str("C")
        .op(b'G')
        .raw(&1.0f64.to_be_bytes())
        .str("coef_")
        .raw(body)
        .str("_sklearn_version")
        .str("1.5.0")
        .op(b'u')
        .build()
        .stop()
}

/// Protocol 0 `copy_reg._reconstructor` of an allowlisted class, plus datetime/decimal.
pub fn stdlib_pickle() -> Vec<u8> {
    W::new()
        .mark()
        .global("copy_reg", "_reconstructor")
        .mark()
        .global("sklearn.preprocessing._data", "StandardScaler")
        .global("__builtin__", "object")
        .none()
        .tuple()
        .reduce()
        .global("datetime", "datetime")
        .mark()
        .bytes_val(b"\x07\xe4\x01\x01\x00\x00\x00\x00\x00\x00")
        .tuple()
        .reduce()
        .global("decimal", "Decimal")
        .mark()
        .unicode_line("1.5")
        .tuple()
        .reduce()
        .global("collections", "defaultdict")
        .mark()
        .global("__builtin__", "list")
        .tuple()
        .reduce()
        .op(b'l')
        .stop()
}

/// A `.npy` file with the given dtype text and data.
pub fn npy(descr: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}");
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    v.extend_from_slice(dict.as_bytes());
    v.extend_from_slice(data);
    v
}

/// A tar archive with the given regular-file members.
pub fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    for (name, data) in members {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        let size = format!("{:011o}", data.len());
        h[124..135].copy_from_slice(size.as_bytes());
        h[156] = b'0';
        h[257..262].copy_from_slice(b"ustar");
        v.extend_from_slice(&h);
        v.extend_from_slice(data);
        v.extend(std::iter::repeat_n(
            0u8,
            data.len().div_ceil(512) * 512 - data.len(),
        ));
    }
    v.extend_from_slice(&[0u8; 1024]);
    v
}

/// A safetensors file.
pub fn safetensors(header: &str, data: usize) -> Vec<u8> {
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend(std::iter::repeat_n(0u8, data));
    v
}

/// A joblib file (`joblib.dump`) holding one array: the `NumpyArrayWrapper` pickle with
/// the raw array bytes right after its `BUILD`. `dtype` is e.g. `f8` or `O8`; `data` are
/// the bytes joblib writes (raw values, or a whole pickle for object arrays).
pub fn joblib_array(dtype: &str, shape: &[i32], data: &[u8]) -> Vec<u8> {
    let mut w = W::proto(4)
        .global("sklearn.linear_model._logistic", "LogisticRegression")
        .empty_tuple()
        .newobj()
        .empty_dict()
        .str("coef_")
        .global("joblib.numpy_pickle", "NumpyArrayWrapper")
        .empty_tuple()
        .newobj()
        .empty_dict()
        .mark()
        .str("subclass")
        .global("numpy", "ndarray")
        .str("shape")
        .mark();
    for d in shape {
        w = w.int(*d);
    }
    w = w
        .tuple()
        .str("order")
        .str("C")
        .str("dtype")
        .global("numpy", "dtype")
        .str(dtype)
        .op(0x89)
        .op(0x88)
        .tuple_n(3)
        .reduce()
        .mark()
        .int(3)
        .str("<")
        .none()
        .none()
        .none()
        .int(-1)
        .int(-1)
        .int(0)
        .tuple()
        .build()
        .str("allow_mmap")
        .op(0x88);
    if !dtype.starts_with('O') {
        w = w.str("numpy_array_alignment_bytes").int(16);
    }
    w = w.op(b'u').build();
    if !dtype.starts_with('O') {
        w = w.raw(&[3, 0xff, 0xff, 0xff]);
    }
    w.raw(data).setitem().build().stop()
}
