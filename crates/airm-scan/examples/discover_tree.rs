//! Runs discovery on the paths given on the command line and prints its counts (files
//! seen, read, bytes read, assets, findings): the library alone, for profiling discovery
//! with `perf`, `strace -c` or callgrind without the CLI and the store.
//!
//! `cargo run --release -p airm-scan --example discover_tree -- [--json] PATH...`
//! (`AIRM_DISCOVER_THREADS=N` sets the worker threads; default one per core; `--json`
//! prints the whole discovery).

fn main() {
    let mut json = false;
    let paths: Vec<std::path::PathBuf> = std::env::args_os()
        .skip(1)
        .filter(|a| {
            let flag = a == "--json";
            json |= flag;
            !flag
        })
        .map(Into::into)
        .collect();
    let opts = airm_scan::discover::DiscoverOptions {
        threads: std::env::var("AIRM_DISCOVER_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0),
        ..airm_scan::discover::DiscoverOptions::default()
    };
    let d = airm_scan::discover::discover(&paths, &opts);
    if json {
        println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
    }
    println!(
        "files {} read {} bytes {} assets {} findings {}",
        d.stats.files,
        d.stats.files_read,
        d.stats.bytes_read,
        d.assets.len(),
        d.findings.len()
    );
}
