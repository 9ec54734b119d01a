//! The fuzz targets' bodies (`ngxray::fuzzing`, called by
//! `fuzz/fuzz_targets/*.rs`) on stable Rust: every seed of `fuzz/seeds/`
//! and a fixed set of mutants of each (bytes flipped, cut, doubled,
//! spliced) must pass. This keeps the targets compiling and their
//! invariants checked in the ordinary test suite; cargo-fuzz explores
//! further (see fuzz/README.md).

use crate::util::repo;

/// xorshift64: deterministic mutants.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b";{}\"'#$\\\n\r\t \xff\xc3\x00(";

fn mutant(seed: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let i = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if i < v.len() => v[i] = INTERESTING[rng.below(INTERESTING.len())],
            1 if i < v.len() => v[i] ^= 1 << rng.below(8),
            2 => v.insert(i, INTERESTING[rng.below(INTERESTING.len())]),
            3 if i < v.len() => {
                v.remove(i);
            }
            4 => v.truncate(i),
            _ => {
                // splice a piece of another seed in
                let s = rng.below(other.len());
                let e = (s + rng.below(64)).min(other.len());
                v.splice(i..i, other[s..e].iter().copied());
            }
        }
    }
    v
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = repo().join("fuzz/seeds").join(target);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no seeds in {}", dir.display());
    names
        .iter()
        .map(|p| std::fs::read(p).expect("seed"))
        .collect()
}

fn run(target: &str, body: fn(&[u8]), per_seed: usize) {
    let all = seeds(target);
    let mut rng = Rng(0x51ed_2701_0bad_cafe ^ target.len() as u64);
    let mut n = 0;
    for (i, s) in all.iter().enumerate() {
        body(s);
        let other = &all[(i + 1) % all.len()];
        for _ in 0..per_seed {
            let m = mutant(s, other, &mut rng);
            let r = std::panic::catch_unwind(|| body(&m));
            if r.is_err() {
                let out = std::env::temp_dir().join(format!("ngxray-fuzz-{target}-crash"));
                let _ = std::fs::write(&out, &m);
                panic!("{target}: a mutant panics (written to {})", out.display());
            }
            n += 1;
        }
    }
    eprintln!("fuzz_seeds {target}: {} seeds, {n} mutants", all.len());
}

#[test]
fn fuzz_body_parse() {
    run("parse", ngxray::fuzzing::parse, 400);
}

#[test]
fn fuzz_body_lint() {
    run("lint", ngxray::fuzzing::lint, 60);
}

#[test]
fn fuzz_body_logs() {
    run("logs", ngxray::fuzzing::logs, 300);
}

#[test]
fn fuzz_body_config() {
    run("config", ngxray::fuzzing::config, 150);
}

/// The printer keeps bytes that are not UTF-8 (it once printed U+FFFD).
#[test]
fn fuzz_printer_keeps_invalid_utf8() {
    let src = std::fs::read(repo().join("fuzz/seeds/parse/invalid-utf8.conf")).expect("seed");
    let f = ngxray::syntax::parse(&src, ngxray::syntax::FileId(0));
    assert!(f.errors.is_empty());
    let out = ngxray::syntax::print::print_bytes(&f.root, &src, true);
    assert!(!String::from_utf8_lossy(&out).is_empty());
    for piece in [
        &b"name\xc3"[..],
        b"arg\xff",
        b"\xe2\x82\"",
        b"'\x80'",
        b"\xf0\x9f;",
    ] {
        assert!(
            out.windows(piece.len()).any(|w| w == piece),
            "{piece:?} lost: {}",
            String::from_utf8_lossy(&out)
        );
    }
    ngxray::fuzzing::parse(&src);
}
