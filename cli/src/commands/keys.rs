//! `booking-tracker keys rotate`.

use shared::ingest::rotate_keys;
use shared::store::Store;

use crate::output;

pub async fn rotate(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let rotation = rotate_keys(store).await?;
    if json {
        output::json(&rotation);
    } else {
        output::line(format!(
            "Key ring {} ({}): version {} -> {}; {} of {} accounts sealed again; retired {}.",
            rotation.key_ring,
            store.secrets().source_name(),
            rotation.from,
            rotation.to,
            rotation.resealed,
            rotation.accounts,
            if rotation.retired.is_empty() {
                "nothing".to_owned()
            } else {
                rotation
                    .retired
                    .iter()
                    .map(|v| format!("version {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    Ok(())
}
