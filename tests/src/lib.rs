//! Cross-crate end-to-end suites; the tests live in `tests/`.
