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

pub fn airm(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airm"))
        .args(args)
        .env("AIRM_DATA_DIR", data_dir)
        .env("AIRM_CACHE_DIR", data_dir.join("cache"))
        .env_remove("AIRM_DATABASE_URL")
        .env_remove("AIRM_CONFIG")
        .current_dir(data_dir)
        .output()
        .expect("run airm")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
