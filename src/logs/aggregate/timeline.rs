//! A group's timeline: counts per bucket of log time, at a width that
//! coarsens along a fixed ladder so that memory stays bounded and the
//! timelines of any two groups (or two workers) can be merged, and the
//! round width a report shows them at.

/// A sparse, sorted timeline of (bucket start, count). It keeps at most
/// [`MAX_BUCKETS`] buckets: past that its bucket width doubles (a group
/// seen over a long period gets a coarser timeline, memory stays bounded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Bucket width in seconds (0 until the first count).
    pub width: i64,
    pub buckets: Vec<(i64, u64)>,
}

/// Most buckets kept per timeline.
pub const MAX_BUCKETS: usize = 512;

impl Timeline {
    /// Count `n` at log time `t`, with `width` as the initial bucket width.
    pub fn add(&mut self, t: i64, n: u64, width: i64) {
        if self.width == 0 {
            self.width = width.max(1);
        }
        // Lines come mostly in time order: a time in the last bucket needs
        // no division (a 64-bit division per line costs tens of cycles).
        if let Some(last) = self.buckets.last_mut() {
            if t >= last.0 && t - last.0 < self.width {
                last.1 += n;
                return;
            }
        }
        let bucket = t.div_euclid(self.width) * self.width;
        match self.buckets.last_mut() {
            Some(last) if last.0 == bucket => last.1 += n,
            Some(last) if last.0 < bucket => self.buckets.push((bucket, n)),
            None => self.buckets.push((bucket, n)),
            Some(_) => match self.buckets.binary_search_by_key(&bucket, |b| b.0) {
                Ok(i) => self.buckets[i].1 += n,
                Err(i) => self.buckets.insert(i, (bucket, n)),
            },
        }
        if self.buckets.len() > MAX_BUCKETS {
            self.coarsen_to(next_width(self.width));
        }
    }

    /// Re-bucket to a wider `width` (a multiple of the current one).
    fn coarsen_to(&mut self, width: i64) {
        if width <= self.width {
            return;
        }
        self.width = width;
        let mut out: Vec<(i64, u64)> = Vec::with_capacity(self.buckets.len() / 2 + 1);
        for &(b, n) in &self.buckets {
            let nb = b.div_euclid(width) * width;
            match out.last_mut() {
                Some(last) if last.0 == nb => last.1 += n,
                _ => out.push((nb, n)),
            }
        }
        self.buckets = out;
        if self.buckets.len() > MAX_BUCKETS {
            self.coarsen_to(next_width(width));
        }
    }

    /// Re-bucket to `width` when it is a multiple of the current width.
    pub fn rebucket(&mut self, width: i64) {
        if self.width > 0 && width > self.width && width % self.width == 0 {
            self.coarsen_to(width);
        }
    }

    pub fn merge(&mut self, other: &Timeline) {
        if other.buckets.is_empty() {
            return;
        }
        if self.buckets.is_empty() {
            *self = other.clone();
            return;
        }
        // A few buckets at a width this one is a multiple of (a small group
        // folded into "(other)"): count them in place, no rebuild.
        if other.buckets.len() <= 4 && other.width <= self.width && self.width % other.width == 0 {
            for &(b, n) in &other.buckets {
                self.add(b, n, self.width);
            }
            return;
        }
        let mut other = other.clone();
        let width = self.width.max(other.width);
        self.coarsen_to(width);
        other.coarsen_to(width);
        let mut out = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.buckets, &other.buckets);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                out.push(a[i]);
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                out.push(b[j]);
                j += 1;
            } else {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
        self.buckets = out;
        if self.buckets.len() > MAX_BUCKETS {
            let w = next_width(self.width);
            self.coarsen_to(w);
        }
    }
}

/// Widths a timeline coarsens through, each a multiple of the one before,
/// so that timelines of any two groups can always be merged and shown at a
/// round width.
const LADDER: &[i64] = &[
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400,
];

/// The next coarser width: the next ladder step, or double.
fn next_width(w: i64) -> i64 {
    LADDER
        .iter()
        .copied()
        .find(|&l| l > w && l % w == 0)
        .unwrap_or(w * 2)
}

/// Round widths a report may show, smallest first.
const NICE: &[i64] = &[
    1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10_800, 21_600,
    43_200, 86_400, 172_800, 604_800,
];

/// The bucket width that shows a span of `span` seconds in at most
/// [`TARGET_CELLS`] cells (about 30–60): the smallest round width that is
/// a multiple of `base` (the width the counts were kept at) and fits.
pub fn auto_width(span: i64, base: i64) -> i64 {
    let base = base.max(1);
    let need = ((span + TARGET_CELLS) / TARGET_CELLS).max(1);
    NICE.iter()
        .copied()
        .find(|&w| w >= need && w % base == 0)
        .unwrap_or_else(|| (need + base - 1) / base * base)
}

/// Most timeline cells an automatic bucket width aims at.
pub const TARGET_CELLS: i64 = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_width_gives_30_to_60_cells() {
        for span in [0, 59, 570, 3_600, 5_000, 36_000, 86_400, 7 * 86_400] {
            let w = auto_width(span, 1);
            let cells = span / w + 1;
            assert!(cells <= 60, "{span}: {w} s gives {cells} cells");
            assert!(
                span < 30 || cells >= 25,
                "{span}: {w} s gives {cells} cells"
            );
        }
        assert_eq!(auto_width(570, 1), 10);
        assert_eq!(auto_width(4 * 3600, 60), 300);
        // Kept coarser than needed: a multiple of that width.
        assert_eq!(auto_width(570, 30), 30);
        // Coarsening climbs round widths, each a multiple of the last.
        let mut t = Timeline::default();
        for i in 0..4000 {
            t.add(i, 1, 1);
        }
        assert_eq!(t.width, 10);
        t.rebucket(60);
        assert_eq!((t.width, t.buckets.len()), (60, 67));
        assert_eq!(t.buckets.iter().map(|b| b.1).sum::<u64>(), 4000);
    }

    #[test]
    fn timeline_merge_and_out_of_order() {
        let mut t = Timeline::default();
        t.add(120, 1, 60);
        t.add(61, 2, 60);
        t.add(179, 1, 60);
        assert_eq!(t.buckets, [(60, 2), (120, 2)]);
        let mut u = Timeline::default();
        u.add(0, 1, 60);
        u.add(120, 3, 60);
        t.merge(&u);
        assert_eq!(t.buckets, [(0, 1), (60, 2), (120, 5)]);
    }

    #[test]
    fn long_timelines_coarsen_and_keep_counts() {
        let mut t = Timeline::default();
        for i in 0..5000 {
            t.add(i * 60, 1, 60);
        }
        assert!(t.buckets.len() <= MAX_BUCKETS);
        assert_eq!(t.width % 60, 0);
        assert!(t.width >= 600);
        assert_eq!(t.buckets.iter().map(|b| b.1).sum::<u64>(), 5000);
        let mut fine = Timeline::default();
        fine.add(30, 7, 60);
        fine.merge(&t);
        assert_eq!(fine.width, t.width);
        assert_eq!(fine.buckets.iter().map(|b| b.1).sum::<u64>(), 5007);
    }
}
