//! The reference path: libphonenumber itself (`rlibphonenumber`'s `parse`, `is_valid_number`
//! and E.164 `format`). [`Phone::parse`] falls back to it for input the tables leave to the
//! library, the differential test compares the two on every region's numbers, and the
//! `phone-first-parse` probe times both. Its first call builds the whole library (about 18 ms
//! in release: every region's metadata and the library's global patterns).

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat};

use super::{Phone, PhoneError, Region, checked};

/// [`Phone::parse`] as libphonenumber alone answers it.
pub fn parse(raw: &str, default_region: Region) -> Result<Phone, PhoneError> {
    let input = checked(raw)?;
    let number = PHONE_NUMBER_UTIL
        .parse(input, default_region.to_library())
        .map_err(|_| PhoneError::NotANumber)?;
    if !PHONE_NUMBER_UTIL.is_valid_number(&number) {
        return Err(PhoneError::Invalid);
    }
    Ok(Phone(
        PHONE_NUMBER_UTIL
            .format(&number, PhoneNumberFormat::E164)
            .into_owned(),
    ))
}
