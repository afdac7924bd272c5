//! A static file server for `www/` on 127.0.0.1: correct MIME types, the page's security
//! headers, and cross-origin isolation so a threaded wasm build could use shared memory.

use std::path::{Component, Path, PathBuf};
use std::thread::JoinHandle;

use anyhow::{Result, anyhow};
use tiny_http::{Header, Response, Server};

use crate::web_build::{self, BuildArgs};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Serve what www/pkg/ already holds instead of building first.
    #[arg(long)]
    no_build: bool,
    #[command(flatten)]
    build: BuildArgs,
}

pub fn run(args: &ServeArgs) -> Result<()> {
    if !args.no_build {
        crate::setup::web_toolchain()?;
        web_build::run(&args.build)?;
    }
    let (url, handle) = spawn(args.port)?;
    println!("effilens is served at {url}  (Ctrl-C stops it)");
    handle.join().map_err(|_| anyhow!("the server thread panicked"))
}

/// Starts serving `www/` in a background thread; returns its URL.
pub fn spawn(port: u16) -> Result<(String, JoinHandle<()>)> {
    let server = Server::http(("127.0.0.1", port)).map_err(|error| anyhow!("cannot listen on port {port}: {error}"))?;
    let address = server.server_addr().to_ip().ok_or_else(|| anyhow!("not an IP address"))?;
    let root = crate::root().join("www");
    let handle = std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let root = root.clone();
            // One thread per response: a client that stops reading a large file (a page closed
            // mid-download) must not hold up everyone else.
            std::thread::spawn(move || {
                let response = match resolve(&root, request.url()) {
                    Some(path) => match std::fs::read(&path) {
                        Ok(body) => Response::from_data(body).with_header(header("Content-Type", mime_type(&path))),
                        Err(_) => not_found(),
                    },
                    None => not_found(),
                };
                let response = security_headers().into_iter().fold(response, Response::with_header);
                // A client that went away is not the server's problem.
                let _ = request.respond(response);
            });
        }
    });
    Ok((format!("http://{address}/"), handle))
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
    file.is_file().then_some(file)
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

fn security_headers() -> Vec<Header> {
    vec![
        header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; img-src 'self' blob: data:; \
             style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
        ),
        header("Cross-Origin-Opener-Policy", "same-origin"),
        header("Cross-Origin-Embedder-Policy", "require-corp"),
        header("X-Content-Type-Options", "nosniff"),
        header("Cache-Control", "no-cache"),
    ]
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

fn not_found() -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string("not found").with_status_code(404)
}
