//! Selecting processes: `--pid`, `--user`, `--container`.

use crate::model::{Process, Snapshot};

/// Which processes a report shows. An empty filter selects every process.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only these pids (`--pid`, repeatable or comma-separated).
    pub pids: Vec<i32>,
    /// Only processes whose real or effective user is one of these names or numeric uids (`--user`).
    pub users: Vec<String>,
    /// Only processes in this container: a pid-namespace inode, or a substring of a cgroup path
    /// (`--container`).
    pub container: Option<String>,
}

impl Filter {
    /// True when the filter selects every process.
    pub fn is_empty(&self) -> bool {
        self.pids.is_empty() && self.users.is_empty() && self.container.is_none()
    }

    /// Whether `p` is selected.
    pub fn matches(&self, p: &Process) -> bool {
        if !self.pids.is_empty() && !self.pids.contains(&p.pid) {
            return false;
        }
        if !self.users.is_empty() && !self.users.iter().any(|u| user_matches(u, p)) {
            return false;
        }
        if let Some(c) = &self.container {
            if !container_matches(c, p) {
                return false;
            }
        }
        true
    }

    /// The selected processes of `snapshot`, in pid order.
    pub fn select<'a>(&'a self, snapshot: &'a Snapshot) -> impl Iterator<Item = &'a Process> + 'a {
        snapshot.processes.iter().filter(|p| self.matches(p))
    }
}

fn user_matches(want: &str, p: &Process) -> bool {
    let c = &p.cred;
    if let Ok(uid) = want.parse::<u32>() {
        return c.uid == Some(uid) || c.euid == Some(uid);
    }
    c.user.as_deref() == Some(want) || c.euser.as_deref() == Some(want)
}

fn container_matches(want: &str, p: &Process) -> bool {
    if let Ok(inode) = want.parse::<u64>() {
        let in_ns = p
            .namespaces
            .iter()
            .flatten()
            // Its own pid namespace: not `pid_for_children` (the one a process that created a
            // namespace gives its children), also of type `pid`.
            .any(|ns| ns.kind == "pid" && ns.link.is_none() && ns.inode == inode);
        if in_ns {
            return true;
        }
    }
    p.cgroup
        .iter()
        .flatten()
        .any(|line| line.escaped().contains(want))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Namespace;
    use crate::report::testutil::sample;

    #[test]
    fn filters_by_pid_user_and_container() {
        let s = sample();
        let pids = |f: &Filter| f.select(&s).map(|p| p.pid).collect::<Vec<_>>();
        assert_eq!(pids(&Filter::default()), vec![1, 100, 101, 102]);
        let f = Filter {
            pids: vec![100, 7],
            ..Filter::default()
        };
        assert_eq!(pids(&f), vec![100]);
        let f = Filter {
            users: vec!["alice".into()],
            ..Filter::default()
        };
        assert_eq!(pids(&f), vec![101, 102]);
        let f = Filter {
            users: vec!["0".into()],
            ..Filter::default()
        };
        assert_eq!(pids(&f), vec![1, 100]);
        let f = Filter {
            container: Some("4026532500".into()),
            ..Filter::default()
        };
        assert_eq!(pids(&f), vec![101, 102]);
        let f = Filter {
            container: Some("docker-abc".into()),
            ..Filter::default()
        };
        assert_eq!(pids(&f), vec![102]);
    }

    #[test]
    fn a_namespace_creator_is_not_in_the_namespace_it_gives_its_children() {
        let mut s = sample();
        // The `unshare` that created the inner pid namespace: its own pid namespace is the host's,
        // its `pid_for_children` link the inner one.
        s.processes[1].namespaces = Some(vec![
            Namespace {
                kind: "pid".into(),
                inode: 4026531836,
                link: None,
            },
            Namespace {
                kind: "pid".into(),
                inode: 4026532500,
                link: Some("pid_for_children".into()),
            },
        ]);
        let f = Filter {
            container: Some("4026532500".into()),
            ..Filter::default()
        };
        assert_eq!(f.select(&s).map(|p| p.pid).collect::<Vec<_>>(), [101, 102]);
    }
}
