//! `ngxray export`: print the log classifier for other engines (ClickHouse
//! SQL functions, a Vector VRL program), generated from the cause table.

use clap::{Args, Subcommand};

use crate::export;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub target: Target,
}

#[derive(Debug, Subcommand)]
pub enum Target {
    /// SQL functions (ngxray_cause, ngxray_status, …), a raw-line table and a view.
    Clickhouse(ClickhouseArgs),
    /// A VRL remap program that adds ngxray's fields to each event.
    Vector(VectorArgs),
}

#[derive(Debug, Args)]
pub struct ClickhouseArgs {
    /// Table of raw lines the view reads (columns host, file, line_no, timestamp, message).
    #[arg(long, default_value = "nginx_error_log", value_parser = identifier)]
    pub table: String,
    /// Name of the view with one column per field.
    #[arg(long, default_value = "ngxray_events", value_parser = identifier)]
    pub view: String,
    /// Print the example queries (runnable SQL) instead of the definitions.
    #[arg(long)]
    pub queries: bool,
}

#[derive(Debug, Args)]
pub struct VectorArgs {
    /// Print a sample vector.toml (file source → remap → ClickHouse and Loki sinks) instead of the VRL program.
    #[arg(long)]
    pub config: bool,
}

/// A plain SQL identifier (optionally `database.name`).
fn identifier(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.split('.').count() <= 2
        && s.split('.').all(|p| {
            !p.is_empty()
                && !p.starts_with(|c: char| c.is_ascii_digit())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "\"{s}\" is not a plain identifier (letters, digits, _; optionally db.name)"
        ))
    }
}

pub fn run(args: ExportArgs) -> u8 {
    let text = match args.target {
        Target::Clickhouse(a) => {
            let opts = export::clickhouse::Options {
                table: a.table,
                view: a.view,
            };
            if a.queries {
                export::clickhouse::queries(&opts)
            } else {
                export::clickhouse::render(&opts)
            }
        }
        Target::Vector(a) => {
            if a.config {
                export::vector::config()
            } else {
                export::vector::render()
            }
        }
    };
    match super::written(super::write_out(text)) {
        Some(code) => code,
        None => super::EXIT_OK,
    }
}
