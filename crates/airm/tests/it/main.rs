//! End-to-end tests of the `airm` binary: commands, exit codes, the server process,
//! crash safety and several processes sharing PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod cli;
mod discover;
mod gateway;
mod governance;
mod guard;
mod monitor;
mod scan;
mod server;

use std::path::Path;
use std::process::{Command, Output};

/// `airm ARGS` with its data and cache under `data_dir`, run there, without the caller's
/// database URL or configuration.
pub fn airm_command(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_airm"));
    c.args(args)
        .env("AIRM_DATA_DIR", data_dir)
        .env("AIRM_CACHE_DIR", data_dir.join("cache"))
        .env_remove("AIRM_DATABASE_URL")
        .env_remove("AIRM_CONFIG")
        .current_dir(data_dir);
    c
}

pub fn airm(data_dir: &Path, args: &[&str]) -> Output {
    airm_command(data_dir, args).output().expect("run airm")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
