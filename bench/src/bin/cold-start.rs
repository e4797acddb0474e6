//! Cold starts: spawns each release binary N times against a local stub of the Lambda Runtime
//! API and times process start -> its first `GET /runtime/invocation/next` (all the function's
//! init: config, SDK and HTTP clients). Prints the medians and writes rows for `bench-report`.
//!
//! Usage: `cold-start RUNS OUT.json BASELINE BINARY...` (the baseline is the hello-world).

// A command-line harness: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// One start: the time until the binary asks for its first event.
fn start_once(binary: &Path) -> Result<Duration, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "eu-west-2")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("TABLE_NAME", "bench")
        .env("KMS_KEY_ID", "alias/bench")
        .env(
            "SYNC_QUEUE_URL",
            "https://sqs.eu-west-2.amazonaws.com/123456789012/bench",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    listener.set_nonblocking(false).map_err(|e| e.to_string())?;
    let result = loop {
        let (stream, _) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => break Err(e.to_string()),
        };
        let mut line = String::new();
        if BufReader::new(&stream).read_line(&mut line).is_err() {
            continue;
        }
        if line.contains("/runtime/invocation/next") {
            break Ok(started.elapsed());
        }
    };
    child.kill().ok();
    child.wait().ok();
    result
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runs, out, baseline, binaries @ ..] = args.as_slice() else {
        eprintln!("usage: cold-start RUNS OUT.json BASELINE BINARY...");
        return ExitCode::from(2);
    };
    let runs: usize = runs.parse().unwrap_or(20);
    let measure = |binary: &str| -> Result<Duration, String> {
        let path = Path::new(binary);
        start_once(path)?; // page cache warm, as on a Lambda host after the first download
        let times = (0..runs)
            .map(|_| start_once(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(median(times))
    };
    let base = match measure(baseline) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("baseline: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "hello-world lambda_runtime: {:.2} ms",
        base.as_secs_f64() * 1e3
    );
    let mut rows = Vec::new();
    for binary in binaries {
        let name = Path::new(binary)
            .file_name()
            .map_or(binary.clone(), |n| n.to_string_lossy().into_owned());
        match measure(binary) {
            Ok(t) => {
                let ratio = t.as_secs_f64() / base.as_secs_f64();
                println!("{name}: {:.2} ms ({ratio:.2}x)", t.as_secs_f64() * 1e3);
                rows.push(json!({
                    "what": format!("cold start to first poll: {name}"),
                    "measured": format!("{:.2} ms = {ratio:.2}x hello-world ({:.2} ms)", t.as_secs_f64() * 1e3, base.as_secs_f64() * 1e3),
                    "target": "≤ 1.5x hello-world",
                    "met": ratio <= 1.5,
                }));
            }
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
    if let Err(e) = std::fs::write(out, format!("{:#}\n", serde_json::Value::Array(rows))) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
