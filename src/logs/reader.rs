//! The line reader: large buffered reads cut into line-aligned blocks.
//!
//! A whole file is never loaded: each input is read in blocks of about
//! [`BLOCK_SIZE`] bytes, cut after the last newline (the remainder carries
//! over to the next block), and numbered so that every line keeps its
//! 1-based line number within its file. Gzip input is recognised by its magic
//! bytes, not its name, and decoded in-process (multi-member, as written by
//! `cat a.gz b.gz` or some log shippers). A line longer than [`MAX_LINE`] is
//! cut there and the rest of it skipped, so a corrupt file cannot make a
//! block grow without bound; it still counts as one line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use super::input::Input;

/// Target size of one block.
pub const BLOCK_SIZE: usize = 1 << 20;
/// Longest line kept; longer lines are truncated.
pub const MAX_LINE: usize = 256 * 1024;

/// Line-aligned bytes of one input.
#[derive(Debug, Default)]
pub struct Block {
    /// Index of the input.
    pub input: u32,
    /// Order of this block among all blocks of the run's reader.
    pub seq: u64,
    /// 1-based line number of the first line in `data`; 0 when the reader
    /// did not count lines (see [`Blocker::unnumbered`]).
    pub first_line: u64,
    /// Number of lines in `data` (0 when not counted).
    pub lines: u64,
    /// Buffer; `data[..len]` holds complete lines, each ending in `\n`
    /// except possibly the very last line of the input.
    pub data: Vec<u8>,
    pub len: usize,
}

impl Block {
    /// The complete lines of this block.
    pub fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }
}

/// What a file looked like when it was opened, to tell afterwards whether
/// it was truncated (logrotate `copytruncate`) or replaced (rename
/// rotation) while it was read. Files are read with plain reads (never
/// memory-mapped), so a truncation only ends the read early.
pub struct Watch {
    path: std::path::PathBuf,
    file: File,
    #[cfg(unix)]
    id: (u64, u64),
    /// Bytes pulled from the file so far.
    pub pos: Arc<AtomicU64>,
}

impl Watch {
    /// A warning when the file changed under the reader, `None` otherwise.
    pub fn check(&self) -> Option<String> {
        let read = self.pos.load(Ordering::Relaxed);
        let name = self.path.display();
        if let Ok(meta) = self.file.metadata() {
            if meta.is_file() && meta.len() < read {
                return Some(format!(
                    "{name}: truncated while it was read (copytruncate rotation?): {read} bytes were read, it now has {}; the lines read are reported",
                    meta.len()
                ));
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match std::fs::metadata(&self.path) {
                Ok(m) if (m.dev(), m.ino()) != self.id => {
                    return Some(format!(
                        "{name}: replaced while it was read (rename rotation?): the old file was read to its end; the new file is not in this report"
                    ))
                }
                Err(_) => {
                    return Some(format!(
                        "{name}: removed or renamed while it was read: the old file was read to its end"
                    ))
                }
                _ => {}
            }
        }
        None
    }
}

/// Open a file once and check it by its metadata (`fstat` of the open
/// handle, never a second open).
pub fn open_file(path: &std::path::Path) -> io::Result<(File, std::fs::Metadata)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    Ok((file, meta))
}

/// Counts bytes pulled from the underlying file (compressed bytes for gzip),
/// for the progress bar.
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Open an input, decoding gzip when the first bytes say so.
pub fn open(input: &Input, counter: Arc<AtomicU64>) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File(p) => Box::new(File::open(p)?),
    };
    decode(raw, counter)
}

/// Wrap an open file for reading: counts what was read into the returned
/// [`Watch`] and decodes gzip.
pub fn open_watched(
    path: &std::path::Path,
    file: File,
    counter: Arc<AtomicU64>,
) -> io::Result<(Box<dyn Read + Send>, bool, Watch)> {
    let pos = Arc::new(AtomicU64::new(0));
    #[cfg(unix)]
    let id = {
        use std::os::unix::fs::MetadataExt;
        let m = file.metadata()?;
        (m.dev(), m.ino())
    };
    let watch = Watch {
        path: path.to_path_buf(),
        file: file.try_clone()?,
        #[cfg(unix)]
        id,
        pos: pos.clone(),
    };
    let raw = Counting {
        inner: file,
        counter: pos,
    };
    let both = Counting {
        inner: raw,
        counter,
    };
    let (r, gz) = decode(Box::new(both), Arc::new(AtomicU64::new(0)))?;
    Ok((r, gz, watch))
}

fn decode(
    raw: Box<dyn Read + Send>,
    counter: Arc<AtomicU64>,
) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let mut buffered = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: raw,
            counter,
        },
    );
    let head = buffered.fill_buf()?;
    let gz = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    if gz {
        Ok((Box::new(MultiGzDecoder::new(buffered)), true))
    } else {
        Ok((Box::new(buffered), false))
    }
}

/// Count newlines (memchr's vectorised counter: several GB/s).
pub fn count_newlines(data: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', data).count() as u64
}

/// Cuts a reader into blocks.
pub struct Blocker<R> {
    reader: R,
    input: u32,
    next_line: u64,
    carry: Vec<u8>,
    /// Inside an overlong line whose head was already emitted.
    skipping: bool,
    eof: bool,
    count: bool,
    /// Hand over lines as soon as a read brings them (pipes, followed files)
    /// instead of filling a whole block first.
    live: bool,
    /// A read error met after some data: the data before it is handed out
    /// first, the error on the next call.
    error: Option<io::Error>,
}

impl<R: Read> Blocker<R> {
    pub fn new(reader: R, input: u32) -> Blocker<R> {
        Blocker {
            reader,
            input,
            next_line: 1,
            carry: Vec::new(),
            skipping: false,
            eof: false,
            count: true,
            live: false,
            error: None,
        }
    }

    /// Leave line counting (and numbering) to the consumer of the blocks:
    /// counting is a pass over every byte, better done by the workers (in
    /// parallel, while they walk the lines anyway) than by the reader.
    pub fn unnumbered(mut self) -> Blocker<R> {
        self.count = false;
        self
    }

    /// Hand over complete lines after every read that brings some.
    pub fn live(mut self) -> Blocker<R> {
        self.live = true;
        self
    }

    /// Lines handed out so far.
    pub fn lines_read(&self) -> u64 {
        self.next_line - 1
    }

    /// Fill `block` with the next block; `Ok(false)` at the end. The buffer
    /// is reused as it is (never re-zeroed): only `data[..len]` is valid.
    /// A read error (a corrupt or truncated gzip member) comes after every
    /// line decoded before it was handed out.
    pub fn next_block(&mut self, block: &mut Block) -> io::Result<bool> {
        loop {
            if self.eof && self.carry.is_empty() {
                return match self.error.take() {
                    Some(e) => Err(e),
                    None => Ok(false),
                };
            }
            let need = (BLOCK_SIZE + 64 * 1024).max(self.carry.len() + 64 * 1024);
            if block.data.len() < need {
                block.data.resize(need, 0);
            }
            let buf = &mut block.data;
            let mut len = self.carry.len();
            buf[..len].copy_from_slice(&self.carry);
            self.carry.clear();
            while len < BLOCK_SIZE && !self.eof {
                match self.reader.read(&mut buf[len..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => {
                        len += n;
                        if self.live && memchr::memchr(b'\n', &buf[len - n..len]).is_some() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.error = Some(e);
                        self.eof = true;
                    }
                }
            }
            if self.skipping {
                // Inside an overlong line whose head was already emitted.
                if let Some(nl) = memchr::memchr(b'\n', &buf[..len]) {
                    self.skipping = false;
                    self.carry.extend_from_slice(&buf[nl + 1..len]);
                }
                continue;
            }
            if len == 0 {
                continue;
            }
            let mut valid = match memchr::memrchr(b'\n', &buf[..len]) {
                Some(nl) if nl + 1 == len => len,
                Some(nl) if self.eof && len - (nl + 1) < MAX_LINE => len,
                Some(nl) => {
                    self.carry.extend_from_slice(&buf[nl + 1..len]);
                    nl + 1
                }
                None if self.eof => len.min(MAX_LINE),
                None if len >= MAX_LINE => {
                    // No newline in a whole block: an overlong line.
                    buf[MAX_LINE] = b'\n';
                    self.skipping = true;
                    MAX_LINE + 1
                }
                None => {
                    self.carry.extend_from_slice(&buf[..len]);
                    continue;
                }
            };
            // Never cut inside a multi-line message: keep an unfinished
            // one for the next block (unless it is the whole block).
            if !self.eof && !self.skipping {
                if let Some(at) = super::record::open_tail(&buf[..valid]) {
                    if at > 0 {
                        let mut carry = buf[at..valid].to_vec();
                        carry.extend_from_slice(&self.carry);
                        self.carry = carry;
                        valid = at;
                    }
                }
            }
            let data = &buf[..valid];
            let lines = if self.count {
                count_newlines(data) + u64::from(data.last() != Some(&b'\n'))
            } else {
                0
            };
            block.len = valid;
            block.input = self.input;
            block.first_line = if self.count { self.next_line } else { 0 };
            block.lines = lines;
            self.next_line += lines;
            return Ok(true);
        }
    }
}

/// Iterate the lines of a block (without their newline), each cut to
/// [`MAX_LINE`] bytes.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
        let line = &data[start..end.min(start + MAX_LINE)];
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(data: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
        let mut b = Blocker::new(data, 0);
        let mut out = Vec::new();
        let mut block = Block::default();
        while b.next_block(&mut block).unwrap() {
            out.push((
                block.first_line,
                block.lines,
                block.data[..block.len].to_vec(),
            ));
        }
        out
    }

    /// Every line (as `lines` yields it) with its line number.
    fn numbered(blocks: &[(u64, u64, Vec<u8>)]) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        for (first, n, data) in blocks {
            let before = out.len();
            for (i, l) in lines(data).enumerate() {
                out.push((first + i as u64, l.to_vec()));
            }
            assert_eq!((out.len() - before) as u64, *n);
        }
        out
    }

    #[test]
    fn truncated_gzip_yields_every_decodable_line_then_the_error() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut text = Vec::new();
        for i in 0..200_000 {
            text.extend_from_slice(format!("line {i} {}\n", i * 7919 % 10007).as_bytes());
        }
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&text).unwrap();
        let gz = e.finish().unwrap();
        let cut = &gz[..gz.len() * 3 / 4];
        let mut zcat = Vec::new();
        let _ = MultiGzDecoder::new(cut).read_to_end(&mut zcat);
        let mut b = Blocker::new(MultiGzDecoder::new(cut), 0);
        let mut block = Block::default();
        let mut got = Vec::new();
        let err = loop {
            match b.next_block(&mut block) {
                Ok(true) => got.push((block.first_line, block.lines, block.bytes().to_vec())),
                Ok(false) => panic!("a truncated member is an error"),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let lines = numbered(&got);
        // Every complete line the decoder produced, numbered in order.
        let complete = zcat.iter().filter(|&&c| c == b'\n').count();
        assert!(complete > 100_000, "{complete}");
        assert!(lines.len() >= complete);
        for (i, (n, l)) in lines.iter().take(complete).enumerate() {
            assert_eq!(*n, i as u64 + 1);
            assert!(l.starts_with(format!("line {i} ").as_bytes()));
        }
    }

    #[test]
    fn blocks_never_cut_a_multi_line_message() {
        let head = "2026/11/25 15:19:34 [error] 7#7: *3 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  boom\n";
        let tail = "  thrown in /x.php on line 3\" while reading response header from upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\"\n";
        let plain =
            "2026/11/25 15:19:34 [info] 7#7: *1 client 1.2.3.4 closed keepalive connection\n";
        let mut data = Vec::new();
        while data.len() < 3 * BLOCK_SIZE {
            data.extend_from_slice(plain.as_bytes());
            data.extend_from_slice(head.as_bytes());
            for i in 0..40 {
                data.extend_from_slice(
                    format!("#{i} /srv/app/vendor/lib.php(12): call()\n").as_bytes(),
                );
            }
            data.extend_from_slice(tail.as_bytes());
        }
        let bs = blocks(&data);
        assert!(bs.len() > 2);
        for (_, _, d) in &bs {
            // Each block starts with a log line and ends after a record.
            assert!(
                d.starts_with(b"2026/"),
                "{:?}",
                String::from_utf8_lossy(&d[..40])
            );
            assert!(d.ends_with(tail.as_bytes()) || d.ends_with(plain.as_bytes()));
        }
        assert_eq!(
            numbered(&bs).len(),
            data.iter().filter(|&&c| c == b'\n').count()
        );
    }

    #[test]
    fn newline_count() {
        let data: Vec<u8> = (0..10_000u32)
            .map(|i| [b'\n', b'a', 0x8a, 0x0b, 0][(i % 7 % 5) as usize])
            .collect();
        let naive = data.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(count_newlines(&data), naive);
        assert_eq!(count_newlines(b"\n\n\n"), 3);
        assert_eq!(count_newlines(b""), 0);
    }

    #[test]
    fn small_inputs() {
        assert!(blocks(b"").is_empty());
        assert_eq!(blocks(b"a\nb\n"), vec![(1, 2, b"a\nb\n".to_vec())]);
        assert_eq!(blocks(b"a\nb"), vec![(1, 2, b"a\nb".to_vec())]);
        assert_eq!(blocks(b"\n\n"), vec![(1, 2, b"\n\n".to_vec())]);
        let ls: Vec<&[u8]> = lines(b"a\n\nb").collect();
        assert_eq!(ls, [&b"a"[..], b"", b"b"]);
    }

    #[test]
    fn big_input_is_cut_at_newlines_and_numbered() {
        let mut data = Vec::new();
        for i in 0..200_000 {
            data.extend_from_slice(format!("line {i} with some padding text\n").as_bytes());
        }
        let bs = blocks(&data);
        assert!(bs.len() > 3);
        let mut expect_line = 1;
        let mut joined = Vec::new();
        for (first, n, d) in &bs {
            assert_eq!(*first, expect_line);
            assert_eq!(d.last(), Some(&b'\n'));
            assert!(d.starts_with(format!("line {} ", first - 1).as_bytes()));
            expect_line += n;
            joined.extend_from_slice(d);
        }
        assert_eq!(expect_line - 1, 200_000);
        assert_eq!(joined, data);
    }

    #[test]
    fn overlong_line_is_truncated_and_counted_once() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 5 * BLOCK_SIZE + 17));
        data.extend_from_slice(b"\nlast\n");
        let bs = blocks(&data);
        let total: u64 = bs.iter().map(|b| b.1).sum();
        assert_eq!(total, 3);
        let all: Vec<u8> = bs.iter().flat_map(|b| b.2.clone()).collect();
        let ls: Vec<&[u8]> = lines(&all).collect();
        assert_eq!(ls.len(), 3);
        assert_eq!(ls[1].len(), MAX_LINE);
        assert_eq!(ls[2], b"last");
    }

    #[test]
    fn gzip_is_detected_by_magic_and_multi_member() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut gz = Vec::new();
        for part in ["a\nb\n", "c\n"] {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part.as_bytes()).unwrap();
            gz.extend(e.finish().unwrap());
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("error.log.2.not-named-gz");
        std::fs::write(&p, &gz).unwrap();
        let (mut r, is_gz) = open(&Input::File(p), Arc::new(AtomicU64::new(0))).unwrap();
        assert!(is_gz);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "a\nb\nc\n");
    }
}
