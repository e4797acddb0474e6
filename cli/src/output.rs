//! Everything the CLI prints: JSON with `--json`, aligned text otherwise.

use serde::Serialize;

pub fn json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// One compact JSON line: for announcements a reader waits on, such as `serve`'s address.
pub fn json_line(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

pub fn line(text: impl std::fmt::Display) {
    println!("{text}");
}

/// Text as it is, its own line endings included (a CSV).
pub fn raw(text: &str) {
    print!("{text}");
}

/// A text table: a header row, then rows, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    println!("{}", render(headers.to_vec()));
    for row in rows {
        println!("{}", render(row.iter().map(String::as_str).collect()));
    }
}

/// Reports a failed command: on stdout as JSON with `--json` (scripts read one stream), on
/// stderr otherwise.
pub fn failure(error: &anyhow::Error, json: bool) {
    let message = format!("{error:#}");
    if json {
        let code = error
            .downcast_ref::<crate::commands::Coded>()
            .map(|coded| coded.code);
        let body = match code {
            Some(code) => {
                serde_json::json!({"ok": false, "error": {"code": code, "message": message}})
            }
            None => serde_json::json!({"ok": false, "error": {"message": message}}),
        };
        println!("{body}");
    } else {
        eprintln!("error: {message}");
    }
}
