//! A fault-injecting HTTP proxy on loopback, between the SDK clients and the emulator.
//!
//! Every request is read whole, classified by service (from the SigV4 credential scope) and
//! operation (from `X-Amz-Target`, the query protocol's `Action=`, or the method for REST APIs), and
//! then, by a seeded draw, either forwarded to the emulator or answered with a fault: throttling
//! (400 `ThrottlingException` / `Throttling`, or 503 `SlowDown` for S3), 500, 503, a dropped
//! connection (before the emulator sees the request, or after it answered), or added latency.
//! The n-th request's draw depends only on the seed and n, so a failing sequence can be replayed.
//!
//! Each connection carries one request: the proxy answers with `Connection: close`, which keeps it
//! free of HTTP/1.1 keep-alive framing while the SDK simply opens the next connection.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// One way a request can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Fault {
    /// 400 with the protocol's throttling code (`ThrottlingException`, `Throttling`), or 503
    /// `SlowDown` for S3.
    Throttle,
    /// 500 `InternalFailure`.
    ServerError,
    /// 503 `ServiceUnavailable`.
    Unavailable,
    /// The connection closes before the request reaches the emulator.
    DropBefore,
    /// The emulator handles the request, then the connection closes before the answer: the
    /// change happened but the client cannot know.
    DropAfter,
    /// The request is forwarded after a delay.
    Latency(Duration),
}

/// What to inject: a fraction of the matching requests, drawn with a seed.
#[derive(Clone, Debug)]
pub(crate) struct FaultPlan {
    /// Fraction of matching requests that fail, from 0.0 to 1.0.
    pub(crate) rate: f64,
    /// Faults drawn uniformly for a failing request.
    pub(crate) faults: Vec<Fault>,
    /// Seed of the draws.
    pub(crate) seed: u64,
    /// Only requests to this service (the SigV4 signing name: `s3`, `iam`, `codepipeline`…).
    pub(crate) service: Option<String>,
    /// Only requests for this operation (`GetPipeline`, `CreateRole`…).
    pub(crate) operation: Option<String>,
    /// At most this many faults in all (the first matching requests drawn to fail).
    pub(crate) limit: Option<u64>,
}

impl FaultPlan {
    /// No faults: every request is forwarded.
    pub(crate) fn none() -> Self {
        Self::new(0.0, &[], 0)
    }

    pub(crate) fn new(rate: f64, faults: &[Fault], seed: u64) -> Self {
        Self {
            rate,
            faults: faults.to_vec(),
            seed,
            service: None,
            operation: None,
            limit: None,
        }
    }

    pub(crate) fn service(mut self, service: &str) -> Self {
        self.service = Some(service.to_owned());
        self
    }

    pub(crate) fn operation(mut self, operation: &str) -> Self {
        self.operation = Some(operation.to_owned());
        self
    }

    /// Injects at most `n` faults; every request after those goes through.
    pub(crate) fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }
}

/// What went through the proxy.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stats {
    /// Requests received, by `service:operation`.
    pub(crate) requests: BTreeMap<String, u64>,
    /// Faults injected, by kind.
    pub(crate) faults: BTreeMap<String, u64>,
}

impl Stats {
    pub(crate) fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    pub(crate) fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }
}

struct Shared {
    upstream: String,
    plan: Mutex<FaultPlan>,
    stats: Mutex<Stats>,
    counter: AtomicU64,
    /// The request at which to trip, and who to tell.
    tripwire: Mutex<Option<(Trip, tokio::sync::oneshot::Sender<String>)>>,
}

/// Which request trips the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trip {
    /// The n-th request (from 0).
    At(u64),
    /// The first request for this operation.
    Operation(String),
}

/// A running proxy; it stops when dropped.
pub(crate) struct FaultProxy {
    endpoint: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://127.0.0.1:PORT`).
    pub(crate) async fn start(upstream: &str, plan: FaultPlan) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().expect("bound address"));
        let shared = Arc::new(Shared {
            upstream,
            plan: Mutex::new(plan),
            stats: Mutex::new(Stats::default()),
            counter: AtomicU64::new(0),
            tripwire: Mutex::new(None),
        });
        let accepting = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = Arc::clone(&accepting);
                tokio::spawn(async move {
                    // A broken client connection is the client's business (often our own drop).
                    let _ = serve(shared, client).await;
                });
            }
        });
        Self {
            endpoint,
            shared,
            task,
        }
    }

    /// Where to send requests.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Replaces the fault plan; requests already in flight keep their draw.
    pub(crate) fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().expect("plan lock") = plan;
    }

    /// Trips on the `n`-th request (from 0): it is forwarded, so the emulator acts on it, then
    /// the receiver learns its `service:operation` and the answer is held back for good: the
    /// moment to kill the client, after a change it will never hear about.
    pub(crate) fn trip_at(&self, n: u64) -> tokio::sync::oneshot::Receiver<String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        *self.shared.tripwire.lock().expect("tripwire lock") = Some((Trip::At(n), tx));
        rx
    }

    /// As [`trip_at`](Self::trip_at), on the first request for `operation`.
    pub(crate) fn trip_on(&self, operation: &str) -> tokio::sync::oneshot::Receiver<String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let trip = Trip::Operation(operation.to_owned());
        *self.shared.tripwire.lock().expect("tripwire lock") = Some((trip, tx));
        rx
    }

    /// What went through so far.
    pub(crate) fn stats(&self) -> Stats {
        self.shared.stats.lock().expect("stats lock").clone()
    }
}

/// A request read whole from the client.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn method(&self) -> &str {
        self.head.split_whitespace().next().unwrap_or("")
    }

    /// The SigV4 signing name, from `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
    fn service(&self) -> String {
        self.header("authorization")
            .and_then(|auth| auth.split("Credential=").nth(1))
            .and_then(|scope| scope.split('/').nth(3))
            .unwrap_or("unknown")
            .to_owned()
    }

    fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_owned();
        }
        let body = String::from_utf8_lossy(&self.body);
        if let Some(action) = body
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
        {
            return action.to_owned();
        }
        self.rest_operation()
    }

    /// S3's operation, from the method, the path (bucket, key) and the sub-resource in the query
    /// (`PUT /b?versioning` is `PutBucketVersioning`).
    fn rest_operation(&self) -> String {
        let target = self.head.split_whitespace().nth(1).unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let sub = query
            .split('&')
            .map(|p| p.split('=').next().unwrap_or(""))
            .find(|k| !k.is_empty() && !k.starts_with("x-id") && !k.starts_with("list-type"))
            .unwrap_or("");
        let has_key = path.trim_matches('/').contains('/');
        let capitalized = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        };
        match (self.method(), path, sub, has_key) {
            ("GET", "/", _, _) => "ListBuckets".into(),
            ("PUT", _, "", false) => "CreateBucket".into(),
            ("DELETE", _, "", false) => "DeleteBucket".into(),
            ("HEAD", _, _, false) => "HeadBucket".into(),
            ("GET", _, "versions", false) => "ListObjectVersions".into(),
            ("POST", _, "delete", false) => "DeleteObjects".into(),
            ("PUT", _, "", true) => "PutObject".into(),
            ("GET", _, "", true) => "GetObject".into(),
            ("DELETE", _, "", true) => "DeleteObject".into(),
            (method, _, sub, false) => {
                format!(
                    "{}Bucket{}",
                    capitalized(&method.to_ascii_lowercase()),
                    capitalized(sub)
                )
            }
            (method, ..) => method.to_owned(),
        }
    }

    /// The request as sent upstream, asking the emulator to close after answering.
    fn forwarded(&self) -> Vec<u8> {
        let mut out = String::new();
        for (i, line) in self.head.lines().enumerate() {
            if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
                continue;
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

async fn serve(shared: Arc<Shared>, mut client: TcpStream) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let n = shared.counter.fetch_add(1, Ordering::Relaxed);
    let (service, operation) = (request.service(), request.operation());
    let fault = {
        let mut stats = shared.stats.lock().expect("stats lock");
        let fault = {
            let plan = shared.plan.lock().expect("plan lock");
            draw(&plan, n, &service, &operation)
                .filter(|_| plan.limit.is_none_or(|limit| stats.total_faults() < limit))
        };
        *stats
            .requests
            .entry(format!("{service}:{operation}"))
            .or_default() += 1;
        if let Some(fault) = fault {
            let kind = match fault {
                Fault::Latency(_) => "Latency".to_owned(),
                other => format!("{other:?}"),
            };
            *stats.faults.entry(kind).or_default() += 1;
        }
        fault
    };

    let tripped = {
        let mut wire = shared.tripwire.lock().expect("tripwire lock");
        match wire.take() {
            Some((Trip::At(at), tx)) if at == n => Some(tx),
            Some((Trip::Operation(op), tx)) if op == operation => Some(tx),
            other => {
                *wire = other;
                None
            }
        }
    };
    if let Some(tx) = tripped {
        forward(&shared.upstream, &request).await?;
        let _ = tx.send(format!("{service}:{operation}"));
        // Hold the client's connection without answering until it dies.
        let mut sink = [0u8; 64];
        while client.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        return Ok(());
    }

    match fault {
        Some(Fault::DropBefore) => return Ok(()),
        Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::DropAfter) => {
            forward(&shared.upstream, &request).await?;
            return Ok(());
        }
        Some(error @ (Fault::Throttle | Fault::ServerError | Fault::Unavailable)) => {
            let answer = error_response(error, &service, request.header("x-amz-target").is_some());
            client.write_all(&answer).await?;
            return client.shutdown().await;
        }
        None => {}
    }
    let answer = forward(&shared.upstream, &request).await?;
    client.write_all(&with_connection_close(&answer)).await?;
    client.shutdown().await
}

/// The n-th draw of a plan: splitmix64 of (seed, n), so draws never depend on timing.
fn draw(plan: &FaultPlan, n: u64, service: &str, operation: &str) -> Option<Fault> {
    if plan.faults.is_empty()
        || plan.service.as_deref().is_some_and(|s| s != service)
        || plan.operation.as_deref().is_some_and(|o| o != operation)
    {
        return None;
    }
    let a = splitmix(plan.seed ^ splitmix(n));
    let unit = (a >> 11) as f64 / (1u64 << 53) as f64;
    (unit < plan.rate).then(|| {
        let b = splitmix(a);
        plan.faults[(b % plan.faults.len() as u64) as usize]
    })
}

pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn error_response(fault: Fault, service: &str, json_protocol: bool) -> Vec<u8> {
    let (status, reason, code) = match (fault, service) {
        (Fault::Throttle, "s3") => (503, "Slow Down", "SlowDown"),
        (Fault::Throttle, _) if json_protocol => (400, "Bad Request", "ThrottlingException"),
        (Fault::Throttle, _) => (400, "Bad Request", "Throttling"),
        (Fault::ServerError, _) => (500, "Internal Server Error", "InternalFailure"),
        _ => (503, "Service Unavailable", "ServiceUnavailable"),
    };
    let (content_type, body) = if json_protocol {
        (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"injected by the fault proxy"}}"#),
        )
    } else if service == "s3" {
        (
            "application/xml",
            format!(
                "<Error><Code>{code}</Code><Message>injected by the fault proxy</Message></Error>"
            ),
        )
    } else {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                 <Message>injected by the fault proxy</Message></Error>\
                 <RequestId>fault-proxy</RequestId></ErrorResponse>"
            ),
        )
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         x-amzn-RequestId: fault-proxy\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends the request to the emulator and returns its whole answer (it closes after answering).
async fn forward(upstream: &str, request: &Request) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&request.forwarded()).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    Ok(answer)
}

/// The answer with its `Connection` header replaced by `Connection: close`.
fn with_connection_close(answer: &[u8]) -> Vec<u8> {
    let Some(end) = find(answer, b"\r\n\r\n") else {
        return answer.to_vec();
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer[end + 4..]);
    bytes
}

/// Reads one request (head, then a `Content-Length` or chunked body); `None` on a closed socket.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut body = buffer[head_end + 4..].to_vec();
    let request = Request {
        head,
        body: Vec::new(),
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if chunked {
        // Keep the chunked framing as is (the emulator decodes it); read until the last chunk.
        while find(&body, b"0\r\n\r\n").is_none() {
            let read = client.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
    } else {
        let length: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while body.len() < length {
            let read = client.read(&mut chunk).await?;
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
    }
    Ok(Some(Request {
        head: request.head,
        body,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_only_on_seed_and_index() {
        let plan = FaultPlan::new(0.3, &[Fault::Throttle, Fault::ServerError], 7);
        let first: Vec<_> = (0..1000).map(|n| draw(&plan, n, "s3", "GET")).collect();
        let again: Vec<_> = (0..1000).map(|n| draw(&plan, n, "s3", "GET")).collect();
        assert_eq!(first, again);
        let failing = first.iter().filter(|f| f.is_some()).count();
        assert!((250..350).contains(&failing), "about 30% fail: {failing}");
        let other = FaultPlan::new(0.3, &[Fault::Throttle], 8);
        let reseeded: Vec<_> = (0..1000).map(|n| draw(&other, n, "s3", "GET")).collect();
        assert_ne!(
            first.iter().map(Option::is_some).collect::<Vec<_>>(),
            reseeded.iter().map(Option::is_some).collect::<Vec<_>>()
        );
    }

    #[test]
    fn filters_by_service_and_operation() {
        let plan = FaultPlan::new(1.0, &[Fault::Throttle], 1)
            .service("codepipeline")
            .operation("GetPipeline");
        assert_eq!(
            draw(&plan, 0, "codepipeline", "GetPipeline"),
            Some(Fault::Throttle)
        );
        assert_eq!(draw(&plan, 0, "codepipeline", "ListPipelines"), None);
        assert_eq!(draw(&plan, 0, "s3", "GetPipeline"), None);
        assert_eq!(draw(&FaultPlan::none(), 0, "s3", "GET"), None);
    }
}
