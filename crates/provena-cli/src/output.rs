//! Printing results as text for people or as JSON for scripts.

use std::io::Write as _;

use serde::Serialize;

use crate::exit::Failure;

/// Where results go: text for people, or one JSON document for scripts.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Prints JSON when `json` is set, text otherwise.
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Reports whether results are printed as JSON.
    pub fn is_json(self) -> bool {
        self.json
    }

    /// Prints `value` as pretty JSON when JSON output is on, else the text from `human`.
    pub fn emit<T: Serialize>(
        self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.json {
            let text = serde_json::to_string_pretty(value).map_err(|err| {
                Failure::local(format!("failed to format the result as JSON: {err}"))
            })?;
            write_line(&text)
        } else {
            write_line(human().trim_end())
        }
    }

    /// Prints a progress line for people on standard error; silent in JSON mode.
    pub fn note(self, text: &str) {
        if !self.json {
            eprintln!("{text}");
        }
    }
}

/// Prints one line to standard output and ignores write failures. Use [`write_line`] where
/// a failure must be reported.
pub fn print_line(text: &str) {
    let _ = write_line(text);
}

/// Writes one line to standard output. A closed pipe counts as success: the reader has
/// all it wanted.
///
/// # Errors
///
/// A local failure when standard output cannot be written, such as a full disk.
pub fn write_line(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(Failure::local(format!(
            "cannot write the result to standard output: {err}"
        ))
        .hint("check where standard output is redirected to, such as a full disk")),
    }
}

/// Formats a JSON value as indented text, for human output of open-ended data.
pub fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|err| format!("<unprintable: {err}>"))
}
