//! Live input: stdin, named pipes and followed files, processed as the data
//! arrives.
//!
//! The batch pipeline ([`super::analyze`]) reads whole files in large blocks
//! on several threads; that is right for files at rest but prints nothing
//! for `tail -f error.log | ngxray logs` until EOF. Here each pipe is read by
//! its own thread with blocking reads, a followed file is polled like
//! `tail -F` (across rename and truncate rotation), and one thread
//! classifies whatever complete lines came in, so NDJSON events are written
//! as lines arrive. A multi-line message still being written is held back
//! until its last line (or until the input has been idle for a moment).
//! The summary is built at the end of input or when the run is interrupted
//! (Ctrl-C, see [`super::interrupt`]).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::aggregate::Aggregate;
use super::input::{self, Input};
use super::reader::{self, Block};
use super::{classify, interrupted, InputInfo, LogsError, Options, Outcome};

/// How a live run behaves.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Follow regular files like `tail -F`: after their end, wait for more,
    /// across rename and truncate rotation, until interrupted.
    pub follow: bool,
    /// How often a followed file is looked at when it has nothing new.
    pub poll: Duration,
    /// How often `on_tick` is called (a refreshing summary).
    pub refresh: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            follow: false,
            poll: Duration::from_millis(200),
            refresh: Duration::from_secs(2),
        }
    }
}

/// Messages of a pipe-reading thread.
enum Msg {
    Opened(bool),
    Data(Vec<u8>),
    Warn(String),
    Err(String),
    Eof,
}

/// Complete lines waiting to be classified, with the next line number.
struct Assembler {
    buf: Vec<u8>,
    next_line: u64,
    /// Polls without new data (an unfinished multi-line message is let go
    /// after a few).
    idle: u32,
}

impl Assembler {
    fn new() -> Assembler {
        Assembler {
            buf: Vec::new(),
            next_line: 1,
            idle: 0,
        }
    }

    /// How many bytes of `buf` can be classified now.
    fn ready(&self, eof: bool) -> usize {
        if eof {
            return self.buf.len();
        }
        let Some(nl) = memchr::memrchr(b'\n', &self.buf) else {
            // A line longer than any real one: let it go in pieces.
            return if self.buf.len() > 2 * reader::MAX_LINE {
                self.buf.len()
            } else {
                0
            };
        };
        let end = nl + 1;
        if self.idle < 3 {
            if let Some(at) = super::record::open_tail(&self.buf[..end]) {
                return at;
            }
        }
        end
    }
}

enum Source {
    /// Read by a thread with blocking reads (stdin, FIFOs, files not
    /// followed; gzip decoded there).
    Pipe(Receiver<Msg>),
    /// A followed regular file.
    Follow(Follower),
}

struct Follower {
    path: PathBuf,
    file: File,
    pos: u64,
    id: (u64, u64),
}

fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (m.dev(), m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        (0, 0)
    }
}

/// What a poll of a followed file found besides data.
enum Change {
    None,
    Truncated,
    Rotated,
}

impl Follower {
    fn open(path: &Path) -> io::Result<Follower> {
        input::check_special(path)?;
        let (file, meta) = reader::open_file(path)?;
        Ok(Follower {
            path: path.to_path_buf(),
            file,
            pos: 0,
            id: file_id(&meta),
        })
    }

    /// Append what is new to `out` (at most about 1 MB); at the end of the
    /// file, look for truncation and rotation.
    fn poll(&mut self, out: &mut Vec<u8>) -> io::Result<Change> {
        let mut chunk = [0u8; 64 * 1024];
        let mut got = 0;
        while got < (1 << 20) {
            match self.file.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    out.extend_from_slice(&chunk[..n]);
                    got += n;
                    self.pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got > 0 {
            return Ok(Change::None);
        }
        if self.file.metadata()?.len() < self.pos {
            self.file.seek(SeekFrom::Start(0))?;
            self.pos = 0;
            return Ok(Change::Truncated);
        }
        match std::fs::metadata(&self.path) {
            Ok(m) if file_id(&m) != self.id && m.is_file() => {
                // The old file was read to its end just now; go on with
                // the new one from its start.
                let (file, meta) = reader::open_file(&self.path)?;
                self.file = file;
                self.id = file_id(&meta);
                self.pos = 0;
                Ok(Change::Rotated)
            }
            _ => Ok(Change::None),
        }
    }
}

/// Start a thread that reads an input with blocking reads.
fn spawn_pipe(input: Input) -> Receiver<Msg> {
    let (tx, rx) = sync_channel::<Msg>(16);
    std::thread::spawn(move || {
        let opened = match &input {
            Input::Stdin => {
                reader::open(&input, Arc::new(AtomicU64::new(0))).map(|(r, gz)| (r, gz, None))
            }
            Input::File(p) => input::check_special(p)
                .and_then(|()| reader::open_file(p))
                .and_then(|(f, _)| reader::open_watched(p, f, Arc::new(AtomicU64::new(0))))
                .map(|(r, gz, w)| (r, gz, Some(w))),
        };
        let (mut r, gz, watch) = match opened {
            Ok(x) => x,
            Err(e) => {
                let _ = tx.send(Msg::Err(e.to_string()));
                return;
            }
        };
        if tx.send(Msg::Opened(gz)).is_err() {
            return;
        }
        loop {
            let mut buf = vec![0u8; 256 * 1024];
            match r.read(&mut buf) {
                Ok(0) => {
                    if let Some(w) = watch.as_ref().and_then(reader::Watch::check) {
                        let _ = tx.send(Msg::Warn(w));
                    }
                    let _ = tx.send(Msg::Eof);
                    return;
                }
                Ok(n) => {
                    buf.truncate(n);
                    if tx.send(Msg::Data(buf)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let why = match (gz, e.kind()) {
                        (true, io::ErrorKind::UnexpectedEof) => {
                            "gzip data ends early (truncated, or still being written)".to_string()
                        }
                        (true, _) => format!("invalid gzip data ({e})"),
                        _ => format!("read failed ({e})"),
                    };
                    let _ = tx.send(Msg::Err(why));
                    return;
                }
            }
        }
    });
    rx
}

/// Per-input state of a live run.
struct Feed {
    source: Source,
    asm: Assembler,
    done: bool,
    opened: bool,
    gzip: bool,
}

/// Read the inputs live: NDJSON events (when `sink` is given) are written
/// and flushed as lines arrive; `on_tick` gets the aggregate so far every
/// `live.refresh` (for a refreshing summary). Returns at the end of every
/// input that is not followed, or when the run is interrupted.
pub fn run_live(
    opts: &Options,
    live: &LiveOptions,
    mut sink: Option<&mut dyn Write>,
    on_tick: &mut dyn FnMut(&Aggregate),
) -> Result<Outcome, LogsError> {
    let names: Vec<String> = opts.inputs.iter().map(Input::display).collect();
    let mut feeds: Vec<Feed> = Vec::new();
    let mut warnings = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut unopened: Vec<(usize, String)> = Vec::new();
    for (i, inp) in opts.inputs.iter().enumerate() {
        // Rotated files (and gzip) are complete: read, not followed.
        let follow_file = match inp {
            Input::File(p) if live.follow => {
                std::fs::metadata(p).is_ok_and(|m| m.is_file())
                    && !is_gzip(p)
                    && !input::is_rotated(p)
            }
            _ => false,
        };
        let source = if follow_file {
            let Input::File(p) = inp else { unreachable!() };
            match Follower::open(p) {
                Ok(f) => Source::Follow(f),
                Err(e) => {
                    skipped.push(format!("{}: {e}; skipped", names[i]));
                    unopened.push((i, e.to_string()));
                    feeds.push(Feed {
                        source: Source::Pipe(sync_channel(1).1),
                        asm: Assembler::new(),
                        done: true,
                        opened: false,
                        gzip: false,
                    });
                    continue;
                }
            }
        } else {
            Source::Pipe(spawn_pipe(inp.clone()))
        };
        let opened = matches!(source, Source::Follow(_));
        feeds.push(Feed {
            source,
            asm: Assembler::new(),
            done: false,
            opened,
            gzip: false,
        });
    }

    let mut agg = Aggregate::new(opts.bucket);
    let mut classifier = classify::Classifier::new();
    let mut scratch = Vec::with_capacity(256);
    let mut out_buf: Vec<u8> = Vec::new();
    let mut write_error: Option<io::Error> = None;
    let mut last_tick = Instant::now();
    let mut block = Block::default();

    loop {
        if interrupted() {
            warnings.push("interrupted: the report shows the lines read so far".to_string());
            break;
        }
        let mut progressed = false;
        let mut waiting_pipe: Option<usize> = None;
        for i in 0..feeds.len() {
            if feeds[i].done {
                continue;
            }
            let feed = &mut feeds[i];
            let mut eof = false;
            let mut new_data = false;
            match &mut feed.source {
                Source::Pipe(rx) => loop {
                    match rx.try_recv() {
                        Ok(Msg::Opened(gz)) => {
                            feed.opened = true;
                            feed.gzip = gz;
                        }
                        Ok(Msg::Data(d)) => {
                            feed.asm.buf.extend_from_slice(&d);
                            new_data = true;
                            if feed.asm.buf.len() >= reader::BLOCK_SIZE {
                                break;
                            }
                        }
                        Ok(Msg::Warn(w)) => warnings.push(w),
                        Ok(Msg::Err(e)) => {
                            if feed.opened {
                                skipped.push(format!(
                                    "{}: {e}; every line before it was read",
                                    names[i]
                                ));
                            } else {
                                skipped.push(format!("{}: {e}; skipped", names[i]));
                                unopened.push((i, e));
                            }
                            eof = true;
                            break;
                        }
                        Ok(Msg::Eof) | Err(TryRecvError::Disconnected) => {
                            eof = true;
                            break;
                        }
                        Err(TryRecvError::Empty) => break,
                    }
                },
                Source::Follow(f) => {
                    let before = feed.asm.buf.len();
                    match f.poll(&mut feed.asm.buf) {
                        Ok(Change::None) => {}
                        Ok(change) => {
                            // Classify what the old file still held first.
                            let n = feed.asm.buf.len();
                            process(
                                opts,
                                &names,
                                i,
                                &mut feed.asm,
                                n,
                                &mut block,
                                &mut classifier,
                                &mut agg,
                                &mut scratch,
                                &mut out_buf,
                                sink.is_some(),
                            );
                            feed.asm.next_line = 1;
                            warnings.push(match change {
                                Change::Truncated => format!(
                                    "{}: truncated (copytruncate rotation?); following it from its start",
                                    names[i]
                                ),
                                _ => format!(
                                    "{}: rotated (renamed and recreated); following the new file",
                                    names[i]
                                ),
                            });
                        }
                        Err(e) => {
                            skipped.push(format!(
                                "{}: read failed ({e}); stopped following it",
                                names[i]
                            ));
                            eof = true;
                        }
                    }
                    new_data = feed.asm.buf.len() > before;
                }
            }
            if new_data {
                feed.asm.idle = 0;
                progressed = true;
            } else {
                feed.asm.idle = feed.asm.idle.saturating_add(1);
            }
            let n = feed.asm.ready(eof);
            if n > 0 {
                process(
                    opts,
                    &names,
                    i,
                    &mut feed.asm,
                    n,
                    &mut block,
                    &mut classifier,
                    &mut agg,
                    &mut scratch,
                    &mut out_buf,
                    sink.is_some(),
                );
            }
            if eof {
                feed.done = true;
            } else if matches!(feed.source, Source::Pipe(_)) {
                // Inputs are reported in order: wait for this one to end
                // before reading the next.
                waiting_pipe = Some(i);
                break;
            }
        }
        if let Some(out) = sink.as_deref_mut() {
            if !out_buf.is_empty() && write_error.is_none() {
                if let Err(e) = out.write_all(&out_buf).and_then(|()| out.flush()) {
                    write_error = Some(e);
                }
            }
            out_buf.clear();
            if write_error.is_some() {
                break;
            }
        }
        if last_tick.elapsed() >= live.refresh {
            on_tick(&agg);
            last_tick = Instant::now();
        }
        if feeds.iter().all(|f| f.done) {
            break;
        }
        if !progressed {
            // Nothing new: wait on the pipe in front, or poll later.
            match waiting_pipe.map(|i| &feeds[i].source) {
                Some(Source::Pipe(rx)) => {
                    let i = waiting_pipe.unwrap_or(0);
                    match rx.recv_timeout(live.poll) {
                        Ok(Msg::Data(d)) => {
                            feeds[i].asm.buf.extend_from_slice(&d);
                            feeds[i].asm.idle = 0;
                        }
                        Ok(Msg::Opened(gz)) => {
                            feeds[i].opened = true;
                            feeds[i].gzip = gz;
                        }
                        Ok(Msg::Warn(w)) => warnings.push(w),
                        Ok(Msg::Err(e)) => {
                            if feeds[i].opened {
                                skipped.push(format!(
                                    "{}: {e}; every line before it was read",
                                    names[i]
                                ));
                            } else {
                                skipped.push(format!("{}: {e}; skipped", names[i]));
                                unopened.push((i, e));
                            }
                            finish_feed(
                                opts,
                                &names,
                                i,
                                &mut feeds[i],
                                &mut block,
                                &mut classifier,
                                &mut agg,
                                &mut scratch,
                                &mut out_buf,
                                sink.is_some(),
                            );
                        }
                        Ok(Msg::Eof) | Err(RecvTimeoutError::Disconnected) => {
                            finish_feed(
                                opts,
                                &names,
                                i,
                                &mut feeds[i],
                                &mut block,
                                &mut classifier,
                                &mut agg,
                                &mut scratch,
                                &mut out_buf,
                                sink.is_some(),
                            );
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                }
                _ => std::thread::sleep(live.poll),
            }
        }
    }
    if let Some(out) = sink {
        if !out_buf.is_empty() && write_error.is_none() {
            if let Err(e) = out.write_all(&out_buf).and_then(|()| out.flush()) {
                write_error = Some(e);
            }
        }
    }
    if let Some(e) = write_error {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(LogsError::Output(e.to_string()));
        }
    }
    if !opts.inputs.is_empty() && unopened.len() == opts.inputs.len() {
        let (i, message) = unopened.swap_remove(0);
        return Err(LogsError::Io {
            path: names[i].clone(),
            message,
        });
    }
    agg.lines_per_input.resize(opts.inputs.len(), 0);
    agg.finish_timelines(opts.bucket == 0);
    let inputs = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| InputInfo {
            name,
            gzip: feeds[i].gzip,
            lines: agg.lines_per_input[i],
        })
        .collect();
    Ok(Outcome {
        inputs,
        aggregate: agg,
        warnings,
        skipped,
    })
}

/// Classify everything a finished feed still holds and mark it done.
#[allow(clippy::too_many_arguments)]
fn finish_feed(
    opts: &Options,
    names: &[String],
    i: usize,
    feed: &mut Feed,
    block: &mut Block,
    classifier: &mut classify::Classifier,
    agg: &mut Aggregate,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
    ndjson: bool,
) {
    let n = feed.asm.buf.len();
    process(
        opts,
        names,
        i,
        &mut feed.asm,
        n,
        block,
        classifier,
        agg,
        scratch,
        out,
        ndjson,
    );
    feed.done = true;
}

/// Classify the first `n` bytes of a feed's buffer.
#[allow(clippy::too_many_arguments)]
fn process(
    opts: &Options,
    names: &[String],
    input: usize,
    asm: &mut Assembler,
    n: usize,
    block: &mut Block,
    classifier: &mut classify::Classifier,
    agg: &mut Aggregate,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
    ndjson: bool,
) {
    if n == 0 {
        return;
    }
    block.data.clear();
    block.data.extend(asm.buf.drain(..n));
    block.len = n;
    block.input = input as u32;
    block.first_line = asm.next_line;
    let lines = super::process_block(
        block,
        classifier,
        &opts.filters,
        agg,
        scratch,
        ndjson.then_some(out),
        names,
    );
    asm.next_line += lines;
}

/// Does the file start with the gzip magic bytes?
fn is_gzip(p: &Path) -> bool {
    let mut magic = [0u8; 2];
    File::open(p)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

/// Does this run need the live reader? Stdin and named pipes are read as
/// they arrive; `--follow` follows files.
pub fn wanted(inputs: &[Input], follow: bool) -> bool {
    follow
        || inputs.iter().any(|i| match i {
            Input::Stdin => true,
            Input::File(p) => is_fifo(p),
        })
}

fn is_fifo(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(p).is_ok_and(|m| m.file_type().is_fifo())
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        false
    }
}
