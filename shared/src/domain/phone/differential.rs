//! The tables against libphonenumber: [`Phone::parse`] must give exactly what the library alone
//! gives ([`oracle::parse`]): the same E.164 string or the same error, for every region's example
//! numbers written every way people write them, for those numbers perturbed, for random digit
//! strings, and for every string in the provider samples.

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use rlibphonenumber::{
    PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, PhoneNumberType,
    get_national_significant_number_owned,
};

use super::{Phone, PhoneError, Region, oracle, tables};

fn both(raw: &str, default: Region) -> (Result<String, PhoneError>, Result<String, PhoneError>) {
    let ours = Phone::parse(raw, default).map(|p| p.0);
    let library = oracle::parse(raw, default).map(|p| p.0);
    (ours, library)
}

fn assert_same(raw: &str, default: Region) {
    let (ours, library) = both(raw, default);
    assert_eq!(ours, library, "{raw:?} read in {default}");
}

static REGIONS: LazyLock<Vec<Region>> = LazyLock::new(|| {
    tables::REGIONS
        .iter()
        .map(|(id, _)| Region::parse(id).unwrap())
        .collect()
});

const TYPES: [PhoneNumberType; 10] = [
    PhoneNumberType::FixedLine,
    PhoneNumberType::Mobile,
    PhoneNumberType::TollFree,
    PhoneNumberType::PremiumRate,
    PhoneNumberType::SharedCost,
    PhoneNumberType::VoIP,
    PhoneNumberType::PersonalNumber,
    PhoneNumberType::Pager,
    PhoneNumberType::UAN,
    PhoneNumberType::VoiceMail,
];

/// Every region's example number of every type, its invalid example, and the non-geographic
/// codes' examples, each with the region it belongs to.
static EXAMPLES: LazyLock<Vec<(Region, PhoneNumber)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for &region in REGIONS.iter() {
        let library = region.to_library().unwrap();
        for number_type in TYPES {
            if let Ok(n) =
                PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(library, number_type)
            {
                out.push((region, n));
            }
        }
        if let Ok(n) = PHONE_NUMBER_UTIL.get_invalid_example_number(library) {
            out.push((region, n));
        }
    }
    for code in PHONE_NUMBER_UTIL.get_supported_global_network_calling_codes() {
        if let Ok(n) = PHONE_NUMBER_UTIL.get_example_number_for_non_geo_entity(code) {
            out.push((Region::US, n));
        }
    }
    out
});

const FORMS: usize = 8;

/// The ways a number gets written: E.164, international and national layouts, with the
/// international prefixes of Europe and North America, with the calling code but no `+`, and
/// the bare national significant number (no trunk prefix).
fn written(number: &PhoneNumber, form: usize) -> String {
    let e164 = PHONE_NUMBER_UTIL.format(number, PhoneNumberFormat::E164);
    match form {
        0 => e164.into_owned(),
        1 => PHONE_NUMBER_UTIL
            .format(number, PhoneNumberFormat::International)
            .into_owned(),
        2 => PHONE_NUMBER_UTIL
            .format(number, PhoneNumberFormat::National)
            .into_owned(),
        3 => format!("00{}", &e164[1..]),
        4 => format!("011 {}", &e164[1..]),
        5 => e164[1..].to_owned(),
        6 => get_national_significant_number_owned(number),
        _ => format!("0{}", get_national_significant_number_owned(number)),
    }
}

#[test]
fn every_regions_examples_agree_in_every_form() {
    assert!(EXAMPLES.len() > 1000, "only {} examples", EXAMPLES.len());
    let mut valid = 0;
    for (home, number) in EXAMPLES.iter() {
        for form in 0..FORMS {
            let raw = written(number, form);
            for default in [*home, Region::GB, Region::US, Region::parse("DE").unwrap()] {
                let (ours, library) = both(&raw, default);
                assert_eq!(ours, library, "{raw:?} read in {default}");
                valid += usize::from(ours.is_ok());
            }
        }
    }
    // Most example numbers are valid in their own region; a broken table would say otherwise.
    assert!(valid > EXAMPLES.len() * 4, "only {valid} valid");
}

#[test]
fn the_previous_systems_table_is_answered_without_the_library() {
    // These never reach the fallback: the text reader and the tables cover them.
    for raw in [
        "07742201349",
        "+44 (0) 7742 201349",
        "0151 541 6933",
        "447742201349",
    ] {
        let dialled = match super::text::read(raw) {
            super::text::Read::Number(d) => d,
            other => panic!("{raw:?} read as {other:?}"),
        };
        let verdict = super::plan::judge(&dialled, Region::GB.territory().unwrap());
        assert!(
            matches!(verdict, Ok(super::plan::Verdict::Valid(_))),
            "{raw:?}: {verdict:?}"
        );
    }
}

const NOISE: &[char] = &[
    ' ', '-', '.', '(', ')', '+', '0', '0', '1', '4', '7', '9', 'x', '/',
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(prop::sample::Index, char),
    Delete(prop::sample::Index),
    ChangeDigit(prop::sample::Index, u8),
    TrunkZero,
    DropFirst,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), prop::sample::select(NOISE))
            .prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), 0u8..10).prop_map(|(i, d)| Edit::ChangeDigit(i, d)),
        Just(Edit::TrunkZero),
        Just(Edit::DropFirst),
    ]
}

fn apply(raw: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = raw.chars().collect();
    for e in edits {
        match e {
            Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), *c),
            Edit::Delete(i) if !chars.is_empty() => {
                chars.remove(i.index(chars.len()));
            }
            Edit::ChangeDigit(i, d) => {
                let digits: Vec<usize> = (0..chars.len())
                    .filter(|&k| chars[k].is_ascii_digit())
                    .collect();
                if !digits.is_empty() {
                    chars[digits[i.index(digits.len())]] = char::from(b'0' + d);
                }
            }
            Edit::TrunkZero => chars.insert(0, '0'),
            Edit::DropFirst if !chars.is_empty() => {
                chars.remove(0);
            }
            Edit::Delete(_) | Edit::DropFirst => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn perturbed_examples_agree(
        example in any::<prop::sample::Index>(),
        form in 0..FORMS,
        edits in prop::collection::vec(edit(), 0..4),
        default in any::<prop::sample::Index>(),
    ) {
        let (_, number) = &EXAMPLES[example.index(EXAMPLES.len())];
        let raw = apply(&written(number, form), &edits);
        let default = REGIONS[default.index(REGIONS.len())];
        let (ours, library) = both(&raw, default);
        prop_assert_eq!(ours, library, "{:?} read in {}", raw, default);
    }

    #[test]
    fn random_digit_strings_agree(
        raw in "[-+0-9 ().]{0,22}",
        default in any::<prop::sample::Index>(),
    ) {
        let default = REGIONS[default.index(REGIONS.len())];
        let (ours, library) = both(&raw, default);
        prop_assert_eq!(ours, library, "{:?} read in {}", raw, default);
    }
}

fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn sample_strings(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sample_strings(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            strings(&json, out);
        }
    }
}

#[test]
fn every_string_in_the_provider_samples_agrees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    sample_strings(&root.join("../tests/fixtures/providers"), &mut found);
    // The shared provider payloads beside the repository, where this checkout has them.
    sample_strings(&root.join("../../shared/providers"), &mut found);
    let phones = found
        .iter()
        .filter(|s| s.starts_with("+44") || s.starts_with("+1"))
        .count();
    assert!(phones >= 10, "only {phones} phone numbers in the samples");
    for raw in &found {
        for default in [Region::GB, Region::US] {
            assert_same(raw, default);
        }
    }
}
