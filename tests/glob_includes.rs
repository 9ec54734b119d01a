//! Files matched by a glob include, read and parsed on all cores, get the
//! ids and trees that loading them one by one gives, in nginx's order.

use ngxray::syntax::FileId;

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
        .block()
        .as_ref()
        .unwrap()
        .directives[0];
    assert_eq!(
        loaded.included_by(include),
        &[FileId(1), FileId(2), FileId(3), FileId(4)]
    );
}
