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
    /// did not count lines (see [`MapBlocker::unnumbered`]).
    pub first_line: u64,
    /// Number of lines in `data` (0 when not counted).
    pub lines: u64,
    /// Buffer; `data[..len]` holds complete lines, each ending in `\n`
    /// except possibly the very last line of the input.
    pub data: Vec<u8>,
    pub len: usize,
    /// When set, the lines are `map[start..start + len]` of a memory-mapped
    /// file and `data` is unused.
    pub map: Option<Arc<memmap2::Mmap>>,
    pub start: usize,
}

impl Block {
    /// The complete lines of this block.
    pub fn bytes(&self) -> &[u8] {
        match &self.map {
            Some(m) => &m[self.start..self.start + self.len],
            None => &self.data[..self.len],
        }
    }

    /// Drop the mapped pages this block covered from memory (they are
    /// clean file pages), so that resident memory stays bounded while a
    /// large file is mapped. Only whole pages inside the block are dropped.
    pub fn release(&self) {
        const PAGE: usize = 4096;
        if let Some(m) = &self.map {
            let from = self.start.div_ceil(PAGE) * PAGE;
            let to = (self.start + self.len) / PAGE * PAGE;
            if to > from {
                // SAFETY: the mapping is read-only and private to this
                // process; dropping clean file pages only means a later read
                // of them faults them in again from the file.
                let _ = unsafe {
                    m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
                };
            }
        }
    }
}

/// Smallest file worth mapping: below this, plain reads cost less than
/// setting up a mapping.
const MAP_MIN: u64 = 4 * 1024 * 1024;

/// Map a regular, uncompressed file for zero-copy reading. `None` (read it
/// as a stream instead) for anything else or when mapping fails.
pub fn map_file(path: &std::path::Path) -> Option<Arc<memmap2::Mmap>> {
    let mut file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() < MAP_MIN {
        return None;
    }
    let mut magic = [0u8; 2];
    file.read_exact(&mut magic).ok()?;
    if magic == [0x1f, 0x8b] {
        return None;
    }
    // SAFETY: the mapping is only read. A file truncated while it is read
    // would fault; log rotation renames (or copies then truncates) files,
    // and a copy-truncate racing a run is the accepted risk, as in other
    // mmap-based log and search tools.
    let map = unsafe { memmap2::MmapOptions::new().map(&file) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(Arc::new(map))
}

/// Cuts a mapped file into line-aligned blocks without copying.
pub struct MapBlocker {
    map: Arc<memmap2::Mmap>,
    input: u32,
    next_line: u64,
    off: usize,
    count: bool,
}

impl MapBlocker {
    pub fn new(map: Arc<memmap2::Mmap>, input: u32) -> MapBlocker {
        MapBlocker {
            map,
            input,
            next_line: 1,
            off: 0,
            count: true,
        }
    }

    /// Leave line counting (and numbering) to the consumer of the blocks:
    /// counting is a pass over every byte, better done by the workers (in
    /// parallel, while they walk the lines anyway) than by the reader.
    pub fn unnumbered(mut self) -> MapBlocker {
        self.count = false;
        self
    }

    /// The next block, or `None` at the end. Line numbers and counts are
    /// the same as [`Blocker`] gives for the same bytes (overlong lines are
    /// cut by [`lines`]).
    pub fn next_block(&mut self) -> Option<Block> {
        let data: &[u8] = &self.map;
        if self.off >= data.len() {
            return None;
        }
        let target = self.off + BLOCK_SIZE;
        let end = if target >= data.len() {
            data.len()
        } else {
            memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |i| target + i + 1)
        };
        let bytes = &data[self.off..end];
        let lines = if self.count {
            count_newlines(bytes) + u64::from(bytes.last() != Some(&b'\n'))
        } else {
            0
        };
        let block = Block {
            input: self.input,
            first_line: if self.count { self.next_line } else { 0 },
            lines,
            len: end - self.off,
            map: Some(self.map.clone()),
            start: self.off,
            ..Block::default()
        };
        self.next_line += lines;
        self.off = end;
        Some(block)
    }
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
        }
    }

    /// See [`MapBlocker::unnumbered`].
    pub fn unnumbered(mut self) -> Blocker<R> {
        self.count = false;
        self
    }

    /// Fill `block` with the next block; `Ok(false)` at the end. The buffer
    /// is reused as it is (never re-zeroed): only `data[..len]` is valid.
    pub fn next_block(&mut self, block: &mut Block) -> io::Result<bool> {
        loop {
            if self.eof && self.carry.is_empty() {
                return Ok(false);
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
                    Ok(n) => len += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
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
            let valid = match memchr::memrchr(b'\n', &buf[..len]) {
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
    fn mapped_file_reads_like_a_stream() {
        let mut data = Vec::new();
        let mut i = 0u64;
        while data.len() < 5 * 1024 * 1024 {
            data.extend_from_slice(
                format!("2026/11/25 15:00:00 [error] 1#1: *{i} line {i}\n").as_bytes(),
            );
            if i == 20_000 {
                // An overlong line, cut at MAX_LINE by both readers.
                data.extend_from_slice(&vec![b'x'; MAX_LINE + 1000]);
                data.push(b'\n');
            }
            i += 1;
        }
        data.extend_from_slice(b"last line without newline");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("error.log");
        std::fs::write(&path, &data).unwrap();
        let map = map_file(&path).expect("a large plain file is mapped");
        let mut mb = MapBlocker::new(map, 0);
        let mut mapped = Vec::new();
        while let Some(b) = mb.next_block() {
            mapped.push((b.first_line, b.lines, b.bytes().to_vec()));
            b.release();
        }
        assert!(mapped.len() > 2);
        let streamed = numbered(&blocks(&data));
        assert_eq!(numbered(&mapped), streamed);
        assert_eq!(streamed.len() as u64, i + 2);
        // Gzip and small files are streamed.
        std::fs::write(&path, [0x1f, 0x8b, 8, 0]).unwrap();
        assert!(map_file(&path).is_none());
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
        data.extend(std::iter::repeat(b'x').take(5 * BLOCK_SIZE + 17));
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
