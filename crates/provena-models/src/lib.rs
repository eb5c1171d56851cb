//! Serde types for every Provena request and response body.
//!
//! Each component schema of the seven Provena API documents (registry, datastore, prov,
//! jobs, search, id-service and auth) is one Rust type here, named exactly as the schema
//! and re-exported at the crate root: `provena_models::ItemDataset`,
//! `provena_models::ItemSubType`, and so on. The same types are grouped by domain in the
//! modules [`registry`], [`datastore`], [`prov`], [`jobs`], [`search`], [`handles`],
//! [`auth`] and [`common`]. The service crates build their requests from
//! these types and decode their responses into them.
//!
//! ```
//! use provena_models::{ItemSubType, VersionRequest};
//!
//! let request = VersionRequest {
//!     id: "10378.1/1690000".to_owned(),
//!     reason: "New calibration data".to_owned(),
//! };
//! let body = serde_json::to_value(&request)?;
//! assert_eq!(body["id"], "10378.1/1690000");
//!
//! // An enum value this version does not know still decodes, and keeps its text.
//! let subtype: ItemSubType = serde_json::from_str("\"NOTEBOOK\"")?;
//! assert_eq!(subtype, ItemSubType::Unknown("NOTEBOOK".to_owned()));
//! assert_eq!(subtype.as_str(), "NOTEBOOK");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # How the types map the schemas
//!
//! - Fields keep their wire names. The one Rust keyword among them, `type`, becomes
//!   `type_` with `#[serde(rename = "type")]`.
//! - Required fields are plain. A field that is optional, or may be `null`, is an
//!   `Option` that is left out of the JSON when `None`. The Python client sends
//!   `model.json(exclude_none=True)`, so requests built here carry the same fields.
//!   Fields with a server-side default (such as `relevant: false`) are optional too: leave
//!   them `None` and the server applies its default.
//! - Unknown fields are ignored when decoding, so a newer server that adds a field does not
//!   break an older client. None of the types use `deny_unknown_fields`, even where the
//!   schema declares `additionalProperties: false`, because that is a check the server
//!   makes on requests, and enforcing it on responses would turn every added field into an
//!   error.
//!   Re-encoding a decoded value drops the unknown fields, so the SDK never sends one.
//! - String enums are Rust enums with an extra `Unknown(String)` variant. A value this
//!   version does not know decodes into it and encodes back unchanged. The enums are
//!   `#[non_exhaustive]`, so new known variants can be added without a breaking change.
//! - `format: date` fields are [`time::Date`], written as `YYYY-MM-DD`. `format: date-time`
//!   fields are [`time::OffsetDateTime`] in RFC 3339. Timestamps that the documents type as
//!   integers (epoch seconds) stay `i64`.
//! - Objects the documents leave open stay [`serde_json::Value`] behind a named alias:
//!   [`PaginationKey`], [`LineageGraph`], [`JsonSchema`], or [`JsonObject`] elsewhere.
//!   Maps with typed values (`additionalProperties: {"type": "string"}`) are `BTreeMap`s.
//! - A union of several shapes without a discriminator becomes an untagged enum named
//!   after its members (`StringOrInteger`). The one union that matters to callers, a
//!   registry item that is either complete or a seed, is [`ItemOrSeed`], written by hand:
//!   it decides by the item's `record_type` instead of trying each shape in turn.
//!
//! # Sensitive fields
//!
//! Some types carry secrets: [`User`] has the caller's `access_token`, [`Credentials`]
//! has temporary AWS keys, and [`PresignedURLResponse`] and [`CredentialResponse`] have
//! URLs whose query string grants access. Printing such a value with `{:?}`, for example
//! in a log line or a test failure, must not leak them. For these types the generator
//! writes a `Debug` impl that hides the sensitive fields, in place of the derive. Every
//! other field prints as the derive would print it. Serialization is unchanged, so the
//! values still go over the wire in full.
//!
//! The generator picks the fields by their wire name, lower-cased:
//!
//! - A name containing `presigned`, `signed_url` or `session_url` is a signed URL. It
//!   prints with the scheme, host and path kept and the query and fragment replaced, as
//!   `"https://bucket.s3.amazonaws.com/path/file.csv?<redacted>"`. User info before the
//!   host, if any, is replaced as well.
//! - Otherwise, a name containing `token`, `secret`, `password`, `passphrase`,
//!   `signature`, `private_key`, `api_key`, `access_key` or `user_info` is a secret and
//!   prints as `<redacted>`. This covers `access_token`, `aws_access_key_id`,
//!   `aws_secret_access_key` and `aws_session_token`.
//! - An optional hidden field still shows whether it is set: `None` or `Some(<redacted>)`.
//!
//! Names such as `session_id` or `pagination_key` are identifiers, not secrets, and
//! print normally. A struct that only contains a sensitive type, such as the
//! `credentials` field of [`CredentialResponse`], relies on that type's own `Debug`.
//! The documentation of each affected type lists the fields it hides.
//!
//! ## Open JSON values
//!
//! A field that holds open JSON ([`JsonObject`] or one of its aliases, alone or in an
//! `Option`, `Vec`, map or pair) can carry secrets the documents do not describe: a job's
//! `payload` holds the caller's encrypted `user_info`, and a report job's `result` holds a
//! presigned download URL. Such a field prints as JSON-shaped text, `{"key": value}` and
//! `[a, b]` with strings quoted, and `{:#?}` indents it. While printing, the name rule
//! above is applied to every object key at any depth, so `{"user_info": <redacted>}`, and
//! every URL written as `scheme://host...` that has a query, fragment or user info prints
//! without them, whether it is a whole string, a word inside a longer string, or an object
//! key. URLs without those parts, and all other strings, print unchanged.
//!
//! ```
//! let job: provena_models::JobStatusTable = serde_json::from_value(serde_json::json!({
//!     "session_id": "job-1", "created_timestamp": 0, "username": "writer",
//!     "job_type": "REGISTRY", "job_sub_type": "GENERATE_REPORT", "status": "SUCCEEDED",
//!     "payload": {"id": "10378.1/1", "user_info": "gAAAAB..."},
//!     "result": {"url": "https://bucket.s3.amazonaws.com/report.docx?X-Amz-Signature=abc"}
//! }))?;
//! let printed = format!("{job:?}");
//! assert!(printed.contains(r#"payload: {"id": "10378.1/1", "user_info": <redacted>}"#));
//! assert!(printed.contains(r#""url": "https://bucket.s3.amazonaws.com/report.docx?<redacted>""#));
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! NOTE: only open JSON values are searched for URLs. A typed string field whose name
//! does not match the rule, such as a job's `info` message, prints in full even if it
//! contains a URL with a query.
//!
//! # Schemas defined by several services
//!
//! Some schemas appear in more than one document (`ItemDataset` in the registry and the
//! datastore, `User` in all seven). Each becomes one type. The versions must agree on
//! their fields, field types and enum values, and the generator stops with an error when
//! they do not. They may disagree on nullability: the registry writes optional fields as
//! `anyOf` with `{"type": "null"}`, while other services write the bare type. A field that
//! is optional or nullable in any version is an `Option`, so the one type decodes what
//! every service sends. The type goes in the module of the first service that defines it,
//! in the order registry, datastore, prov, jobs, search, id-service, auth, or in `common`
//! when three or more services define it.
//!
//! # How the code is generated
//!
//! The types under `src/generated/` are written by `cargo xtask codegen --spec-dir DIR`
//! from the API documents and checked in; `cargo xtask codegen --check` fails when they
//! are out of date. The generator is a small emitter of its own: it reads the schemas with
//! `serde_json`, writes Rust source, and formats it with `syn` and `prettyplease`. A
//! general JSON Schema generator such as `typify` was not used, because the documents need
//! handling it does not offer: they use `"type": "null"` inside `anyOf` and tuple-style
//! `items` arrays (neither valid OpenAPI 3.0), the same schema name recurs across seven
//! documents and must merge into one type, and enums need a fallback variant that keeps
//! unknown values. An emitter of a few hundred lines does all of that and produces code
//! that reads like the rest of the crate.
//!
//! The rest of the crate is written by hand: this file, [`ItemOrSeed`], the date format,
//! and [`kinds`], the traits that tie each registry item subtype to its types.

mod generated;
mod item_or_seed;
pub mod kinds;
mod redact;
mod sensitive_names;
mod serde_date;

pub use generated::*;
pub use item_or_seed::ItemOrSeed;

/// A JSON object whose keys the API documents leave open. Decoded as any JSON value, so
/// an unexpected shape never fails a response.
pub type JsonObject = serde_json::Value;

/// The position in a paged list that the server returns with each page. Send it back
/// unchanged to get the next page. The registry sends an object with `id`,
/// `item_subtype` and `updated_timestamp`, but callers should not rely on its contents.
pub type PaginationKey = JsonObject;

/// A provenance graph as the prov service returns it from lineage queries.
pub type LineageGraph = JsonObject;

/// A JSON Schema document, such as the one describing dataset metadata.
pub type JsonSchema = JsonObject;
