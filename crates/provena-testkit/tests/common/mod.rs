//! A minimal HTTP/1.1 client over a raw TCP stream, so that tests see exactly what the
//! double sends: statuses, headers, and bodies that stop early or never come.

#![allow(dead_code)]

use std::io;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// One response as it arrived on the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the body reached the `Content-Length` (or ended with the last chunk).
    pub complete: bool,
    pub content_length: Option<usize>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the body is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request to `base` joined with `path` (which may carry a query) and reads the
/// response until the server closes the connection.
pub async fn send(
    base: &Url,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Reply> {
    let host = base.host_str().unwrap_or("127.0.0.1");
    let port = base.port_or_known_default().unwrap_or(80);
    let full_path = format!("{}{}", base.path().trim_end_matches('/'), path);
    let mut stream = TcpStream::connect((host, port)).await?;

    let mut request = format!(
        "{method} {full_path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.write_all(body).await?;

    let mut raw = Vec::new();
    let mut buffer = [0_u8; 8192];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => raw.extend_from_slice(&buffer[..read]),
            // A reset after part of the response counts as the end of what was sent.
            Err(error) if error.kind() == io::ErrorKind::ConnectionReset => break,
            Err(error) => return Err(error),
        }
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> io::Result<Reply> {
    let Some(head_end) = raw.windows(4).position(|window| window == b"\r\n\r\n") else {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the connection closed after {} bytes without a response head",
                raw.len()
            ),
        ));
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, status_line.to_owned()))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let rest = &raw[head_end + 4..];
    let find = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let content_length = find("content-length").and_then(|value| value.parse::<usize>().ok());
    let chunked = find("transfer-encoding").is_some_and(|value| value.contains("chunked"));

    let (body, complete) = if chunked {
        dechunk(rest)
    } else if let Some(length) = content_length {
        let take = rest.len().min(length);
        (rest[..take].to_vec(), rest.len() >= length)
    } else {
        (rest.to_vec(), true)
    };
    Ok(Reply {
        status,
        headers,
        body,
        complete,
        content_length,
    })
}

fn dechunk(mut rest: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|window| window == b"\r\n") else {
            return (body, false);
        };
        let size_text = String::from_utf8_lossy(&rest[..line_end]).into_owned();
        let Ok(size) = usize::from_str_radix(size_text.trim(), 16) else {
            return (body, false);
        };
        rest = &rest[line_end + 2..];
        if size == 0 {
            return (body, true);
        }
        if rest.len() < size {
            body.extend_from_slice(rest);
            return (body, false);
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

pub async fn get(base: &Url, path: &str, token: Option<&str>) -> io::Result<Reply> {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|value| vec![("Authorization", value)])
        .unwrap_or_default();
    send(base, "GET", path, &headers, b"").await
}

pub async fn post_json(
    base: &Url,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> io::Result<Reply> {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(value) = bearer.as_deref() {
        headers.push(("Authorization", value));
    }
    send(base, "POST", path, &headers, body.as_bytes()).await
}

pub async fn post_form(base: &Url, path: &str, fields: &[(&str, &str)]) -> io::Result<Reply> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    send(
        base,
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
    .await
}
