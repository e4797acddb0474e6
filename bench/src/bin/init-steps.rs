//! Where a cold start's init time goes: runs, once in a fresh process, each step a function
//! takes before its first poll, and what its first request needs, printing the time of each.
//! `cold-start` says how long the whole takes; this says which part to work on.
//!
//! Usage: `init-steps` (with the variables a function gets: `AWS_REGION`, credentials).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use shared::domain::{Phone, Region};
use shared::outbound::{ProviderHttp, RetryPolicy};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut last = Instant::now();
    let mut step = |name: &str| {
        let now = Instant::now();
        println!("{name:<44} {:>8.3} ms", (now - last).as_secs_f64() * 1e3);
        last = now;
    };
    lambda_runtime::tracing::init_default_subscriber();
    step("tracing subscriber");
    let config = shared::store::dynamo::load_aws_config().await;
    step("AWS config (credential and region chain)");
    // `Client::new` builds the SDK's default endpoint resolver whatever the configuration says
    // (the partition table is parsed once per process); the TLS connector waits for the first
    // request (`shared::tls`). The table is timed alone first; a second client shows what every
    // client costs once the table is in memory.
    drop(aws_sdk_dynamodb::config::endpoint::DefaultResolver::new());
    step("DynamoDB endpoint rules (partition table)");
    let client = aws_sdk_dynamodb::Client::new(&config);
    step("DynamoDB client");
    drop(aws_sdk_dynamodb::Client::new(&config));
    step("a second DynamoDB client (not in a function)");
    let http = ProviderHttp::new(RetryPolicy::default());
    step("providers' HTTP client (sync only)");
    let phone = Phone::parse("+447742201349", Region::US);
    step("first phone normalisation");
    let again = Phone::parse("07742201350", Region::GB);
    step("second phone normalisation");
    drop((client, http, phone, again));
}
