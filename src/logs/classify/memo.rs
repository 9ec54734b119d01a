//! A per-worker memo of recent verdicts: the same message heads recur
//! line after line, so most lines are answered without walking the cause
//! table.

use super::super::bytes;
use super::super::line::Line;
use super::{classify_head, errno_code, numbers_matter, stream_status, Verdict};

/// One remembered verdict.
#[derive(Default)]
struct Memo {
    hash: u64,
    facts: u64,
    head: Vec<u8>,
    verdict: Option<Verdict>,
}

/// Lines whose message and action are longer than this are classified
/// without the memo.
const MEMO_MAX_HEAD: usize = 256;
/// Sets of two slots in each memo, as a power of two.
const MEMO_SETS_LOG2: u32 = 8;
const MEMO_SLOTS: usize = 2 << MEMO_SETS_LOG2;

/// Slot hash of a head: its length and its first and last 16 bytes (the
/// message start, the errno and the action). A collision only costs a
/// miss: a hit compares the whole head.
fn memo_hash(head: &[u8], facts: u64) -> u64 {
    let n = head.len();
    let (a, b, c, d) = if n >= 16 {
        (
            word_at(head, 0),
            word_at(head, 8),
            word_at(head, n - 16),
            word_at(head, n - 8),
        )
    } else {
        let mut w = [0u8; 16];
        w[..n].copy_from_slice(head);
        let lo = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let hi = u64::from_le_bytes([w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]]);
        (lo, hi, 0, 0)
    };
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let x =
        (a ^ c.rotate_left(17)).wrapping_mul(K) ^ (b ^ d.rotate_left(29)).wrapping_mul(K ^ 0xff);
    (x ^ (n as u64) << 40 ^ facts).wrapping_mul(K)
}

fn word_at(s: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&s[i..i + 8]);
    u64::from_le_bytes(a)
}

/// A direct-mapped, two-way set associative table of verdicts by
/// (head, facts).
struct Table {
    slots: Vec<Memo>,
}

impl Table {
    fn new() -> Table {
        Table {
            slots: (0..MEMO_SLOTS).map(|_| Memo::default()).collect(),
        }
    }

    /// The set of a hash: the most recent entry is at its even slot, the
    /// one before at the odd slot.
    fn set(hash: u64) -> usize {
        (hash >> (64 - MEMO_SETS_LOG2)) as usize * 2
    }

    fn get(&mut self, hash: u64, facts: u64, head: &[u8]) -> Option<Verdict> {
        let i = Table::set(hash);
        for j in [i, i + 1] {
            let slot = &self.slots[j];
            if let Some(v) = &slot.verdict {
                if slot.hash == hash && slot.facts == facts && slot.head == head {
                    let v = v.clone();
                    if j != i {
                        self.slots.swap(i, j);
                    }
                    return Some(v);
                }
            }
        }
        None
    }

    fn put(&mut self, hash: u64, facts: u64, head: &[u8], v: &Verdict) {
        let i = Table::set(hash);
        self.slots.swap(i, i + 1);
        let slot = &mut self.slots[i];
        slot.hash = hash;
        slot.facts = facts;
        slot.head.clear();
        slot.head.extend_from_slice(head);
        slot.verdict = Some(v.clone());
    }
}

/// A classifier that remembers recent verdicts. A verdict depends only on
/// the line's head (message, errno and action, which also decide the
/// configuration location), its level and whether it has a connection
/// number, and the same heads recur line after line, so a small memo keyed
/// by exactly those answers most lines without walking the signature
/// table.
///
/// Many heads differ from line to line only in numbers (a client address,
/// a counter, a temporary file's serial), and almost no signature reads
/// the value of a digit ([`numbers_matter`]). Heads the first memo misses
/// are looked up again with every digit read as `0`, keyed by everything
/// else the verdict reads that digits could change: where the message
/// ends (the errno part parses or not), the errno, whether there is a
/// configuration location. One per worker thread; [`super::classify`] is
/// the uncached equivalent.
pub struct Classifier {
    exact: Table,
    /// Keyed by the head with its digits zeroed.
    numbers: Table,
    zeroed: [u8; MEMO_MAX_HEAD],
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new()
    }
}

impl Classifier {
    pub fn new() -> Classifier {
        Classifier {
            exact: Table::new(),
            numbers: Table::new(),
            zeroed: [0; MEMO_MAX_HEAD],
        }
    }

    /// Same result as [`super::classify`].
    pub fn classify(&mut self, line: &Line<'_>) -> Verdict {
        let v = self.classify_head(line);
        stream_status(line, v)
    }

    fn classify_head(&mut self, line: &Line<'_>) -> Verdict {
        let head = line.head;
        if head.len() > MEMO_MAX_HEAD {
            return classify_head(line);
        }
        let facts = line.level.map_or(0, |l| l as u64 + 1) | u64::from(line.cid.is_some()) << 8;
        let hash = memo_hash(head, facts);
        if let Some(v) = self.exact.get(hash, facts, head) {
            return v;
        }
        let v = if numbers_matter(line.message) {
            classify_head(line)
        } else {
            self.classify_zeroed(line, facts)
        };
        self.exact.put(hash, facts, head, &v);
        v
    }

    /// The verdict through the memo of heads with their digits zeroed.
    fn classify_zeroed(&mut self, line: &Line<'_>, facts: u64) -> Verdict {
        let errno = errno_code(line).map_or(0, |e| u64::from(e as u32) << 32 | 1 << 10);
        let facts = facts
            | u64::from(line.config_location.is_some()) << 9
            | errno
            | (line.message.len() as u64) << 16;
        let zeroed = &mut self.zeroed[..line.head.len()];
        bytes::zero_digits(line.head, zeroed);
        let hash = memo_hash(zeroed, facts);
        if let Some(v) = self.numbers.get(hash, facts, zeroed) {
            return v;
        }
        let v = classify_head(line);
        self.numbers.put(hash, facts, zeroed, &v);
        v
    }
}
