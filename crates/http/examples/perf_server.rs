//! The server measured in PERF.md: a tiny handler (`200 ok`, 3 bytes) behind either this crate's layer
//! or a tiny_http worker pool like the one the store, console and metrics used before.
//!
//! ```text
//! cargo run --release --example perf_server -- layer 127.0.0.1:18080 [handler_threads] [io_threads]
//! cargo run --release --example perf_server -- tiny  127.0.0.1:18081 [workers]
//! ```
//! It prints `listening on ADDR` and serves until stdin closes.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use logpipe_http::{serve, Handler, Limits, Request, Response, StatusCode};

struct Hello;

impl Handler for Hello {
    fn handle(&self, _: Request) -> Response {
        Response::text(StatusCode::OK, "ok\n")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, addr) = match (args.first(), args.get(1)) {
        (Some(kind), Some(addr)) => (kind.as_str(), addr.as_str()),
        _ => {
            eprintln!("usage: perf_server layer|tiny ADDR [threads] [io_threads]");
            std::process::exit(2);
        }
    };
    let number = |i: usize| args.get(i).and_then(|n| n.parse::<usize>().ok());
    match kind {
        "layer" => {
            let limits = Limits {
                handler_threads: number(2).unwrap_or_else(Limits::default_handler_threads),
                io_threads: number(3).unwrap_or(1),
                // Idle connections are what is measured: keep them.
                header_read: Duration::from_secs(600),
                keep_alive_idle: Duration::from_secs(600),
                max_connections: 4096,
                ..Limits::default()
            };
            let server = match serve(addr, limits, None, Arc::new(Hello)) {
                Ok(server) => server,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            };
            println!("listening on {}", server.addr());
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            server.stop();
        }
        "tiny" => {
            let server = match tiny_http::Server::http(addr) {
                Ok(server) => Arc::new(server),
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            };
            println!("listening on {addr}");
            // As src/store/http.rs did: N threads each taking requests from the server.
            for _ in 0..number(2).unwrap_or(16) {
                let server = server.clone();
                std::thread::spawn(move || {
                    for request in server.incoming_requests() {
                        let _ = request.respond(tiny_http::Response::from_string("ok\n"));
                    }
                });
            }
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        other => {
            eprintln!("unknown server kind {other}: layer or tiny");
            std::process::exit(2);
        }
    }
}
