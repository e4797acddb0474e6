//! Headless Chromium driven over the DevTools protocol, for the dashboard's browser tests.
//!
//! Why not a crate: the tests need a dozen CDP methods and a few events. `chromiumoxide`
//! (the well-kept choice) compiles its generated bindings for the whole protocol — minutes of
//! build on this 2-core machine for every clean CI cache — and its websocket stack; a websocket
//! client alone would still be a new dependency. Chromium's `--remote-debugging-pipe` speaks the
//! same protocol as NUL-terminated JSON on file descriptors 3 (in) and 4 (out): the shell maps
//! the child's stdin and stdout there, and this file is the whole client, on `std` and
//! `serde_json`.
//!
//! Chromium runs with a throwaway profile, with its background services off, and with every
//! host name resolving to nothing (`--host-resolver-rules`), so the only place it can reach is
//! the loopback address the test gives it.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    dead_code
)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// How long one protocol answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The variable that makes a missing Chromium a failure instead of a skip (the test command
/// sets it, so CI never skips).
pub(crate) const REQUIRE: &str = "BOOKING_TRACKER_REQUIRE_BROWSER";

/// Puppeteer's quiet defaults, less what the tests need: no first-run, sync, updates,
/// translation, safe browsing or metrics traffic.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--remote-debugging-pipe",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-extensions",
    "--disable-sync",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--metrics-recording-only",
    "--no-pings",
    "--safebrowsing-disable-auto-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1280,900",
];

/// One browser with one page, recording the page's console errors, requests and dialogs.
pub(crate) struct Browser {
    child: Child,
    input: ChildStdin,
    incoming: Receiver<Value>,
    next_id: u64,
    session: String,
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Chromium with a blank page, or `None` (with a note) when it is not installed and
    /// [`REQUIRE`] is unset.
    pub(crate) fn launch() -> Option<Browser> {
        let program = std::env::var("BOOKING_TRACKER_CHROMIUM").unwrap_or("chromium".into());
        let installed = Command::new(&program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            if std::env::var(REQUIRE).is_ok_and(|v| !v.is_empty() && v != "0") {
                panic!(
                    "{program} is not installed and {REQUIRE} is set (scripts/test installs it)"
                );
            }
            eprintln!(
                "skipping: {program} is not installed (apt-get install chromium; scripts/test does)"
            );
            return None;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null"#)
            .arg(&program)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let (sender, incoming) = channel();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            let mut message = Vec::new();
            while output.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                message.pop_if(|b| *b == 0);
                if let Ok(value) = serde_json::from_slice::<Value>(&message)
                    && sender.send(value).is_err()
                {
                    return;
                }
                message.clear();
            }
        });
        let input = child.stdin.take().unwrap();
        let mut browser = Browser {
            child,
            input,
            incoming,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
        };
        let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Page", "Runtime", "Log", "Network"] {
            browser.send(&format!("{domain}.enable"), json!({}));
        }
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
        Some(browser)
    }

    /// A command to the page; panics on a protocol error.
    pub(crate) fn send(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.write(id, session, method, params).unwrap();
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = self.next_message(deadline, method);
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("{method}: {error}");
                }
                return message["result"].clone();
            }
        }
    }

    fn write(
        &mut self,
        id: u64,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> std::io::Result<()> {
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&command)?;
        bytes.push(0);
        self.input.write_all(&bytes)?;
        self.input.flush()
    }

    /// A command to the page whose answer nobody waits for (it is skipped when it comes).
    fn fire(&mut self, method: &str, params: Value) {
        self.next_id += 1;
        let session = self.session.clone();
        self.write(self.next_id, Some(&session), method, params)
            .unwrap();
    }

    /// The next message; events are recorded, and a dialog is dismissed at once (so a page
    /// that opens one never hangs the test) after being recorded.
    fn next_message(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = match self.incoming.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => panic!("no answer to {waiting_for} in time"),
            Err(RecvTimeoutError::Disconnected) => panic!("chromium exited during {waiting_for}"),
        };
        if message["method"] == "Page.javascriptDialogOpening" {
            self.fire("Page.handleJavaScriptDialog", json!({"accept": false}));
        }
        if message["method"] == "Fetch.requestPaused" {
            self.answer_not_found(&message["params"]["requestId"]);
        }
        if message.get("method").is_some() {
            self.events.push(message.clone());
        }
        message
    }

    /// Requests whose URL matches `pattern` (`*` wildcards) are answered `404 not_found`, as
    /// by a server that does not have the route.
    pub(crate) fn without_route(&mut self, pattern: &str) {
        self.send(
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": pattern, "requestStage": "Request"}]}),
        );
    }

    fn answer_not_found(&mut self, request: &Value) {
        let body = json!({"ok": false, "error": {"code": "not_found", "message": "no route"}});
        self.fire(
            "Fetch.fulfillRequest",
            json!({
                "requestId": request,
                "responseCode": 404,
                "responseHeaders": [{"name": "content-type", "value": "application/json"}],
                "body": base64::engine::general_purpose::STANDARD.encode(body.to_string()),
            }),
        );
    }

    /// Opens `url` and waits for its load event (deferred scripts have run by then).
    pub(crate) fn navigate(&mut self, url: &str) {
        let before = self.events.len();
        self.send("Page.navigate", json!({"url": url}));
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        while !self.events[before..]
            .iter()
            .any(|e| e["method"] == "Page.loadEventFired")
        {
            self.next_message(deadline, "the load event");
        }
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let answer = self.send(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(exception) = answer.get("exceptionDetails") {
            panic!("{expression}: {exception}");
        }
        answer["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy in the page; answers its value.
    pub(crate) fn wait_for(&mut self, expression: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.eval(expression);
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                panic!(
                    "waited 20 s for {expression}; the page says: {}",
                    self.eval("document.body.innerText")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types into the element `selector` as a user would (focus, then text input).
    pub(crate) fn type_into(&mut self, selector: &str, text: &str) {
        let focus = format!("document.querySelector({selector:?}).focus()");
        self.eval(&focus);
        self.send("Input.insertText", json!({"text": text}));
    }

    /// A PNG of the whole page.
    pub(crate) fn screenshot(&mut self) -> Vec<u8> {
        let metrics = self.send("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let shot = self.send(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
            }),
        );
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap()
    }

    /// Receives what has arrived so far, without waiting.
    fn drain(&mut self) {
        while let Ok(message) = self.incoming.try_recv() {
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    fn page_events(&mut self, method: &str) -> Vec<Value> {
        self.drain();
        self.events
            .iter()
            .filter(|e| e["method"] == method && e["sessionId"] == self.session.as_str())
            .map(|e| e["params"].clone())
            .collect()
    }

    /// Console errors, uncaught exceptions and the browser's own errors (CSP violations,
    /// failed loads) since the page was opened.
    pub(crate) fn console_errors(&mut self) -> Vec<String> {
        let mut errors: Vec<String> = self
            .page_events("Runtime.consoleAPICalled")
            .into_iter()
            .filter(|p| p["type"] == "error" || p["type"] == "assert")
            .map(|p| format!("console.{}: {}", p["type"], p["args"]))
            .collect();
        errors.extend(
            self.page_events("Runtime.exceptionThrown")
                .into_iter()
                .map(|p| format!("exception: {}", p["exceptionDetails"])),
        );
        errors.extend(
            self.page_events("Log.entryAdded")
                .into_iter()
                .filter(|p| p["entry"]["level"] == "error")
                .map(|p| format!("{}: {}", p["entry"]["source"], p["entry"]["text"])),
        );
        errors
    }

    /// Every URL the page requested.
    pub(crate) fn requests(&mut self) -> Vec<String> {
        self.page_events("Network.requestWillBeSent")
            .into_iter()
            .filter_map(|p| p["request"]["url"].as_str().map(str::to_owned))
            .collect()
    }

    /// Every dialog (alert, confirm, prompt) the page opened.
    pub(crate) fn dialogs(&mut self) -> Vec<String> {
        self.page_events("Page.javascriptDialogOpening")
            .into_iter()
            .map(|p| format!("{} {}", p["type"], p["message"]))
            .collect()
    }
}

impl Drop for Browser {
    /// Asks Chromium to close (its helper processes go with it), then makes sure.
    fn drop(&mut self) {
        self.next_id += 1;
        let _ = self.write(self.next_id, None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
