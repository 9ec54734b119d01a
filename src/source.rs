//! Source map: every byte of configuration text ngxray reads lives here once,
//! addressed by a [`FileId`], so that spans stay small (`file`, `start`, `end`)
//! and line/column are computed only when a diagnostic is reported.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one file. Offsets are stored as `u32`
/// (the loader refuses files of 4 GiB or more), which keeps spans at 12
/// bytes: every word and directive of the syntax tree carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    start: u32,
    end: u32,
}

/// Below this much configuration text, work stays on the calling thread
/// (the line index beside the parse, the checks side by side): a small config is read and checked in a fraction of a
/// millisecond, less than starting a thread per core costs (what a
/// pre-commit hook feels).
pub const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// The largest file the loader accepts: offsets must fit a [`Span`].
pub const MAX_FILE_LEN: usize = u32::MAX as usize;

impl Span {
    /// Offsets beyond [`MAX_FILE_LEN`] saturate (the loader never makes
    /// such a file).
    #[inline]
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let clamp = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Span {
            file,
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// First byte offset.
    #[inline]
    pub fn start(&self) -> usize {
        self.start as usize
    }

    /// Byte offset just past the end.
    #[inline]
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// The smallest span covering `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A 1-based line/column position. `column` counts characters (lossy UTF-8),
/// `offset` is the byte offset in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// One file's bytes and the offsets where its lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user named it (or as an `nginx -T` dump named it).
    pub path: PathBuf,
    /// `path` as reports print it (lossy UTF-8), made once: every finding
    /// of the file names it.
    display: String,
    pub text: Vec<u8>,
    line_starts: Vec<usize>,
    /// All bytes ASCII: a column is a byte distance (O(1) positions).
    ascii: bool,
}

/// What a [`SourceFile`] knows about its text's lines, built separately so
/// that large files can be indexed on one core while parsed on another.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &[u8]) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        LineIndex {
            line_starts,
            ascii: text.is_ascii(),
        }
    }
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: Vec<u8>) -> Self {
        let index = LineIndex::new(&text);
        Self::with_index(path, text, index)
    }

    /// A file whose `index` was built from this same `text`.
    pub fn with_index(path: impl Into<PathBuf>, text: Vec<u8>, index: LineIndex) -> Self {
        let path = path.into();
        SourceFile {
            display: path.display().to_string(),
            path,
            text,
            line_starts: index.line_starts,
            ascii: index.ascii,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as reports print it.
    pub fn display_name(&self) -> &str {
        &self.display
    }

    /// The 1-based line of a byte offset (only LF counts, as in nginx).
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Line and character column (1-based) of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        self.position_at_line(offset, self.line_of(offset))
    }

    /// [`SourceFile::position`] for callers that ask in mostly increasing
    /// order (reports of sorted findings): `hint` is the line of the
    /// previous answer (0 for none) and is updated. The hint's line and
    /// the few after it are tried before a binary search over all lines.
    pub fn position_near(&self, offset: usize, hint: &mut usize) -> Position {
        let offset = offset.min(self.text.len());
        let starts = &self.line_starts;
        let line = match hint.checked_sub(1) {
            Some(mut i) if starts.get(i).is_some_and(|&s| s <= offset) => {
                let mut steps = 0;
                loop {
                    match starts.get(i + 1) {
                        Some(&next) if next <= offset => {
                            i += 1;
                            steps += 1;
                            if steps == 8 {
                                break self.line_of(offset);
                            }
                        }
                        _ => break i + 1,
                    }
                }
            }
            _ => self.line_of(offset),
        };
        *hint = line;
        self.position_at_line(offset, line)
    }

    fn position_at_line(&self, offset: usize, line: usize) -> Position {
        let start = self.line_starts[line - 1];
        let column = if self.ascii {
            offset - start + 1
        } else {
            String::from_utf8_lossy(&self.text[start..offset])
                .chars()
                .count()
                + 1
        };
        Position {
            line,
            column,
            offset,
        }
    }

    /// The text of the line holding `offset`, without its line terminator.
    pub fn line_text(&self, line: usize) -> String {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return String::new();
        };
        let end = self
            .line_starts
            .get(line)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        let mut s = &self.text[start..end.max(start)];
        if s.last() == Some(&b'\r') {
            s = &s[..s.len() - 1];
        }
        String::from_utf8_lossy(s).into_owned()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offsets where lines start (the first is 0).
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

    pub fn slice(&self, span: Span) -> &[u8] {
        let end = span.end().min(self.text.len());
        &self.text[span.start().min(end)..end]
    }

    pub fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

/// All files read during one run.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Rename a file (`lint --stdin-filename`: the name standard input
    /// stands for).
    pub fn set_path(&mut self, id: FileId, path: PathBuf) {
        if let Some(f) = self.files.get_mut(id.0 as usize) {
            f.display = path.display().to_string();
            f.path = path;
        }
    }

    pub fn try_get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| FileId(i as u32))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn position(&self, span: Span) -> (Position, Position) {
        let f = self.get(span.file);
        (f.position(span.start()), f.position(span.end()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let f = SourceFile::new("x", b"ab\r\nc\xffd\n\nz".to_vec());
        assert_eq!(f.position(0).line, 1);
        assert_eq!(f.position(4).line, 2);
        assert_eq!(f.position(6).column, 3);
        assert_eq!(f.position(8).line, 3);
        assert_eq!(f.position(9).line, 4);
        assert_eq!(f.line_text(1), "ab");
        assert_eq!(f.line_count(), 4);
    }

    #[test]
    fn position_near_agrees_with_position() {
        let text = "a\n\nbc\n".repeat(20) + "é\nlast";
        let f = SourceFile::new("x", text.into_bytes());
        let len = f.text.len();
        // increasing, decreasing, far jumps and out-of-range offsets
        let order = (0..=len + 2)
            .chain((0..=len).rev())
            .chain([0, len, 3, len - 1, 7, 70, 5]);
        let mut hint = 0;
        for o in order {
            assert_eq!(f.position_near(o, &mut hint), f.position(o), "offset {o}");
            assert_eq!(hint, f.position(o).line);
        }
    }
}
