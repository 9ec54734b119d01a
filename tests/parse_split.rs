//! The two-core parse (a second thread lexes ahead from a split point) must
//! give exactly the serial tree and errors, wherever the split falls: inside
//! quotes, comments, Lua bodies, escapes, over-long tokens or errors; with
//! the tokens ahead arriving late (threads) or all at once, in chunks of
//! any size. Files matched by a glob include, read and parsed on all cores,
//! get the ids and trees that loading them one by one gives.

use ngxray::syntax::parser::{parse_lexed_ahead, parse_split_at, ParsedFile};
use ngxray::syntax::FileId;
use proptest::prelude::*;

fn same(a: &ParsedFile, b: &ParsedFile) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.root, &b.root);
    prop_assert_eq!(&a.errors, &b.errors);
    Ok(())
}

fn check_split(serial: &ParsedFile, text: &[u8], at: usize) -> Result<(), TestCaseError> {
    same(serial, &parse_split_at(text, FileId(0), Some(at)))?;
    for chunk in [1, 2, 5, 2048] {
        same(serial, &parse_lexed_ahead(text, FileId(0), at, chunk))?;
    }
    Ok(())
}

fn check_all_splits(text: &[u8]) -> Result<(), TestCaseError> {
    let serial = parse_split_at(text, FileId(0), None);
    for at in 0..=text.len() {
        check_split(&serial, text, at)?;
    }
    Ok(())
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just(";".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("#".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just(" ".to_string()),
        Just("\r\n".to_string()),
        Just("${".to_string()),
        Just("$".to_string()),
        Just("(".to_string()),
        Just("content_by_lua_block".to_string()),
        Just("access_by_lua_block {".to_string()),
        Just("[[".to_string()),
        Just("]]".to_string()),
        Just("[=[".to_string()),
        Just("--".to_string()),
        Just("x".repeat(4100)),
        "[a-z_]{1,8}",
        "\\PC{0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn every_split_gives_the_serial_parse(parts in prop::collection::vec(piece(), 0..40)) {
        // Over-long tokens make every split slow: test them at fewer points.
        let text: String = parts.concat();
        if text.len() > 2000 {
            let serial = parse_split_at(text.as_bytes(), FileId(0), None);
            for at in (0..=text.len()).step_by(97).chain([text.len()]) {
                check_split(&serial, text.as_bytes(), at)?;
            }
        } else {
            check_all_splits(text.as_bytes())?;
        }
    }
}

#[test]
fn splits_inside_quotes_comments_and_lua() {
    let text = "http {\n  log_format main '$a\n $b';  # a comment ; { }\n  \
                content_by_lua_block { local s = \"}\" -- }\n local t = [[ } ;\n ]] }\n  \
                return 200 \"x\"y;\n  a \\\"b;\n}\n}\n\"unterminated\n";
    check_all_splits(text.as_bytes()).unwrap();
}

#[test]
fn large_file_uses_two_cores_and_matches_serial() {
    // Past the size threshold, `parse` splits; check it against serial.
    let block = "server {\n  listen 80;\n  # note\n  location / { proxy_pass http://u; }\n  \
                 content_by_lua_block { ngx.say(\"}\") }\n  return 200 \"a\nb\";\n}\n";
    let text = block.repeat(300_000 / block.len() + 1);
    let serial = parse_split_at(text.as_bytes(), FileId(3), None);
    let split = ngxray::syntax::parse(text.as_bytes(), FileId(3));
    assert_eq!(serial.root, split.root);
    assert_eq!(serial.errors, split.errors);
    assert!(serial.errors.is_empty());
    assert_eq!(serial.root.directives.len(), 300_000 / block.len() + 1);
}

#[test]
fn glob_includes_are_loaded_in_order_on_all_cores() {
    use ngxray::load::{LoadOptions, Loaded};
    use ngxray::syntax::parse;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf.d");
    std::fs::create_dir(&conf).unwrap();
    // Names out of creation order; one file has errors, one includes another.
    let files = [
        ("b.conf", "server { listen 81; }\n"),
        ("a.conf", "server { listen 80 }\n}\n"),
        ("c.conf", "server { include extra/x.inc; }\n"),
        ("d.conf", "# only a comment\n"),
    ];
    for (name, text) in files {
        std::fs::write(conf.join(name), text).unwrap();
    }
    std::fs::create_dir(dir.path().join("extra")).unwrap();
    std::fs::write(dir.path().join("extra/x.inc"), "listen 82;\n").unwrap();
    let main = dir.path().join("nginx.conf");
    std::fs::write(
        &main,
        "http {\n  include conf.d/*.conf;\n  include missing/*.conf;\n}\n",
    )
    .unwrap();
    let mut loaded = Loaded::default();
    loaded
        .load_path(
            &main,
            &LoadOptions {
                follow_includes: true,
                ..Default::default()
            },
        )
        .unwrap();
    // Ids follow nginx's order: the main file, the glob in byte order, then
    // what those include.
    let names: Vec<String> = loaded
        .sources
        .files()
        .map(|(_, f)| {
            f.path
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "nginx.conf",
            "conf.d/a.conf",
            "conf.d/b.conf",
            "conf.d/c.conf",
            "conf.d/d.conf",
            "extra/x.inc"
        ]
    );
    // Each tree is the file's own parse under its id.
    for (id, f) in loaded.sources.files() {
        let alone = parse(&f.text, id);
        assert_eq!(loaded.file(id).root, alone.root);
        assert_eq!(loaded.file(id).errors, alone.errors);
    }
    assert!(!loaded.file(FileId(1)).errors.is_empty());
    let include = &loaded.file(FileId(0)).root.directives[0]
        .block
        .as_ref()
        .unwrap()
        .directives[0];
    assert_eq!(
        loaded.included_by(include),
        &[FileId(1), FileId(2), FileId(3), FileId(4)]
    );
}

#[test]
fn long_lua_body_across_the_split_fills_the_bounded_buffer() {
    // The lexer ahead reads the Lua body as nginx tokens (wrong, unused)
    // and gets far ahead while this thread is in the body: it must wait,
    // then the parse must resync after the body and match serial parsing.
    let body = "  local t = { a = \"}\" } -- ; {\n".repeat(60_000);
    let rest = "server { listen 80; location / { return 200 \"ok\"; } }\n".repeat(2_000);
    let text = format!("http {{\ncontent_by_lua_block {{\n{body}}}\n{rest}}}\n");
    let serial = parse_split_at(text.as_bytes(), FileId(0), None);
    let split = ngxray::syntax::parse(text.as_bytes(), FileId(0));
    assert_eq!(serial.root, split.root);
    assert_eq!(serial.errors, split.errors);
    assert!(serial.errors.is_empty(), "{:?}", serial.errors);
    assert_eq!(serial.root.walk().count(), 2 + 4 * 2_000);
}
