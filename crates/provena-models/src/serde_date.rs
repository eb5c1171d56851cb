//! Serde support for calendar dates written as `YYYY-MM-DD`, the form Provena sends and
//! accepts for `format: date` fields.

use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
use time::Date;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Writes a date as `YYYY-MM-DD`.
pub(crate) fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

/// Reads a `YYYY-MM-DD` date.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = String::deserialize(deserializer)?;
    Date::parse(&text, FORMAT).map_err(|error| {
        D::Error::custom(format_args!(
            "invalid date {text:?}, expected YYYY-MM-DD: {error}"
        ))
    })
}

/// The same for `Option<Date>`, where JSON `null` is `None`.
pub(crate) mod option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    /// Writes `Some(date)` as `YYYY-MM-DD` and `None` as `null`.
    pub(crate) fn serialize<S: Serializer>(
        date: &Option<Date>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => super::serialize(date, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a `YYYY-MM-DD` date or `null`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "super::deserialize")] Date);

        let wrapped = Option::<Wrapped>::deserialize(deserializer)?;
        Ok(wrapped.map(|Wrapped(date)| date))
    }
}
