//! Routing by file name: which detector (if any) looks at a file. Names decide only which
//! detector reads a file; formats of model files are still decided from content. Files
//! with names no detector wants are never opened, which keeps the walk close to the speed
//! of listing files.

/// Table-like or binary dataset kinds recognised by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    Csv,
    Tsv,
    Jsonl,
    Parquet,
    Arrow,
    TfRecord,
}

/// Text files read in full (within `max_text_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Source code of a language with AI SDKs.
    Code(Lang),
    /// A Jupyter notebook.
    Notebook,
    /// A dependency manifest or lock file.
    Manifest(Manifest),
    /// `README.md` and model-card files (front matter).
    Card,
    /// An MLflow `MLmodel` file.
    MlModel,
    /// A Hugging Face `config.json` (only if it describes a model).
    ModelConfig,
    /// Configuration and infrastructure as code: YAML, JSON, Terraform, Bicep, `.env`.
    Config,
}

/// Languages whose imports and calls are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    JavaScript,
    Go,
    Rust,
    Other,
}

/// Manifest and lock-file kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manifest {
    Requirements,
    Pyproject,
    PoetryLock,
    UvLock,
    Pipfile,
    PipfileLock,
    PackageJson,
    PackageLock,
    YarnLock,
    PnpmLock,
    CargoToml,
    CargoLock,
    GoMod,
}

/// Where a file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Not looked at.
    Skip,
    /// Sniffed for a model format from its first bytes.
    Sniff,
    /// A dataset by extension.
    Dataset(DataKind),
    /// An image (counted per directory for image-folder datasets).
    Image,
    /// A text file read for one detector family.
    Text(TextKind),
}

/// Extensions of files that are never model files and no detector reads: documents,
/// web assets, media, fonts, archives of software, compiled objects.
const SKIP_EXT: &[&str] = &[
    "md",
    "rst",
    "txt",
    "adoc",
    "html",
    "htm",
    "css",
    "scss",
    "sass",
    "less",
    "svg",
    "xml",
    "xsd",
    "map",
    "log",
    "ico",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot",
    "mp3",
    "mp4",
    "m4a",
    "wav",
    "ogg",
    "flac",
    "avi",
    "mov",
    "mkv",
    "webm",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "odt",
    "ods",
    "zip",
    "jar",
    "war",
    "whl",
    "egg",
    "gz",
    "tgz",
    "xz",
    "bz2",
    "zst",
    "7z",
    "rar",
    "o",
    "a",
    "so",
    "dylib",
    "dll",
    "exe",
    "class",
    "pyc",
    "pyo",
    "lock",
    "sum",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cxx",
    "m",
    "mm",
    "swift",
    "scala",
    "clj",
    "ex",
    "exs",
    "erl",
    "hs",
    "ml",
    "lua",
    "pl",
    "pm",
    "r",
    "sql",
    "graphql",
    "proto",
    "vue",
    "svelte",
    "astro",
    "ejs",
    "hbs",
    "mustache",
    "jinja",
    "j2",
    "tmpl",
    "tpl",
    "template",
    "csproj",
    "sln",
    "gradle",
    "properties",
    "ini",
    "cfg",
    "conf",
    "editorconfig",
    "gitignore",
    "gitattributes",
    "dockerignore",
    "npmignore",
    "prettierrc",
    "eslintrc",
    "babelrc",
    "bat",
    "ps1",
    "psm1",
    "cmd",
    "fish",
    "zsh",
    "bash",
    "sh",
    "mk",
    "cmake",
    "bazel",
    "bzl",
    "nix",
    "dhall",
    "lst",
    "pem",
    "crt",
    "key",
    "pub",
    "asc",
    "sig",
    "gpg",
    "db",
    "sqlite",
    "sqlite3",
    "wasm",
    "tsbuildinfo",
    "snap",
    "patch",
    "diff",
    "po",
    "mo",
    "pot",
    "tex",
    "bib",
    "csv_",
    "ai",
    "psd",
    "sketch",
    "fig",
    "xcf",
    "kra",
    "blend",
    "mid",
    "midi",
];

const IMAGE_EXT: &[&str] = &["jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff"];

const CARD_NAMES: &[&str] = &[
    "readme.md",
    "model_card.md",
    "modelcard.md",
    "model-card.md",
];

/// Where a file named `name` goes.
pub fn route(name: &str) -> Route {
    match name {
        "MLmodel" => return Route::Text(TextKind::MlModel),
        "config.json" => return Route::Text(TextKind::ModelConfig),
        "pyproject.toml" => return Route::Text(TextKind::Manifest(Manifest::Pyproject)),
        "poetry.lock" => return Route::Text(TextKind::Manifest(Manifest::PoetryLock)),
        "uv.lock" => return Route::Text(TextKind::Manifest(Manifest::UvLock)),
        "Pipfile" => return Route::Text(TextKind::Manifest(Manifest::Pipfile)),
        "Pipfile.lock" => return Route::Text(TextKind::Manifest(Manifest::PipfileLock)),
        "package.json" => return Route::Text(TextKind::Manifest(Manifest::PackageJson)),
        "package-lock.json" | "npm-shrinkwrap.json" => {
            return Route::Text(TextKind::Manifest(Manifest::PackageLock))
        }
        "yarn.lock" => return Route::Text(TextKind::Manifest(Manifest::YarnLock)),
        "pnpm-lock.yaml" => return Route::Text(TextKind::Manifest(Manifest::PnpmLock)),
        "Cargo.toml" => return Route::Text(TextKind::Manifest(Manifest::CargoToml)),
        "Cargo.lock" => return Route::Text(TextKind::Manifest(Manifest::CargoLock)),
        "go.mod" => return Route::Text(TextKind::Manifest(Manifest::GoMod)),
        "Dockerfile" | "Containerfile" => return Route::Skip,
        _ => {}
    }
    // Compared without copying or lower-casing the name: this runs for every file.
    let prefix_is = |p: &str| {
        name.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    let suffix_is = |p: &str| {
        name.len()
            .checked_sub(p.len())
            .and_then(|i| name.get(i..))
            .is_some_and(|t| t.eq_ignore_ascii_case(p))
    };
    if prefix_is("requirements") && suffix_is(".txt") {
        return Route::Text(TextKind::Manifest(Manifest::Requirements));
    }
    if CARD_NAMES.iter().any(|c| c.eq_ignore_ascii_case(name)) {
        return Route::Text(TextKind::Card);
    }
    if name.eq_ignore_ascii_case(".env") || prefix_is(".env.") || suffix_is(".env") {
        return Route::Text(TextKind::Config);
    }
    let ext = match name.rsplit_once('.') {
        Some((stem, e)) if !stem.is_empty() => e,
        _ => return Route::Sniff,
    };
    // The extension in lower case, on the stack; longer ones are no extension we know.
    let mut buf = [0u8; 16];
    let Some(low) = buf.get_mut(..ext.len()) else {
        return Route::Sniff;
    };
    low.copy_from_slice(ext.as_bytes());
    low.make_ascii_lowercase();
    let Ok(ext) = std::str::from_utf8(low) else {
        return Route::Sniff;
    };
    match ext {
        "py" | "pyi" => Route::Text(TextKind::Code(Lang::Python)),
        "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "jsx" | "tsx" => {
            Route::Text(TextKind::Code(Lang::JavaScript))
        }
        "go" => Route::Text(TextKind::Code(Lang::Go)),
        "rs" => Route::Text(TextKind::Code(Lang::Rust)),
        "java" | "kt" | "kts" | "cs" | "rb" | "php" => Route::Text(TextKind::Code(Lang::Other)),
        "ipynb" => Route::Text(TextKind::Notebook),
        "yaml" | "yml" | "json" | "tf" | "bicep" | "toml" => Route::Text(TextKind::Config),
        "csv" => Route::Dataset(DataKind::Csv),
        "tsv" | "tab" => Route::Dataset(DataKind::Tsv),
        "jsonl" | "ndjson" => Route::Dataset(DataKind::Jsonl),
        "parquet" => Route::Dataset(DataKind::Parquet),
        "arrow" | "feather" | "ipc" => Route::Dataset(DataKind::Arrow),
        "tfrecord" | "tfrecords" => Route::Dataset(DataKind::TfRecord),
        e if IMAGE_EXT.contains(&e) => Route::Image,
        e if SKIP_EXT.contains(&e) => Route::Skip,
        _ => Route::Sniff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_name() {
        assert_eq!(route("model.safetensors"), Route::Sniff);
        assert_eq!(route("weights"), Route::Sniff);
        assert_eq!(route("app.py"), Route::Text(TextKind::Code(Lang::Python)));
        assert_eq!(
            route("requirements-dev.txt"),
            Route::Text(TextKind::Manifest(Manifest::Requirements))
        );
        assert_eq!(route("notes.txt"), Route::Skip);
        assert_eq!(route("README.md"), Route::Text(TextKind::Card));
        assert_eq!(route("train.csv"), Route::Dataset(DataKind::Csv));
        assert_eq!(route("cat.JPG"), Route::Image);
        assert_eq!(route(".env.local"), Route::Text(TextKind::Config));
        assert_eq!(route("main.tf"), Route::Text(TextKind::Config));
        assert_eq!(route("style.css"), Route::Skip);
        assert_eq!(
            route("yarn.lock"),
            Route::Text(TextKind::Manifest(Manifest::YarnLock))
        );
        assert_eq!(
            route("pnpm-lock.yaml"),
            Route::Text(TextKind::Manifest(Manifest::PnpmLock))
        );
        assert_eq!(route("other.lock"), Route::Skip);
        assert_eq!(route("Requirements-DEV.TXT"), route("requirements-dev.txt"));
        assert_eq!(route("ReadMe.MD"), Route::Text(TextKind::Card));
        assert_eq!(route("prod.ENV"), Route::Text(TextKind::Config));
        assert_eq!(route("x.averyveryverylongextension"), Route::Sniff);
        assert_eq!(route("é.PY"), Route::Text(TextKind::Code(Lang::Python)));
        assert_eq!(route(".bashrc"), Route::Sniff);
    }
}
