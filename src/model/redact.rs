//! Redaction: a pure transform of the model that hides secrets before a report is rendered (`--redact`).
//!
//! What is replaced, each by a placeholder `<redacted:XXXXXXXX>` (the first 8 hex digits of the SHA-256 of
//! the replaced bytes, so the same secret always gets the same placeholder and two processes sharing a
//! token can still be told apart from two that do not):
//!
//! * every environment value (`NAME=value` keeps `NAME`; an entry without `=` is replaced whole);
//! * in argv (and `pr_psargs`, split at spaces), secret-looking tokens:
//!   - `--password=VALUE`, `token=VALUE`, `AWS_SECRET_ACCESS_KEY=VALUE`: any `NAME=VALUE` whose name (after
//!     leading dashes) contains `pass`, `pwd`, `secret`, `token`, `key`, `auth`, `credential`, `cookie` or
//!     `session` (case-insensitive): the value;
//!   - the token after such a flag (`--password VALUE`, `--token VALUE`) and after `-p`
//!     (`mysql -p VALUE`), unless it looks like another flag;
//!   - the password of a URL's user information (`https://user:VALUE@host/`), anywhere in a token;
//!   - the credentials after `Bearer ` or `Basic ` (an `Authorization:` header given as an argument).
//!
//! Only the model is changed: the archive, its members and their hashes are untouched, so `verify` still
//! passes on the evidence the redacted report was made from. The placeholder is an unkeyed hash: it hides
//! a strong secret, but a guessable one (a dictionary word) can be confirmed by hashing guesses.

use sha2::{Digest, Sha256};

use super::{ByteString, Process, Snapshot};

/// Name fragments that make a `NAME=value` argument or a `--name value` flag secret-looking.
const SECRET_NAMES: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "credential",
    "cookie",
    "session",
];

/// The placeholder that replaces `secret`: `<redacted:` + 8 hex digits of its SHA-256 + `>`.
pub fn placeholder(secret: &[u8]) -> String {
    let d = Sha256::digest(secret);
    format!(
        "<redacted:{:02x}{:02x}{:02x}{:02x}>",
        d[0], d[1], d[2], d[3]
    )
}

/// Redacts the whole snapshot in place: every process's environment, argv and psargs.
pub fn redact(snapshot: &mut Snapshot) {
    for p in &mut snapshot.processes {
        redact_process(p);
    }
}

/// The snapshot, redacted (see [`redact`]).
pub fn redacted(mut snapshot: Snapshot) -> Snapshot {
    redact(&mut snapshot);
    snapshot
}

/// Redacts one process: environment values, secret-looking argv tokens, and `pr_psargs`.
pub fn redact_process(p: &mut Process) {
    if let Some(env) = &mut p.env {
        for e in env.iter_mut() {
            *e = redact_env_entry(e.as_bytes());
        }
    }
    if let Some(argv) = &mut p.argv {
        *argv = redact_argv(argv);
    }
    if let Some(psargs) = &mut p.psargs {
        let words: Vec<ByteString> = psargs
            .as_bytes()
            .split(|b| *b == b' ')
            .map(ByteString::new)
            .collect();
        let joined: Vec<u8> = redact_argv(&words)
            .iter()
            .map(ByteString::as_bytes)
            .collect::<Vec<_>>()
            .join(&b' ');
        *psargs = ByteString(joined);
    }
}

/// `NAME=value` → `NAME=<redacted:…>`; an entry without `=` is replaced whole.
pub fn redact_env_entry(entry: &[u8]) -> ByteString {
    match entry.iter().position(|b| *b == b'=') {
        Some(eq) => {
            let mut out = entry[..=eq].to_vec();
            out.extend_from_slice(placeholder(&entry[eq + 1..]).as_bytes());
            ByteString(out)
        }
        None => ByteString(placeholder(entry).into_bytes()),
    }
}

/// Redacts the secret-looking tokens of an argument list (see the module documentation).
pub fn redact_argv(argv: &[ByteString]) -> Vec<ByteString> {
    let mut out = Vec::with_capacity(argv.len());
    let mut secret_next = false;
    for arg in argv {
        let a = arg.as_bytes();
        if secret_next && !a.starts_with(b"-") && !a.is_empty() {
            secret_next = false;
            out.push(ByteString(placeholder(a).into_bytes()));
            continue;
        }
        secret_next = is_secret_flag(a);
        out.push(redact_token(a));
    }
    out
}

/// A flag whose *next* argument is a secret: `-p`, or `--NAME`/`-NAME` with a secret-looking name and no
/// `=VALUE` of its own.
fn is_secret_flag(a: &[u8]) -> bool {
    if a == b"-p" {
        return true;
    }
    let Some(name) = a.strip_prefix(b"-") else {
        return false;
    };
    !name.contains(&b'=') && secret_name(name)
}

/// True when `name` (leading dashes ignored) contains one of [`SECRET_NAMES`], case-insensitively.
fn secret_name(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_ascii_start();
    SECRET_NAMES
        .iter()
        .any(|s| lower.windows(s.len()).any(|w| w == s.as_bytes()))
}

/// Redacts one token on its own: a secret `NAME=VALUE`, URL passwords, `Bearer`/`Basic` credentials.
fn redact_token(a: &[u8]) -> ByteString {
    if let Some(eq) = a.iter().position(|b| *b == b'=') {
        let name = &a[..eq];
        let bare = name
            .iter()
            .position(|b| *b != b'-')
            .map_or(name, |i| &name[i..]);
        // `NAME=` with a plain name (no path or URL before the `=`).
        if !bare.is_empty()
            && bare
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            && secret_name(bare)
        {
            let mut out = a[..=eq].to_vec();
            out.extend_from_slice(placeholder(&a[eq + 1..]).as_bytes());
            return ByteString(out);
        }
    }
    let a = redact_url_passwords(a);
    ByteString(redact_auth_scheme(&a))
}

/// Replaces the password in every `scheme://user:password@` of `a`.
fn redact_url_passwords(a: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut rest = a;
    while let Some(i) = find(rest, b"://") {
        let (head, tail) = rest.split_at(i + 3);
        out.extend_from_slice(head);
        // The authority ends at the first '/', '?' or '#'; its user information at the last '@' in it.
        let auth_end = tail
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#' | b' '))
            .unwrap_or(tail.len());
        let authority = &tail[..auth_end];
        match authority.iter().rposition(|b| *b == b'@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.iter().position(|b| *b == b':') {
                    Some(colon) => {
                        out.extend_from_slice(&userinfo[..=colon]);
                        out.extend_from_slice(placeholder(&userinfo[colon + 1..]).as_bytes());
                    }
                    None => out.extend_from_slice(userinfo),
                }
                out.extend_from_slice(&authority[at..]);
            }
            None => out.extend_from_slice(authority),
        }
        rest = &tail[auth_end..];
    }
    out.extend_from_slice(rest);
    out
}

/// Replaces what follows `Bearer ` or `Basic ` (an HTTP `Authorization` value passed as an argument).
fn redact_auth_scheme(a: &[u8]) -> Vec<u8> {
    for scheme in [&b"Bearer "[..], b"Basic ", b"bearer ", b"basic "] {
        if let Some(i) = find(a, scheme) {
            let start = i + scheme.len();
            let end = a[start..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'')
                .map_or(a.len(), |n| start + n);
            if end > start {
                let mut out = a[..start].to_vec();
                out.extend_from_slice(placeholder(&a[start..end]).as_bytes());
                out.extend_from_slice(&a[end..]);
                return out;
            }
        }
    }
    a.to_vec()
}

/// The first position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<ByteString> {
        words.iter().map(|w| ByteString::from(*w)).collect()
    }

    fn shown(v: &[ByteString]) -> Vec<String> {
        v.iter().map(ByteString::escaped).collect()
    }

    #[test]
    fn placeholders_are_stable_and_short() {
        // printf hunter2 | sha256sum → f52fbd32...
        assert_eq!(placeholder(b"hunter2"), "<redacted:f52fbd32>");
        assert_eq!(placeholder(b"hunter2"), placeholder(b"hunter2"));
        assert_ne!(placeholder(b"hunter2"), placeholder(b"hunter3"));
    }

    #[test]
    fn environment_values() {
        assert_eq!(
            redact_env_entry(b"AWS_SECRET=abc").escaped(),
            format!("AWS_SECRET={}", placeholder(b"abc"))
        );
        assert_eq!(
            redact_env_entry(b"HOME=/root").escaped(),
            format!("HOME={}", placeholder(b"/root"))
        );
        assert_eq!(
            redact_env_entry(b"EMPTY=").escaped(),
            format!("EMPTY={}", placeholder(b""))
        );
        assert_eq!(
            redact_env_entry(b"noequals").escaped(),
            placeholder(b"noequals")
        );
    }

    #[test]
    fn secret_looking_arguments() {
        let p = |s: &str| placeholder(s.as_bytes());
        let got = shown(&redact_argv(&argv(&[
            "mysql",
            "-u",
            "root",
            "-p",
            "hunter2",
            "--password=s3cret",
            "--token",
            "abc123",
            "API_KEY=xyz",
            "--verbose",
            "https://alice:pw@example.com/path?password",
            "-H",
            "Authorization: Bearer eyJhbGc",
            "./data=file",
            "--keep",
        ])));
        assert_eq!(
            got,
            vec![
                "mysql".to_string(),
                "-u".into(),
                "root".into(),
                "-p".into(),
                p("hunter2"),
                format!("--password={}", p("s3cret")),
                "--token".into(),
                p("abc123"),
                format!("API_KEY={}", p("xyz")),
                "--verbose".into(),
                format!("https://alice:{}@example.com/path?password", p("pw")),
                "-H".into(),
                format!("Authorization: Bearer {}", p("eyJhbGc")),
                "./data=file".into(),
                "--keep".into(),
            ]
        );
    }

    #[test]
    fn a_flag_after_a_secret_flag_is_not_taken_as_its_value() {
        let got = shown(&redact_argv(&argv(&["tool", "--password", "--next", "x"])));
        assert_eq!(got, vec!["tool", "--password", "--next", "x"]);
    }

    #[test]
    fn urls_without_passwords_are_kept() {
        let got = shown(&redact_argv(&argv(&[
            "curl",
            "https://bob@example.com/",
            "http://host:8080/a@b",
            "git://x",
        ])));
        assert_eq!(
            got,
            vec![
                "curl",
                "https://bob@example.com/",
                "http://host:8080/a@b",
                "git://x"
            ]
        );
    }

    #[test]
    fn psargs_and_the_whole_snapshot() {
        let mut s = Snapshot::default();
        s.processes.push(Process {
            pid: 7,
            argv: Some(argv(&["app", "--secret=x"])),
            env: Some(argv(&["A=1"])),
            psargs: Some(ByteString::from("app -p hunter2 --x")),
            ..Process::default()
        });
        let before = s.processes[0].clone();
        let r = redacted(s);
        let p = &r.processes[0];
        assert_eq!(
            p.psargs.as_ref().unwrap().escaped(),
            format!("app -p {} --x", placeholder(b"hunter2"))
        );
        assert_eq!(
            shown(p.env.as_ref().unwrap()),
            vec![format!("A={}", placeholder(b"1"))]
        );
        assert_eq!(
            shown(p.argv.as_ref().unwrap()),
            vec!["app".to_string(), format!("--secret={}", placeholder(b"x"))]
        );
        assert_ne!(before.argv, p.argv);
    }
}
