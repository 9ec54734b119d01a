//! The one integration test binary (see ARCHITECTURE.md): CLI end to end and
//! corpus runs. One module per area.

mod util;

mod ci_output;
mod cli_lint;
mod cli_parse;
mod crossplane;
mod deep_nesting;
mod diagnose_cli;
#[cfg(target_os = "linux")]
mod diagnose_decided;
#[cfg(target_os = "linux")]
mod diagnose_nginx;
#[cfg(target_os = "linux")]
mod diagnose_stream;
mod docs;
mod exit_codes;
mod export_clickhouse;
mod export_merge;
mod export_pipeline;
mod fix;
mod formats;
mod fuzz_seeds;
mod glob_includes;
mod grammar;
mod logs;
mod logs_links;
mod logs_live;
#[cfg(target_os = "linux")]
mod logs_nginx;
mod man_completions;
mod man_dir;
mod memory;
mod nginx_diff;
mod nginx_dump;
mod packaging;
mod precision;
mod probe;
mod properties;
mod refuse_diff;
mod resolve;
mod risk_rules;
mod rules;
mod rules_cli;
mod scope;
mod syntax_diff;
#[cfg(target_os = "linux")]
mod tables_diff;
