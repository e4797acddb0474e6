//! libphonenumber's numbering plans as static tables, generated at build time from the metadata
//! `rlibphonenumber` embeds (see `shared/build.rs`). Reading them costs nothing at start; a
//! pattern is compiled the first time a number needs it, once per process.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

/// One number type's description: `is_number_matching_desc` reads these.
#[derive(Debug)]
pub(super) struct Desc {
    /// Index into [`PATTERNS`], anchored `^(?:…)$`; `None` matches nothing.
    pub(super) pattern: Option<u16>,
    /// Possible national-number lengths; empty means "the general description's".
    pub(super) lengths: &'static [i32],
    pub(super) local_only: &'static [i32],
}

/// One `PhoneMetadata` entry: a region, or a non-geographic calling code (id `001`).
#[derive(Debug)]
pub(super) struct Territory {
    pub(super) country_code: u16,
    /// The international (IDD) prefix, anchored at the start only.
    pub(super) international_prefix: Option<u16>,
    /// The national (trunk) prefix and carrier codes, anchored at the start only.
    pub(super) national_prefix_for_parsing: Option<u16>,
    pub(super) national_prefix_transform_rule: &'static str,
    /// For regions sharing a calling code: the leading digits that pick this region.
    pub(super) leading_digits: Option<u16>,
    pub(super) same_mobile_and_fixed_line_pattern: bool,
    pub(super) general: Desc,
    pub(super) fixed_line: Desc,
    pub(super) mobile: Desc,
    /// Premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail.
    pub(super) other_types: [Desc; 8],
}

include!(concat!(env!("OUT_DIR"), "/phone_tables.rs"));

/// The territory of a two-letter region id.
pub(super) fn region(id: &str) -> Option<&'static Territory> {
    let i = REGIONS.binary_search_by_key(&id, |(r, _)| r).ok()?;
    TERRITORIES.get(usize::from(REGIONS[i].1))
}

/// The territories sharing a calling code, the main one first (empty if the code is unused).
pub(super) fn calling_code(code: u16) -> impl Iterator<Item = &'static Territory> {
    let list: &[u16] = CALLING_CODES
        .binary_search_by_key(&code, |(c, _)| *c)
        .map_or(&[], |i| CALLING_CODES[i].1);
    list.iter().filter_map(|&t| TERRITORIES.get(usize::from(t)))
}

/// A pattern could not be compiled here; the caller asks libphonenumber instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unsupported;

static COMPILED: [OnceLock<Option<Regex>>; PATTERNS.len()] =
    [const { OnceLock::new() }; PATTERNS.len()];

/// The compiled pattern, `Ok(None)` where the metadata has none.
pub(super) fn pattern(id: Option<u16>) -> Result<Option<&'static Regex>, Unsupported> {
    let Some(id) = id.map(usize::from) else {
        return Ok(None);
    };
    let (Some(text), Some(slot)) = (PATTERNS.get(id), COMPILED.get(id)) else {
        return Err(Unsupported);
    };
    // Numbers reach the patterns as ASCII digits only, so Unicode classes add nothing but
    // compile time.
    slot.get_or_init(|| RegexBuilder::new(text).unicode(false).build().ok())
        .as_ref()
        .map(Some)
        .ok_or(Unsupported)
}

/// Whether the whole of `number` matches the description's pattern (no length check), as
/// libphonenumber's `helper_functions::is_match`.
pub(super) fn matches_pattern(number: &str, desc: &Desc) -> Result<bool, Unsupported> {
    Ok(pattern(desc.pattern)?.is_some_and(|re| re.is_match(number.as_bytes())))
}

/// libphonenumber's `is_number_matching_desc`: the lengths first, then the pattern.
pub(super) fn matches_desc(number: &str, desc: &Desc) -> Result<bool, Unsupported> {
    let length = i32::try_from(number.len()).unwrap_or(i32::MAX);
    if !desc.lengths.is_empty() && !desc.lengths.contains(&length) {
        return Ok(false);
    }
    matches_pattern(number, desc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_in_ascii_mode() {
        for (i, text) in PATTERNS.iter().enumerate() {
            let id = u16::try_from(i).ok();
            assert!(pattern(id).is_ok(), "pattern {i} does not compile: {text}");
        }
    }

    #[test]
    fn regions_and_calling_codes_come_from_the_metadata() {
        let gb = region("GB").unwrap();
        assert_eq!(gb.country_code, 44);
        let shared: Vec<&Territory> = calling_code(44).collect();
        assert!(
            std::ptr::eq(shared[0], gb),
            "GB is the main country for +44"
        );
        for id in ["JE", "GG", "IM"] {
            assert!(shared.iter().any(|t| std::ptr::eq(*t, region(id).unwrap())));
        }
        assert!(std::ptr::eq(
            calling_code(1).next().unwrap(),
            region("US").unwrap()
        ));
        assert_eq!(calling_code(800).count(), 1, "a non-geographic code");
        assert!(region("001").is_none());
        assert!(region("XX").is_none());
        assert_eq!(calling_code(999).count(), 0);
    }
}
