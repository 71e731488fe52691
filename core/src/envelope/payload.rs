//! The card payload: the JSON object that AES-GCM encrypts.

use zeroize::Zeroizing;

use super::MAX_PAYLOAD_LEN;
use super::error::SealError;
use super::json::ObjectWriter;
use crate::card::Card;

/// Every member a payload may have, in the order the sealer writes them.
#[cfg_attr(not(feature = "open"), allow(dead_code))]
const MEMBERS: [&str; 5] = ["number", "exp_month", "exp_year", "cvc", "holder"];

/// Writes the payload JSON into a zeroizing buffer of fixed capacity.
pub(crate) fn write(card: &Card) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let too_large = |_| SealError::TooLarge;
    let expiry = card.expiry();

    let mut writer = ObjectWriter::new(MAX_PAYLOAD_LEN);
    writer
        .string("number", card.number().expose_digits())
        .map_err(too_large)?;
    writer
        .integer("exp_month", u64::from(expiry.month()))
        .map_err(too_large)?;
    writer
        .integer("exp_year", u64::from(expiry.year()))
        .map_err(too_large)?;
    writer
        .string("cvc", card.cvc().expose())
        .map_err(too_large)?;
    if let Some(holder) = card.holder() {
        writer
            .string("holder", holder.as_str())
            .map_err(too_large)?;
    }
    writer.finish().map_err(too_large)
}

/// Reads a decrypted payload into a card, or `None` for any defect.
///
/// The object must have exactly the members above (`holder` optional) with the types of the
/// format, and the card must pass every check but the expiry window. `holder` must already be
/// in the canonical form the card parser produces (upper-case ASCII), as the sealer writes it.
#[cfg(feature = "open")]
pub(crate) fn read(bytes: &[u8]) -> Option<Card> {
    use super::json;

    let text = std::str::from_utf8(bytes).ok()?;
    let value = json::parse(text).ok()?;
    let object = value.as_object()?;
    if object.names().any(|name| !MEMBERS.contains(&name)) {
        return None;
    }

    let number = object.get("number")?.as_str()?;
    let month = object.get("exp_month")?.as_plain_u64(12)?;
    let year = object.get("exp_year")?.as_plain_u64(9999)?;
    let cvc = object.get("cvc")?.as_str()?;
    let holder = match object.get("holder") {
        Some(value) => Some(value.as_str()?),
        None => None,
    };

    let card = Card::from_decoded(
        number,
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        cvc,
        holder,
    )
    .ok()?;

    if card.holder().map(|name| name.as_str()) != holder {
        return None;
    }
    Some(card)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::{Brand, MAX_HOLDER_LENGTH};

    #[test]
    fn longest_payload_is_113_bytes() {
        // A 19-digit UnionPay test number with a three-digit CVC, the latest year and a holder
        // name of the maximum length.
        let holder = "A".repeat(MAX_HOLDER_LENGTH);
        let card = Card::from_decoded("6205500000000000004", 9999, 12, "123", Some(&holder))
            .expect("valid card");
        assert_eq!(write(&card).unwrap().len(), 113);

        // Only American Express has a four-digit CVC, and its numbers are shorter, so no card
        // has more digits of number and CVC together.
        let longest_digits = Brand::ALL
            .iter()
            .map(|brand| usize::from(brand.max_length()) + usize::from(brand.cvc_length()))
            .max();
        assert_eq!(longest_digits, Some(19 + 3));
    }
}
