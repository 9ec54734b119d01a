//! Print the `ngxray_*` fields a VRL program sets for each line of log
//! files, as JSON lines (`file` index and `line` number first).
//!
//! Usage: ngxray-vrl-check PROGRAM.vrl LOG...

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((program, logs)) = args.split_first() else {
        eprintln!("usage: ngxray-vrl-check PROGRAM.vrl LOG...");
        return ExitCode::from(2);
    };
    let src = match std::fs::read_to_string(program) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{program}: {e}");
            return ExitCode::from(2);
        }
    };
    let prog = match ngxray_vrl_check::compile(&src) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    eprint!("{}", prog.warnings);
    let mut out = String::new();
    for (fi, path) in logs.iter().enumerate() {
        let data = match std::fs::read(path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        };
        for (n, raw) in ngxray_vrl_check::lines(&data).iter().enumerate() {
            let mut row = serde_json::Map::new();
            row.insert("file".into(), fi.into());
            row.insert("line".into(), (n + 1).into());
            match prog.run(raw) {
                Ok(fields) => row.extend(fields),
                Err(e) => {
                    eprintln!("{path}:{}: runtime error: {e}", n + 1);
                    return ExitCode::from(1);
                }
            }
            out.push_str(&serde_json::Value::Object(row).to_string());
            out.push('\n');
        }
    }
    print!("{out}");
    ExitCode::SUCCESS
}
