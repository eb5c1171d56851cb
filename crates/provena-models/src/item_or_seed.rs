//! A registry item that may be complete or only a seed.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SeededItem;

/// A registry item as a fetch or a seed operation returns it: either complete (`T`, such
/// as `ItemDataset`) or a seed item that has an id but no domain info yet.
///
/// The documents type this as a union with no discriminator. Decoding picks the variant
/// from the item's own `record_type` field (`SEED_ITEM` or `COMPLETE_ITEM`), so a complete
/// item with a malformed field fails with that field's error instead of quietly decoding
/// as a seed. Without a `record_type`, the complete form is tried first.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "clippy sizes the generic `T` as zero bytes, but every complete item is larger than a seed"
)]
pub enum ItemOrSeed<T> {
    /// A complete item.
    Complete(T),
    /// A seed item: reserved id, no domain info.
    Seed(SeededItem),
}

impl<T> ItemOrSeed<T> {
    /// Returns the complete item, or `None` for a seed.
    pub fn complete(&self) -> Option<&T> {
        match self {
            Self::Complete(item) => Some(item),
            Self::Seed(_) => None,
        }
    }

    /// Returns the complete item, or `None` for a seed.
    pub fn into_complete(self) -> Option<T> {
        match self {
            Self::Complete(item) => Some(item),
            Self::Seed(_) => None,
        }
    }

    /// Returns the seed item, or `None` for a complete item.
    pub fn seed(&self) -> Option<&SeededItem> {
        match self {
            Self::Complete(_) => None,
            Self::Seed(seed) => Some(seed),
        }
    }

    /// Returns true for a seed item.
    pub fn is_seed(&self) -> bool {
        matches!(self, Self::Seed(_))
    }
}

impl<T: Serialize> Serialize for ItemOrSeed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Complete(item) => item.serialize(serializer),
            Self::Seed(seed) => seed.serialize(serializer),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for ItemOrSeed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let record_type = value
            .get("record_type")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        match record_type.as_deref() {
            Some("SEED_ITEM") => serde_json::from_value(value)
                .map(Self::Seed)
                .map_err(|error| D::Error::custom(format_args!("invalid seed item: {error}"))),
            Some(_) => serde_json::from_value(value)
                .map(Self::Complete)
                .map_err(|error| D::Error::custom(format_args!("invalid complete item: {error}"))),
            None => match serde_json::from_value::<T>(value.clone()) {
                Ok(item) => Ok(Self::Complete(item)),
                Err(complete_error) => serde_json::from_value(value).map(Self::Seed).map_err(
                    |seed_error| {
                        D::Error::custom(format_args!(
                            "item without record_type is neither complete ({complete_error}) nor a seed ({seed_error})"
                        ))
                    },
                ),
            },
        }
    }
}
