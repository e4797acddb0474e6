//! libphonenumber's `parse` followed by `is_valid_number`, over the generated tables: the
//! country calling code (after `+`, after the default region's international prefix, or
//! repeated in front of a national number), the national (trunk) prefix with its transform
//! rule, the possible lengths, and the number-type patterns, choosing among the regions that
//! share a calling code as the library does. Each step names the library function it mirrors;
//! the differential test holds the two to the same answers.

use std::borrow::Cow;

use super::tables::{self, Desc, Territory, Unsupported};
use super::text::Dialled;

/// How a dialled number fares against the numbering plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Valid for its country: the E.164 form.
    Valid(String),
    /// Parsed, but not a number any country's plan allows.
    Invalid,
    /// libphonenumber's parse would fail.
    NotANumber,
}

const MIN_LENGTH_FOR_NSN: usize = 2;
const MAX_LENGTH_FOR_NSN: usize = 17;
const MAX_LENGTH_COUNTRY_CODE: usize = 3;

/// Why extracting the calling code stopped.
enum Stop {
    NotANumber,
    InvalidCountryCode,
    Unsupported,
}

impl From<Unsupported> for Stop {
    fn from(_: Unsupported) -> Self {
        Stop::Unsupported
    }
}

pub(super) fn judge(
    dialled: &Dialled,
    default: &'static Territory,
) -> Result<Verdict, Unsupported> {
    // `parse_helper`: on an invalid calling code after `+`, try again without the plus.
    let extracted = match extract_country_code(dialled.plus, &dialled.digits, default) {
        Err(Stop::InvalidCountryCode) if dialled.plus => {
            match extract_country_code(false, &dialled.digits, default) {
                Ok((0, _)) | Err(Stop::InvalidCountryCode | Stop::NotANumber) => {
                    return Ok(Verdict::NotANumber);
                }
                other => other,
            }
        }
        other => other,
    };
    let (code, national) = match extracted {
        Ok(found) => found,
        Err(Stop::Unsupported) => return Err(Unsupported),
        Err(Stop::NotANumber | Stop::InvalidCountryCode) => return Ok(Verdict::NotANumber),
    };
    let (code, plan) = if code == 0 {
        (default.country_code, default)
    } else {
        match tables::calling_code(code).next() {
            Some(main) => (code, main),
            None => return Ok(Verdict::NotANumber),
        }
    };
    let Some(nsn) = national_significant_number(&national, plan)? else {
        return Ok(Verdict::NotANumber);
    };
    Ok(if is_valid(code, &nsn)? {
        Verdict::Valid(format!("+{code}{nsn}"))
    } else {
        Verdict::Invalid
    })
}

/// `maybe_extract_country_code`: the calling code (0 when the number is national) and the
/// digits after it.
fn extract_country_code<'a>(
    plus: bool,
    digits: &'a str,
    default: &Territory,
) -> Result<(u16, Cow<'a, str>), Stop> {
    let mut international = plus;
    let mut number = digits;
    // `parse_prefix_as_idd`: a calling code never starts with 0.
    let idd = if plus {
        None
    } else {
        tables::pattern(default.international_prefix)?
    };
    if let Some(m) = idd.and_then(|re| re.find(number.as_bytes())) {
        let rest = &number[m.end()..];
        if !rest.starts_with('0') {
            international = true;
            number = rest;
        }
    }
    if international {
        if number.len() <= MIN_LENGTH_FOR_NSN {
            return Err(Stop::NotANumber);
        }
        if number.starts_with('0') {
            return Err(Stop::InvalidCountryCode);
        }
        for len in 1..=MAX_LENGTH_COUNTRY_CODE.min(number.len()) {
            let Ok(code) = number[..len].parse::<u16>() else {
                continue;
            };
            if tables::calling_code(code).next().is_some() {
                return Ok((code, Cow::Borrowed(&number[len..])));
            }
        }
        return Err(Stop::InvalidCountryCode);
    }
    // The default region's calling code written without `+` (`447742…` in GB): keep it as a
    // calling code only if the number reads better without it.
    let code = default.country_code.to_string();
    if let Some(rest) = number.strip_prefix(code.as_str()) {
        let rest = strip_national_prefix(rest, default)?;
        let general = &default.general;
        if (!tables::matches_pattern(number, general)? && tables::matches_pattern(&rest, general)?)
            || length(number, general) == Length::TooLong
        {
            return Ok((default.country_code, Cow::Owned(rest.into_owned())));
        }
    }
    Ok((0, Cow::Borrowed(number)))
}

/// The rest of `parse_helper`: the national prefix is dropped only if what remains is still a
/// possible length; then the national significant number as libphonenumber stores and prints
/// it (its leading zeros kept, as `italian_leading_zero` does). `None` where the parse fails.
fn national_significant_number(
    national: &str,
    plan: &Territory,
) -> Result<Option<String>, Unsupported> {
    if national.len() < MIN_LENGTH_FOR_NSN {
        return Ok(None);
    }
    let stripped = strip_national_prefix(national, plan)?;
    let national = match length(&stripped, &plan.general) {
        Length::LocalOnly | Length::TooShort | Length::Invalid => national,
        Length::Possible | Length::TooLong => &stripped,
    };
    if !(MIN_LENGTH_FOR_NSN..=MAX_LENGTH_FOR_NSN).contains(&national.len()) {
        return Ok(None);
    }
    let Ok(value) = national.parse::<u64>() else {
        return Ok(None);
    };
    let zeros = national.bytes().take_while(|&b| b == b'0').count();
    let zeros = if zeros == national.len() {
        zeros - 1
    } else {
        zeros
    };
    Ok(Some(format!("{}{value}", "0".repeat(zeros.min(10)))))
}

/// `maybe_strip_national_prefix_and_carrier_code`.
fn strip_national_prefix<'a>(
    number: &'a str,
    plan: &Territory,
) -> Result<Cow<'a, str>, Unsupported> {
    let Some(prefix) = tables::pattern(plan.national_prefix_for_parsing)? else {
        return Ok(Cow::Borrowed(number));
    };
    if number.is_empty() {
        return Ok(Cow::Borrowed(number));
    }
    let viable_original = tables::matches_pattern(number, &plan.general)?;
    let Some(captures) = prefix.captures(number.as_bytes()) else {
        return Ok(Cow::Borrowed(number));
    };
    let rule = plan.national_prefix_transform_rule;
    let first = captures.get(1);
    let second = captures.get(2);
    let transforms = first.is_some_and(|first| {
        !rule.is_empty()
            && (second.is_some_and(|s| !s.is_empty()) || (!first.is_empty() && second.is_none()))
    });
    let candidate = if transforms {
        let replaced = prefix.replace(number.as_bytes(), rule.as_bytes());
        // The input and rule are ASCII, so the result is too.
        let Ok(replaced) = String::from_utf8(replaced.into_owned()) else {
            return Err(Unsupported);
        };
        Cow::Owned(replaced)
    } else {
        let end = captures.get(0).map_or(0, |m| m.end());
        Cow::Borrowed(&number[end..])
    };
    if viable_original && !tables::matches_pattern(&candidate, &plan.general)? {
        return Ok(Cow::Borrowed(number));
    }
    Ok(candidate)
}

/// `test_number_length` for an unknown type (the general description's lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

fn length_mask(lengths: &[i32]) -> u64 {
    lengths.iter().fold(0, |mask, &l| match u32::try_from(l) {
        Ok(l) => mask | 1u64.checked_shl(l).unwrap_or(0),
        // -1 marks "no numbers of this type".
        Err(_) => 0,
    })
}

fn length(number: &str, general: &Desc) -> Length {
    let possible = length_mask(general.lengths);
    let local = length_mask(general.local_only);
    if possible == 0 {
        return Length::Invalid;
    }
    let Ok(actual) = u32::try_from(number.len()) else {
        return Length::TooLong;
    };
    if actual >= 64 {
        return Length::TooLong;
    }
    let bit = 1u64 << actual;
    if local & bit != 0 {
        return Length::LocalOnly;
    }
    let min = possible.trailing_zeros();
    let max = 63 - possible.leading_zeros();
    if min == actual {
        Length::Possible
    } else if min > actual {
        Length::TooShort
    } else if max < actual {
        Length::TooLong
    } else if possible & bit != 0 {
        Length::Possible
    } else {
        Length::Invalid
    }
}

/// `is_valid_number`: pick the region among those sharing the calling code
/// (`get_region_for_number`), then the number must be of some type there.
fn is_valid(code: u16, nsn: &str) -> Result<bool, Unsupported> {
    let mut regions = tables::calling_code(code).peekable();
    let Some(&main) = regions.peek() else {
        return Ok(false);
    };
    if tables::calling_code(code).nth(1).is_none() {
        return has_a_type(nsn, main);
    }
    for region in regions {
        let leading =
            tables::pattern(region.leading_digits)?.is_some_and(|re| re.is_match(nsn.as_bytes()));
        if leading || has_a_type(nsn, region)? {
            return has_a_type(nsn, region);
        }
    }
    Ok(false)
}

/// `get_number_type_helper(..) != Unknown`. The library tries the types in a fixed order to
/// name the type; any match makes the number valid, so the common types are tried first.
fn has_a_type(nsn: &str, plan: &Territory) -> Result<bool, Unsupported> {
    if !tables::matches_desc(nsn, &plan.general)? {
        return Ok(false);
    }
    if !plan.same_mobile_and_fixed_line_pattern && tables::matches_desc(nsn, &plan.mobile)? {
        return Ok(true);
    }
    if tables::matches_desc(nsn, &plan.fixed_line)? {
        return Ok(true);
    }
    for desc in &plan.other_types {
        if tables::matches_desc(nsn, desc)? {
            return Ok(true);
        }
    }
    Ok(false)
}
