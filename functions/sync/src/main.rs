//! The sync Lambda function: wiring only.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve_events(shared::lambda::sync_service, |service, event| async move {
        sync::handle_event(&service, event).await
    })
    .await
}
