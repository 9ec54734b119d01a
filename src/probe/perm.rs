//! Unix socket permissions as nginx's workers meet them. The workers
//! connect as the `user` of the configuration (default `nobody`), but a
//! probe run as root passes every permission check, so a socket the
//! workers may not use would look fine. When running as root, this
//! checks what the kernel would check for the worker user — search
//! permission on every directory of the path, write permission on the
//! socket — and says so in a note; the probe's verdict stays the kernel's.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Is the process running as root?
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// uid, primary gid and supplementary gids of a user.
fn user_ids(user: &str, group: Option<&str>) -> Option<(u32, Vec<u32>)> {
    let name = CString::new(user).ok()?;
    // SAFETY: passwd is plain data; all-zero is a valid value to be filled.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; buf outlives the use of pw.
    let rc = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
        )
    };
    if rc != 0 || out.is_null() {
        return None;
    }
    let uid = pw.pw_uid;
    let mut gid = pw.pw_gid;
    if let Some(g) = group {
        let gname = CString::new(g).ok()?;
        // SAFETY: group is plain data; all-zero is a valid value to be filled.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut gbuf = vec![0 as libc::c_char; 16 * 1024];
        let mut gout: *mut libc::group = std::ptr::null_mut();
        // SAFETY: as above.
        let rc = unsafe {
            libc::getgrnam_r(
                gname.as_ptr(),
                &mut gr,
                gbuf.as_mut_ptr(),
                gbuf.len(),
                &mut gout,
            )
        };
        if rc == 0 && !gout.is_null() {
            gid = gr.gr_gid;
        }
    }
    let mut groups = vec![0 as libc::gid_t; 256];
    let mut n = groups.len() as libc::c_int;
    // SAFETY: groups has room for n entries; n is updated to the count.
    let rc = unsafe { libc::getgrouplist(name.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
    let mut gids = vec![gid];
    if rc >= 0 {
        gids.extend(groups.iter().take(n.max(0) as usize).copied());
    }
    Some((uid, gids))
}

/// May `uid`/`gids` use a file with this mode for `bit` (1 = x, 2 = w)?
fn allowed(meta: &std::fs::Metadata, uid: u32, gids: &[u32], bit: u32) -> bool {
    let mode = meta.mode();
    if meta.uid() == uid {
        mode & (bit << 6) != 0
    } else if gids.contains(&meta.gid()) {
        mode & (bit << 3) != 0
    } else {
        mode & bit != 0
    }
}

/// Why the worker user could not connect to the socket, when it could not.
pub fn worker_denied(path: &Path, user: &str, group: Option<&str>) -> Option<String> {
    let Some((uid, gids)) = user_ids(user, group) else {
        return Some(format!(
            "running as root: the worker user \"{user}\" does not exist here, so its permissions were not checked"
        ));
    };
    let mut ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
    ancestors.reverse();
    for dir in ancestors {
        let Ok(m) = std::fs::metadata(dir) else {
            continue;
        };
        if !allowed(&m, uid, &gids, 1) {
            return Some(format!(
                "running as root; nginx's worker user \"{user}\" may not search {} (mode {:04o}, owner {}:{}): its connect() would fail with (13: Permission denied)",
                dir.display(),
                m.mode() & 0o7777,
                m.uid(),
                m.gid()
            ));
        }
    }
    let m = std::fs::metadata(path).ok()?;
    (!allowed(&m, uid, &gids, 2)).then(|| {
        format!(
            "running as root; nginx's worker user \"{user}\" may not write the socket (mode {:04o}, owner {}:{}): its connect() would fail with (13: Permission denied)",
            m.mode() & 0o7777,
            m.uid(),
            m.gid()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    #[allow(clippy::print_stderr)]
    fn worker_user_meets_directory_and_socket_modes() {
        let Some((uid, _)) = user_ids("nobody", None) else {
            eprintln!("SKIP worker_user_meets_directory_and_socket_modes: no user nobody");
            return;
        };
        assert_ne!(uid, 0);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        let sock = dir.join("app.sock");
        std::fs::write(&sock, b"").unwrap();
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        set(tmp.path(), 0o755);
        set(&dir, 0o755);
        set(&sock, 0o666);
        assert_eq!(worker_denied(&sock, "nobody", None), None);
        set(&sock, 0o644);
        let n = worker_denied(&sock, "nobody", None).unwrap();
        assert!(n.contains("may not write the socket (mode 0644"), "{n}");
        set(&dir, 0o700);
        let n = worker_denied(&sock, "nobody", None).unwrap();
        assert!(
            n.contains("may not search") && n.contains("run (mode 0700"),
            "{n}"
        );
        assert!(worker_denied(&sock, "no-such-user-ngxray", None)
            .unwrap()
            .contains("does not exist"));
    }
}
