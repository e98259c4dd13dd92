//! Python name facts the machine needs to resolve callables like CPython does: the Python 2
//! to 3 module renames applied by `find_class` (`fix_imports`), and the functions known to
//! deserialise their argument (whose bytes are therefore analysed as nested pickles).
//!
//! It does not judge names; allow and deny lists live in the scanner.

/// Python 2 module names mapped to their Python 3 names (`_compat_pickle.IMPORT_MAPPING`,
/// the entries that matter for resolution).
const MODULE_MAP: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("exceptions", "builtins"),
    ("copy_reg", "copyreg"),
    ("cPickle", "pickle"),
    ("_pickle", "pickle"),
    ("commands", "subprocess"),
    ("urllib2", "urllib.request"),
    ("httplib", "http.client"),
    ("SocketServer", "socketserver"),
    ("cStringIO", "io"),
    ("StringIO", "io"),
    ("Queue", "queue"),
    ("thread", "_thread"),
    ("dummy_thread", "_dummy_thread"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("Tkinter", "tkinter"),
    ("__main__builtins", "builtins"),
    ("whichdb", "dbm"),
    ("anydbm", "dbm"),
];

/// `(module, name)` pairs renamed by `_compat_pickle.NAME_MAPPING` that matter here.
type NamePair = (&'static str, &'static str);

const NAME_MAP: &[(NamePair, NamePair)] = &[
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
    (
        ("UserDict", "IterableUserDict"),
        ("collections", "UserDict"),
    ),
    (("os", "getcwdu"), ("os", "getcwd")),
];

/// The qualified Python 3 name for `module` and `name` as `find_class` would resolve them.
pub(crate) fn qualify(module: &str, name: &str) -> String {
    for ((m, n), (m3, n3)) in NAME_MAP {
        if *m == module && *n == name {
            return format!("{m3}.{n3}");
        }
    }
    let module = MODULE_MAP
        .iter()
        .find(|(m, _)| *m == module)
        .map_or(module, |(_, m3)| *m3);
    if name.is_empty() {
        module.to_string()
    } else {
        format!("{module}.{name}")
    }
}

/// Functions that deserialise (and so may execute) the bytes they are given.
pub const NESTED_LOADERS: &[&str] = &[
    "pickle.loads",
    "pickle.load",
    "pickle._loads",
    "pickle._load",
    "pickle.Unpickler",
    "pickle._Unpickler",
    "dill.loads",
    "dill.load",
    "dill._dill.loads",
    "cloudpickle.loads",
    "cloudpickle.load",
    "joblib.load",
    "joblib.numpy_pickle.load",
    "torch.load",
    "torch.serialization.load",
    "torch.serialization._legacy_load",
    "torch.jit.load",
    "torch.storage._load_from_bytes",
    "numpy.load",
    "numpy.lib.npyio.load",
    "numpy.loads",
    "numpy.core.numeric.loads",
    "marshal.loads",
    "marshal.load",
    "shelve.open",
    "pandas.read_pickle",
    "pandas.io.pickle.read_pickle",
    "keras.models.load_model",
    "yaml.load",
    "yaml.unsafe_load",
    "jsonpickle.decode",
];

/// Whether `name` deserialises its argument.
pub fn is_nested_loader(name: &str) -> bool {
    NESTED_LOADERS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_python2_names() {
        assert_eq!(qualify("__builtin__", "eval"), "builtins.eval");
        assert_eq!(
            qualify("copy_reg", "_reconstructor"),
            "copyreg._reconstructor"
        );
        assert_eq!(qualify("__builtin__", "xrange"), "builtins.range");
        assert_eq!(qualify("os", "system"), "os.system");
        assert!(is_nested_loader("pickle.loads"));
    }
}
