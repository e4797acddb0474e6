//! Rewrites `events/` from the provider samples: `cargo run -p integration-tests --bin regenerate-events`.

fn main() -> std::io::Result<()> {
    let dir = integration_tests::events::events_dir();
    for event in integration_tests::events::all_events() {
        std::fs::write(
            dir.join(&event.file),
            integration_tests::events::render(&event),
        )?;
    }
    Ok(())
}
