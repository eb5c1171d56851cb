//! Listing options shared by the subtype, general and review listings.

use provena_models::{
    FilterOptions, GeneralListRequest, ItemSubType, JsonObject, ListUserReviewingDatasetsRequest,
    QueryDatasetReleaseStatusType, QueryRecordTypes, SortOptions, SortType, SubtypeFilterOptions,
    SubtypeListRequest,
};

/// How to list items: page size, sort, record type and a total limit. Every field is
/// optional; unset fields take the registry's defaults (20 per page, newest first, complete
/// items only, no limit).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Items per request.
    pub page_size: Option<u32>,
    /// The field to sort by.
    pub sort_type: Option<SortType>,
    /// Sorts ascending instead of descending (only sent with `sort_type`).
    pub ascending: bool,
    /// Keeps only items whose sort field begins with this text; an empty text sets no
    /// filter.
    pub begins_with: Option<String>,
    /// Complete items, seed items or both.
    pub record_type: Option<QueryRecordTypes>,
    /// Stops after this many items in total.
    pub limit: Option<usize>,
}

impl ListOptions {
    fn sort_options(&self) -> Option<SortOptions> {
        let begins_with = self.begins_with.clone().filter(|prefix| !prefix.is_empty());
        if self.sort_type.is_none() && begins_with.is_none() {
            return None;
        }
        Some(SortOptions {
            ascending: Some(self.ascending),
            begins_with,
            sort_type: self.sort_type.clone(),
        })
    }

    pub(crate) fn subtype_request(&self, pagination_key: Option<JsonObject>) -> SubtypeListRequest {
        SubtypeListRequest {
            filter_by: self
                .record_type
                .clone()
                .map(|record_type| SubtypeFilterOptions {
                    record_type: Some(record_type),
                }),
            page_size: self.page_size.map(i64::from),
            pagination_key,
            sort_by: self.sort_options(),
        }
    }

    pub(crate) fn general_request(
        &self,
        item_subtype: Option<ItemSubType>,
        pagination_key: Option<JsonObject>,
    ) -> GeneralListRequest {
        let filter_by = if item_subtype.is_some() || self.record_type.is_some() {
            Some(FilterOptions {
                item_subtype,
                record_type: self.record_type.clone(),
                release_reviewer: None,
                release_status: None,
            })
        } else {
            None
        };
        GeneralListRequest {
            filter_by,
            page_size: self.page_size.map(i64::from),
            pagination_key,
            sort_by: self.sort_options(),
        }
    }
}

/// How to list the datasets whose release the caller reviews.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ReviewListOptions {
    /// Page size, sort and limit; the record type is ignored.
    pub list: ListOptions,
    /// Keeps only datasets in this release state.
    pub release_status: Option<QueryDatasetReleaseStatusType>,
    /// Keeps only datasets whose reviewer is this Person id.
    pub release_reviewer: Option<String>,
}

impl ReviewListOptions {
    pub(crate) fn review_request(
        &self,
        pagination_key: Option<JsonObject>,
    ) -> ListUserReviewingDatasetsRequest {
        ListUserReviewingDatasetsRequest {
            filter_by: FilterOptions {
                item_subtype: Some(ItemSubType::Dataset),
                record_type: None,
                release_reviewer: self.release_reviewer.clone(),
                release_status: self.release_status.clone(),
            },
            page_size: self.list.page_size.map(i64::from),
            pagination_key,
            sort_by: self.list.sort_options(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_send_registry_defaults() {
        let request = ListOptions::default().subtype_request(None);
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({})
        );
    }

    #[test]
    fn options_fill_request() {
        let options = ListOptions {
            page_size: Some(7),
            sort_type: Some(SortType::DisplayName),
            ascending: true,
            record_type: Some(QueryRecordTypes::All),
            ..ListOptions::default()
        };
        let key = serde_json::json!({"id": "10378.1/1"});
        let request = options.subtype_request(Some(key.clone()));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "filter_by": {"record_type": "ALL"},
                "page_size": 7,
                "pagination_key": key,
                "sort_by": {"ascending": true, "sort_type": "DISPLAY_NAME"},
            })
        );
    }

    #[test]
    fn empty_prefix_sets_no_filter() {
        let options = ListOptions {
            begins_with: Some(String::new()),
            ..ListOptions::default()
        };
        assert_eq!(
            serde_json::to_value(options.subtype_request(None)).unwrap(),
            serde_json::json!({})
        );
    }
}
