//! Encoding and decoding of the generated models, with payloads written for these tests.

use provena_models::{
    CreatedDate, HTTPValidationError, HandleProperty, ItemCategory, ItemOrSeed, ItemPerson,
    ItemSubType, JobStatus, PersonFetchResponse, PostDeleteGraphRequest, RecordType,
    StringOrInteger, ValueType,
};
use serde_json::{Value, json};
use time::macros::date;

fn person_item(record_type: &str) -> Value {
    json!({
        "id": "10378.1/1700001",
        "owner_username": "writer",
        "created_timestamp": 1_700_000_000,
        "updated_timestamp": 1_700_000_500,
        "item_category": "AGENT",
        "item_subtype": "PERSON",
        "record_type": record_type,
        "display_name": "Ada Byron",
        "first_name": "Ada",
        "last_name": "Byron",
        "email": "ada@example.org",
        "ethics_approved": true,
        "history": [{
            "id": 0,
            "timestamp": 1_700_000_000,
            "username": "writer",
            "reason": "Initial record",
            "item": {
                "display_name": "Ada Byron",
                "first_name": "Ada",
                "last_name": "Byron",
                "email": "ada@example.org",
                "ethics_approved": true
            }
        }]
    })
}

fn seed_item() -> Value {
    json!({
        "id": "10378.1/1700002",
        "owner_username": "writer",
        "created_timestamp": 1_700_000_000,
        "updated_timestamp": 1_700_000_000,
        "item_category": "AGENT",
        "item_subtype": "PERSON",
        "record_type": "SEED_ITEM"
    })
}

#[test]
fn enum_known_value_round_trips() {
    let subtype: ItemSubType = serde_json::from_value(json!("MODEL_RUN")).unwrap();
    assert_eq!(subtype, ItemSubType::ModelRun);
    assert_eq!(subtype.as_str(), "MODEL_RUN");
    assert_eq!(subtype.to_string(), "MODEL_RUN");
    assert_eq!(serde_json::to_value(&subtype).unwrap(), json!("MODEL_RUN"));
}

#[test]
fn enum_unknown_value_round_trips() {
    let status: JobStatus = serde_json::from_value(json!("PAUSED_FOR_REVIEW")).unwrap();
    assert_eq!(status, JobStatus::Unknown("PAUSED_FOR_REVIEW".to_owned()));
    assert_eq!(status.as_str(), "PAUSED_FOR_REVIEW");
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        json!("PAUSED_FOR_REVIEW")
    );
}

#[test]
fn enum_is_case_sensitive() {
    let category: ItemCategory = serde_json::from_value(json!("agent")).unwrap();
    assert_eq!(category, ItemCategory::Unknown("agent".to_owned()));
}

#[test]
fn enum_rejects_non_string() {
    let error = serde_json::from_value::<ItemCategory>(json!(3)).unwrap_err();
    assert!(error.to_string().contains("invalid type"), "{error}");
}

#[test]
fn enum_converts_from_and_to_string() {
    assert_eq!(ValueType::from("URL".to_owned()), ValueType::Url);
    assert_eq!(ValueType::from("DESC"), ValueType::Desc);
    assert_eq!(
        ValueType::from("EMAIL"),
        ValueType::Unknown("EMAIL".to_owned())
    );
    assert_eq!(String::from(ValueType::Desc), "DESC");
    assert_eq!(String::from(ValueType::Unknown("X".to_owned())), "X");
}

#[test]
fn optional_fields_are_skipped() {
    let request = PostDeleteGraphRequest {
        record_id: "10378.1/1700003".to_owned(),
        trial_mode: None,
    };
    let body = serde_json::to_value(&request).unwrap();
    assert_eq!(body, json!({"record_id": "10378.1/1700003"}));
}

#[test]
fn optional_field_set_is_sent() {
    let request = PostDeleteGraphRequest {
        record_id: "10378.1/1700003".to_owned(),
        trial_mode: Some(false),
    };
    let body = serde_json::to_value(&request).unwrap();
    assert_eq!(
        body,
        json!({"record_id": "10378.1/1700003", "trial_mode": false})
    );
}

#[test]
fn all_optional_struct_defaults_to_empty() {
    let body = serde_json::to_value(CreatedDate::default()).unwrap();
    assert_eq!(body, json!({}));
}

#[test]
fn missing_and_null_optionals_decode_as_none() {
    let missing: CreatedDate = serde_json::from_value(json!({})).unwrap();
    let null: CreatedDate =
        serde_json::from_value(json!({"relevant": null, "value": null})).unwrap();
    assert_eq!(missing, CreatedDate::default());
    assert_eq!(null, CreatedDate::default());
}

#[test]
fn required_field_missing_fails() {
    let error = serde_json::from_value::<PostDeleteGraphRequest>(json!({})).unwrap_err();
    assert!(error.to_string().contains("record_id"), "{error}");
}

#[test]
fn date_round_trips() {
    let input = json!({"relevant": true, "value": "2023-07-04"});
    let created: CreatedDate = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(created.value, Some(date!(2023 - 07 - 04)));
    assert_eq!(serde_json::to_value(&created).unwrap(), input);
}

#[test]
fn date_leap_day_round_trips() {
    let input = json!({"value": "2024-02-29"});
    let created: CreatedDate = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(created.value, Some(date!(2024 - 02 - 29)));
    assert_eq!(serde_json::to_value(&created).unwrap(), input);
}

#[test]
fn invalid_date_names_value() {
    let error = serde_json::from_value::<CreatedDate>(json!({"value": "2023-02-30"})).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("2023-02-30"), "{message}");
    assert!(message.contains("YYYY-MM-DD"), "{message}");
}

#[test]
fn date_time_string_is_rejected_as_date() {
    let result = serde_json::from_value::<CreatedDate>(json!({"value": "2023-07-04T00:00:00Z"}));
    assert!(result.is_err());
}

#[test]
fn item_with_unknown_fields_decodes() {
    let mut input = person_item("COMPLETE_ITEM");
    input["added_by_a_newer_server"] = json!({"nested": [1, 2, 3]});
    input["history"][0]["item"]["also_new"] = json!("x");
    let person: ItemPerson = serde_json::from_value(input).unwrap();
    assert_eq!(person.first_name, "Ada");
    assert_eq!(person.record_type, RecordType::CompleteItem);
    assert_eq!(person.item_subtype, Some(ItemSubType::Person));
    assert_eq!(person.history.len(), 1);
    assert_eq!(person.history[0].item.last_name, "Byron");
}

#[test]
fn item_round_trip_drops_unknown_fields() {
    let mut input = person_item("COMPLETE_ITEM");
    let expected = input.clone();
    input["added_by_a_newer_server"] = json!(true);
    let person: ItemPerson = serde_json::from_value(input).unwrap();
    assert_eq!(serde_json::to_value(&person).unwrap(), expected);
}

#[test]
fn fetch_response_decodes_complete_item() {
    let response: PersonFetchResponse = serde_json::from_value(json!({
        "status": {"success": true, "details": "Fetched"},
        "item": person_item("COMPLETE_ITEM"),
        "item_is_seed": false,
        "locked": false
    }))
    .unwrap();
    let item = response.item.unwrap();
    assert!(!item.is_seed());
    assert_eq!(item.complete().unwrap().email, "ada@example.org");
    assert!(item.seed().is_none());
}

#[test]
fn fetch_response_decodes_seed_item() {
    let response: PersonFetchResponse = serde_json::from_value(json!({
        "status": {"success": true, "details": "Fetched"},
        "item": seed_item(),
        "item_is_seed": true
    }))
    .unwrap();
    let item = response.item.unwrap();
    assert!(item.is_seed());
    assert_eq!(item.seed().unwrap().id, "10378.1/1700002");
    assert!(item.into_complete().is_none());
}

#[test]
fn fetch_response_missing_item_decodes() {
    let response: PersonFetchResponse = serde_json::from_value(json!({
        "status": {"success": false, "details": "Item not found"},
        "item": null
    }))
    .unwrap();
    assert!(response.item.is_none());
    assert!(!response.status.success);
}

#[test]
fn broken_complete_item_is_not_read_as_seed() {
    let mut input = person_item("COMPLETE_ITEM");
    input["first_name"] = json!(42);
    let error = serde_json::from_value::<ItemOrSeed<ItemPerson>>(input).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("invalid complete item"), "{message}");
}

#[test]
fn item_without_record_type_tries_both() {
    let mut complete = person_item("COMPLETE_ITEM");
    complete.as_object_mut().unwrap().remove("record_type");
    let mut seed = seed_item();
    seed.as_object_mut().unwrap().remove("record_type");
    // ItemPerson requires `record_type`, so neither form decodes without it.
    let error = serde_json::from_value::<ItemOrSeed<ItemPerson>>(complete).unwrap_err();
    assert!(error.to_string().contains("neither complete"), "{error}");
    assert!(serde_json::from_value::<ItemOrSeed<ItemPerson>>(seed).is_err());
}

#[test]
fn item_or_seed_encodes_inner_item() {
    let seed: ItemOrSeed<ItemPerson> = serde_json::from_value(seed_item()).unwrap();
    assert_eq!(serde_json::to_value(&seed).unwrap(), seed_item());
    let complete: ItemOrSeed<ItemPerson> =
        serde_json::from_value(person_item("COMPLETE_ITEM")).unwrap();
    assert_eq!(
        serde_json::to_value(&complete).unwrap(),
        person_item("COMPLETE_ITEM")
    );
}

#[test]
fn validation_error_location_mixes_types() {
    let error: HTTPValidationError = serde_json::from_value(json!({
        "detail": [{
            "loc": ["body", "dataset_info", 2, "name"],
            "msg": "field required",
            "type": "value_error.missing"
        }]
    }))
    .unwrap();
    let detail = &error.detail.unwrap()[0];
    assert_eq!(detail.type_, "value_error.missing");
    assert_eq!(
        detail.loc,
        vec![
            StringOrInteger::String("body".to_owned()),
            StringOrInteger::String("dataset_info".to_owned()),
            StringOrInteger::Integer(2),
            StringOrInteger::String("name".to_owned()),
        ]
    );
}

#[test]
fn keyword_field_keeps_wire_name() {
    let input = json!({"index": 1, "type": "URL", "value": "https://example.org/data"});
    let property: HandleProperty = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(property.type_, ValueType::Url);
    assert_eq!(serde_json::to_value(&property).unwrap(), input);
}
