//! A small HTTP/1.1 keep-alive client and the load loops of the HTTP benchmarks.
//!
//! Hand-rolled on purpose: requests are prebuilt byte strings and only the status line
//! and framing headers of a response are parsed, so the generator spends little of its
//! core per request and the same code drives the Rust, FastAPI and Express servers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::args::Args;
use crate::stats::summary;
use crate::Res;

/// Password of every admin the benchmarks create.
pub const PASSWORD: &str = "bench-password-123";

/// Name of the `i`th seeded tenant.
pub fn org_name(i: usize) -> String {
    format!("Bench Org {i}")
}

/// Email of the `i`th seeded tenant's admin.
pub fn admin_email(i: usize) -> String {
    format!("bench{i}@bench.example")
}

/// `host:port` of a base URL such as `http://127.0.0.1:8000`.
fn authority(url: &str) -> Res<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    Ok(rest.trim_end_matches('/').to_owned())
}

fn get_request(host: &str, name: &str) -> Vec<u8> {
    let query: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("GET /org/get?organization_name={query} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
}

fn post_request(host: &str, path: &str, body: &Value) -> Vec<u8> {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn login_request(host: &str, i: usize) -> Vec<u8> {
    post_request(
        host,
        "/admin/login",
        &json!({ "email": admin_email(i), "password": PASSWORD }),
    )
}

/// One keep-alive connection; reconnects when the server closes it.
pub struct Conn {
    host: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// Body of the last response (raw bytes, chunk framing included if any).
    pub body: Vec<u8>,
}

impl Conn {
    pub fn new(host: &str) -> Conn {
        Conn {
            host: host.to_owned(),
            stream: None,
            buf: Vec::with_capacity(8192),
            body: Vec::new(),
        }
    }

    /// Send a request and read its response; the status code.
    pub async fn send(&mut self, request: &[u8]) -> Res<u16> {
        // A kept-alive connection the server closed meanwhile fails at once: retry once on
        // a fresh connection.
        for attempt in 0..2 {
            let reused = self.stream.is_some();
            match self.try_send(request).await {
                Ok(status) => return Ok(status),
                Err(e) => {
                    self.stream = None;
                    self.buf.clear();
                    if !reused || attempt == 1 {
                        return Err(e);
                    }
                }
            }
        }
        unreachable!("the second attempt returns")
    }

    async fn try_send(&mut self, request: &[u8]) -> Res<u16> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.host).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(request).await?;
        let (status, close) = read_response(stream, &mut self.buf, &mut self.body).await?;
        if close {
            self.stream = None;
            self.buf.clear();
        }
        Ok(status)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Res<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err("connection closed by the server".into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Read one response: its status and whether the server will close the connection.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    body: &mut Vec<u8>,
) -> Res<(u16, bool)> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        read_more(stream, buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end])?;
    let status: u16 = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {:?}", head.lines().next()))?;
    let (mut length, mut chunked, mut close) = (0usize, false, head.starts_with("HTTP/1.0"));
    for line in head.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse()?,
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => close = value.contains("close"),
            _ => {}
        }
    }
    let end = if chunked {
        let mut pos = head_end;
        loop {
            let line_end = loop {
                if let Some(i) = find(&buf[pos..], b"\r\n") {
                    break pos + i;
                }
                read_more(stream, buf).await?;
            };
            let size_text = std::str::from_utf8(&buf[pos..line_end])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
            pos = line_end + 2;
            if size == 0 {
                // Trailers, up to an empty line.
                loop {
                    let line_end = loop {
                        if let Some(i) = find(&buf[pos..], b"\r\n") {
                            break pos + i;
                        }
                        read_more(stream, buf).await?;
                    };
                    let empty = line_end == pos;
                    pos = line_end + 2;
                    if empty {
                        break;
                    }
                }
                break pos;
            }
            while buf.len() < pos + size + 2 {
                read_more(stream, buf).await?;
            }
            pos += size + 2;
        }
    } else {
        while buf.len() < head_end + length {
            read_more(stream, buf).await?;
        }
        head_end + length
    };
    body.clear();
    body.extend_from_slice(&buf[head_end..end]);
    buf.drain(..end);
    Ok((status, close))
}

/// `POST /org/create` the tenants `0..orgs` (admin `bench{i}@bench.example`); counts
/// those created and those that already existed.
pub async fn seed(args: &Args) -> Res<Value> {
    let host = authority(&args.req::<String>("url")?)?;
    let orgs: usize = args.get("orgs", 16)?;
    let conc: usize = args.get("conc", 4)?;
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (host, next) = (host.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&host);
            let (mut created, mut existing) = (0u64, 0u64);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= orgs {
                    break;
                }
                let body = json!({
                    "organization_name": org_name(i),
                    "email": admin_email(i),
                    "password": PASSWORD,
                });
                match conn
                    .send(&post_request(&host, "/org/create", &body))
                    .await?
                {
                    201 => created += 1,
                    400 => existing += 1,
                    status => {
                        let body = String::from_utf8_lossy(&conn.body).into_owned();
                        return Err(format!("POST /org/create: {status} {body}").into());
                    }
                }
            }
            Res::Ok((created, existing))
        }));
    }
    let (mut created, mut existing) = (0, 0);
    for task in tasks {
        let (c, e) = task.await??;
        created += c;
        existing += e;
    }
    Ok(json!({
        "created": created,
        "existing": existing,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// Closed-loop load: `conc` connections, each sending its next request as soon as the
/// last one is answered. Requests started during the `secs` after `warmup` count.
async fn closed_loop(
    host: &str,
    conc: usize,
    warmup: Duration,
    secs: Duration,
    request: impl Fn(usize) -> Vec<u8>,
) -> Res<Value> {
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + secs);
    let mut tasks = Vec::new();
    for c in 0..conc {
        let request = request(c);
        let host = host.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&host);
            let mut latencies = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            let mut first_error = None;
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                let outcome = conn.send(&request).await;
                let micros = t0.elapsed().as_micros() as u64;
                let ok = matches!(outcome, Ok(200));
                if !ok && first_error.is_none() {
                    first_error = Some(match outcome {
                        Ok(status) => format!("{status} {}", String::from_utf8_lossy(&conn.body)),
                        Err(e) => e.to_string(),
                    });
                }
                if t0 >= from {
                    if ok {
                        latencies.push(micros);
                    } else {
                        errors += 1;
                    }
                }
                if !ok {
                    // Do not spin on a refusing server.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let (mut all, mut errors, mut first_error) = (Vec::new(), 0, None);
    for task in tasks {
        let (latencies, e, first) = task.await?;
        all.extend(latencies);
        errors += e;
        first_error = first_error.or(first);
    }
    let ok = all.len();
    Ok(json!({
        "conc": conc,
        "seconds": secs.as_secs_f64(),
        "ok": ok,
        "errors": errors,
        "first_error": first_error,
        "per_second": ok as f64 / secs.as_secs_f64(),
        "latency": summary(all),
    }))
}

fn durations(args: &Args) -> Res<(Duration, Duration)> {
    Ok((
        Duration::from_secs_f64(args.get("warmup", 1.0)?),
        Duration::from_secs_f64(args.get("secs", 5.0)?),
    ))
}

/// `GET /org/get?organization_name=--name` at `--conc` connections.
pub async fn get_load(args: &Args) -> Res<Value> {
    let host = authority(&args.req::<String>("url")?)?;
    let name = args.get("name", org_name(0))?;
    let (warmup, secs) = durations(args)?;
    let request = get_request(&host, &name);
    closed_loop(&host, args.get("conc", 32)?, warmup, secs, |_| {
        request.clone()
    })
    .await
}

/// `POST /admin/login` at `--conc` connections, connection `c` logging in as admin
/// `c % --admins` (successful logins only).
pub async fn login_load(args: &Args) -> Res<Value> {
    let host = authority(&args.req::<String>("url")?)?;
    let admins: usize = args.get("admins", 16)?;
    let (warmup, secs) = durations(args)?;
    closed_loop(&host, args.get("conc", 8)?, warmup, secs, |c| {
        login_request(&host, c % admins)
    })
    .await
}

/// One connection sending `GET /org/get` every `interval`: latencies.
async fn probe(host: &str, request: &[u8], interval: Duration, secs: Duration) -> Res<Vec<u64>> {
    let mut conn = Conn::new(host);
    // Connect and warm the path before measuring.
    for _ in 0..20 {
        conn.send(request).await?;
    }
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let until = Instant::now() + secs;
    let mut latencies = Vec::new();
    while Instant::now() < until {
        tick.tick().await;
        let t0 = Instant::now();
        let status = conn.send(request).await?;
        if status != 200 {
            return Err(format!("probe GET /org/get: {status}").into());
        }
        latencies.push(t0.elapsed().as_micros() as u64);
    }
    Ok(latencies)
}

/// `GET /org/get` latency from a paced probe (one request every `--interval-us`), first
/// at rest, then while `--conc` connections log in back to back.
pub async fn storm(args: &Args) -> Res<Value> {
    let host = authority(&args.req::<String>("url")?)?;
    let name = args.get("name", org_name(0))?;
    let admins: usize = args.get("admins", 16)?;
    let conc: usize = args.get("conc", 8)?;
    let interval = Duration::from_micros(args.get("interval-us", 2000)?);
    let (settle, secs) = durations(args)?;
    let request = get_request(&host, &name);

    let rest = probe(&host, &request, interval, secs).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let logins = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let mut storm = Vec::new();
    for c in 0..conc {
        let (host, stop, logins, failures) =
            (host.clone(), stop.clone(), logins.clone(), failures.clone());
        let request = login_request(&host, c % admins);
        storm.push(tokio::spawn(async move {
            let mut conn = Conn::new(&host);
            while !stop.load(Ordering::Relaxed) {
                if let Ok(200) = conn.send(&request).await {
                    logins.fetch_add(1, Ordering::Relaxed);
                } else {
                    failures.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }));
    }
    tokio::time::sleep(settle).await;
    let before = logins.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let during = probe(&host, &request, interval, secs).await;
    let storm_logins = logins.load(Ordering::Relaxed) - before;
    let storm_secs = t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for task in storm {
        task.await?;
    }
    let during = during?;
    let (rest, during) = (summary(rest), summary(during));
    let ratio =
        during["p99_us"].as_f64().unwrap_or(f64::NAN) / rest["p99_us"].as_f64().unwrap_or(f64::NAN);
    Ok(json!({
        "interval_us": interval.as_micros() as u64,
        "storm_conc": conc,
        "rest": rest,
        "storm": during,
        "p99_ratio": ratio,
        "storm_logins_per_second": storm_logins as f64 / storm_secs,
        "storm_failures": failures.load(Ordering::Relaxed),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_well_formed() {
        let get = String::from_utf8(get_request("h:1", "Bench Org 0")).unwrap();
        assert!(get.starts_with("GET /org/get?organization_name=Bench%20Org%200 HTTP/1.1\r\n"));
        assert!(get.ends_with("\r\n\r\n"));
        let post = String::from_utf8(login_request("h:1", 3)).unwrap();
        let (head, body) = post.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert!(body.contains("bench3@bench.example"));
    }

    #[tokio::test]
    async fn reads_length_and_chunked_responses() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                .await
                .unwrap();
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        let mut conn = Conn::new(&host);
        assert_eq!(conn.send(b"GET / HTTP/1.1\r\n\r\n").await.unwrap(), 200);
        assert_eq!(conn.body, b"ok");
        assert_eq!(conn.send(b"GET / HTTP/1.1\r\n\r\n").await.unwrap(), 404);
        assert_eq!(conn.send(b"GET / HTTP/1.1\r\n\r\n").await.unwrap(), 201);
        assert!(conn.stream.is_none());
    }
}
