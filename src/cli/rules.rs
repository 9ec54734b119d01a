//! `ngxray rules` and `ngxray explain RULE-ID`.

use clap::{Args, ValueEnum};

use crate::lint::registry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id, e.g. dns/variable-pass-without-resolver.
    pub rule: String,
}

pub fn run_rules(args: RulesArgs) -> u8 {
    let all = registry::all();
    match args.format {
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = all
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "category": r.category(), "severity": r.severity, "summary": r.summary}))
                .collect();
            super::out(format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
        RulesFormat::Text => {
            let w = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in all {
                super::out(format!(
                    "{:<w$}  {:<7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.summary
                ));
            }
        }
    }
    super::EXIT_OK
}

pub fn run_explain(args: ExplainArgs) -> u8 {
    match registry::find(&args.rule) {
        Some(r) => {
            super::out(format!("{}\n", r.meta.doc));
            super::EXIT_OK
        }
        None => super::fail(format!(
            "unknown rule \"{}\" (see `ngxray rules`)",
            args.rule
        )),
    }
}
