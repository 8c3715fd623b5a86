//! A loopback HTTP/1.1 server that serves recorded answers, for tests of network clients.
//!
//! It listens on `127.0.0.1` on a free port, answers each request by its method and target
//! (path plus query, exactly as sent) from a table of routes, answers anything else with
//! `404` and a GitHub-style JSON body, and records every request (method, target, headers)
//! so a test can assert what was sent. Connections are closed after each answer, which keeps
//! the server a few dozen lines of std and is valid HTTP/1.1 (`Connection: close`).
//!
//! ```
//! use chainward_testkit::http::{LoopbackHttp, Routes};
//! let server = LoopbackHttp::start(Routes::new().json("GET", "/ping", r#"{"ok":true}"#));
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One recorded answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// Extra response headers (Content-Length and Connection are added).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The answers a server gives, by method and target (`/path?query`).
#[derive(Debug, Clone, Default)]
pub struct Routes {
    map: BTreeMap<(String, String), Answer>,
}

impl Routes {
    /// No routes: every request gets a 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an answer.
    pub fn answer(mut self, method: &str, target: &str, answer: Answer) -> Self {
        self.map.insert((method.to_ascii_uppercase(), target.to_owned()), answer);
        self
    }

    /// Adds a `200` JSON answer.
    pub fn json(self, method: &str, target: &str, body: &str) -> Self {
        self.answer(
            method,
            target,
            Answer {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json; charset=utf-8".into())],
                body: body.as_bytes().to_vec(),
            },
        )
    }

    /// Loads `DIR/routes.tsv`: one route a line, `METHOD<TAB>TARGET<TAB>STATUS<TAB>FILE`,
    /// FILE relative to DIR (`-` for an empty body); `#` lines and blank lines are skipped.
    /// Panics with the line on a malformed row (it is test data).
    pub fn from_dir(dir: &Path) -> Self {
        let index = dir.join("routes.tsv");
        let text = std::fs::read_to_string(&index).unwrap_or_else(|e| panic!("{}: {e}", index.display()));
        let mut routes = Routes::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [method, target, status, file] = cols.as_slice() else {
                panic!("{}:{}: expected 4 tab-separated columns", index.display(), n + 1);
            };
            let status: u16 =
                status.parse().unwrap_or_else(|_| panic!("{}:{}: bad status {status}", index.display(), n + 1));
            let body = if *file == "-" {
                Vec::new()
            } else {
                let path = dir.join(file);
                std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("{}:{}: {}: {e}", index.display(), n + 1, path.display()))
            };
            routes = routes.answer(
                method,
                target,
                Answer {
                    status,
                    headers: vec![("Content-Type".into(), "application/json; charset=utf-8".into())],
                    body,
                },
            );
        }
        routes
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The target: path and query as sent.
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The peer's address (always a loopback address).
    pub peer: SocketAddr,
    /// Whether a route answered it (`false`: the default 404).
    pub routed: bool,
}

/// The running server; stopped on drop.
pub struct LoopbackHttp {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Most bytes of request head the server reads.
const MAX_HEAD: usize = 64 * 1024;

impl LoopbackHttp {
    /// Binds `127.0.0.1:0` and serves `routes` on a thread.
    pub fn start(routes: Routes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    serve(stream, &routes, &requests);
                }
            })
        };
        LoopbackHttp { addr, requests, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for LoopbackHttp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, routes: &Routes, requests: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(peer) = stream.peer_addr() else { return };
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
        head.push(line.trim_end().to_owned());
        if head.iter().map(String::len).sum::<usize>() > MAX_HEAD {
            return;
        }
    }
    let Some(request_line) = head.first() else { return };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return };
    let headers: BTreeMap<String, String> = head[1..]
        .iter()
        .filter_map(|h| h.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    // Discard a request body, if any (bounded).
    if let Some(len) = headers.get("content-length").and_then(|l| l.parse::<u64>().ok()) {
        let _ = std::io::copy(&mut (&mut reader).take(len.min(1 << 20)), &mut std::io::sink());
    }
    let not_found = Answer {
        status: 404,
        headers: vec![("Content-Type".into(), "application/json; charset=utf-8".into())],
        body: br#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#.to_vec(),
    };
    let routed = routes.map.get(&(method.to_ascii_uppercase(), target.to_owned()));
    let request =
        Request { method: method.to_owned(), target: target.to_owned(), headers, peer, routed: routed.is_some() };
    if let Ok(mut r) = requests.lock() {
        r.push(request);
    }
    let answer = routed.unwrap_or(&not_found);
    let mut stream = reader.into_inner();
    let mut out = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (k, v) in &answer.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", answer.body.len()));
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(&answer.body);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Status",
    }
}
