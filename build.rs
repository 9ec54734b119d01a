//! Turns `grammar/directives.tsv` into static data (`$OUT_DIR/directives.rs`,
//! included by `src/lint/grammar/table.rs`) and
//! `src/model/data/directive-defaults.tsv` into `$OUT_DIR/defaults.rs`
//! (included by `src/model/defaults.rs`): both tables are compiled into the
//! binary ready to use, instead of being parsed from the embedded text at
//! every start of a lint.

use std::fmt::Write as _;

#[path = "src/lint/grammar/tsv.rs"]
#[allow(dead_code)]
mod tsv;

fn version(v: Option<(u32, u32, u32)>) -> String {
    match v {
        Some((a, b, c)) => format!("Some(NginxVersion({a}, {b}, {c}))"),
        None => "None".into(),
    }
}

fn mask(m: &tsv::Mask) -> String {
    format!(
        "Args {{ any: {}, flag: {}, more1: {}, more2: {}, takes: {} }}",
        m.any, m.flag, m.more1, m.more2, m.takes
    )
}

fn kind(k: &str) -> &'static str {
    match k {
        "oss" => "ModuleKind::Oss",
        "plus" => "ModuleKind::Plus",
        "external" => "ModuleKind::External",
        "thirdparty" => "ModuleKind::ThirdParty",
        _ => "ModuleKind::Removed",
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=grammar/directives.tsv");
    println!("cargo:rerun-if-changed=grammar/duplicates.tsv");
    println!("cargo:rerun-if-changed=grammar/units.tsv");
    println!("cargo:rerun-if-changed=src/lint/grammar/tsv.rs");
    let text = std::fs::read_to_string("grammar/directives.tsv")?;
    let duplicates = std::fs::read_to_string("grammar/duplicates.tsv")?;
    let units = std::fs::read_to_string("grammar/units.tsv")?;
    let rows = tsv::rows(&text, &duplicates, &units);
    let mut out = String::new();
    writeln!(out, "/// The rows, those of one name together.")?;
    writeln!(out, "static ROWS: [DirectiveRow; {}] = [", rows.len())?;
    for (i, r) in rows.iter().enumerate() {
        let mut history = String::new();
        for c in &r.history {
            let (a, b, v) = c.version;
            write!(
                history,
                "Change {{ version: NginxVersion({a}, {b}, {v}), added: {}, removed: {}, args_before: {} }}, ",
                c.added,
                c.removed,
                match &c.args_before {
                    Some(m) => format!("Some({})", mask(m)),
                    None => "None".into(),
                }
            )?;
        }
        writeln!(
            out,
            "    DirectiveRow {{ name: {:?}, module: {:?}, kind: {}, contexts: {}, context_names: {:?}, args: {}, is_block: {}, since: {}, removed_in: {}, history: &[{history}], load: {:?}, origin: {:?}, on_off: {}, unit: {:?}, unique: {}, index: {i} }},",
            r.name,
            r.module,
            kind(r.kind),
            r.contexts,
            r.context_names,
            mask(&r.args),
            r.is_block,
            version(r.since),
            version(r.removed_in),
            r.load,
            r.origin,
            r.on_off,
            r.unit,
            r.unique,
        )?;
    }
    writeln!(out, "];")?;
    // (name, first row, end) of each name, in row order.
    writeln!(out, "/// Each name's rows in `ROWS`: (name, start, end).")?;
    let mut groups: Vec<(&str, usize, usize)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if g.0 == r.name => g.2 = i + 1,
            _ => groups.push((r.name, i, i + 1)),
        }
    }
    writeln!(
        out,
        "static GROUPS: [(&str, u32, u32); {}] = [",
        groups.len()
    )?;
    for (name, start, end) in groups {
        writeln!(out, "    ({name:?}, {start}, {end}),")?;
    }
    writeln!(out, "];")?;
    let dir = std::env::var("OUT_DIR")?;
    std::fs::write(std::path::Path::new(&dir).join("directives.rs"), out)?;
    defaults(&dir)
}

/// The defaults table, sorted by name (stable: a name's rows keep their
/// order) for a binary search.
fn defaults(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    const TSV: &str = "src/model/data/directive-defaults.tsv";
    println!("cargo:rerun-if-changed={TSV}");
    let text = std::fs::read_to_string(TSV)?;
    let mut rows: Vec<[&str; 4]> = Vec::new();
    for line in text.lines().skip_while(|l| l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if let [name, module, contexts, default, ..] = f[..] {
            rows.push([name, module, contexts, default]);
        }
    }
    rows.sort_by_key(|r| r[0]);
    let mut out = String::new();
    writeln!(out, "/// Every row, sorted by name.")?;
    writeln!(out, "static ROWS: [DefaultRow; {}] = [", rows.len())?;
    for [name, module, contexts, default] in rows {
        writeln!(
            out,
            "    DefaultRow {{ name: {name:?}, module: {module:?}, contexts: {contexts:?}, default: {default:?} }},"
        )?;
    }
    writeln!(out, "];")?;
    std::fs::write(std::path::Path::new(dir).join("defaults.rs"), out)?;
    Ok(())
}
