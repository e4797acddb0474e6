//! The metrics Lambda function: wiring only.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::lambda::metrics_service,
        |service, request| async move { metrics::handle(&service, request).await },
    )
    .await
}
