//! moto's server, which the test command starts for SQS and KMS (`scripts/lib/moto.sh`). Tests
//! that need it skip with a printed reason under plain `cargo test`, unless
//! `BOOKING_TRACKER_REQUIRE_MOTO=1` (set by `scripts/test`) makes its absence a failure.

/// Whether the SQS emulator is reachable (`AWS_ENDPOINT_URL_SQS`).
pub fn sqs_available() -> bool {
    available("AWS_ENDPOINT_URL_SQS", "SQS")
}

/// Whether the KMS emulator is reachable (`AWS_ENDPOINT_URL_KMS`).
pub fn kms_available() -> bool {
    available("AWS_ENDPOINT_URL_KMS", "KMS")
}

fn available(variable: &str, what: &str) -> bool {
    if std::env::var_os(variable).is_some() {
        return true;
    }
    assert!(
        std::env::var("BOOKING_TRACKER_REQUIRE_MOTO").as_deref() != Ok("1"),
        "the {what} emulator is required (BOOKING_TRACKER_REQUIRE_MOTO=1) but {variable} is not set"
    );
    eprintln!("skipping: no {what} emulator ({variable} unset); scripts/test starts moto");
    false
}

/// A new SQS queue on the emulator, and a client for it.
pub async fn sqs_queue() -> Option<(aws_sdk_sqs::Client, String)> {
    if !sqs_available() {
        return None;
    }
    let config = shared::store::dynamo::load_aws_config().await;
    let client = aws_sdk_sqs::Client::new(&config);
    let name = format!("bt-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    let created = client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("queue created on the SQS emulator");
    let url = created.queue_url().expect("a queue URL").to_owned();
    Some((client, url))
}

/// A new symmetric KMS key on the emulator: its id.
pub async fn kms_key() -> Option<String> {
    if !kms_available() {
        return None;
    }
    let config = shared::store::dynamo::load_aws_config().await;
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms
        .create_key()
        .description("booking-tracker tests")
        .send()
        .await
        .expect("key created on the KMS emulator");
    Some(
        key.key_metadata()
            .expect("the key's metadata")
            .key_id()
            .to_owned(),
    )
}
