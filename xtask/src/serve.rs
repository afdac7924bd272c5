//! A static file server for `www/` on 127.0.0.1: correct MIME types, the page's security
//! headers, and cross-origin isolation so a threaded wasm build could use shared memory.
//!
//! Plain `std::net`, one thread per connection and one response per connection: a dev server
//! serves a few dozen files to one browser. (tiny_http 0.12, used before, starved connections
//! that arrived together on a fresh server: its pool queued them behind keep-alive connections
//! that never closed, so the first page load could hang.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::setup;
use crate::web_build::{self, BuildArgs};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Serve what www/pkg/ already holds instead of building first.
    #[arg(long)]
    no_build: bool,
    /// Cargo profile of the wasm builds: `dev` (the tests' builds, quick to build, shared with
    /// `cargo xtask test`), `release`, or `wasm-release` (fat LTO, what `cargo xtask site`
    /// publishes).
    #[arg(long, default_value = "dev")]
    profile: String,
    /// Skip wasm-opt (always skipped for `dev`).
    #[arg(long)]
    no_opt: bool,
}

/// Builds what the page needs to answer, serves it, and builds the rest while it serves: a first
/// start waits for one build, not three. Until they are there, the page runs on one thread (and
/// on the CPU where it would pick WebGPU); a reload picks them up.
///
/// On a fresh clone (no dev build yet) the first build is the quick `first-start` profile, and
/// the dev builds, the one-thread CPU build included, follow in the background.
pub fn run(args: &ServeArgs) -> Result<()> {
    let build = BuildArgs { profile: args.profile.clone(), no_opt: args.no_opt || args.profile == "dev" };
    let quick_first = !args.no_build && build.profile == "dev" && !web_build::compiled("dev");
    if !args.no_build {
        setup::wasm_toolchain()?;
        if !build.no_opt {
            setup::npm_packages()?; // binaryen's wasm-opt
        }
        if quick_first {
            println!("a first start: building a quick version of the page first (a few minutes), the full builds while it is served");
            web_build::first(&BuildArgs { profile: web_build::FIRST_START.into(), no_opt: true })?;
        } else {
            web_build::first(&build)?;
        }
    }
    let (url, handle) = spawn(args.port)?;
    println!("effilens is served at {url}  (Ctrl-C stops it)");
    if !args.no_build {
        let what = if quick_first { "the full builds (CPU, threaded CPU, WebGPU)" } else { "the threaded CPU and WebGPU builds" };
        println!("building {what} meanwhile; reload the page when they are ready");
        std::thread::spawn(move || {
            let built = setup::threads_toolchain().and_then(|()| if quick_first { web_build::run(&build) } else { web_build::rest(&build) });
            match built {
                Ok(()) => println!("{what} are ready: reload the page to use them ({url})"),
                Err(error) => eprintln!("{what} failed ({error:#}); the page keeps running as it is"),
            }
        });
    }
    handle.join().map_err(|_| anyhow!("the server thread panicked"))
}

/// Starts serving `www/` in a background thread; returns its URL.
pub fn spawn(port: u16) -> Result<(String, JoinHandle<()>)> {
    spawn_with(port, Vec::new())
}

/// [`spawn`], with each `(prefix, folder)` of `mounts` also served, at `/<prefix>/`: files that
/// belong beside the page, same origin and same headers, without being part of it (the
/// benchmark's). The first mount whose prefix matches serves the request.
pub fn spawn_with(port: u16, mounts: Vec<(String, PathBuf)>) -> Result<(String, JoinHandle<()>)> {
    let listener = TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let address = listener.local_addr()?;
    let root = Arc::new(Site { www: crate::root().join("www"), mounts, port: address.port() });
    let active = Arc::new(AtomicUsize::new(0));
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else {
                // Out of file descriptors, say: wait for some to free up rather than spin.
                std::thread::sleep(Duration::from_millis(100));
                continue;
            };
            // A thread per connection, but not without end: past the limit a connection is
            // closed at once (answering would mean reading its request here, on the accepting
            // thread; the browser retries a closed connection).
            if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                active.fetch_sub(1, Ordering::SeqCst);
                drop(stream);
                continue;
            }
            let (root, active) = (Arc::clone(&root), Arc::clone(&active));
            std::thread::spawn(move || {
                // A client that went away is not the server's problem.
                let _ = answer(stream, &root);
                active.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok((format!("http://{address}/"), handle))
}

/// The most a request line and its headers may take: the page's requests need a fraction.
const MAX_REQUEST_HEAD: u64 = 64 * 1024;

/// Connections answered at once; a page opens about six, its thread pool a few more.
const MAX_CONNECTIONS: usize = 64;

/// What the server serves: `www/`, and each mount at its prefix.
struct Site {
    www: PathBuf,
    mounts: Vec<(String, PathBuf)>,
    /// The port it listens on, the only one a request's `Host` may name.
    port: u16,
}

impl Site {
    /// Whether `host` (a `Host` header) names this server: a loopback name and its port.
    fn is_own_host(&self, host: &str) -> bool {
        ["127.0.0.1", "localhost", "[::1]"].iter().any(|name| host == format!("{name}:{}", self.port))
    }

    /// The file a request target names.
    fn file(&self, target: &str) -> Option<PathBuf> {
        for (prefix, folder) in &self.mounts {
            if let Some(rest) = target.strip_prefix('/').and_then(|path| path.strip_prefix(prefix.as_str()))
                && rest.starts_with('/')
            {
                return resolve(folder, rest);
            }
        }
        resolve(&self.www, target)
    }
}

/// Reads one request from `stream` and answers it.
fn answer(stream: TcpStream, root: &Site) -> std::io::Result<()> {
    // A client that stalls, sending or reading, must not hold a thread for ever.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(MAX_REQUEST_HEAD));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(()); // a connection opened and closed unused (a browser's preconnect)
    }
    let host = read_host(&mut reader)?;
    if !host.as_deref().is_some_and(|host| root.is_own_host(host)) {
        // A page elsewhere that points a name of its own at 127.0.0.1 (DNS rebinding) sends its
        // own name here: it gets nothing.
        return Response::text("403 Forbidden", "this server answers only to 127.0.0.1, localhost and [::1]").write(stream, false);
    }
    let parts: Vec<&str> = request_line.split_whitespace().collect();
    let response = match parts[..] {
        [method @ ("GET" | "HEAD"), target, _version] => {
            let found = root.file(target).and_then(|path| Some((std::fs::read(&path).ok()?, path)));
            let response = match found {
                Some((body, path)) => Response { status: "200 OK", content_type: mime_type(&path), body },
                None => Response::text("404 Not Found", "not found"),
            };
            return response.write(stream, method == "HEAD");
        }
        [_, _, _] => Response::text("405 Method Not Allowed", "only GET and HEAD"),
        _ => Response::text("400 Bad Request", "not an HTTP request line"),
    };
    response.write(stream, false)
}

/// Reads the request headers; returns the `Host` one. The answer depends on the path alone.
fn read_host(reader: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    let mut host = None;
    for _ in 0..200 {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            return Ok(host);
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("host")
        {
            host = Some(value.trim().to_ascii_lowercase());
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "too many request headers"))
}

struct Response {
    status: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn text(status: &'static str, text: &str) -> Self {
        Self { status, content_type: "text/plain; charset=utf-8", body: text.as_bytes().to_vec() }
    }

    fn write(self, mut stream: TcpStream, head_only: bool) -> std::io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nAllow: GET, HEAD\r\nConnection: close\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        for (name, value) in SECURITY_HEADERS {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        if !head_only {
            stream.write_all(&self.body)?;
        }
        stream.flush()
    }
}

/// The file a URL names under `root`, refusing anything that would climb out of it.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let decoded = percent_decode(path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative.components().any(|part| !matches!(part, Component::Normal(_))) {
        return None;
    }
    let candidate = root.join(relative);
    let file = if candidate.is_dir() { candidate.join("index.html") } else { candidate };
    // A link inside the folder may point anywhere: serve only what really lies inside it.
    let (file, root) = (file.canonicalize().ok()?, root.canonicalize().ok()?);
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The page's own meta CSP, repeated (see www/index.html), and cross-origin isolation.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' blob: data:; \
         style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-cache"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `request_line` and headers, returns the whole response.
    fn request(url: &str, request_line: &str) -> String {
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(stream, "{request_line}\r\nHost: {address}\r\nConnection: keep-alive\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    fn get(url: &str, path: &str) -> String {
        request(url, &format!("GET {path} HTTP/1.1"))
    }

    #[test]
    fn a_fresh_server_answers_many_connections_at_once() {
        // A browser opens about six connections at once for a page's modules; none may wait.
        let (url, _server) = spawn(0).unwrap();
        let clients: Vec<_> = (0..16)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || get(&url, "/app.js"))
            })
            .collect();
        for client in clients {
            let response = client.join().unwrap();
            assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response:.80}");
            assert!(response.contains("Content-Type: text/javascript; charset=utf-8\r\n"));
            assert!(response.contains("Cross-Origin-Embedder-Policy: require-corp\r\n"));
        }
    }

    #[test]
    fn nothing_outside_www_is_served() {
        let (url, _server) = spawn(0).unwrap();
        for path in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/models/../../Cargo.toml", "/no-such-file.js"] {
            assert!(get(&url, path).starts_with("HTTP/1.1 404 Not Found\r\n"), "{path}");
        }
        assert!(get(&url, "/?backend=cpu").contains("<!doctype html>"));
    }

    #[test]
    fn a_mount_serves_its_folder_at_its_prefix_and_nothing_above_it() {
        let folder = crate::root().join("tests/page");
        let (url, _server) = spawn_with(0, vec![("bench".into(), folder)]).unwrap();
        let worker = get(&url, "/bench/bench-forward-worker.js");
        assert!(worker.starts_with("HTTP/1.1 200 OK\r\n"), "{worker}");
        assert!(worker.contains("Content-Type: text/javascript") && worker.contains("Cross-Origin-Embedder-Policy: require-corp\r\n"));
        for path in ["/bench/../bench.mjs", "/bench/%2e%2e/harness.mjs", "/bench/../../Cargo.toml", "/benchmark/harness.mjs"] {
            assert!(get(&url, path).starts_with("HTTP/1.1 404 Not Found\r\n"), "{path}");
        }
        assert!(get(&url, "/app.js").starts_with("HTTP/1.1 200 OK\r\n"), "www/ is still served");
    }

    #[test]
    fn links_out_of_the_folder_and_foreign_hosts_get_nothing() {
        let folder = tempfile_dir("links");
        std::fs::write(folder.join("inside.txt"), "inside").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(crate::root().join("Cargo.toml"), folder.join("outside.txt")).unwrap();
        let (url, _server) = spawn_with(0, vec![("mounted".into(), folder.clone())]).unwrap();
        assert!(get(&url, "/mounted/inside.txt").starts_with("HTTP/1.1 200 OK\r\n"));
        #[cfg(unix)]
        assert!(get(&url, "/mounted/outside.txt").starts_with("HTTP/1.1 404 Not Found\r\n"));
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        let port = address.rsplit(':').next().unwrap();
        for host in [format!("evil.example:{port}"), format!("127.0.0.1:{}", port.parse::<u16>().unwrap() ^ 1), String::new()] {
            let mut stream = TcpStream::connect(address).unwrap();
            write!(stream, "GET /app.js HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            assert!(response.starts_with("HTTP/1.1 403 Forbidden\r\n"), "Host {host:?}: {response:.60}");
        }
        assert!(request(&url.replace("127.0.0.1", "localhost"), "GET /app.js HTTP/1.1").starts_with("HTTP/1.1 200 OK\r\n"));
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn connections_past_the_limit_are_turned_away_not_given_threads() {
        let (url, _server) = spawn(0).unwrap();
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        // Idle connections that never send a request hold their threads (30 s read timeout).
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS).map(|_| TcpStream::connect(address).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(300));
        let mut turned_away = TcpStream::connect(address).unwrap();
        turned_away.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = write!(turned_away, "GET /app.js HTTP/1.1\r\nHost: {address}\r\n\r\n");
        let mut response = Vec::new();
        let read = turned_away.read_to_end(&mut response);
        assert!(read.is_err() || response.is_empty(), "a connection past the limit was answered");
        drop(idle);
        std::thread::sleep(Duration::from_millis(300));
        assert!(get(&url, "/app.js").starts_with("HTTP/1.1 200 OK\r\n"));
    }

    /// A fresh folder under the target directory.
    fn tempfile_dir(name: &str) -> PathBuf {
        let dir = crate::target_dir().join("serve-tests").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn other_methods_and_malformed_requests_are_refused() {
        let (url, _server) = spawn(0).unwrap();
        let response = request(&url, "POST / HTTP/1.1");
        assert!(response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{response}");
        assert!(response.contains("Allow: GET, HEAD\r\n"));
        assert!(request(&url, "GET").starts_with("HTTP/1.1 400 Bad Request\r\n"));
        let head = request(&url, "HEAD /app.js HTTP/1.1");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"), "{head}");
    }
}
