//! The cost of `HttpClient` over a bare hyper client, on loopback.
//!
//! The server runs in a child process, as a real service would, so its work does not share
//! the measured runtime. It is a hyper HTTP/1.1 server on 127.0.0.1 that responds to every
//! GET with the same JSON body of about 22 KB, shaped like one page of a registry list. The
//! clients send plain HTTP/1.1 with keep-alive and read the whole body into memory.
//!
//! - `sequential`: N GETs one after another. The bare side is one
//!   `hyper::client::conn::http1` connection, and `HttpClient` reuses one pooled connection.
//! - `concurrent`: N GETs at once. An HTTP/1.1 connection carries one request at a time, so
//!   here the bare side is hyper-util's pooled client with no middleware, and both sides
//!   open as many connections as they need. The summary also compares against one bare
//!   connection, on which the GETs queue.
//!
//! `HttpClient` adds its whole stack: the tracing span (no subscriber is installed), both
//! timeouts, the retry policy, the bearer token from a static provider, the user agent, the
//! pool and the size-limited body read.
//!
//! Target: this layer adds at most 10 % to the time of bare hyper. Besides the criterion
//! groups, the run prints the median ratio over rounds of back-to-back batches, on the
//! multi-threaded runtime that `#[tokio::main]` builds. It also
//! prints the sequential case on a current-thread runtime, where the client's own CPU time
//! weighs most. Run it with `cargo bench -p provena-http --bench client` or
//! `cargo xtask bench`.
//!
//! On a shared 2-core Linux VM, 14 runs printed ratios with medians of about 1.07 for the
//! sequential case, 1.05 for the concurrent case and 1.08 on one thread. Single runs of the
//! sequential case ranged from 1.01 to 1.15, because timings on that machine vary by about
//! 5 % from one run to the next. The printed middle half of the rounds shows the spread.
//!
//! NOTE: when the server also runs on the client's thread, so that only CPU time counts,
//! the ratio is about 1.3. Counted with valgrind's callgrind, a GET through `HttpClient`
//! takes about 30,000 instructions on the client side against 16,000 for bare hyper. About
//! 3,000 of the difference are byte copies of the request future.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use http::Method;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use provena_http::{Config, HttpClient, Service, StaticToken};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::Mutex;

/// Requests per measured batch.
const BATCH: usize = 100;

/// Set in the child process that serves the responses.
const SERVER_VARIABLE: &str = "PROVENA_BENCH_SERVER";

/// Builds a JSON body shaped like a registry list page: 25 items of about 800 bytes.
fn list_page() -> Bytes {
    let items: Vec<serde_json::Value> = (0..25)
        .map(|index| {
            serde_json::json!({
                "id": format!("10378.1/{}", 1_690_000 + index),
                "item_category": "ENTITY",
                "item_subtype": "MODEL",
                "owner_username": "writer@example.org",
                "created_timestamp": 1_700_000_000 + index,
                "updated_timestamp": 1_700_000_500 + index,
                "record_type": "COMPLETE_ITEM",
                "display_name": format!("Catchment water quality model, revision {index}"),
                "user_metadata": {"project": "reef", "region": "wet tropics"},
                "name": format!("Water quality model {index}"),
                "description": "Simulates sediment and nutrient loads from paddock to reef \
                    for each sub-catchment, driven by daily rainfall and land use.",
                "documentation_url": "https://docs.example.org/models/water-quality",
                "source_url": "https://git.example.org/models/water-quality",
                "history": [{
                    "id": 0,
                    "timestamp": 1_700_000_000 + index,
                    "reason": "Initial record creation",
                    "username": "writer@example.org",
                    "item": {"display_name": format!("Water quality model {index}")}
                }],
                "versioning_info": null,
                "workflow_links": {"create_activity_workflow_id": "10378.1/1700001"}
            })
        })
        .collect();
    let page = serde_json::json!({
        "status": {"success": true, "details": "Successfully listed items"},
        "items": items,
        "total_item_count": 25,
        "pagination_key": {"id": "10378.1/1690024", "item_subtype": "MODEL", "updated_timestamp": 1_700_000_524}
    });
    Bytes::from(page.to_string())
}

/// Runs the server of the child process: it prints its address, then serves until the
/// parent kills it.
fn serve() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        println!("listening on {addr}");
        let body = list_page();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            stream.set_nodelay(true).expect("set TCP_NODELAY");
            let body = body.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| {
                    let mut response = http::Response::new(Full::new(body.clone()));
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

/// The server's child process, killed on drop.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn spawn() -> ServerProcess {
        let executable = std::env::current_exe().expect("path of the benchmark binary");
        let mut child = Command::new(executable)
            .env(SERVER_VARIABLE, "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let stdout = child.stdout.take().expect("server stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("server address line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("unexpected server line: {line:?}"));
        ServerProcess { child, addr }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The clients under comparison.
struct Clients {
    provena: HttpClient,
    single: Arc<Mutex<SendRequest<Empty<Bytes>>>>,
    pooled: Client<HttpConnector, Empty<Bytes>>,
    uri: http::Uri,
}

impl Clients {
    async fn new(addr: SocketAddr) -> Clients {
        let base = format!("http://{addr}");
        let config = Config::builder()
            .single_base(&base)
            .build()
            .expect("loopback config");
        let provena =
            HttpClient::new(config, Arc::new(StaticToken::new("bench-token"))).expect("client");

        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let pooled = Client::builder(TokioExecutor::new()).build(connector);
        let uri = format!("{base}/registry/entity/list").parse().expect("URI");
        Clients {
            provena,
            single: Arc::new(Mutex::new(sender)),
            pooled,
            uri,
        }
    }

    async fn provena_get(&self) -> usize {
        self.provena
            .request(Service::Registry, Method::GET, "/entity/list")
            .send_bytes()
            .await
            .expect("provena GET")
            .len()
    }

    async fn single_get(&self) -> usize {
        let mut sender = self.single.lock().await;
        sender.ready().await.expect("connection ready");
        let request = http::Request::get(self.uri.clone())
            .body(Empty::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("bare GET");
        let body = response.into_body().collect().await.expect("body");
        body.to_bytes().len()
    }

    async fn pooled_get(&self) -> usize {
        let request = http::Request::get(self.uri.clone())
            .body(Empty::new())
            .expect("request");
        let response = self.pooled.request(request).await.expect("pooled GET");
        let body = response.into_body().collect().await.expect("body");
        body.to_bytes().len()
    }

    async fn get(&self, side: Side) -> usize {
        match side {
            Side::Provena => self.provena_get().await,
            Side::Single => self.single_get().await,
            Side::Pooled => self.pooled_get().await,
        }
    }

    async fn sequential(&self, side: Side) -> usize {
        let mut total = 0;
        for _ in 0..BATCH {
            total += self.get(side).await;
        }
        total
    }

    async fn concurrent(&self, side: Side) -> usize {
        let gets = (0..BATCH).map(|_| self.get(side));
        futures::future::join_all(gets).await.into_iter().sum()
    }

    async fn batch(&self, side: Side, concurrent: bool) -> usize {
        if concurrent {
            self.concurrent(side).await
        } else {
            self.sequential(side).await
        }
    }
}

/// The client that sends a batch.
#[derive(Debug, Clone, Copy)]
enum Side {
    /// `HttpClient` with its whole middleware stack.
    Provena,
    /// Bare hyper on one keep-alive connection.
    Single,
    /// hyper-util's pooled client without middleware.
    Pooled,
}

fn criterion_groups(
    criterion: &mut Criterion,
    runtime: &Runtime,
    clients: &Clients,
    body_len: usize,
) {
    let mut group = criterion.benchmark_group("get_list_page");
    group.throughput(Throughput::Bytes((body_len * BATCH) as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    let cases = [
        ("sequential", "provena-http", Side::Provena, false),
        ("sequential", "bare-hyper", Side::Single, false),
        ("concurrent", "provena-http", Side::Provena, true),
        ("concurrent", "bare-hyper", Side::Pooled, true),
    ];
    for (mode, name, side, concurrent) in cases {
        group.bench_function(BenchmarkId::new(mode, name), |bencher| {
            bencher
                .to_async(runtime)
                .iter(|| clients.batch(side, concurrent));
        });
    }
    group.finish();
}

/// The outcome of interleaved rounds: the median batch time of each side, and the median and
/// quartiles of the per-round ratios.
struct Comparison {
    provena: Duration,
    bare: Duration,
    ratio: f64,
    lower_quartile: f64,
    upper_quartile: f64,
}

/// Times `rounds` pairs of batches, one of `HttpClient` and one of `bare`, taking turns at
/// going first. Each pair runs back to back under the same machine load, and the median over
/// the pairs discards the rounds that a burst of other work disturbed.
fn interleaved(
    runtime: &Runtime,
    clients: &Clients,
    rounds: usize,
    bare: Side,
    concurrent: bool,
) -> Comparison {
    let time = |side: Side| {
        let started = Instant::now();
        let bytes = runtime.block_on(clients.batch(side, concurrent));
        assert!(bytes > 0, "no body received");
        started.elapsed()
    };
    let mut provena_times = Vec::with_capacity(rounds);
    let mut bare_times = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (provena, bare) = if round % 2 == 0 {
            let provena = time(Side::Provena);
            (provena, time(bare))
        } else {
            let bare = time(bare);
            (time(Side::Provena), bare)
        };
        provena_times.push(provena);
        bare_times.push(bare);
        ratios.push(provena.as_secs_f64() / bare.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    Comparison {
        provena: median(&mut provena_times),
        bare: median(&mut bare_times),
        ratio: ratios[ratios.len() / 2],
        lower_quartile: ratios[ratios.len() / 4],
        upper_quartile: ratios[ratios.len() * 3 / 4],
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Prints one comparison line.
fn report(label: &str, comparison: &Comparison) {
    println!(
        "{label:<44}  provena-http {:>8.3} ms  bare {:>8.3} ms  ratio {:.3} \
         (middle half {:.3} to {:.3}; target <= 1.100)",
        comparison.provena.as_secs_f64() * 1e3,
        comparison.bare.as_secs_f64() * 1e3,
        comparison.ratio,
        comparison.lower_quartile,
        comparison.upper_quartile,
    );
}

fn main() {
    if std::env::var_os(SERVER_VARIABLE).is_some() {
        serve();
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then one short
    // round checks that the benchmark still runs.
    let full_run = std::env::args().any(|arg| arg == "--bench");
    let server = ServerProcess::spawn();
    let body_len = list_page().len();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let clients = runtime.block_on(Clients::new(server.addr));

    let mut criterion = Criterion::default().configure_from_args();
    criterion_groups(&mut criterion, &runtime, &clients, body_len);
    criterion.final_summary();

    let rounds = if full_run { 401 } else { 1 };
    println!(
        "\nresponse body: {body_len} bytes, {BATCH} GETs per batch, {rounds} interleaved rounds; \
         median batch times and median ratio"
    );
    let comparisons = [
        ("sequential, one bare connection", Side::Single, false),
        ("concurrent, bare pooled client", Side::Pooled, true),
        (
            "concurrent, one bare connection (queued)",
            Side::Single,
            true,
        ),
    ];
    for (label, bare_side, concurrent) in comparisons {
        let comparison = interleaved(&runtime, &clients, rounds, bare_side, concurrent);
        report(label, &comparison);
    }
    drop(clients);
    drop(runtime);

    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("current-thread runtime");
    let clients = current_thread.block_on(Clients::new(server.addr));
    let comparison = interleaved(&current_thread, &clients, rounds, Side::Single, false);
    report("sequential, one bare connection, one thread", &comparison);
}
