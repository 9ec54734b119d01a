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

/// What a run reports besides the aggregate.
#[derive(Default)]
struct Notes {
    warnings: Vec<String>,
    skipped: Vec<String>,
    /// (input index, error) of inputs that could not be opened at all.
    unopened: Vec<(usize, String)>,
}

/// What a pipe thread's message did to its feed.
enum Step {
    /// New data.
    Data,
    /// Nothing to classify (opened, a warning).
    Other,
    /// The input ended (end of file, an error, the thread gone).
    End,
}

impl Feed {
    /// The next message of the feed's pipe thread, if one is waiting.
    fn try_recv(&self) -> Result<Msg, TryRecvError> {
        match &self.source {
            Source::Pipe(rx) => rx.try_recv(),
            Source::Follow(_) => Err(TryRecvError::Disconnected),
        }
    }

    /// Apply one message of the feed's pipe thread (`None`: the thread is
    /// gone).
    fn apply(&mut self, msg: Option<Msg>, name: &str, i: usize, notes: &mut Notes) -> Step {
        match msg {
            Some(Msg::Opened(gz)) => {
                self.opened = true;
                self.gzip = gz;
                Step::Other
            }
            Some(Msg::Data(d)) => {
                self.asm.buf.extend_from_slice(&d);
                Step::Data
            }
            Some(Msg::Warn(w)) => {
                notes.warnings.push(w);
                Step::Other
            }
            Some(Msg::Err(e)) => {
                if self.opened {
                    notes
                        .skipped
                        .push(format!("{name}: {e}; every line before it was read"));
                } else {
                    notes.skipped.push(format!("{name}: {e}; skipped"));
                    notes.unopened.push((i, e));
                }
                Step::End
            }
            Some(Msg::Eof) | None => Step::End,
        }
    }
}

/// The classifying side of a live run: everything [`super::process_block`]
/// needs, and the NDJSON events not yet written.
struct Classify<'a> {
    opts: &'a Options,
    names: &'a [String],
    block: Block,
    classifier: classify::Classifier,
    agg: Aggregate,
    scratch: Vec<u8>,
    out: Vec<u8>,
    ndjson: bool,
}

impl Classify<'_> {
    /// Classify the first `n` bytes of input `input`'s buffer.
    fn take(&mut self, input: usize, asm: &mut Assembler, n: usize) {
        if n == 0 {
            return;
        }
        let block = &mut self.block;
        block.data.clear();
        block.data.extend(asm.buf.drain(..n));
        block.len = n;
        block.input = input as u32;
        block.first_line = asm.next_line;
        let lines = super::process_block(
            block,
            &mut self.classifier,
            &self.opts.filters,
            &mut self.agg,
            &mut self.scratch,
            self.ndjson.then_some(&mut self.out),
            self.names,
        );
        asm.next_line += lines;
    }

    /// Classify everything a feed still holds and mark it done.
    fn finish(&mut self, input: usize, feed: &mut Feed) {
        let n = feed.asm.buf.len();
        self.take(input, &mut feed.asm, n);
        feed.done = true;
    }

    /// Write the pending events to `sink` (flushed, so that a reader sees
    /// them now).
    fn flush<W: Write + ?Sized>(&mut self, sink: Option<&mut W>) -> io::Result<()> {
        let r = match sink {
            Some(out) if !self.out.is_empty() => {
                out.write_all(&self.out).and_then(|()| out.flush())
            }
            _ => Ok(()),
        };
        self.out.clear();
        r
    }
}

/// Open the sources of a live run: followed files are opened here, pipes
/// (and files read once) by a thread each.
fn open_feeds(
    opts: &Options,
    live: &LiveOptions,
    names: &[String],
    notes: &mut Notes,
) -> Vec<Feed> {
    let mut feeds: Vec<Feed> = Vec::new();
    for (i, inp) in opts.inputs.iter().enumerate() {
        // Rotated files (and gzip) are complete: read, not followed.
        let follow = match inp {
            Input::File(p)
                if live.follow
                    && std::fs::metadata(p).is_ok_and(|m| m.is_file())
                    && !is_gzip(p)
                    && !input::is_rotated(p) =>
            {
                Some(p)
            }
            _ => None,
        };
        let source = match follow {
            Some(p) => match Follower::open(p) {
                Ok(f) => Source::Follow(f),
                Err(e) => {
                    notes.skipped.push(format!("{}: {e}; skipped", names[i]));
                    notes.unopened.push((i, e.to_string()));
                    feeds.push(Feed {
                        source: Source::Pipe(sync_channel(1).1),
                        asm: Assembler::new(),
                        done: true,
                        opened: false,
                        gzip: false,
                    });
                    continue;
                }
            },
            None => Source::Pipe(spawn_pipe(inp.clone())),
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
    feeds
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
    let mut notes = Notes::default();
    let mut feeds = open_feeds(opts, live, &names, &mut notes);
    let mut run = Classify {
        opts,
        names: &names,
        block: Block::default(),
        classifier: classify::Classifier::new(),
        agg: Aggregate::new(opts.bucket),
        scratch: Vec::with_capacity(256),
        out: Vec::new(),
        ndjson: sink.is_some(),
    };
    let mut write_error: Option<io::Error> = None;
    let mut last_tick = Instant::now();

    loop {
        if interrupted() {
            notes
                .warnings
                .push("interrupted: the report shows the lines read so far".to_string());
            break;
        }
        let mut progressed = false;
        let mut waiting_pipe: Option<usize> = None;
        for (i, feed) in feeds.iter_mut().enumerate() {
            if feed.done {
                continue;
            }
            let mut eof = false;
            let before = feed.asm.buf.len();
            match &mut feed.source {
                Source::Pipe(_) => loop {
                    let msg = match feed.try_recv() {
                        Ok(m) => Some(m),
                        Err(TryRecvError::Disconnected) => None,
                        Err(TryRecvError::Empty) => break,
                    };
                    match feed.apply(msg, &names[i], i, &mut notes) {
                        Step::Data if feed.asm.buf.len() >= reader::BLOCK_SIZE => break,
                        Step::Data | Step::Other => {}
                        Step::End => {
                            eof = true;
                            break;
                        }
                    }
                },
                Source::Follow(f) => match f.poll(&mut feed.asm.buf) {
                    Ok(Change::None) => {}
                    Ok(change) => {
                        // Classify what the old file still held first.
                        let n = feed.asm.buf.len();
                        run.take(i, &mut feed.asm, n);
                        feed.asm.next_line = 1;
                        notes.warnings.push(match change {
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
                        notes.skipped.push(format!(
                            "{}: read failed ({e}); stopped following it",
                            names[i]
                        ));
                        eof = true;
                    }
                },
            }
            // New data (after a rotation the old file's rest was classified
            // and the buffer emptied: no new data yet).
            if feed.asm.buf.len() > before {
                feed.asm.idle = 0;
                progressed = true;
            } else {
                feed.asm.idle = feed.asm.idle.saturating_add(1);
            }
            let n = feed.asm.ready(eof);
            run.take(i, &mut feed.asm, n);
            if eof {
                feed.done = true;
            } else if matches!(feed.source, Source::Pipe(_)) {
                // Inputs are reported in order: wait for this one to end
                // before reading the next.
                waiting_pipe = Some(i);
                break;
            }
        }
        if write_error.is_none() {
            if let Err(e) = run.flush(sink.as_deref_mut()) {
                write_error = Some(e);
                break;
            }
        }
        if last_tick.elapsed() >= live.refresh {
            on_tick(&run.agg);
            last_tick = Instant::now();
        }
        if feeds.iter().all(|f| f.done) {
            break;
        }
        if !progressed {
            // Nothing new: wait on the pipe in front, or poll later.
            match waiting_pipe {
                Some(i) => {
                    let feed = &mut feeds[i];
                    let Source::Pipe(rx) = &feed.source else {
                        continue;
                    };
                    let msg = match rx.recv_timeout(live.poll) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Disconnected) => None,
                        Err(RecvTimeoutError::Timeout) => continue,
                    };
                    match feed.apply(msg, &names[i], i, &mut notes) {
                        Step::Data => feed.asm.idle = 0,
                        Step::Other => {}
                        Step::End => run.finish(i, feed),
                    }
                }
                None => std::thread::sleep(live.poll),
            }
        }
    }
    if write_error.is_none() {
        if let Err(e) = run.flush(sink) {
            write_error = Some(e);
        }
    }
    if let Some(e) = write_error {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(LogsError::Output(e.to_string()));
        }
    }
    let Notes {
        warnings,
        skipped,
        mut unopened,
    } = notes;
    if !opts.inputs.is_empty() && unopened.len() == opts.inputs.len() {
        let (i, message) = unopened.swap_remove(0);
        return Err(LogsError::Io {
            path: names[i].clone(),
            message,
        });
    }
    let mut agg = run.agg;
    agg.lines_per_input.resize(opts.inputs.len(), 0);
    agg.finish_timelines(opts.bucket == 0);
    let inputs = names
        .iter()
        .enumerate()
        .map(|(i, name)| InputInfo {
            name: name.clone(),
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
