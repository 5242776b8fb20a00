//! Dropping root's privileges once the ports are bound (`--uid`, `--gid`).

use std::ffi::CString;
use std::io;

/// The user and group to become, resolved from names or numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Identity {
    pub(super) uid: Option<libc::uid_t>,
    pub(super) gid: Option<libc::gid_t>,
}

/// Resolves `--uid` and `--gid` (names or numbers). A user without `--gid` takes the
/// user's primary group, as `twistd` does.
pub(super) fn resolve(uid: Option<&str>, gid: Option<&str>) -> Result<Identity, String> {
    let user = uid.map(lookup_user).transpose()?;
    let gid = match gid {
        Some(group) => Some(lookup_group(group)?),
        None => user.map(|(_, primary)| primary),
    };
    Ok(Identity {
        uid: user.map(|(uid, _)| uid),
        gid,
    })
}

/// Becomes `identity`: the group (and only that supplementary group) first, then the
/// user, then checks that root cannot be had back.
pub(super) fn drop_to(identity: Identity) -> Result<(), String> {
    if let Some(gid) = identity.gid {
        // SAFETY: setgroups reads one gid from a valid pointer; setgid takes a value.
        let failed = unsafe { libc::setgroups(1, &gid) != 0 || libc::setgid(gid) != 0 };
        if failed {
            return Err(format!(
                "cannot switch to group {gid}: {}",
                io::Error::last_os_error()
            ));
        }
    }
    if let Some(uid) = identity.uid {
        // SAFETY: setuid takes a value and has no memory effects.
        if unsafe { libc::setuid(uid) } != 0 {
            return Err(format!(
                "cannot switch to user {uid}: {}",
                io::Error::last_os_error()
            ));
        }
        // SAFETY: as above; this call must fail once root is given up.
        if uid != 0 && unsafe { libc::setuid(0) } == 0 {
            return Err(format!(
                "switched to user {uid} but could become root again"
            ));
        }
    }
    Ok(())
}

/// The uid and primary gid of `user`, a name or a number.
fn lookup_user(user: &str) -> Result<(libc::uid_t, libc::gid_t), String> {
    let name = CString::new(user).map_err(|_| format!("no user {user:?}"))?;
    // SAFETY: `name` is a NUL-terminated string; the other pointers come from
    // `passwd_entry` and are valid for the call.
    let by_name = passwd_entry(|entry, buf, len, found| unsafe {
        libc::getpwnam_r(name.as_ptr(), entry, buf, len, found)
    });
    if let Some(ids) = by_name {
        return Ok(ids);
    }
    let uid: libc::uid_t = user.parse().map_err(|_| format!("no user {user:?}"))?;
    // SAFETY: as above, with a uid for a name.
    let by_uid = passwd_entry(|entry, buf, len, found| unsafe {
        libc::getpwuid_r(uid, entry, buf, len, found)
    });
    // A number with no passwd entry is still a uid; its group is then the same number.
    Ok(by_uid.unwrap_or((uid, uid)))
}

/// Runs a `getpw*_r` lookup with an entry and a buffer of its own; the uid and gid it
/// found, if any.
fn passwd_entry(
    lookup: impl FnOnce(
        *mut libc::passwd,
        *mut libc::c_char,
        libc::size_t,
        *mut *mut libc::passwd,
    ) -> libc::c_int,
) -> Option<(libc::uid_t, libc::gid_t)> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value for the lookup to fill.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    let rc = lookup(&mut entry, buf.as_mut_ptr(), buf.len(), &mut found);
    (rc == 0 && !found.is_null()).then_some((entry.pw_uid, entry.pw_gid))
}

/// The gid of `group`, a name or a number.
fn lookup_group(group: &str) -> Result<libc::gid_t, String> {
    if let Ok(gid) = group.parse() {
        return Ok(gid);
    }
    let name = CString::new(group).map_err(|_| format!("no group {group:?}"))?;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: an all-zero group is a valid value for getgrnam_r to fill.
    let mut entry: libc::group = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, and the buffer's length is given.
    let rc = unsafe {
        libc::getgrnam_r(
            name.as_ptr(),
            &mut entry,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut found,
        )
    };
    if rc == 0 && !found.is_null() {
        return Ok(entry.gr_gid);
    }
    Err(format!("no group {group:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_resolve() {
        let root = resolve(Some("root"), None).unwrap();
        assert_eq!(
            root,
            Identity {
                uid: Some(0),
                gid: Some(0)
            }
        );
        let nobody = resolve(Some("nobody"), Some("0")).unwrap();
        assert_eq!(nobody.gid, Some(0));
        assert_ne!(nobody.uid, Some(0));
        assert_eq!(resolve(Some("4242"), None).unwrap().uid, Some(4242));
        assert_eq!(
            resolve(None, None).unwrap(),
            Identity {
                uid: None,
                gid: None
            }
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(resolve(Some("no-such-user-here"), None)
            .unwrap_err()
            .contains("no user"));
        assert!(resolve(None, Some("no-such-group-here"))
            .unwrap_err()
            .contains("no group"));
    }
}
