//! The Calendly webhook Lambda function: wiring only.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve(
        shared::lambda::webhook_service,
        |service, request| async move { calendly_webhook::handle(&service, request).await },
    )
    .await
}
