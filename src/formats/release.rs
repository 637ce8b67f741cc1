//! Which release of the OS a host runs, from the text files that say so: os-release(5) (`/etc/os-release`,
//! Linux and illumos distributions) and Solaris `/etc/release`.

/// os-release(5) `PRETTY_NAME`, with one level of double or single quotes removed; `None` when the file
/// has none or it is empty.
pub fn pretty_name(os_release: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(os_release);
    let value = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("PRETTY_NAME="))?
        .trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| value.strip_prefix(*q)?.strip_suffix(*q))
        .unwrap_or(value);
    Some(unquoted.to_owned()).filter(|s| !s.is_empty())
}

/// The first non-blank line of Solaris `/etc/release`, trimmed (`Oracle Solaris 11.4 X86`,
/// `OmniOS v11 r151046`).
pub fn release_line(release: &[u8]) -> Option<String> {
    String::from_utf8_lossy(release)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_names() {
        assert_eq!(
            pretty_name(b"NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"),
            Some("Debian GNU/Linux 12 (bookworm)".into())
        );
        assert_eq!(pretty_name(b"PRETTY_NAME=Plain\n"), Some("Plain".into()));
        assert_eq!(
            pretty_name(b"PRETTY_NAME='OmniOS v11 r151046'\n"),
            Some("OmniOS v11 r151046".into())
        );
        assert_eq!(pretty_name(b"PRETTY_NAME=\"\"\n"), None);
        assert_eq!(pretty_name(b"NAME=x\n"), None);
    }

    #[test]
    fn solaris_release_first_line() {
        assert_eq!(
            release_line(b"\n             Oracle Solaris 11.4 X86\n  Copyright (c) 1983, 2018\n"),
            Some("Oracle Solaris 11.4 X86".into())
        );
        assert_eq!(release_line(b"  \n\n"), None);
    }
}
