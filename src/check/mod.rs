//! `check`: anomaly findings over the model, each tied to the evidence that shows it.
//!
//! Pure: a [`Snapshot`] in, an [`Outcome`] out; no I/O. A rule is one [`Rule`] in [`RULES`] (its id,
//! severity, MITRE ATT&CK technique, what it looks at, its known benign causes, and the inputs it cannot
//! run on with the reason), and a function over the [`view::Scene`]. Adding a rule is adding one item.
//!
//! A finding names the process (pid, start time, command) and carries its evidence: the archive members
//! or core notes that show it ([`evidence`] is the one place that names them), each with the value read
//! there. What a rule could not check is never silent: an input it cannot run on, or a process whose
//! records it needs were not captured or could not be read, is a [`NotChecked`] entry.

mod allow;
pub mod evidence;
mod rules;
#[cfg(test)]
mod tests;
pub mod view;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use allow::{AllowEntry, Allowlist};
pub use view::InputClass;

use crate::bytes::ByteString;
use crate::model::Snapshot;
use crate::time::Timestamp;
use view::{Proc, Scene};

/// How much a finding matters. The order is the order of severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never an anomaly by itself.
    Info,
    /// Anomalous, with a common benign cause (said in the summary).
    Low,
    /// Anomalous; benign causes exist but are uncommon.
    Medium,
    /// A known attacker technique with no common benign cause.
    High,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ];

    /// `info`, `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// Parses a severity name.
    pub fn parse(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| format!("unknown severity {s:?}; known: info, low, medium, high"))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One piece of evidence: the archive member or core note, and what it says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The archive member (`proc/1234/exe`) or core note (`NT_FILE`) the value was read from.
    pub member: String,
    /// The value read there, or what it lacks (`/tmp/x (deleted)`, `7f00-7f01 rwxp (anonymous)`).
    pub detail: String,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id (`exe-deleted`).
    pub rule: String,
    /// How much it matters.
    pub severity: Severity,
    /// The process; absent for host-wide findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The process's start time, UTC (with `pid`, its identity across snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    /// The process's command name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<ByteString>,
    /// The MITRE ATT&CK technique (`T1055`).
    pub attack: String,
    /// What was found, in one line (with the benign cause it may have, for `low`).
    pub summary: String,
    /// The members or notes that show it.
    pub evidence: Vec<Evidence>,
    /// The executable, for allowlists (not serialized: it is in the evidence when it matters).
    #[serde(skip)]
    pub exe: Option<ByteString>,
    /// What the finding is about beyond the process (a library path, a mount point, a socket): what an
    /// allowlist entry may name for host-wide findings, and part of the finding's identity in `diff`.
    #[serde(skip)]
    pub subject: Option<String>,
}

impl Finding {
    /// The finding's identity across two snapshots of one host: rule, process (pid and start time) and
    /// subject.
    pub fn key(&self) -> (String, Option<i32>, Option<Timestamp>, Option<String>) {
        (
            self.rule.clone(),
            self.pid,
            self.start_time,
            self.subject.clone(),
        )
    }
}

/// A rule that could not look at something, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotChecked {
    /// The rule's id.
    pub rule: String,
    /// Why (`the environment was not read: EACCES`, `Linux cores carry no tracer`).
    pub reason: String,
    /// The processes it could not check; empty when it could not run on the input at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pids: Vec<i32>,
}

/// Which rules to run and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only these rule ids (empty: every rule).
    pub rules: Vec<String>,
    /// Not these rule ids.
    pub skip: Vec<String>,
    /// Findings a site has reviewed: left out of the findings (and counted).
    pub allow: Allowlist,
    /// Hide secrets in summaries and evidence (environment values, secret-looking arguments), as
    /// `--redact` does in every report.
    pub redact: bool,
}

impl Options {
    /// Checks that every id in `rules` and `skip` names a rule.
    pub fn validate(&self) -> Result<(), String> {
        for id in self.rules.iter().chain(&self.skip) {
            if rule(id).is_none() {
                return Err(format!(
                    "unknown rule {id:?}; known rules: {}",
                    RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        Ok(())
    }

    fn wants(&self, id: &str) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|r| r == id))
            && !self.skip.iter().any(|r| r == id)
    }
}

/// What `check` found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Findings, most severe first, then by pid and rule.
    pub findings: Vec<Finding>,
    /// What could not be checked.
    pub not_checked: Vec<NotChecked>,
    /// Findings the allowlist left out.
    pub allowed: Vec<Finding>,
    /// The ids of the rules that ran.
    pub rules_run: Vec<&'static str>,
    /// The input's class, when procsift knows its system.
    pub input: Option<InputClass>,
}

impl Outcome {
    /// The highest severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// What a rule's findings about a process depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The process's own records, and the input's class: the rule never reads another process's
    /// records or the host's tables, and its findings and unchecked entries name only the process it
    /// looked at. Two processes with the same records therefore give the same findings: see
    /// [`check_shared`], which leaves out processes already settled.
    Process,
    /// Other processes' records (a parent's environment, the owners of a socket, every listed pid) or
    /// the host's tables.
    Host,
}

/// One rule: its metadata and its function.
pub struct Rule {
    /// Id (`exe-deleted`), used by `--rules`, `--skip`, allowlists and JSON.
    pub id: &'static str,
    /// The highest severity it reports (some of its findings are lower, with the reason).
    pub severity: Severity,
    /// MITRE ATT&CK technique id.
    pub attack: &'static str,
    /// What it looks at, in one sentence.
    pub looks_at: &'static str,
    /// Known benign causes, and how the rule treats them.
    pub benign: &'static str,
    /// Inputs it cannot run on, each with the reason; it runs on every other.
    pub unsupported: &'static [(InputClass, &'static str)],
    /// What its findings about a process depend on.
    pub scope: Scope,
    /// The rule.
    pub run: fn(&Scene<'_>, &mut Out<'_>),
}

impl Rule {
    /// Why the rule cannot run on `class`, or `None` when it can.
    pub fn unsupported_on(&self, class: InputClass) -> Option<&'static str> {
        self.unsupported
            .iter()
            .find(|(c, _)| *c == class)
            .map(|(_, why)| *why)
    }
}

/// Every rule, in the order of `--list-rules`.
pub static RULES: &[Rule] = rules::ALL;

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Runs the rules `opts` asks for over `snapshot`.
pub fn check(snapshot: &Snapshot, opts: &Options) -> Outcome {
    run(&Scene::new(snapshot), None, opts)
}

/// Runs the rules `opts` asks for over `snapshot`, some of whose processes are stand-ins for records
/// another snapshot of the host holds (see [`Scene::shared`]): `model(p)` gives those records. The
/// outcome is that of [`check`] over the snapshot with each stand-in's records in place, except that
/// the rules of [`Scope::Process`] do not look at the processes `settled` names, and so report neither
/// findings nor unchecked entries for them: `diff` settles a process whose records the two snapshots
/// share, as such a rule finds the same in both (the findings `diff` compares would cancel).
pub fn check_shared<'a>(
    snapshot: &'a Snapshot,
    model: &dyn Fn(&crate::model::Process) -> Option<&'a crate::model::Process>,
    settled: &std::collections::HashSet<i32>,
    opts: &Options,
) -> Outcome {
    let scene = Scene::shared(snapshot, model);
    if settled.is_empty() {
        return run(&scene, None, opts);
    }
    let unsettled = scene.without(settled);
    run(&scene, Some(&unsettled), opts)
}

/// Runs the rules `opts` asks for over `scene`; those of [`Scope::Process`] over `unsettled` instead
/// when given (the same scene without some of its processes, see [`check_shared`]).
fn run(scene: &Scene<'_>, unsettled: Option<&Scene<'_>>, opts: &Options) -> Outcome {
    let snapshot = scene.snapshot();
    // procsift's own process (a responder's copy in /tmp, say) is among the records it read.
    let own = snapshot.capture.as_ref().and_then(|c| c.pid);
    let mut outcome = Outcome {
        input: scene.class(),
        ..Outcome::default()
    };
    for r in RULES.iter().filter(|r| opts.wants(r.id)) {
        match scene.class() {
            None => {
                outcome.not_checked.push(NotChecked {
                    rule: r.id.into(),
                    reason: "the input's system is not known".into(),
                    pids: Vec::new(),
                });
                continue;
            }
            Some(class) => {
                if let Some(why) = r.unsupported_on(class) {
                    outcome.not_checked.push(NotChecked {
                        rule: r.id.into(),
                        reason: format!("not run on a {}: {why}", class.describe()),
                        pids: Vec::new(),
                    });
                    continue;
                }
            }
        }
        let mut out = Out {
            rule: r,
            redact: opts.redact,
            findings: Vec::new(),
            not_checked: BTreeMap::new(),
        };
        let over = match (r.scope, unsettled) {
            (Scope::Process, Some(u)) => u,
            _ => scene,
        };
        (r.run)(over, &mut out);
        outcome.rules_run.push(r.id);
        for mut f in out.findings {
            if own.is_some() && f.pid == own {
                own_process(&mut f);
            }
            if opts.allow.allows(&f) {
                outcome.allowed.push(f);
            } else {
                outcome.findings.push(f);
            }
        }
        for (reason, mut pids) in out.not_checked {
            pids.sort_unstable();
            pids.dedup();
            outcome.not_checked.push(NotChecked {
                rule: r.id.into(),
                reason,
                pids,
            });
        }
    }
    outcome.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.pid.cmp(&b.pid))
            .then(a.rule.cmp(&b.rule))
            .then(a.subject.cmp(&b.subject))
    });
    outcome
}

/// A finding about procsift's own process (the capture's `capture.pid`) is info, with the reason: what
/// the rules see there is the tool the responder ran, wherever they put it.
fn own_process(f: &mut Finding) {
    if f.severity > Severity::Info {
        f.severity = Severity::Info;
        f.summary
            .push_str("; info: procsift's own process, which read these records");
    }
    if let Some(pid) = f.pid {
        f.evidence.push(Evidence {
            member: evidence::MANIFEST.into(),
            detail: format!("capture.pid {pid}"),
        });
    }
}

/// Where a rule puts what it finds.
pub struct Out<'r> {
    rule: &'r Rule,
    redact: bool,
    findings: Vec<Finding>,
    not_checked: BTreeMap<String, Vec<i32>>,
}

impl Out<'_> {
    /// A finding about process `p` (or host-wide, `None`) at `severity`.
    pub fn finding(
        &mut self,
        p: Option<Proc<'_>>,
        severity: Severity,
        summary: impl Into<String>,
    ) -> &mut Finding {
        let proc = p.map(|p| p.process());
        self.findings.push(Finding {
            rule: self.rule.id.into(),
            severity,
            pid: proc.map(|p| p.pid),
            start_time: proc.and_then(|p| p.start_time),
            comm: proc.and_then(|p| p.comm.clone()),
            attack: self.rule.attack.into(),
            summary: summary.into(),
            evidence: Vec::new(),
            exe: proc.and_then(|p| p.exe.clone()),
            subject: None,
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// Records that the rule could not look at process `pid` (or at the whole input, `None`).
    pub fn not_checked(&mut self, pid: Option<i32>, reason: impl Into<String>) {
        let pids = self.not_checked.entry(reason.into()).or_default();
        if let Some(pid) = pid {
            pids.push(pid);
        }
    }

    /// An environment entry as it may be shown: its value hidden under `--redact`.
    pub fn env_text(&self, name: &str, value: &[u8]) -> String {
        let mut entry = name.as_bytes().to_vec();
        entry.push(b'=');
        entry.extend_from_slice(value);
        if self.redact {
            crate::model::redact::redact_env_entry(&entry).escaped()
        } else {
            ByteString::from(entry).escaped()
        }
    }

    /// A process's command line as it may be shown: secret-looking arguments hidden under `--redact`.
    pub fn command_text(&self, p: Proc<'_>) -> String {
        let argv: Vec<ByteString> = match p.argv_model() {
            Some(a) if self.redact => crate::model::redact::redact_argv(a),
            Some(a) => a.to_vec(),
            None => p
                .argv()
                .unwrap_or_default()
                .into_iter()
                .map(ByteString::new)
                .collect(),
        };
        let text = argv
            .iter()
            .map(ByteString::escaped)
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            format!(
                "[{}]",
                ByteString::new(p.comm().unwrap_or_default()).escaped()
            )
        } else {
            text
        }
    }
}

impl Finding {
    /// Adds one piece of evidence.
    pub fn evidence(&mut self, member: impl Into<String>, detail: impl Into<String>) -> &mut Self {
        self.evidence.push(Evidence {
            member: member.into(),
            detail: detail.into(),
        });
        self
    }

    /// Sets what the finding is about beyond its process.
    pub fn subject(&mut self, subject: impl Into<String>) -> &mut Self {
        self.subject = Some(subject.into());
        self
    }
}
