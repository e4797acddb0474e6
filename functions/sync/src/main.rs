//! The sync Lambda function: wiring only.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::lambda::serve_events(sync::build, |function, event| async move {
        sync::handle_event(&function, event).await
    })
    .await
}
