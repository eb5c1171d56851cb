//! Checks on caller input made before any request goes out.

use provena_http::Error;

/// Rejects an empty or whitespace-only item id.
pub(crate) fn id(id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::config(
            "id",
            id,
            "give the item's handle id, such as 10378.1/1690000",
        ));
    }
    Ok(())
}

/// Rejects an empty or whitespace-only reason.
pub(crate) fn reason(reason: &str) -> Result<(), Error> {
    if reason.trim().is_empty() {
        return Err(Error::config(
            "reason",
            reason,
            "give a non-empty reason; it is recorded in the item's history",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_id_rejected() {
        for blank in ["", "   ", "\t\n"] {
            let error = id(blank).unwrap_err();
            assert!(
                matches!(&error, Error::Config { field, .. } if field == "id"),
                "{error:?}"
            );
        }
        assert!(id("10378.1/1").is_ok());
    }

    #[test]
    fn blank_reason_rejected() {
        let error = reason(" ").unwrap_err();
        assert!(
            matches!(&error, Error::Config { field, fix, .. }
            if field == "reason" && fix.contains("non-empty reason")),
            "{error:?}"
        );
        assert!(reason("tidy").is_ok());
    }
}
