//! What a person typed, reduced to a `+` and digits before any numbering plan is consulted:
//! libphonenumber's `extract_possible_number`, `is_viable_phone_number`, extension stripping
//! and `normalize`, for the characters people use in phone fields (digits, spaces, `-`, `.`,
//! `(`, `)` and a leading `+`). Anything else is left to libphonenumber itself.

/// The number as dialled: whether it began with `+`, and its ASCII digits in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dialled {
    pub(super) plus: bool,
    pub(super) digits: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Read {
    Number(Dialled),
    /// libphonenumber would not find a number here either.
    NotANumber,
    /// Letters, extensions, other scripts, a stray `+`, fewer than three digits: the
    /// library's own rules decide.
    Unsure,
}

/// Separators libphonenumber ignores (all are in its `VALID_PUNCTUATION`), none of which can
/// start an extension.
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')')
}

pub(super) fn read(input: &str) -> Read {
    let bytes = input.as_bytes();
    if !bytes
        .iter()
        .all(|&b| b.is_ascii_digit() || b == b'+' || is_separator(b))
    {
        return Read::Unsure;
    }
    // The number starts at the first digit or plus sign; what comes before is dropped.
    let Some(start) = bytes.iter().position(|&b| b.is_ascii_digit() || b == b'+') else {
        return Read::NotANumber;
    };
    let number = &bytes[start..];
    let plus = number.first() == Some(&b'+');
    if number.iter().skip(1).any(|&b| b == b'+') {
        return Read::Unsure;
    }
    let digits: String = number
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    // With three digits or more and only these characters, libphonenumber's viability pattern
    // always matches and its extension patterns never do.
    if digits.len() < 3 {
        return Read::Unsure;
    }
    Read::Number(Dialled { plus, digits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(plus: bool, digits: &str) -> Read {
        Read::Number(Dialled {
            plus,
            digits: digits.into(),
        })
    }

    #[test]
    fn keeps_the_plus_and_the_digits() {
        assert_eq!(read("+44 (0) 7742-201.349"), number(true, "4407742201349"));
        assert_eq!(read("(202) 555-0143"), number(false, "2025550143"));
        assert_eq!(read("(+44) 7742 201349"), number(true, "447742201349"));
        assert_eq!(read("07742201349."), number(false, "07742201349"));
    }

    #[test]
    fn leaves_unusual_input_to_the_library() {
        assert_eq!(read("0800 FLOWERS"), Read::Unsure);
        assert_eq!(read("020 7946 0018 ext. 12"), Read::Unsure);
        assert_eq!(read("44+7742201349"), Read::Unsure);
        assert_eq!(read("12"), Read::Unsure);
        assert_eq!(read("０７７４２"), Read::Unsure);
        assert_eq!(read("tel:+447742201349"), Read::Unsure);
    }

    #[test]
    fn punctuation_alone_is_not_a_number() {
        assert_eq!(read("(-.)"), Read::NotANumber);
        assert_eq!(read(")"), Read::NotANumber);
    }
}
