//! Generates the phone numbering-plan tables (`$OUT_DIR/phone_tables.rs`) from libphonenumber's
//! own metadata: the `metadata.bin` that the `rlibphonenumber` crate embeds and decodes at run
//! time. Nothing here is typed by hand; the run-time code in `src/domain/phone/` reads only the
//! fields libphonenumber's parse and `is_valid_number` consult.
//!
//! The crate does not export its metadata, so the file is found through `cargo metadata` (the
//! exact `rlibphonenumber` package `shared` links against), decoded with the crate's own
//! protobuf types, and checked against the library's answers before anything is written.

// The proto fields are marked deprecated because the library's own wrapper moves their contents
// elsewhere; decoded straight from the file, as here, they hold the data.
#![allow(deprecated)]

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use prost::Message;
use rlibphonenumber::{PhoneMetadata, PhoneMetadataCollection, PhoneNumberDesc};

type BuildResult<T> = Result<T, Box<dyn Error>>;

fn main() -> BuildResult<()> {
    println!("cargo:rerun-if-changed=build.rs");
    let path = metadata_file()?;
    println!("cargo:rerun-if-changed={}", path.display());
    let collection = PhoneMetadataCollection::decode(std::fs::read(&path)?.as_slice())?;
    check_against_library(&collection)?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("phone_tables.rs");
    std::fs::write(out, Generator::default().generate(&collection)?)?;
    Ok(())
}

/// `…/rlibphonenumber-x.y.z/src/generated/metadata/metadata.bin` of the version in `shared`'s
/// resolved dependency graph.
fn metadata_file() -> BuildResult<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("Cargo.toml");
    // Only the target's packages: the others' sources need not be on this machine.
    let target = std::env::var("TARGET")?;
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &target, "--manifest-path"])
        .arg(&manifest)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let meta: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let nodes = meta["resolve"]["nodes"]
        .as_array()
        .ok_or("cargo metadata: no resolve graph")?;
    let shared = nodes
        .iter()
        .find(|n| {
            n["id"].as_str().is_some_and(|id| {
                meta["packages"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["id"] == id && p["name"] == "shared" && p["source"].is_null())
                })
            })
        })
        .ok_or("cargo metadata: package shared not found")?;
    let dep_id = shared["deps"]
        .as_array()
        .and_then(|deps| {
            deps.iter().find(|d| {
                d["name"] == "rlibphonenumber"
                    && d["dep_kinds"]
                        .as_array()
                        .is_some_and(|ks| ks.iter().any(|k| k["kind"].is_null()))
            })
        })
        .and_then(|d| d["pkg"].as_str())
        .ok_or("cargo metadata: shared does not depend on rlibphonenumber")?;
    let manifest_path = meta["packages"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == dep_id))
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("cargo metadata: rlibphonenumber package not found")?;
    let dir = PathBuf::from(manifest_path)
        .parent()
        .ok_or("rlibphonenumber manifest has no directory")?
        .to_path_buf();
    let file = dir.join("src/generated/metadata/metadata.bin");
    if !file.is_file() {
        return Err(format!("{} is missing", file.display()).into());
    }
    Ok(file)
}

/// The decoded file must be the data the library itself serves: same regions, same calling
/// codes, same region order per calling code.
fn check_against_library(collection: &PhoneMetadataCollection) -> BuildResult<()> {
    let util = rlibphonenumber::PhoneNumberUtil::new()?;
    let mut library: Vec<String> = util
        .get_supported_regions()
        .map(|r| r.to_string())
        .collect();
    library.sort();
    let mut ours: Vec<String> = geographic(collection).map(|m| m.id.clone()).collect();
    ours.sort();
    if library != ours {
        return Err("metadata.bin regions differ from the library's".into());
    }
    for (code, regions) in calling_codes(collection) {
        let library: Vec<String> = util
            .get_regions_for_country_calling_code(code)
            .map(|it| it.map(|r| r.to_string()).collect())
            .unwrap_or_default();
        let ours: Vec<String> = regions
            .iter()
            .map(|&i| collection.metadata[i].id.clone())
            .collect();
        if library != ours {
            return Err(format!("calling code {code}: library {library:?}, file {ours:?}").into());
        }
    }
    Ok(())
}

const NON_GEOGRAPHIC: &str = "001";

fn geographic(collection: &PhoneMetadataCollection) -> impl Iterator<Item = &PhoneMetadata> {
    collection
        .metadata
        .iter()
        .filter(|m| m.country_code.is_some() && m.id != NON_GEOGRAPHIC)
}

/// Calling code → indices into `collection.metadata`, main country first; the same order the
/// library builds (`PhoneNumberUtil::new_for_metadata`).
fn calling_codes(collection: &PhoneMetadataCollection) -> BTreeMap<i32, Vec<usize>> {
    let mut map: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
    for (i, m) in collection.metadata.iter().enumerate() {
        let Some(code) = m.country_code else { continue };
        let list = map.entry(code).or_default();
        if m.main_country_for_code() {
            list.insert(0, i);
        } else {
            list.push(i);
        }
    }
    map
}

/// Patterns are stored once each, in the exact form the library compiles them.
#[derive(Default)]
struct Generator {
    patterns: Vec<String>,
    index: HashMap<String, usize>,
}

/// The library's `RegexTriplets`: stored patterns are `^(?:…)$`; full matches use them as
/// they are, prefix matches drop the final `$`, and a pattern too short to be wrapped is "".
#[derive(Clone, Copy)]
enum Anchor {
    Full,
    Start,
}

impl Generator {
    fn pattern(&mut self, base: Option<&str>, anchor: Anchor) -> String {
        let Some(base) = base else {
            return "None".into();
        };
        let text = match anchor {
            _ if base.len() < 6 => "",
            Anchor::Full => base,
            Anchor::Start => &base[..base.len() - 1],
        };
        let next = self.patterns.len();
        let i = *self.index.entry(text.to_owned()).or_insert(next);
        if i == next {
            self.patterns.push(text.to_owned());
        }
        format!("Some({i})")
    }

    fn desc(&mut self, desc: Option<&PhoneNumberDesc>) -> String {
        let default = PhoneNumberDesc::default();
        let desc = desc.unwrap_or(&default);
        format!(
            "Desc {{ pattern: {}, lengths: &{:?}, local_only: &{:?} }}",
            self.pattern(desc.national_number_pattern.as_deref(), Anchor::Full),
            desc.possible_length,
            desc.possible_length_local_only,
        )
    }

    fn territory(&mut self, m: &PhoneMetadata) -> BuildResult<String> {
        let mut s = String::new();
        writeln!(s, "    // {}", m.id)?;
        writeln!(s, "    Territory {{")?;
        writeln!(s, "        country_code: {},", m.country_code())?;
        let idd = self.pattern(m.international_prefix.as_deref(), Anchor::Start);
        writeln!(s, "        international_prefix: {idd},")?;
        let npp = self.pattern(m.national_prefix_for_parsing.as_deref(), Anchor::Start);
        writeln!(s, "        national_prefix_for_parsing: {npp},")?;
        let rule = m.national_prefix_transform_rule();
        writeln!(s, "        national_prefix_transform_rule: {rule:?},")?;
        let leading = self.pattern(m.leading_digits.as_deref(), Anchor::Start);
        writeln!(s, "        leading_digits: {leading},")?;
        let same = m.same_mobile_and_fixed_line_pattern();
        writeln!(s, "        same_mobile_and_fixed_line_pattern: {same},")?;
        writeln!(
            s,
            "        general: {},",
            self.desc(m.general_desc.as_ref())
        )?;
        writeln!(
            s,
            "        fixed_line: {},",
            self.desc(m.fixed_line.as_ref())
        )?;
        writeln!(s, "        mobile: {},", self.desc(m.mobile.as_ref()))?;
        // The other types `get_number_type` consults, in its order.
        writeln!(s, "        other_types: [")?;
        for desc in [
            &m.premium_rate,
            &m.toll_free,
            &m.shared_cost,
            &m.voip,
            &m.personal_number,
            &m.pager,
            &m.uan,
            &m.voicemail,
        ] {
            writeln!(s, "            {},", self.desc(desc.as_ref()))?;
        }
        writeln!(s, "        ],")?;
        writeln!(s, "    }},")?;
        Ok(s)
    }

    fn generate(mut self, collection: &PhoneMetadataCollection) -> BuildResult<String> {
        let codes = calling_codes(collection);
        // Territories in metadata order; calling codes and region ids index into them.
        let mut territories = String::new();
        let mut count = 0;
        let mut position = HashMap::new();
        for (i, m) in collection.metadata.iter().enumerate() {
            if m.country_code.is_none() {
                continue;
            }
            territories.push_str(&self.territory(m)?);
            position.insert(i, count);
            count += 1;
        }
        let mut out = String::new();
        writeln!(
            out,
            "// Generated by shared/build.rs from rlibphonenumber's metadata.bin. Do not edit."
        )?;
        writeln!(
            out,
            "pub(super) static TERRITORIES: [Territory; {count}] = ["
        )?;
        out.push_str(&territories);
        writeln!(out, "];")?;

        let mut regions: Vec<(&str, usize)> = collection
            .metadata
            .iter()
            .enumerate()
            .filter(|(_, m)| m.country_code.is_some() && m.id != NON_GEOGRAPHIC)
            .map(|(i, m)| (m.id.as_str(), position[&i]))
            .collect();
        regions.sort();
        writeln!(
            out,
            "/// Two-letter region ids, sorted, with their territory.\npub(super) static REGIONS: [(&str, u16); {}] = {regions:?};",
            regions.len()
        )?;

        writeln!(
            out,
            "/// Calling codes, sorted, with their territories (main country first).\npub(super) static CALLING_CODES: [(u16, &[u16]); {}] = [",
            codes.len()
        )?;
        for (code, list) in &codes {
            let list: Vec<usize> = list.iter().map(|i| position[i]).collect();
            writeln!(out, "    ({code}, &{list:?}),")?;
        }
        writeln!(out, "];")?;

        writeln!(
            out,
            "/// Every distinct pattern, as compiled.\npub(super) static PATTERNS: [&str; {}] = [",
            self.patterns.len()
        )?;
        for p in &self.patterns {
            writeln!(out, "    {p:?},")?;
        }
        writeln!(out, "];")?;
        Ok(out)
    }
}
