//! Cold starts: spawns each release binary N times against a local stub of the Lambda Runtime
//! API and times process start -> its first `GET /runtime/invocation/next` (all the function's
//! init: config, SDK and HTTP clients). Beside each median it reports the page faults of a start
//! (the child's minor and major faults, read from `/proc/<pid>/stat` once it has polled, before it
//! is killed) and the binary's size: most of a large binary's extra start-up time is faulting in
//! its pages. It also reports the CPU time of a start (all the child's threads, from
//! `/proc/<pid>/task/*/schedstat`, in nanoseconds): wall time on a shared machine wanders with
//! its neighbours, CPU time much less. The binaries are started in rounds (the baseline, then
//! each binary, then again), so a slow minute of the machine falls on all of them alike and
//! their ratios compare. Prints the medians and writes rows for `bench-report`.
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

/// One start: the time until the binary asks for its first event, and the page faults it took
/// to get there.
#[derive(Clone, Copy, Debug)]
struct Start {
    time: Duration,
    cpu: Duration,
    page_faults: u64,
}

/// Minor plus major page faults of process `pid` (all its threads), from `/proc/<pid>/stat`:
/// fields 10 and 12, counted after the command name, which may itself hold spaces.
fn page_faults(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("unexpected /proc/<pid>/stat")?;
    // After the name: state (field 3), ..., minflt (10), cminflt (11), majflt (12).
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| -> Result<u64, String> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("no field {n} in /proc/{pid}/stat"))
    };
    Ok(field(10)? + field(12)?)
}

/// CPU time of every thread of process `pid` so far: the first field of each thread's
/// `schedstat` (nanoseconds on a CPU).
fn cpu_time(pid: u32) -> Result<Duration, String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|e| e.to_string())?;
    let mut nanos = 0u64;
    for task in tasks {
        let path = task.map_err(|e| e.to_string())?.path().join("schedstat");
        let stat = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        nanos += stat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| format!("unexpected {}", path.display()))?;
    }
    Ok(Duration::from_nanos(nanos))
}

fn start_once(binary: &Path) -> Result<Start, String> {
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
            let time = started.elapsed();
            // The child now waits for an event that never comes: its counts are final.
            break page_faults(child.id()).and_then(|page_faults| {
                Ok(Start {
                    time,
                    cpu: cpu_time(child.id())?,
                    page_faults,
                })
            });
        }
    };
    child.kill().ok();
    child.wait().ok();
    result
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

/// The medians of one binary's starts, and its size on disk.
#[derive(Clone, Copy, Debug)]
struct Measured {
    time: Duration,
    cpu: Duration,
    page_faults: u64,
    bytes: u64,
}

impl Measured {
    fn of(starts: &[Start], bytes: u64) -> Self {
        Self {
            time: median(starts.iter().map(|s| s.time).collect()),
            cpu: median(starts.iter().map(|s| s.cpu).collect()),
            page_faults: median(starts.iter().map(|s| s.page_faults).collect()),
            bytes,
        }
    }

    fn ms(&self) -> f64 {
        self.time.as_secs_f64() * 1e3
    }

    fn cpu_ms(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e3
    }

    fn mb(&self) -> f64 {
        self.bytes as f64 / 1e6
    }
}

/// Each binary started `runs` times, in rounds: one start of each, in order, per round (after one
/// start of each to warm the page cache, as on a Lambda host after the first download).
///
/// What starts is a copy of each binary written front to back, as a deployment package is
/// unpacked. The linker writes its output in pieces, and the page cache keeps the file in the
/// small pieces it was written in: the very same bytes then take more page faults to start
/// (calcom-webhook 231 against 208, 1.77 against 1.51 ms, in one run on 2026-12-07). Copying
/// measures every binary, the baseline too, the way Lambda would run it.
fn measure_in_rounds(binaries: &[&String], runs: usize) -> Result<Vec<Measured>, String> {
    let unpacked = tempfile::tempdir().map_err(|e| format!("a directory for the copies: {e}"))?;
    let mut copies = Vec::new();
    let mut sizes = Vec::new();
    for (i, binary) in binaries.iter().enumerate() {
        let bytes = std::fs::read(binary.as_str()).map_err(|e| format!("{binary}: {e}"))?;
        let copy = unpacked.path().join(i.to_string());
        write_executable(&copy, &bytes).map_err(|e| format!("{}: {e}", copy.display()))?;
        sizes.push(bytes.len() as u64);
        start_once(&copy).map_err(|e| format!("{binary}: {e}"))?;
        copies.push(copy);
    }
    let mut starts: Vec<Vec<Start>> = vec![Vec::with_capacity(runs); binaries.len()];
    for _ in 0..runs {
        for ((binary, copy), starts) in binaries.iter().zip(&copies).zip(&mut starts) {
            starts.push(start_once(copy).map_err(|e| format!("{binary}: {e}"))?);
        }
    }
    Ok(starts
        .iter()
        .zip(sizes)
        .map(|(starts, bytes)| Measured::of(starts, bytes))
        .collect())
}

/// Writes `bytes` to a new executable file at `path`, in one sequential write.
fn write_executable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o755)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [runs, out, baseline, binaries @ ..] = args.as_slice() else {
        eprintln!("usage: cold-start RUNS OUT.json BASELINE BINARY...");
        return ExitCode::from(2);
    };
    let runs: usize = runs.parse().unwrap_or(20);
    let all: Vec<&String> = std::iter::once(baseline).chain(binaries).collect();
    let (base, measured) = match measure_in_rounds(&all, runs) {
        Ok(measured) => match measured.split_first() {
            Some((base, rest)) => (*base, rest.to_vec()),
            None => return ExitCode::FAILURE,
        },
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "hello-world lambda_runtime: {:.2} ms, {:.2} ms CPU, {} page faults, {:.1} MB",
        base.ms(),
        base.cpu_ms(),
        base.page_faults,
        base.mb()
    );
    let mut rows = Vec::new();
    for (binary, m) in binaries.iter().zip(&measured) {
        let name = Path::new(binary)
            .file_name()
            .map_or(binary.clone(), |n| n.to_string_lossy().into_owned());
        let ratio = m.time.as_secs_f64() / base.time.as_secs_f64();
        let cpu_ratio = m.cpu.as_secs_f64() / base.cpu.as_secs_f64();
        println!(
            "{name}: {:.2} ms ({ratio:.2}x), {:.2} ms CPU ({cpu_ratio:.2}x), {} page faults, {:.1} MB",
            m.ms(),
            m.cpu_ms(),
            m.page_faults,
            m.mb()
        );
        rows.push(json!({
            "what": format!("cold start to first poll: {name}"),
            "measured": format!(
                "{:.2} ms = {ratio:.2}x hello-world ({:.2} ms); CPU {:.2} ms = {cpu_ratio:.2}x ({:.2} ms); {} page faults (hello-world {}); {:.1} MB binary",
                m.ms(), base.ms(), m.cpu_ms(), base.cpu_ms(), m.page_faults, base.page_faults, m.mb()
            ),
            "target": "≤ 1.5x hello-world",
            "met": ratio <= 1.5,
        }));
    }
    if let Err(e) = std::fs::write(out, format!("{:#}\n", serde_json::Value::Array(rows))) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
