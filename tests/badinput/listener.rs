//! A loopback listener standing in for an AWS endpoint: it counts every connection, and answers
//! each one the way a test chooses (nothing, garbage, or a canned AWS error).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How the listener answers a connection.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answer {
    /// Reads the request, then closes without a byte.
    Close,
    /// Reads the request, then writes bytes that are not HTTP (seeded, so reruns match).
    Garbage(u64),
    /// Answers as STS does to a session token that has expired.
    ExpiredToken,
}

/// A running listener; it stops when dropped.
pub(crate) struct Listener {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    pub(crate) fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("a bound address");
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (connections.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        std::thread::spawn(move || serve(stream, answer));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            addr,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback URL nothing listens on: a port bound, then released.
pub(crate) fn closed_port_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = l.local_addr().expect("a bound address");
    drop(l);
    format!("http://{addr}")
}

fn serve(mut stream: TcpStream, answer: Answer) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    read_request(&mut stream);
    let bytes = match answer {
        Answer::Close => Vec::new(),
        Answer::Garbage(seed) => garbage(seed, 4096),
        Answer::ExpiredToken => expired_token(),
    };
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
}

/// Reads until the end of the headers and the body they announce (or a timeout).
fn read_request(stream: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return;
            }
        }
    }
}

fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Keep the first bytes from spelling "HTTP/": this must never parse as a response.
            (x >> 24) as u8 | 0x80
        })
        .collect()
}

fn expired_token() -> Vec<u8> {
    let body = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
        <Type>Sender</Type><Code>ExpiredToken</Code>\
        <Message>The security token included in the request is expired</Message></Error>\
        <RequestId>badinput</RequestId></ErrorResponse>";
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
         x-amzn-RequestId: badinput\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
