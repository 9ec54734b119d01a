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
    /// 1-based line number of the first line in `data`.
    pub first_line: u64,
    /// Number of lines in `data`.
    pub lines: u64,
    /// Buffer; `data[..len]` holds complete lines, each ending in `\n`
    /// except possibly the very last line of the input.
    pub data: Vec<u8>,
    pub len: usize,
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

/// Count newlines, eight bytes at a time.
pub fn count_newlines(data: &[u8]) -> u64 {
    const LO: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut chunks = data.chunks_exact(8);
    let mut n = 0u64;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ NL;
        // High bit set in each byte of w that is zero.
        let zero = !(((w & LO) + LO) | w | LO);
        n += u64::from(zero.count_ones());
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count() as u64
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
        }
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
            let mut lines = count_newlines(data);
            if data.last() != Some(&b'\n') {
                lines += 1;
            }
            block.len = valid;
            block.input = self.input;
            block.first_line = self.next_line;
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
