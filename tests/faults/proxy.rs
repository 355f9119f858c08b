//! A fault-injecting HTTP proxy on loopback, between the SDK clients and the emulator.
//!
//! Every request is read whole, classified by service (from the SigV4 credential scope) and
//! operation (from `X-Amz-Target`, the query protocol's `Action=`, or the method for REST APIs), and
//! then, by a seeded draw, either forwarded to the emulator or answered with a fault: throttling
//! (400 `ThrottlingException` / `Throttling`, or 503 `SlowDown` for S3), 500, 503, a dropped
//! connection (before the emulator sees the request, or after it answered), or added latency.
//! The n-th request's draw depends only on the seed and n, so a failing sequence can be replayed.
//!
//! A plan may also make S3 and the tagging API eventually consistent ([`Consistency`]): the
//! proxy remembers the last answer to each read of a bucket's configuration (`GET /b?lifecycle`,
//! `?tagging`, `?policy` ...) and, after a write to the same path (or the bucket's delete), answers
//! the next few reads of it with that old answer; after `CreateBucket`, the next few requests to
//! the bucket answer `404 NoSuchBucket`; after a delete of anything, the next few listings of the
//! tagging API answer what they answered before it. How many is drawn from the seed and the
//! write's index.
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
    /// Whether reads after writes see the old state for a while (whatever `rate` says).
    pub(crate) consistency: Option<Consistency>,
    /// At most this many faults in all (the first matching requests drawn to fail).
    pub(crate) limit: Option<u64>,
    /// Whether git's own requests pass through the proxy too: `GetRepository`'s
    /// `cloneUrlHttp` is answered with the proxy's address in place of the emulator's, so the
    /// git CLI that `push` runs reaches the repository through it.
    pub(crate) git: bool,
}

/// Eventual consistency, as AWS documents it for S3 ("Bucket configurations have an eventual
/// consistency model", the Amazon S3 User Guide, "Amazon S3 data consistency model") and as the
/// tagging API shows it (its index follows changes with a delay): reads after a write see the
/// state before it for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Consistency {
    /// The most reads that see the old state after one write (each window is drawn from 1 to
    /// this).
    pub(crate) max_stale: u64,
    /// Seed of the windows' draws.
    pub(crate) seed: u64,
}

impl Consistency {
    /// How many reads see the old state after the `n`-th write.
    fn window(self, n: u64) -> u64 {
        1 + splitmix(self.seed ^ splitmix(n)) % self.max_stale.max(1)
    }
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
            consistency: None,
            limit: None,
            git: false,
        }
    }

    /// Nothing fails, but S3 and the tagging API are eventually consistent.
    pub(crate) fn eventual(max_stale: u64, seed: u64) -> Self {
        Self {
            consistency: Some(Consistency { max_stale, seed }),
            ..Self::none()
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

    /// Routes git's requests through the proxy as well (see [`FaultPlan::git`]).
    pub(crate) fn with_git(mut self) -> Self {
        self.git = true;
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

/// One request as it went through the proxy, for tests that check what was asked of AWS.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    /// The SigV4 signing name (`s3`, `iam`, `codepipeline`…).
    pub(crate) service: String,
    /// The operation, as [`Stats::requests`] names it.
    pub(crate) operation: String,
    /// The request target: path and query.
    pub(crate) target: String,
    /// The body, as text (lossy).
    pub(crate) body: String,
}

struct Shared {
    upstream: String,
    /// The proxy's own address (`127.0.0.1:PORT`).
    own: String,
    log: Mutex<Vec<Recorded>>,
    plan: Mutex<FaultPlan>,
    stats: Mutex<Stats>,
    counter: AtomicU64,
    /// The request at which to trip, and who to tell.
    tripwire: Mutex<Option<(Trip, tokio::sync::oneshot::Sender<String>)>>,
    /// What eventual consistency remembers.
    lagging: Mutex<Lagging>,
}

/// The sub-resources of a bucket whose reads may see an old state after a write: its
/// configuration, not its objects.
const CONFIGURATION: [&str; 8] = [
    "versioning",
    "encryption",
    "publicAccessBlock",
    "ownershipControls",
    "lifecycle",
    "logging",
    "tagging",
    "policy",
];

/// What eventual consistency remembers: the last answer to each read, and the old answers
/// still served after a write.
#[derive(Default)]
struct Lagging {
    /// The last answer forwarded to each read: (`s3`, bucket, sub-resource) or (`tagging`,
    /// request body, "").
    last: BTreeMap<(String, String, String), Vec<u8>>,
    /// Old answers still served instead of the emulator's, with how many reads are left.
    stale: BTreeMap<(String, String, String), (Vec<u8>, u64)>,
    /// Buckets just created, with how many requests are left that answer `NoSuchBucket`.
    creating: BTreeMap<String, u64>,
    /// Writes seen so far (the index of each window's draw).
    writes: u64,
}

/// What eventual consistency makes of one request.
enum Seen {
    /// A read of what a write changed moments ago: the old answer, and the kind of staleness
    /// (as the stats count it).
    Stale(Vec<u8>, &'static str),
    /// A request to a bucket created moments ago.
    NoSuchBucket(String),
    /// Forward it, and remember its answer under this key if it is a read, or mark the keys a
    /// write makes stale.
    Forward(Option<Access>),
}

/// A request that eventual consistency keeps track of.
enum Access {
    /// A read, remembered under its key.
    Read((String, String, String)),
    /// A write to a bucket's configuration (a sub-resource) or to the bucket itself (none).
    Write { bucket: String, sub: Option<String> },
    /// `CreateBucket`.
    Create(String),
    /// A delete of anything else: the tagging index lags it.
    Delete,
}

impl Lagging {
    fn before(&mut self, access: Option<Access>) -> Seen {
        let key = match &access {
            Some(Access::Read(key)) => Some(key),
            _ => None,
        };
        let bucket = match &access {
            Some(Access::Read((service, bucket, _))) if service == "s3" => Some(bucket),
            Some(Access::Write { bucket, .. }) => Some(bucket),
            _ => None,
        };
        if let Some(bucket) = bucket
            && let Some(left) = self.creating.get_mut(bucket)
            && *left > 0
        {
            *left -= 1;
            return Seen::NoSuchBucket(bucket.clone());
        }
        if let Some(key) = key
            && let Some((old, left)) = self.stale.get_mut(key)
            && *left > 0
        {
            *left -= 1;
            let kind = if key.0 == "tagging" {
                "StaleListing"
            } else {
                "StaleRead"
            };
            return Seen::Stale(old.clone(), kind);
        }
        Seen::Forward(access)
    }

    fn after(&mut self, access: Access, answer: &[u8], c: Consistency) {
        let ok = answer.starts_with(b"HTTP/1.1 2");
        match access {
            Access::Read(key) => {
                self.last.insert(key, answer.to_vec());
            }
            Access::Write { bucket, sub } if ok => {
                let n = self.next_write();
                let keys: Vec<_> = self
                    .last
                    .keys()
                    .filter(|(service, b, s)| {
                        service == "s3" && *b == bucket && sub.as_ref().is_none_or(|sub| sub == s)
                    })
                    .cloned()
                    .collect();
                for key in keys {
                    let old = self.last[&key].clone();
                    self.stale.insert(key, (old, c.window(n)));
                }
                if sub.is_none() {
                    // The bucket's delete: the tagging index lags it too.
                    self.creating.remove(&bucket);
                    self.lag_listings(c.window(n));
                }
            }
            Access::Create(bucket) if ok => {
                let n = self.next_write();
                self.creating.insert(bucket, c.window(n));
            }
            Access::Delete if ok => {
                let n = self.next_write();
                self.lag_listings(c.window(n));
            }
            _ => {}
        }
    }

    fn next_write(&mut self) -> u64 {
        self.writes += 1;
        self.writes
    }

    /// The next `reads` listings of the tagging API answer what they answered last.
    fn lag_listings(&mut self, reads: u64) {
        let keys: Vec<_> = self
            .last
            .keys()
            .filter(|(service, ..)| service == "tagging")
            .cloned()
            .collect();
        for key in keys {
            let old = self.last[&key].clone();
            self.stale.insert(key, (old, reads));
        }
    }
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
        let own = listener.local_addr().expect("bound address").to_string();
        let endpoint = format!("http://{own}");
        let shared = Arc::new(Shared {
            upstream,
            own,
            log: Mutex::new(Vec::new()),
            plan: Mutex::new(plan),
            stats: Mutex::new(Stats::default()),
            counter: AtomicU64::new(0),
            tripwire: Mutex::new(None),
            lagging: Mutex::new(Lagging::default()),
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

    /// Every request so far, in the order received.
    pub(crate) fn recorded(&self) -> Vec<Recorded> {
        self.shared.log.lock().expect("log lock").clone()
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

    /// The SigV4 signing name, from `Credential=AKID/DATE/REGION/SERVICE/aws4_request`; git's
    /// smart HTTP requests to a repository are CodeCommit's.
    fn service(&self) -> String {
        if self.git_operation().is_some() {
            return "codecommit".to_owned();
        }
        self.header("authorization")
            .and_then(|auth| auth.split("Credential=").nth(1))
            .and_then(|scope| scope.split('/').nth(3))
            .unwrap_or("unknown")
            .to_owned()
    }

    /// The IAM action a request of git's smart HTTP protocol to a repository
    /// (`/git/<account>/<region>/v1/repos/<name>/...`) is authorized as: fetching is
    /// `GitPull`, pushing (`git-receive-pack`, and its reference advertisement) `GitPush`
    /// (CodeCommit User Guide, "CodeCommit permissions reference": "GitPull", "GitPush").
    fn git_operation(&self) -> Option<&'static str> {
        let target = self.head.split_whitespace().nth(1).unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if !path.starts_with("/git/") || !path.contains("/v1/repos/") {
            return None;
        }
        let push =
            path.ends_with("/git-receive-pack") || query.contains("service=git-receive-pack");
        Some(if push { "GitPush" } else { "GitPull" })
    }

    fn operation(&self) -> String {
        if let Some(git) = self.git_operation() {
            return git.to_owned();
        }
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

    /// The bucket (path-style) and the sub-resource named in the query, for S3.
    fn bucket_and_sub(&self) -> (String, String, bool) {
        let target = self.head.split_whitespace().nth(1).unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let sub = query
            .split('&')
            .map(|p| p.split('=').next().unwrap_or(""))
            .find(|k| !k.is_empty() && !k.starts_with("x-id") && !k.starts_with("list-type"))
            .unwrap_or("");
        let path = path.trim_start_matches('/');
        let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
        (bucket.to_owned(), sub.to_owned(), !key.is_empty())
    }

    /// What eventual consistency keeps track of in this request, if anything.
    fn access(&self, service: &str, operation: &str) -> Option<Access> {
        if service == "tagging" && operation == "GetResources" {
            let body = String::from_utf8_lossy(&self.body).into_owned();
            return Some(Access::Read(("tagging".into(), body, String::new())));
        }
        if service != "s3" {
            return operation.starts_with("Delete").then_some(Access::Delete);
        }
        let (bucket, sub, has_key) = self.bucket_and_sub();
        if bucket.is_empty() || has_key || self.method() == "HEAD" {
            return None;
        }
        let configuration = CONFIGURATION.contains(&sub.as_str());
        match (self.method(), sub.as_str()) {
            ("PUT", "") => Some(Access::Create(bucket)),
            ("DELETE", "") => Some(Access::Write { bucket, sub: None }),
            ("GET", _) if configuration => Some(Access::Read(("s3".into(), bucket, sub))),
            ("PUT" | "DELETE", _) if configuration => Some(Access::Write {
                bucket,
                sub: Some(sub),
            }),
            // Other requests to a bucket just created answer NoSuchBucket too.
            _ => Some(Access::Write {
                bucket,
                sub: Some(sub),
            }),
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
    shared.log.lock().expect("log lock").push(Recorded {
        service: service.clone(),
        operation: operation.clone(),
        target: request
            .head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_owned(),
        body: String::from_utf8_lossy(&request.body).into_owned(),
    });
    let consistency = shared.plan.lock().expect("plan lock").consistency;
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

    if let Some(c) = consistency {
        return lagging(&shared, c, &request, (&service, &operation), client).await;
    }

    match fault {
        Some(Fault::DropBefore) => return Ok(()),
        Some(Fault::Latency(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::DropAfter) => {
            forward(&shared.upstream, &request).await?;
            return Ok(());
        }
        Some(error @ (Fault::Throttle | Fault::ServerError | Fault::Unavailable)) => {
            // JSON errors for the JSON protocols: awsJson (an `X-Amz-Target` header) and
            // restJson (CodeArtifact, Lambda), whose SDKs cannot read an XML error body.
            let json = request.header("x-amz-target").is_some()
                || matches!(service.as_str(), "codeartifact" | "lambda");
            let answer = error_response(error, &service, json);
            client.write_all(&answer).await?;
            return client.shutdown().await;
        }
        None => {}
    }
    let mut answer = forward(&shared.upstream, &request).await?;
    let git = shared.plan.lock().expect("plan lock").git;
    if git && service == "codecommit" && operation == "GetRepository" {
        answer = replaced(
            &answer,
            &format!("http://{}/git/", shared.upstream),
            &format!("http://{}/git/", shared.own),
        );
    }
    client.write_all(&with_connection_close(&answer)).await?;
    client.shutdown().await
}

/// The answer with `from` replaced by `to` in its body and its `Content-Length` set to match
/// (an answer without one is left as it is).
fn replaced(answer: &[u8], from: &str, to: &str) -> Vec<u8> {
    let Some(end) = find(answer, b"\r\n\r\n") else {
        return answer.to_vec();
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    if !head.to_ascii_lowercase().contains("\r\ncontent-length:") {
        return answer.to_vec();
    }
    let body = String::from_utf8_lossy(&answer[end + 4..]).replace(from, to);
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if i > 0 && line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(&format!("Content-Length: {}\r\n", body.len()));
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

/// Serves a request as an eventually consistent AWS would: an old answer, `NoSuchBucket` for a
/// bucket just created, or the emulator's answer (remembered if it answers a read).
async fn lagging(
    shared: &Shared,
    c: Consistency,
    request: &Request,
    (service, operation): (&str, &str),
    mut client: TcpStream,
) -> std::io::Result<()> {
    let access = request.access(service, operation);
    let seen = shared.lagging.lock().expect("lagging lock").before(access);
    let count = |kind: &str| {
        *shared
            .stats
            .lock()
            .expect("stats lock")
            .faults
            .entry(kind.to_owned())
            .or_default() += 1;
    };
    let answer = match seen {
        Seen::Stale(old, kind) => {
            count(kind);
            old
        }
        Seen::NoSuchBucket(bucket) => {
            count("NoSuchBucket");
            no_such_bucket(&bucket)
        }
        Seen::Forward(access) => {
            let answer = forward(&shared.upstream, request).await?;
            if let Some(access) = access {
                shared
                    .lagging
                    .lock()
                    .expect("lagging lock")
                    .after(access, &answer, c);
            }
            answer
        }
    };
    client.write_all(&with_connection_close(&answer)).await?;
    client.shutdown().await
}

/// S3's answer for a bucket that does not exist (the S3 API Reference, "Error responses":
/// `NoSuchBucket`, 404).
fn no_such_bucket(bucket: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>\
         <Message>The specified bucket does not exist</Message><BucketName>{bucket}</BucketName>\
         <RequestId>fault-proxy</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         x-amz-request-id: fault-proxy\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
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
    // restJson's error code travels in this header (its body need not name it).
    let error_type = if json_protocol {
        format!("x-amzn-ErrorType: {code}\r\n")
    } else {
        String::new()
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
         x-amzn-RequestId: fault-proxy\r\n{error_type}Connection: close\r\n\r\n{body}",
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
    fn reads_after_a_write_see_the_old_answer_for_a_seeded_window() {
        let c = Consistency {
            max_stale: 3,
            seed: 5,
        };
        let key = || ("s3".to_owned(), "b".to_owned(), "lifecycle".to_owned());
        let read = || Some(Access::Read(key()));
        let write = || {
            Some(Access::Write {
                bucket: "b".into(),
                sub: Some("lifecycle".into()),
            })
        };
        let mut lag = Lagging::default();
        // A request forwarded, and its answer seen.
        let pass = |lag: &mut Lagging, access: Option<Access>, answer: &[u8]| {
            let Seen::Forward(Some(access)) = lag.before(access) else {
                panic!("forwarded")
            };
            lag.after(access, answer, c);
        };
        let old = b"HTTP/1.1 404 Not Found\r\n\r\nNoSuchLifecycleConfiguration".to_vec();
        pass(&mut lag, read(), &old);
        pass(&mut lag, write(), b"HTTP/1.1 200 OK\r\n\r\n");
        let window = c.window(1);
        assert!((1..=3).contains(&window));
        for _ in 0..window {
            assert!(matches!(lag.before(read()), Seen::Stale(a, "StaleRead") if a == old));
        }
        assert!(matches!(lag.before(read()), Seen::Forward(Some(_))));
        // A refused write changes nothing, so nothing is stale after it.
        pass(&mut lag, write(), b"HTTP/1.1 400 Bad Request\r\n\r\n");
        assert!(matches!(lag.before(read()), Seen::Forward(Some(_))));

        // Right after CreateBucket, reads and writes of the bucket answer NoSuchBucket.
        pass(
            &mut lag,
            Some(Access::Create("b".into())),
            b"HTTP/1.1 200 OK\r\n\r\n",
        );
        for _ in 0..c.window(2) {
            assert!(matches!(lag.before(write()), Seen::NoSuchBucket(b) if b == "b"));
        }
        assert!(matches!(lag.before(write()), Seen::Forward(Some(_))));
        // Each write's window is drawn from the seed and its index.
        let windows: Vec<u64> = (0..100).map(|n| c.window(n)).collect();
        assert!(windows.iter().all(|w| (1..=3).contains(w)));
        assert!(windows.contains(&1) && windows.contains(&3));
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
