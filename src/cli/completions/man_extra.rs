//! The man-page sections clap does not generate: EXIT STATUS, ENVIRONMENT,
//! FILES and EXAMPLES, per page (ngxray(1), ngxray-lint(1), …). clap_mangen
//! renders the parts that come from the flag definitions; these are the
//! parts a reader of a man page looks for that no flag describes. Kept as
//! data beside the renderer so that a page without them fails a test.

use roff::{bold, roman, Roff};

/// One paragraph of a section.
pub enum Item {
    /// Running text.
    Para(&'static str),
    /// A tagged paragraph (`.TP`): a bold term and its description.
    Term(&'static str, &'static str),
    /// A command line shown verbatim, then what it does.
    Example(&'static str, &'static str),
}

use Item::{Example, Para, Term};

const EXIT_STATUS: &str = "EXIT STATUS";
const ENVIRONMENT: &str = "ENVIRONMENT";
const FILES: &str = "FILES";
const EXAMPLES: &str = "EXAMPLES";

/// The colour switch of the text formats (`lint`, `logs`).
const NO_COLOR: Item = Term(
    "NO_COLOR",
    "When set, the text format has no colour even on a terminal. Output that is not a terminal never has colour.",
);
const USAGE_ERROR: Item = Term(
    "2",
    "Usage, configuration-file or I/O error: an unknown flag, a missing or unreadable input, a malformed .ngxray.toml (with its file, line and key). Never a silent pass.",
);
const NGXRAY_TOML: Item = Term(
    ".ngxray.toml",
    "Lint settings (target nginx version, flavor, select, ignore, fail-on, per-rule options, install paths), looked for upward from the linted files (from the current directory for -), or given with --config. Unknown keys and bad values are errors.",
);

/// The extra sections of a page, by page name (`ngxray`, `ngxray-lint`, …).
/// Every page has all four.
pub fn sections(page: &str) -> Vec<(&'static str, Vec<Item>)> {
    match page {
        "ngxray" => vec![
            (
                EXIT_STATUS,
                vec![
                    Term("0", "Success: nothing at or above the failure threshold."),
                    Term(
                        "1",
                        "Findings: lint findings at or above --fail-on, logs lines of a --fail-on-cause cause (or above --max-count), probe targets that failed, a parse that failed.",
                    ),
                    USAGE_ERROR,
                    Para("Every output format of a command gives the same exit status."),
                ],
            ),
            (
                ENVIRONMENT,
                vec![
                    NO_COLOR,
                    Term(
                        "TZ",
                        "The local time zone, which nginx wrote error.log timestamps in (logs --tz local, the default).",
                    ),
                    Term(
                        "RAYON_NUM_THREADS",
                        "Worker threads of lint (default: one per core).",
                    ),
                ],
            ),
            (
                FILES,
                vec![
                    NGXRAY_TOML,
                    Term(
                        "nginx.conf",
                        "Marks nginx's conf prefix: relative includes resolve against the nearest folder above a linted file that holds it.",
                    ),
                    Term(
                        "error.log, error.log.1, error.log.2.gz",
                        "What logs and diagnose read in a directory (files named error.log* and *error*.log*; rotations oldest first, gzip decoded in-process).",
                    ),
                ],
            ),
            (
                EXAMPLES,
                vec![
                    Example(
                        "ngxray lint /etc/nginx/",
                        "Lint a configuration: syntax errors and 502/504 risks, each with its span and a fix. Exit 1 on warnings.",
                    ),
                    Example(
                        "nginx -T 2>/dev/null | ngxray lint -",
                        "Lint the configuration nginx really loads; findings point at the original files. Empty input (nginx failed) is an error.",
                    ),
                    Example(
                        "ngxray logs --since 2h /var/log/nginx/",
                        "Group the last two hours of error.log lines by cause, upstream and server.",
                    ),
                    Example(
                        "ngxray diagnose -c /etc/nginx/nginx.conf",
                        "Join the configuration with its access and error logs: which upstream failed, which directive governs it, what to change.",
                    ),
                    Example(
                        "ngxray explain dns/variable-pass-without-resolver",
                        "Print a rule's page.",
                    ),
                ],
            ),
        ],
        "ngxray-lint" => vec![
            (
                EXIT_STATUS,
                vec![
                    Term("0", "No finding at or above --fail-on (default warning, or fail-on in .ngxray.toml)."),
                    Term("1", "Findings at or above --fail-on."),
                    USAGE_ERROR,
                    Para("Every --format gives the same exit status."),
                ],
            ),
            (
                ENVIRONMENT,
                vec![
                    NO_COLOR,
                    Term(
                        "any variable, with --env-subst",
                        "Templates are linted after substituting the $NAME and ${NAME} that are defined, as the nginx Docker image's envsubst step does.",
                    ),
                    Term("RAYON_NUM_THREADS", "Worker threads (default: one per core)."),
                    Term(
                        "PATH",
                        "Where nginx is found for --nginx-version auto (nginx -v).",
                    ),
                ],
            ),
            (
                FILES,
                vec![
                    NGXRAY_TOML,
                    Term(
                        "*.conf, *.conf.template, *.nginx, nginx.conf*",
                        "The files linted inside a directory, with every non-hidden file in sites-enabled/, sites-available/, conf.d/, vhosts.d/, http.d/ and stream.d/ (--glob overrides).",
                    ),
                    Term(
                        "nginx.conf",
                        "The nearest folder above a file that holds it is the conf prefix relative includes resolve against (--prefix overrides).",
                    ),
                ],
            ),
            (
                EXAMPLES,
                vec![
                    Example("ngxray lint /etc/nginx/", "Lint a configuration tree."),
                    Example(
                        "nginx -T 2>/dev/null | ngxray lint -",
                        "Lint the dump of the configuration nginx loads, split back into its files.",
                    ),
                    Example(
                        "ngxray lint --format concise --fail-on error deploy/nginx/",
                        "One line per finding; exit 1 only on errors.",
                    ),
                    Example(
                        "ngxray lint --format sarif nginx/ > ngxray.sarif",
                        "SARIF 2.1.0 for code scanning.",
                    ),
                    Example(
                        "ngxray lint --path-map /etc/nginx=deploy/nginx deploy/nginx/nginx.conf",
                        "Read absolute includes of the install location from the repository.",
                    ),
                    Example(
                        "ngxray lint --select dns,upstream --ignore upstream/unused-upstream conf.d/",
                        "Only some categories, without one rule.",
                    ),
                ],
            ),
        ],
        "ngxray-logs" => vec![
            (
                EXIT_STATUS,
                vec![
                    Term(
                        "0",
                        "Read to the end; no --fail-on-cause line (or not more than --max-count).",
                    ),
                    Term(
                        "1",
                        "Lines of a --fail-on-cause cause were found; with --max-count, more than N of them (without --fail-on-cause: more than N lines at level error or worse).",
                    ),
                    USAGE_ERROR,
                ],
            ),
            (
                ENVIRONMENT,
                vec![
                    NO_COLOR,
                    Term(
                        "TZ",
                        "The zone of --tz local (the default): nginx writes local time without a zone.",
                    ),
                ],
            ),
            (
                FILES,
                vec![
                    Term(
                        "error.log*, *error*.log*",
                        "The files read inside a directory; rotations are read oldest first, .gz files decoded in-process (recognised by their magic bytes).",
                    ),
                    Term("-", "Standard input (also with no path, when input is piped)."),
                ],
            ),
            (
                EXAMPLES,
                vec![
                    Example("ngxray logs /var/log/nginx/", "Summary, per-cause tables and a timeline."),
                    Example(
                        "ngxray logs --since 2h --cause read-timeout error.log",
                        "Only the read timeouts of the last two hours.",
                    ),
                    Example(
                        "ngxray logs --fail-on-cause no-live-upstreams,connect-refused error.log",
                        "Exit 1 when those causes occur (for CI or monitoring).",
                    ),
                    Example("ngxray logs -f error.log", "Follow like tail -F, across rotation."),
                    Example(
                        "ngxray logs --format json error.log* > host1.json",
                        "One ngxray/logs/v1 document; --merge joins those of many hosts.",
                    ),
                ],
            ),
        ],
        "ngxray-diagnose" => vec![
            (
                EXIT_STATUS,
                vec![Term("0", "The report was written."), USAGE_ERROR],
            ),
            (
                ENVIRONMENT,
                vec![Term(
                    "TZ",
                    "The local time zone, which nginx wrote log timestamps in.",
                )],
            ),
            (
                FILES,
                vec![Term(
                    "access_log, error_log",
                    "Without log paths, the files the configuration's access_log and error_log directives name are read.",
                )],
            ),
            (
                EXAMPLES,
                vec![
                    Example(
                        "ngxray diagnose -c /etc/nginx/nginx.conf",
                        "Read the logs the configuration names.",
                    ),
                    Example(
                        "nginx -T | ngxray diagnose -c - /var/log/nginx/",
                        "The loaded configuration from a dump, with a log directory.",
                    ),
                    Example(
                        "ngxray diagnose -c nginx.conf --format html -o report.html logs/",
                        "One self-contained HTML page.",
                    ),
                ],
            ),
        ],
        "ngxray-probe" => vec![
            (
                EXIT_STATUS,
                vec![
                    Term("0", "Every probed target is ok."),
                    Term("1", "Some target failed (each failure names its cause id)."),
                    USAGE_ERROR,
                ],
            ),
            (
                ENVIRONMENT,
                vec![Para("No variables; names are resolved as the system resolver does.")],
            ),
            (
                FILES,
                vec![Term(
                    "/etc/hosts, /etc/resolv.conf",
                    "Read by the system resolver (getaddrinfo), as nginx resolves names at load; the configuration's resolver is asked directly.",
                )],
            ),
            (
                EXAMPLES,
                vec![
                    Example(
                        "ngxray probe /etc/nginx/nginx.conf --path /health",
                        "Resolve, connect, TLS and a request to every backend.",
                    ),
                    Example(
                        "ngxray probe nginx.conf --via http://127.0.0.1:80",
                        "Request each location through nginx and directly, and say which side fails.",
                    ),
                ],
            ),
        ],
        "ngxray-parse" => vec![
            (
                EXIT_STATUS,
                vec![
                    Term("0", "Parsed."),
                    Term("1", "The status is failed (syntax or include errors)."),
                    USAGE_ERROR,
                ],
            ),
            (ENVIRONMENT, vec![Para("No variables.")]),
            (
                FILES,
                vec![Term("nginx.conf", "Includes are followed from the given files, as nginx does.")],
            ),
            (
                EXAMPLES,
                vec![
                    Example("ngxray parse --format json nginx.conf", "ngxray's tree with byte offsets."),
                    Example(
                        "ngxray parse --format crossplane nginx.conf",
                        "The JSON of crossplane parse, byte for byte.",
                    ),
                ],
            ),
        ],
        "ngxray-completions" => vec![
            (EXIT_STATUS, vec![Term("0", "The script was written."), USAGE_ERROR]),
            (ENVIRONMENT, vec![Para("No variables.")]),
            (
                FILES,
                vec![
                    Term(
                        "~/.local/share/bash-completion/completions/ngxray",
                        "Where bash-completion loads the bash script from.",
                    ),
                    Term("~/.config/fish/completions/ngxray.fish", "fish."),
                    Term("_ngxray in a directory of $fpath", "zsh."),
                ],
            ),
            (
                EXAMPLES,
                vec![
                    Example(
                        "ngxray completions bash > ~/.local/share/bash-completion/completions/ngxray",
                        "Install the bash completions: subcommands, flags, formats, rule ids (lint --select/--ignore, explain) and cause ids (logs --cause/--fail-on-cause).",
                    ),
                    Example("ngxray completions zsh > \"${fpath[1]}/_ngxray\"", "zsh."),
                ],
            ),
        ],
        "ngxray-man" => vec![
            (EXIT_STATUS, vec![Term("0", "The pages were written."), USAGE_ERROR]),
            (ENVIRONMENT, vec![Para("No variables.")]),
            (
                FILES,
                vec![Term(
                    "ngxray.1, ngxray-COMMAND.1",
                    "The files man --dir writes, one per command.",
                )],
            ),
            (
                EXAMPLES,
                vec![
                    Example("ngxray man lint | man -l -", "Read ngxray-lint(1) without installing it."),
                    Example(
                        "ngxray man --dir ~/.local/share/man/man1",
                        "Install every page.",
                    ),
                ],
            ),
        ],
        "ngxray-rules" => vec![
            (EXIT_STATUS, vec![Term("0", "The list was written."), USAGE_ERROR]),
            (ENVIRONMENT, vec![Para("No variables.")]),
            (FILES, vec![Para("None: the rules are built into the binary.")]),
            (
                EXAMPLES,
                vec![
                    Example("ngxray rules", "Every rule id with its severity and summary."),
                    Example(
                        "ngxray rules --format json",
                        "The same as JSON, with each rule's category.",
                    ),
                ],
            ),
        ],
        "ngxray-explain" => vec![
            (
                EXIT_STATUS,
                vec![
                    Term("0", "The page was written."),
                    Term("2", "Unknown rule id (see ngxray rules)."),
                ],
            ),
            (ENVIRONMENT, vec![Para("No variables.")]),
            (FILES, vec![Para("None: the rule pages are built into the binary.")]),
            (
                EXAMPLES,
                vec![Example(
                    "ngxray explain upstream/missing-health-params",
                    "Print the rule's page: what it finds, why it leads to 502/504, the fix.",
                )],
            ),
        ],
        // export and its subcommands (export-clickhouse, export-vector).
        _ => vec![
            (EXIT_STATUS, vec![Term("0", "The program was written."), USAGE_ERROR]),
            (ENVIRONMENT, vec![Para("No variables.")]),
            (FILES, vec![Para("None read: the classifier is built into the binary.")]),
            (
                EXAMPLES,
                vec![
                    Example(
                        "ngxray export clickhouse > ngxray.sql",
                        "The log classifier as ClickHouse SQL functions, a raw-line table and a view.",
                    ),
                    Example(
                        "ngxray export vector > ngxray.vrl",
                        "The same classifier as a Vector VRL remap program.",
                    ),
                ],
            ),
        ],
    }
}

/// Render the sections as roff (`.SH`, `.TP`, `.PP`, `.EX`).
pub fn render(page: &str) -> Roff {
    let mut roff = Roff::new();
    for (heading, items) in sections(page) {
        roff.control("SH", [heading]);
        for item in items {
            match item {
                Para(text) => {
                    roff.control("PP", []);
                    roff.text([roman(text)]);
                }
                Term(term, text) => {
                    roff.control("TP", []);
                    roff.text([bold(term)]);
                    roff.text([roman(text)]);
                }
                Example(cmd, text) => {
                    roff.control("PP", []);
                    roff.text([roman(text)]);
                    roff.control("RS", ["4"]);
                    roff.control("EX", []);
                    roff.text([roman(cmd)]);
                    roff.control("EE", []);
                    roff.control("RE", []);
                }
            }
        }
    }
    roff
}
