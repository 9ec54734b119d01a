//! Error-log analysis: group nginx error.log lines by cause × upstream ×
//! server, losing nothing.
//!
//! Pipeline: [`input`] (files, globs, directories, stdin; rotations oldest
//! first; checked by metadata) → [`reader`] (plain reads cut into
//! line-aligned blocks; gzip by magic bytes) → [`record`] (multi-line
//! messages as one record) → [`line`] (zero-copy parser) → [`classify`] (the
//! cause table in [`causes`]) → [`aggregate`] (mergeable partial aggregates,
//! one per worker) → reporters ([`report_text`], [`report_json`],
//! [`ndjson`]). Stdin, named pipes and `--follow` use [`live`] instead of
//! the block pipeline, so that lines are reported as they arrive.
//!
//! An input that cannot be read, or not to its end, is a warning and is
//! listed in [`Outcome::skipped`]; the others are still reported.
//!
//! Reader threads cut inputs into blocks; worker threads parse, classify and
//! aggregate whole blocks; partial aggregates merge at the end. Every line
//! lands in exactly one cause (`unclassified` and `unparsable` included) or
//! is counted as filtered out, so the totals always add up to the input.

pub mod aggregate;
pub(crate) mod bytes;
pub mod causes;
pub mod classify;
pub mod header;
pub mod input;
pub mod line;
pub mod live;
pub mod merge;
pub mod ndjson;
pub mod reader;
pub mod record;
pub mod report_json;
pub mod report_text;
pub(crate) mod safe_json;
pub mod shapes;
pub mod time;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use aggregate::{Aggregate, FxMap};
use causes::CauseId;
use input::Input;
use line::Level;
use reader::{Block, Blocker};

/// Errors of a logs run. Each one is an exit-2 condition.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// Bad flags or arguments.
    #[error("{0}")]
    Usage(String),
    /// An input could not be found, opened or read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(String),
}

/// Which lines to count.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Keep lines at or after this log time.
    pub since: Option<i64>,
    /// Keep lines before this log time.
    pub until: Option<i64>,
    /// Keep lines at this level or more severe.
    pub level: Option<Level>,
    /// Keep these causes only (indexed by cause id).
    pub causes: Option<Vec<bool>>,
    /// Keep lines whose upstream key contains this text.
    pub upstream: Option<String>,
    /// Keep lines whose server contains this text.
    pub server: Option<String>,
}

impl Filters {
    fn active(&self) -> bool {
        self.since.is_some()
            || self.until.is_some()
            || self.level.is_some()
            || self.causes.is_some()
            || self.upstream.is_some()
            || self.server.is_some()
    }

    /// Does the line pass? `last_time` carries the time of the previous
    /// timed line so that untimed continuation lines follow their line.
    fn pass(
        &self,
        parsed: Option<&line::Line<'_>>,
        cause: CauseId,
        last_time: &mut Option<i64>,
    ) -> bool {
        if let Some(c) = &self.causes {
            if !c[cause as usize] {
                return false;
            }
        }
        if let Some(min) = self.level {
            match parsed.and_then(|l| l.level) {
                Some(l) if l <= min => {}
                _ => return false,
            }
        }
        if self.since.is_some() || self.until.is_some() {
            let t = parsed.and_then(|l| l.time).or(*last_time);
            if let Some(t) = parsed.and_then(|l| l.time) {
                *last_time = Some(t);
            }
            if let Some(t) = t {
                if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t >= u) {
                    return false;
                }
            }
        }
        if self.upstream.is_some() || self.server.is_some() {
            let Some(l) = parsed else { return false };
            if let Some(u) = &self.upstream {
                let (_, key) = line::upstream_key(l);
                if memchr::memmem::find(key, u.as_bytes()).is_none() {
                    return false;
                }
            }
            if let Some(s) = &self.server {
                match l.fields.server {
                    Some(v) if memchr::memmem::find(v, s.as_bytes()).is_some() => {}
                    _ => return false,
                }
            }
        }
        true
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Options {
    pub inputs: Vec<Input>,
    /// Timeline bucket width in seconds.
    pub bucket: i64,
    pub filters: Filters,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// What was read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputInfo {
    pub name: String,
    pub gzip: bool,
    pub lines: u64,
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    pub inputs: Vec<InputInfo>,
    pub aggregate: Aggregate,
    /// Non-fatal problems (a truncated gzip member), for stderr.
    pub warnings: Vec<String>,
    /// Inputs that could not be read, or not to their end (unreadable,
    /// corrupt gzip): the report is incomplete and the exit code says so.
    pub skipped: Vec<String>,
}

/// Set by the command's Ctrl-C handler: reading stops and the report shows
/// what was read so far.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ask a running analysis to stop reading and report what it has.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Was [`interrupt`] called?
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Read, classify and aggregate every input.
pub fn analyze(opts: &Options) -> Result<Outcome, LogsError> {
    run(opts, None)
}

/// Like [`analyze`], and also write one NDJSON event per counted line to
/// `out`, in input order.
pub fn analyze_ndjson(opts: &Options, out: &mut dyn Write) -> Result<Outcome, LogsError> {
    run(opts, Some(out))
}

/// Per-input state shared by the workers.
struct Shared {
    gzip: Vec<AtomicBool>,
    error: Mutex<Option<LogsError>>,
    warnings: Mutex<Vec<String>>,
    /// (input index, why) of inputs not read or not read to the end.
    skipped: Mutex<Vec<(usize, String)>>,
    /// (input index, error) of inputs that could not be opened at all.
    unopened: Mutex<Vec<(usize, String)>>,
    abort: AtomicBool,
    bytes: Arc<AtomicU64>,
}

impl Shared {
    fn warn(&self, w: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(w);
    }
    fn skip(&self, idx: usize, why: String) {
        self.skipped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((idx, why));
    }
}

fn total_size(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Input::Stdin => 0,
        })
        .sum()
}

/// The inputs, cut into blocks on demand. Workers take blocks from it in
/// turn (under a lock) straight into their own buffer, so a block is
/// parsed by the core that read it, while it is still in that core's
/// cache, and no buffer changes hands. One input is read at a time, in
/// order.
struct Source<'a> {
    inputs: &'a [Input],
    names: &'a [String],
    /// Whether blocks carry line numbers (see [`Blocker::unnumbered`]).
    numbered: bool,
    next_input: usize,
    current: Option<Reading>,
    seq: u64,
}

/// The input being read.
struct Reading {
    idx: usize,
    gz: bool,
    blocker: Blocker<Box<dyn Read + Send>>,
    watch: Option<reader::Watch>,
}

impl Source<'_> {
    /// Fill `block` with the next block of any input; `false` when every
    /// input has been read (or the run stops). An input that cannot be
    /// opened or read to its end is recorded in `shared` and skipped.
    fn next_block(&mut self, shared: &Shared, block: &mut Block) -> bool {
        loop {
            if shared.abort.load(Ordering::Relaxed) || interrupted() {
                return false;
            }
            let Some(r) = self.current.as_mut() else {
                if self.next_input >= self.inputs.len() {
                    return false;
                }
                self.next_input += 1;
                self.current = self.open(self.next_input - 1, shared);
                continue;
            };
            match r.blocker.next_block(block) {
                Ok(true) => {
                    block.seq = self.seq;
                    self.seq += 1;
                    return true;
                }
                Ok(false) => {
                    if let Some(w) = r.watch.as_ref().and_then(reader::Watch::check) {
                        shared.warn(w);
                    }
                }
                Err(e) => {
                    let why = match (r.gz, e.kind()) {
                        (true, io::ErrorKind::UnexpectedEof) => {
                            "gzip data ends early (truncated, or still being written)".to_string()
                        }
                        (true, _) => format!("invalid gzip data ({e})"),
                        _ => format!("read failed ({e})"),
                    };
                    let name = &self.names[r.idx];
                    shared.skip(
                        r.idx,
                        format!("{name}: {why}; every line before it was read"),
                    );
                }
            }
            self.current = None;
        }
    }

    /// Open input `idx`, or record why it cannot be.
    fn open(&self, idx: usize, shared: &Shared) -> Option<Reading> {
        let input = &self.inputs[idx];
        let opened = match input {
            Input::Stdin => reader::open(input, shared.bytes.clone()).map(|(r, gz)| (r, gz, None)),
            Input::File(path) => input::check_special(path)
                .and_then(|()| reader::open_file(path))
                .and_then(|(file, _)| reader::open_watched(path, file, shared.bytes.clone()))
                .map(|(r, gz, w)| (r, gz, Some(w))),
        };
        match opened {
            Ok((r, gz, watch)) => {
                shared.gzip[idx].store(gz, Ordering::Relaxed);
                let mut blocker = Blocker::new(r, idx as u32);
                if !self.numbered {
                    blocker = blocker.unnumbered();
                }
                Some(Reading {
                    idx,
                    gz,
                    blocker,
                    watch,
                })
            }
            Err(e) => {
                let name = &self.names[idx];
                shared.skip(idx, format!("{name}: {e}; skipped"));
                shared
                    .unopened
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((idx, e.to_string()));
                None
            }
        }
    }
}

fn process_block(
    block: &Block,
    classifier: &mut classify::Classifier,
    filters: &Filters,
    agg: &mut Aggregate,
    scratch: &mut Vec<u8>,
    mut out: Option<&mut Vec<u8>>,
    names: &[String],
) -> u64 {
    let active = filters.active();
    // Blocks the reader did not number get provisional numbers, fixed
    // once all blocks are counted (see `renumber`).
    let first = if block.first_line == 0 {
        aggregate::provisional_line(block.seq, 1)
    } else {
        block.first_line
    };
    let mut line_no = first;
    let mut last_time = None;
    let mut records = record::Records::new(block.bytes());
    let mut line = line::Line::EMPTY;
    let mut bare;
    while let Some((raw, n, ok)) = records.next_into(&mut line) {
        let (parsed, verdict) = if ok {
            (Some(&line), classifier.classify(&line))
        } else {
            // A message pasted without its date and level still counts
            // when the cause table knows it.
            bare = line::parse_bare(raw);
            match bare
                .as_ref()
                .and_then(|l| classify::classify_bare(l).map(|v| (l, v)))
            {
                Some((l, v)) => (Some(l), v),
                None => (None, classify::unparsable()),
            }
        };
        agg.continuation += n - 1;
        if active && !filters.pass(parsed, verdict.cause, &mut last_time) {
            agg.filtered += 1;
            line_no += n;
            continue;
        }
        agg.add(block.input, line_no, raw, parsed, &verdict, scratch);
        if let Some(out) = out.as_deref_mut() {
            ndjson::write_record(
                out,
                &names[block.input as usize],
                line_no,
                n,
                raw,
                parsed,
                &verdict,
            );
        }
        line_no += n;
    }
    let lines = line_no - first;
    agg.read_lines(block.input, lines);
    lines
}

/// Turn provisional sample line numbers into real ones, from the line
/// count of every unnumbered block (`(seq, input, lines)`).
fn renumber(agg: &mut Aggregate, mut blocks: Vec<(u64, u32, u64)>) {
    if blocks.is_empty() {
        return;
    }
    // Blocks of one input have increasing sequence numbers in file order.
    blocks.sort_unstable();
    let mut next: Vec<u64> = Vec::new();
    let mut first: FxMap<u64, u64> = FxMap::default();
    for (seq, input, lines) in blocks {
        let i = input as usize;
        if next.len() <= i {
            next.resize(i + 1, 1);
        }
        first.insert(seq, next[i]);
        next[i] += lines;
    }
    agg.renumber(|seq| first.get(&seq).copied());
}

/// Blocks taken for ordered output (ndjson events) and not yet written.
/// Bounded: when the events' reader is slow (a pager, a pipe nobody
/// drains), the workers wait instead of reading the whole input ahead and
/// holding its events in memory. Blocks are taken in order after a place
/// is won, so the block the writer waits for always holds a place: no
/// deadlock. A place comes with an output buffer, given back once written
/// and handed to the next block: a fresh 2 MB buffer per block cost its
/// page faults every time.
struct Window {
    state: Mutex<WindowState>,
    room: Condvar,
    limit: usize,
}

#[derive(Default)]
struct WindowState {
    taken: usize,
    closed: bool,
    spare: Vec<Vec<u8>>,
}

impl Window {
    fn new(limit: usize) -> Self {
        Window {
            state: Mutex::new(WindowState::default()),
            room: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Wait for a place, and take its (empty) buffer; `None` once closed.
    fn enter(&self) -> Option<Vec<u8>> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while st.taken >= self.limit && !st.closed {
            st = self.room.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        if st.closed {
            return None;
        }
        st.taken += 1;
        Some(st.spare.pop().unwrap_or_default())
    }

    /// Give a place back, with its buffer.
    fn leave(&self, mut buf: Vec<u8>) {
        buf.clear();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.taken = st.taken.saturating_sub(1);
        st.spare.push(buf);
        self.room.notify_one();
    }

    /// Let every waiting worker go: a worker died, and the block it held
    /// will never be written.
    fn close(&self) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.closed = true;
        self.room.notify_all();
    }
}

/// Closes the window if its worker panics.
struct CloseOnPanic<'a>(&'a Window);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

fn run(opts: &Options, sink: Option<&mut dyn Write>) -> Result<Outcome, LogsError> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    let names: Vec<String> = opts.inputs.iter().map(Input::display).collect();
    let ordered = sink.is_some();
    let shared = Shared {
        gzip: opts.inputs.iter().map(|_| AtomicBool::new(false)).collect(),
        error: Mutex::new(None),
        warnings: Mutex::new(Vec::new()),
        skipped: Mutex::new(Vec::new()),
        unopened: Mutex::new(Vec::new()),
        abort: AtomicBool::new(false),
        bytes: Arc::new(AtomicU64::new(0)),
    };
    let total_bytes = total_size(&opts.inputs);
    let source = Mutex::new(Source {
        inputs: &opts.inputs,
        names: &names,
        numbered: ordered,
        next_input: 0,
        current: None,
        seq: 0,
    });
    let (out_tx, out_rx) = channel::<(u64, Vec<u8>)>();
    let window = Window::new(2 * threads);
    let done = AtomicBool::new(false);

    let mut write_error: Option<io::Error> = None;
    type Partial = (Aggregate, Vec<(u64, u32, u64)>);
    let partials: Vec<Partial> = std::thread::scope(|s| {
        let mut workers = Vec::new();
        for _ in 0..threads {
            let (source, shared, out_tx, window) = (&source, &shared, out_tx.clone(), &window);
            let (filters, names, bucket) = (&opts.filters, &names, opts.bucket);
            workers.push(s.spawn(move || {
                let mut agg = Aggregate::new(bucket);
                let mut counted: Vec<(u64, u32, u64)> = Vec::new();
                let mut scratch = Vec::with_capacity(256);
                let mut classifier = classify::Classifier::new();
                let mut block = Block::default();
                let _close = CloseOnPanic(window);
                loop {
                    // Ordered output: a place in the window, and its buffer.
                    let place = if ordered {
                        match window.enter() {
                            Some(buf) => Some(buf),
                            None => break,
                        }
                    } else {
                        None
                    };
                    let more = match source.lock() {
                        Ok(mut src) => src.next_block(shared, &mut block),
                        Err(_) => false,
                    };
                    if !more {
                        if let Some(buf) = place {
                            window.leave(buf);
                        }
                        break;
                    }
                    if let Some(mut out) = place {
                        out.reserve(block.len * 2);
                        process_block(
                            &block,
                            &mut classifier,
                            filters,
                            &mut agg,
                            &mut scratch,
                            Some(&mut out),
                            names,
                        );
                        let _ = out_tx.send((block.seq, out));
                    } else {
                        let lines = process_block(
                            &block,
                            &mut classifier,
                            filters,
                            &mut agg,
                            &mut scratch,
                            None,
                            names,
                        );
                        if block.first_line == 0 {
                            counted.push((block.seq, block.input, lines));
                        }
                    }
                }
                (agg, counted)
            }));
        }
        drop(out_tx);

        if opts.progress && total_bytes >= 8 * 1024 * 1024 {
            let bytes = shared.bytes.clone();
            let done = &done;
            s.spawn(move || progress(total_bytes, &bytes, done));
        }

        if let Some(out) = sink {
            let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
            let mut next = 0u64;
            for (seq, buf) in out_rx.iter() {
                pending.insert(seq, buf);
                while let Some(buf) = pending.remove(&next) {
                    next += 1;
                    if write_error.is_none() {
                        if let Err(e) = out.write_all(&buf) {
                            write_error = Some(e);
                            shared.abort.store(true, Ordering::Relaxed);
                        }
                    }
                    window.leave(buf);
                }
            }
            if write_error.is_none() {
                if let Err(e) = out.flush() {
                    write_error = Some(e);
                }
            }
        } else {
            drop(out_rx);
        }
        let partials = workers
            .into_iter()
            .filter_map(|w| w.join().ok())
            .collect::<Vec<_>>();
        done.store(true, Ordering::Relaxed);
        partials
    });

    if let Some(e) = shared.error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    if let Some(e) = write_error {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(LogsError::Output(e.to_string()));
        }
    }
    if partials.len() != threads {
        return Err(LogsError::Output("a worker thread failed".to_string()));
    }
    let mut skipped = shared
        .skipped
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    skipped.sort();
    let mut unopened = shared
        .unopened
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    if !opts.inputs.is_empty() && unopened.len() == opts.inputs.len() {
        // Nothing could be opened at all: an error, not a report.
        unopened.sort();
        let (i, message) = unopened.swap_remove(0);
        return Err(LogsError::Io {
            path: names[i].clone(),
            message,
        });
    }
    let mut agg = Aggregate::new(opts.bucket);
    let mut counted = Vec::new();
    for (p, c) in partials {
        agg.merge(p);
        counted.extend(c);
    }
    renumber(&mut agg, counted);
    agg.lines_per_input.resize(opts.inputs.len(), 0);
    let inputs = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| InputInfo {
            name,
            gzip: shared.gzip[i].load(Ordering::Relaxed),
            lines: agg.lines_per_input[i],
        })
        .collect();
    let mut warnings = shared
        .warnings
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    if interrupted() {
        warnings.push("interrupted: the report shows the lines read so far".to_string());
    }
    agg.finish_timelines(opts.bucket == 0);
    Ok(Outcome {
        inputs,
        aggregate: agg,
        warnings,
        skipped: skipped.into_iter().map(|(_, w)| w).collect(),
    })
}

/// Progress bar on stderr (only started for long runs on a terminal).
fn progress(total: u64, bytes: &AtomicU64, done: &AtomicBool) {
    let start = Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if bar.is_none() && start.elapsed() >= Duration::from_millis(700) {
            let b = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} reading logs {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                b.set_style(style);
            }
            bar = Some(b);
        }
        if let Some(b) = &bar {
            b.set_position(bytes.load(Ordering::Relaxed).min(total));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}

/// Why a run should exit 1 (`--fail-on-cause`, `--max-count`), if it should.
pub fn gate(agg: &Aggregate, fail_on: &[CauseId], max_count: Option<u64>) -> Option<String> {
    let (n, what) = if fail_on.is_empty() {
        let n = Level::ALL
            .iter()
            .filter(|l| **l <= Level::Error)
            .map(|l| agg.level_count(Some(*l)))
            .sum::<u64>();
        (n, "lines at level error or worse".to_string())
    } else {
        let n = fail_on
            .iter()
            .map(|c| agg.per_cause[*c as usize])
            .sum::<u64>();
        let ids: Vec<&str> = fail_on.iter().map(|c| causes::cause(*c).id).collect();
        (n, format!("lines of cause {}", ids.join(", ")))
    };
    match max_count {
        Some(max) if n > max => Some(format!("{n} {what} (more than --max-count {max})")),
        Some(_) => None,
        None if !fail_on.is_empty() && n > 0 => Some(format!("{n} {what}")),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(files: Vec<std::path::PathBuf>, filters: Filters, threads: usize) -> Options {
        Options {
            inputs: files.into_iter().map(Input::File).collect(),
            bucket: 60,
            filters,
            threads,
            progress: false,
        }
    }

    fn sample_log(n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            let m = i % 60;
            match i % 4 {
                0 => s.push_str(&format!("2026/11/25 15:{m:02}:00 [error] 1#1: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: a, request: \"GET /x/{i} HTTP/1.1\", upstream: \"http://10.0.0.9:80/x\"\n")),
                1 => s.push_str(&format!("2026/11/25 15:{m:02}:00 [info] 1#1: *{i} client 10.0.0.1 closed keepalive connection\n")),
                2 => s.push_str("  continuation, no header\n"),
                _ => s.push_str(&format!("2026/11/25 15:{m:02}:30 [error] 1#1: *{i} upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: b, request: \"POST /y HTTP/1.1\", upstream: \"http://10.0.0.8:80/y\"\n")),
            }
        }
        s
    }

    #[test]
    fn totals_add_up_and_threads_do_not_matter() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("error.log.1");
        let b = dir.path().join("error.log");
        std::fs::write(&a, sample_log(30_000)).unwrap();
        std::fs::write(&b, sample_log(1_001)).unwrap();
        let one = analyze(&opts(vec![a.clone(), b.clone()], Filters::default(), 1)).unwrap();
        let four = analyze(&opts(vec![a, b], Filters::default(), 4)).unwrap();
        for o in [&one, &four] {
            assert_eq!(o.aggregate.lines(), 31_001);
            assert_eq!(o.aggregate.counted(), 31_001);
            assert_eq!(o.inputs[0].lines, 30_000);
            assert_eq!(o.inputs[1].lines, 1_001);
        }
        assert_eq!(one.aggregate.per_cause, four.aggregate.per_cause);
        let refused = causes::find("connect-refused").unwrap();
        let g1 = one.aggregate.groups_of(refused);
        let g4 = four.aggregate.groups_of(refused);
        assert_eq!(g1[0].samples, g4[0].samples);
        assert_eq!(g1[0].samples[0].line, 1);
        assert_eq!(g1[0].timeline, g4[0].timeline);
    }

    #[test]
    fn workers_number_lines_of_later_blocks() {
        // 5 MB: mapped and cut into several blocks; the marked lines sit in
        // later blocks and in a second, streamed input.
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("error.log.1");
        let b = dir.path().join("error.log");
        let late = "2026/11/25 16:00:00 [error] 1#1: *9 no live upstreams while connecting to upstream, client: 10.0.0.1, server: late, request: \"GET / HTTP/1.1\", upstream: \"http://late/\"\n";
        let big = sample_log(40_000) + late;
        assert!(big.len() > 4 << 20);
        std::fs::write(&a, &big).unwrap();
        std::fs::write(&b, sample_log(10) + late).unwrap();
        for threads in [1, 2, 3] {
            let o = analyze(&opts(
                vec![a.clone(), b.clone()],
                Filters::default(),
                threads,
            ))
            .unwrap();
            let live = causes::find("no-live-upstreams").unwrap();
            let g = o.aggregate.groups_of(live);
            let pos: Vec<(u32, u64)> = g[0].samples.iter().map(|s| (s.input, s.line)).collect();
            assert_eq!(pos, [(0, 40_001), (1, 11)], "{threads} threads");
            assert_eq!(o.inputs[0].lines, 40_001);
            assert_eq!(o.inputs[1].lines, 11);
        }
    }

    #[test]
    fn filters_count_what_they_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("error.log");
        std::fs::write(&a, sample_log(400)).unwrap();
        let f = Filters {
            level: Some(Level::Error),
            ..Filters::default()
        };
        let o = analyze(&opts(vec![a.clone()], f, 2)).unwrap();
        assert_eq!(o.aggregate.counted(), 200);
        assert_eq!(o.aggregate.filtered, 200);
        let f = Filters {
            upstream: Some("10.0.0.8".into()),
            ..Filters::default()
        };
        let o = analyze(&opts(vec![a.clone()], f, 2)).unwrap();
        assert_eq!(o.aggregate.counted(), 100);
        let since = time::parse_log_time(b"2026/11/25 15:30:00").unwrap();
        let f = Filters {
            since: Some(since),
            level: Some(Level::Error),
            ..Filters::default()
        };
        let o = analyze(&opts(vec![a], f, 2)).unwrap();
        assert!(o.aggregate.first.unwrap() >= since);
        assert_eq!(o.aggregate.counted() + o.aggregate.filtered, 400);
    }

    #[test]
    fn ndjson_has_one_event_per_line_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("error.log");
        std::fs::write(&a, sample_log(20_000)).unwrap();
        let mut out = Vec::new();
        let o = analyze_ndjson(&opts(vec![a], Filters::default(), 3), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let events: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(events.len(), 20_000);
        assert_eq!(o.aggregate.counted(), 20_000);
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e["line"], i as u64 + 1);
        }
        assert_eq!(events[2]["cause"], "unparsable");
    }

    #[test]
    fn gate_rules() {
        let mut agg = Aggregate::new(60);
        let refused = causes::find("connect-refused").unwrap();
        agg.per_cause[refused as usize] = 3;
        agg.per_level[Level::Error as usize] = 3;
        assert!(gate(&agg, &[], None).is_none());
        assert!(gate(&agg, &[], Some(2)).is_some());
        assert!(gate(&agg, &[], Some(3)).is_none());
        assert!(gate(&agg, &[refused], None).is_some());
        assert!(gate(&agg, &[causes::find("read-timeout").unwrap()], None).is_none());
        assert!(gate(&agg, &[refused], Some(5)).is_none());
    }
}
