//! `ngxray logs --merge`: read per-host `--format json` documents and print
//! the fleet report ([`crate::logs::merge`]).

use std::io::{IsTerminal, Read};
use std::path::Path;

use super::logs::{LogsArgs, LogsFormat};
use crate::logs::merge::{self, HostDoc};

/// Host name of a document file: its name without `.json` (and `.gz`-less).
fn host_of(path: &str) -> String {
    let name = Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
    name.strip_suffix(".json")
        .or_else(|| name.strip_suffix(".ndjson"))
        .unwrap_or(&name)
        .to_string()
}

fn read_all(args: &LogsArgs) -> Result<Vec<HostDoc>, String> {
    let mut docs = Vec::new();
    let stdin_only = args.paths.is_empty() || args.paths == ["-"];
    if stdin_only {
        if args.paths.is_empty() && std::io::stdin().is_terminal() {
            return Err("--merge: give document files or pipe documents on stdin".to_string());
        }
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("-: {e}"))?;
        for (i, doc) in merge::parse_documents("-", &buf)
            .map_err(|e| e.to_string())?
            .into_iter()
            .enumerate()
        {
            docs.push(HostDoc {
                host: format!("stdin-{}", i + 1),
                source_name: "-".to_string(),
                doc,
            });
        }
        return Ok(docs);
    }
    for path in &args.paths {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let parsed = merge::parse_documents(path, &bytes).map_err(|e| e.to_string())?;
        let many = parsed.len() > 1;
        for (i, doc) in parsed.into_iter().enumerate() {
            let host = if many {
                format!("{}-{}", host_of(path), i + 1)
            } else {
                host_of(path)
            };
            docs.push(HostDoc {
                host,
                source_name: path.clone(),
                doc,
            });
        }
    }
    Ok(docs)
}

pub fn run(args: &LogsArgs) -> u8 {
    if args.format == LogsFormat::Ndjson {
        return super::fail("--merge prints text or json, not ndjson");
    }
    let mut docs = match read_all(args) {
        Ok(d) => d,
        Err(e) => return super::fail(e),
    };
    merge::unique_hosts(&mut docs);
    let fleet = match merge::merge(&docs) {
        Ok(f) => f,
        Err(e) => return super::fail(e),
    };
    let text = match args.format {
        LogsFormat::Json => match serde_json::to_string(&fleet) {
            Ok(s) => s + "\n",
            Err(e) => return super::fail(e),
        },
        _ => merge::render_text(&fleet),
    };
    match super::written(super::write_out(text)) {
        Some(code) => code,
        None => super::EXIT_OK,
    }
}
