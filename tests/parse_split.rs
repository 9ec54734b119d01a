//! The two-core parse (a second thread lexes ahead from a split point) must
//! give exactly the serial tree and errors, wherever the split falls: inside
//! quotes, comments, Lua bodies, escapes, over-long tokens or errors; with
//! the tokens ahead arriving late (threads) or all at once, in chunks of
//! any size.

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
