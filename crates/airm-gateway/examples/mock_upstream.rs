//! The tests' mock LLM provider as a process, for `bench/gateway.sh`: prints its base URL
//! (`http://127.0.0.1:PORT/v1`) and serves until killed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/mock.rs"]
mod mock;

#[tokio::main]
async fn main() {
    let (url, _state) = mock::start().await;
    println!("{url}");
    std::future::pending::<()>().await;
}
