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
//!   - a password given as an attached short option (`mysql -psecret9`) or as the next argument, for the
//!     programs whose option it is ([`PASSWORD_OPTIONS`], matched by the name of argv\[0\]): `-p` of the
//!     MySQL and MariaDB clients (`mysql*`, `mariadb*`), `sshpass`, `7z`/`7za`/`7zr`, `rar`/`unrar`;
//!     `-w` of the OpenLDAP tools (`ldap*`); `-a` of `redis-cli`; `-P` of `zip`, `unzip`, `sqlcmd`,
//!     `bcp`; and the part after `:` of curl's `-u`/`--user`/`--proxy-user USER:PASSWORD`. The same
//!     letters mean other things to other programs (`ssh -p2222`, `tar -pxf`, `python -c`): an attached
//!     short option is never redacted for a program not in the table;
//!   - `pass:VALUE` (OpenSSL's `-passin pass:VALUE` form): the value; after a secret flag, OpenSSL's
//!     `env:VAR`, `file:PATH`, `fd:N` and `stdin` are kept (they say where the secret is, not what);
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

/// Short options that take a password, by program: (name of argv\[0\], whether that name is a prefix
/// (`mysql` matches `mysqldump`), option letter). The password is the rest of the argument (`-psecret`)
/// or, when the option stands alone, the next argument (`-p secret`; MySQL itself would prompt then, but
/// a password there is the mistake worth hiding).
pub const PASSWORD_OPTIONS: &[(&str, bool, u8)] = &[
    ("mysql", true, b'p'),
    ("mariadb", true, b'p'),
    ("sshpass", false, b'p'),
    ("7z", false, b'p'),
    ("7za", false, b'p'),
    ("7zr", false, b'p'),
    ("rar", false, b'p'),
    ("unrar", false, b'p'),
    ("ldap", true, b'w'),
    ("redis-cli", false, b'a'),
    ("zip", false, b'P'),
    ("unzip", false, b'P'),
    ("sqlcmd", false, b'P'),
    ("bcp", false, b'P'),
];

/// The password option letter of the program argv\[0\] names, if it has one.
fn password_option(argv0: &[u8]) -> Option<u8> {
    let name = argv0.rsplit(|b| *b == b'/').next().unwrap_or(argv0);
    PASSWORD_OPTIONS
        .iter()
        .find(|(prog, prefix, _)| {
            let p = prog.as_bytes();
            if *prefix {
                name.starts_with(p)
            } else {
                name == p
            }
        })
        .map(|(_, _, letter)| *letter)
}

/// Whether argv\[0\] is curl, whose `-u`/`--user`/`--proxy-user` value is `USER:PASSWORD`.
fn is_curl(argv0: &[u8]) -> bool {
    argv0.rsplit(|b| *b == b'/').next() == Some(b"curl")
}

/// `USER:PASSWORD` → `USER:<redacted:…>`; without a `:` there is no password (curl prompts for it).
fn redact_user_password(v: &[u8]) -> Vec<u8> {
    match v.iter().position(|b| *b == b':') {
        Some(c) => {
            let mut out = v[..=c].to_vec();
            out.extend_from_slice(placeholder(&v[c + 1..]).as_bytes());
            out
        }
        None => v.to_vec(),
    }
}

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
    let argv0 = argv.first().map(ByteString::as_bytes).unwrap_or_default();
    let letter = password_option(argv0);
    let curl = is_curl(argv0);
    let mut out = Vec::with_capacity(argv.len());
    let mut secret_next = false;
    let mut user_next = false;
    let mut options_ended = false;
    for (i, arg) in argv.iter().enumerate() {
        let a = arg.as_bytes();
        if user_next && !a.is_empty() {
            user_next = false;
            out.push(ByteString(redact_user_password(a)));
            continue;
        }
        if secret_next && !a.starts_with(b"-") && !a.is_empty() {
            secret_next = false;
            out.push(redact_value(a));
            continue;
        }
        if a == b"--" {
            options_ended = true;
        }
        let short =
            (i > 0 && !options_ended && a.len() >= 2 && a[0] == b'-' && a[1] != b'-').then(|| a[1]);
        // The program's own password option: attached (`-psecret`) or alone (`-p secret`).
        if letter.is_some() && short == letter {
            if a.len() > 2 {
                let mut v = a[..2].to_vec();
                v.extend_from_slice(placeholder(&a[2..]).as_bytes());
                out.push(ByteString(v));
            } else {
                secret_next = true;
                out.push(arg.clone());
            }
            continue;
        }
        if curl && i > 0 && !options_ended {
            if short == Some(b'u') || short == Some(b'U') {
                if a.len() > 2 {
                    let mut v = a[..2].to_vec();
                    v.extend(redact_user_password(&a[2..]));
                    out.push(ByteString(v));
                } else {
                    user_next = true;
                    out.push(arg.clone());
                }
                continue;
            }
            if a == b"--user" || a == b"--proxy-user" {
                user_next = true;
                out.push(arg.clone());
                continue;
            }
            if let Some(v) = a
                .strip_prefix(b"--user=")
                .or_else(|| a.strip_prefix(b"--proxy-user="))
            {
                let mut w = a[..a.len() - v.len()].to_vec();
                w.extend(redact_user_password(v));
                out.push(ByteString(w));
                continue;
            }
        }
        secret_next = is_secret_flag(a);
        out.push(redact_token(a));
    }
    out
}

/// The value of a secret flag: replaced whole, except OpenSSL's pass phrase forms: `pass:VALUE` keeps
/// `pass:`, and `env:VAR`, `file:PATH`, `fd:N` and `stdin` are kept (they say where the secret is, not
/// what it is).
fn redact_value(a: &[u8]) -> ByteString {
    if let Some(v) = a.strip_prefix(b"pass:") {
        let mut out = b"pass:".to_vec();
        out.extend_from_slice(placeholder(v).as_bytes());
        return ByteString(out);
    }
    if a == b"stdin"
        || [&b"env:"[..], b"file:", b"fd:"]
            .iter()
            .any(|p| a.starts_with(p))
    {
        return ByteString::new(a);
    }
    ByteString(placeholder(a).into_bytes())
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
    // OpenSSL's pass phrase argument, wherever it stands: `pass:VALUE`.
    if a.starts_with(b"pass:") {
        return redact_value(a);
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
    fn attached_passwords_of_the_programs_that_take_them() {
        let p = |s: &str| placeholder(s.as_bytes());
        let r = |words: &[&str]| shown(&redact_argv(&argv(words)));
        assert_eq!(
            r(&["mysql", "-uroot", "-psecret9", "-hdb", "app"]),
            [
                "mysql",
                "-uroot",
                &format!("-p{}", p("secret9")),
                "-hdb",
                "app"
            ]
        );
        assert_eq!(
            r(&["/usr/bin/mysqldump", "-psecret9"]),
            [
                "/usr/bin/mysqldump".to_string(),
                format!("-p{}", p("secret9"))
            ]
        );
        assert_eq!(
            r(&["mariadb-dump", "-psecret9"])[1],
            format!("-p{}", p("secret9"))
        );
        assert_eq!(
            r(&["sshpass", "-p", "pw1", "ssh", "host"]),
            ["sshpass", "-p", &p("pw1"), "ssh", "host"]
        );
        assert_eq!(
            r(&["7z", "x", "-pzippw", "a.7z"])[2],
            format!("-p{}", p("zippw"))
        );
        assert_eq!(
            r(&["ldapsearch", "-x", "-wldappw", "-D", "cn=admin"])[2],
            format!("-w{}", p("ldappw"))
        );
        assert_eq!(r(&["redis-cli", "-a", "rpw", "ping"])[2], p("rpw"));
        assert_eq!(r(&["unzip", "-P", "zpw", "f.zip"])[2], p("zpw"));
        assert_eq!(
            r(&["curl", "-u", "alice:cpw", "https://x/"])[2],
            format!("alice:{}", p("cpw"))
        );
        assert_eq!(
            r(&["curl", "-ubob:cpw2"])[1],
            format!("-ubob:{}", p("cpw2"))
        );
        assert_eq!(
            r(&["curl", "--user=carol:cpw3"])[1],
            format!("--user=carol:{}", p("cpw3"))
        );
        // curl without a password part prompts: nothing to hide.
        assert_eq!(r(&["curl", "-u", "dave", "x"])[2], "dave");
        assert_eq!(
            r(&["openssl", "enc", "-passin", "pass:opw", "-in", "f"])[3],
            format!("pass:{}", p("opw"))
        );
        assert_eq!(r(&["openssl", "enc", "-passin", "env:VAR"])[3], "env:VAR");
    }

    #[test]
    fn attached_short_options_of_other_programs_are_kept() {
        let r = |words: &[&str]| shown(&redact_argv(&argv(words)));
        for words in [
            &["ssh", "-p2222", "host"][..],
            &["nc", "-l", "-p8080"],
            &["tar", "-pxf", "a.tar"],
            &["python3", "-c", "print(1)"],
            &["docker", "run", "-p8080:80", "img"],
            &["curl", "-pw", "x"],
            // After `--` the program's options end.
            &["mysql", "--", "-pnot-an-option"],
        ] {
            assert_eq!(r(words), words, "{words:?}");
        }
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
