//! Text formats the prov service reads and writes: CSV, multipart form bodies and the
//! `YYYY-MM-DD HH:MM:SS+HH:MM` times of the model run CSV.

/// Writes rows as CSV with `\r\n` line ends, quoting fields that need it, as Python's
/// `csv.writer` does.
pub(crate) fn write_csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|field| {
                if field.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", field.replace('"', "\"\""))
                } else {
                    field.clone()
                }
            })
            .collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Parses CSV text into rows. Quoted fields may hold commas, doubled quotes and line
/// breaks; blank lines are skipped.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        if quoted {
            match character {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match character {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(std::mem::take(&mut row));
                } else {
                    row.clear();
                }
            }
            other => field.push(other),
        }
    }
    if quoted {
        return Err(String::from("unexpected end of data inside a quoted field"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// Finds the part named `name` of a `multipart/form-data` body and returns its content.
pub(crate) fn multipart_field(content_type: &str, body: &[u8], name: &str) -> Option<Vec<u8>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|parameter| parameter.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut position = find(body, delimiter, 0)?;
    loop {
        let part_start = position + delimiter.len();
        if body.get(part_start..part_start + 2) == Some(b"--") {
            return None;
        }
        let next = find(body, delimiter, part_start)?;
        let part = &body[part_start..next];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let headers_end = find(part, b"\r\n\r\n", 0)?;
        let headers = String::from_utf8_lossy(&part[..headers_end]);
        let content = &part[headers_end + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let named = headers.lines().any(|line| {
            line.to_ascii_lowercase().starts_with("content-disposition")
                && line.contains(&format!("name=\"{name}\""))
        });
        if named {
            return Some(content.to_vec());
        }
        position = next;
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|found| found + from)
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or either with a `+HH:MM`/`-HH:MM`/`Z`
/// offset (`/` may replace `-` in the date) into epoch seconds. A time without an offset
/// is read as UTC.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim().replace('/', "-");
    let (date, rest) = match text.find([' ', 'T']) {
        Some(split) => (&text[..split], &text[split + 1..]),
        None => (text.as_str(), ""),
    };
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if date_parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset) = split_offset(rest)?;
    let mut clock_parts = clock.split(':');
    let mut seconds_of_day = 0_i64;
    if !clock.is_empty() {
        let hour: i64 = clock_parts.next()?.parse().ok()?;
        let minute: i64 = clock_parts.next()?.parse().ok()?;
        let second: i64 = clock_parts.next().map_or(Some(0), |s| s.parse().ok())?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        seconds_of_day = hour * 3600 + minute * 60 + second;
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds_of_day - offset)
}

/// Splits `HH:MM:SS+HH:MM` into the clock and the offset in seconds.
fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(clock) = rest.strip_suffix('Z') {
        return Some((clock, 0));
    }
    match rest.rfind(['+', '-']) {
        Some(split) => {
            let sign = if rest[split..].starts_with('-') {
                -1
            } else {
                1
            };
            let (hours, minutes) = rest[split + 1..].split_once(':')?;
            let hours: i64 = hours.parse().ok()?;
            let minutes: i64 = minutes.parse().ok()?;
            Some((&rest[..split], sign * (hours * 3600 + minutes * 60)))
        }
        None => Some((rest, 0)),
    }
}

/// Formats epoch seconds as `YYYY-MM-DD HH:MM:SS+00:00`.
pub(crate) fn format_time(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let seconds = epoch.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}+00:00",
        seconds / 3600,
        (seconds % 3600) / 60,
        seconds % 60
    )
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = u32::try_from(day_of_year - (153 * month_index + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    })
    .unwrap_or(1);
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        assert_eq!(parse_time("2023-11-14 22:13:20+00:00"), Some(1_700_000_000));
        assert_eq!(parse_time("2023-11-15 09:13:20+11:00"), Some(1_700_000_000));
        assert_eq!(parse_time("2023/11/14 22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_time("2000-10-17"), Some(971_740_800));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(format_time(1_700_000_000), "2023-11-14 22:13:20+00:00");
    }

    #[test]
    fn csv_round_trips_quotes() {
        let rows = vec![vec![
            "a,b".to_owned(),
            "say \"hi\"".to_owned(),
            String::new(),
        ]];
        let text = write_csv(&rows);
        assert_eq!(text, "\"a,b\",\"say \"\"hi\"\"\",\r\n");
        assert_eq!(parse_csv(&text).unwrap(), rows);
    }
}
