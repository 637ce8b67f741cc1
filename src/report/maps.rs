//! `maps PID`: the memory map, like `pmap -x` (address, kbytes, rss, anon, mode, mapped file).

use serde_json::json;

use super::{Report, no_such_pid};
use crate::model::Snapshot;

/// The `maps` report of one process. RSS and Anon per mapping are shown when the source has them
/// (Solaris xmap, Linux smaps); Linux `maps` alone does not, so the total row takes them from
/// smaps_rollup.
pub fn maps(snapshot: &Snapshot, pid: i32) -> crate::Result<Report> {
    let p = snapshot
        .process(pid)
        .ok_or_else(|| no_such_pid(snapshot, pid))?;
    let any = |f: fn(&crate::model::Mapping) -> bool| p.maps.iter().flatten().any(f);
    // Linux smaps has dirty KiB (pmap -x); smaps and Solaris xmap locked KiB; xmap the page size
    // (pmap -xs).
    let dirty = any(|m| m.dirty_kib.is_some());
    let locked = any(|m| m.locked_kib.is_some());
    let pgsz = any(|m| m.page_size.is_some());
    let dumped = p.maps.iter().flatten().any(|m| m.dumped_bytes.is_some());
    let mut rows = Vec::new();
    let mut records = Vec::new();
    let mut total_kib = 0u64;
    for m in p.maps.iter().flatten() {
        let kib = m.end.saturating_sub(m.start) / 1024;
        total_kib = total_kib.saturating_add(kib);
        let kib_opt = |v: Option<u64>| v.map_or("-".to_string(), |x| x.to_string());
        let mut row = vec![
            format!("{:016x}", m.start),
            kib.to_string(),
            kib_opt(m.rss_kib),
            kib_opt(m.anon_kib),
        ];
        if dirty {
            row.push(kib_opt(m.dirty_kib));
        }
        if locked {
            row.push(kib_opt(m.locked_kib));
        }
        if pgsz {
            row.push(m.page_size.map_or("-".into(), |p| format!("{}K", p / 1024)));
        }
        if dumped {
            row.push(dump_state(m));
        }
        row.extend([
            m.perms.clone(),
            format!("{:x}", m.offset),
            m.path
                .as_ref()
                .map_or("[ anon ]".to_string(), |p| p.escaped()),
        ]);
        rows.push(row);
        let mut rec = serde_json::to_value(m).unwrap_or_default();
        if let Some(o) = rec.as_object_mut() {
            o.insert("size_kib".into(), json!(kib));
        }
        records.push(rec);
    }
    let mem = p.memory.as_ref();
    let per_map = |f: fn(&crate::model::Mapping) -> Option<u64>| -> Option<u64> {
        let v: Vec<u64> = p.maps.iter().flatten().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let total_rss = per_map(|m| m.rss_kib).or(mem.and_then(|m| m.rss_kib));
    let total_anon = per_map(|m| m.anon_kib).or(mem.and_then(|m| m.anon_kib));
    let total_locked = per_map(|m| m.locked_kib).or(mem.and_then(|m| m.locked_kib));
    let total_dirty = per_map(|m| m.dirty_kib);
    if p.maps.is_some() {
        let mut row = vec![
            "total kB".into(),
            total_kib.to_string(),
            total_rss.map_or("-".into(), |x| x.to_string()),
            total_anon.map_or("-".into(), |x| x.to_string()),
        ];
        if dirty {
            row.push(total_dirty.map_or("-".into(), |x| x.to_string()));
        }
        if locked {
            row.push(total_locked.map_or("-".into(), |x| x.to_string()));
        }
        if pgsz {
            row.push(String::new());
        }
        if dumped {
            row.push(String::new());
        }
        row.extend([String::new(), String::new(), String::new()]);
        rows.push(row);
    }
    let mut extra = serde_json::Map::new();
    extra.insert("pid".into(), json!(pid));
    if p.maps.is_some() {
        // Unknown totals are absent, like every unknown.
        let mut total = serde_json::Map::new();
        total.insert("size_kib".into(), json!(total_kib));
        for (k, v) in [
            ("rss_kib", total_rss),
            ("anon_kib", total_anon),
            ("dirty_kib", total_dirty),
        ] {
            if let Some(v) = v {
                total.insert(k.into(), json!(v));
            }
        }
        extra.insert("total".into(), total.into());
    }
    let mut columns = vec!["ADDRESS", "KBYTES", "RSS", "ANON"];
    let mut numeric = vec![false, true, true, true];
    if dirty {
        columns.push("DIRTY");
        numeric.push(true);
    }
    if locked {
        columns.push("LOCKED");
        numeric.push(true);
    }
    if pgsz {
        columns.push("PGSZ");
        numeric.push(false);
    }
    if dumped {
        columns.push("IN CORE");
        numeric.push(false);
    }
    columns.extend(["MODE", "OFFSET", "MAPPING"]);
    numeric.extend([false, false, false]);
    // What could not be read (`maps`, or `smaps` for the per-mapping sizes), as a row naming the member
    // and the error where the mappings would be, and under `unread` in JSON.
    let unread: Vec<_> = p.unread.iter().filter(|u| u.field == "maps").collect();
    if p.maps.is_none() {
        for u in &unread {
            let mut row = vec!["-".to_string(); columns.len() - 1];
            row.push(u.describe());
            rows.push(row);
        }
    }
    if !unread.is_empty() {
        extra.insert("unread".into(), json!(unread));
    }
    Ok(Report {
        name: "maps",
        record_key: "maps",
        columns: columns.iter().map(|s| s.to_string()).collect(),
        numeric,
        rows,
        records,
        extra,
        ..Report::default()
    })
}

/// Whether a core holds a mapping's contents: `all`, `none`, `N KiB`, or why not.
fn dump_state(m: &crate::model::Mapping) -> String {
    let size = m.end.saturating_sub(m.start);
    match (m.dumped_bytes, &m.dump_note) {
        (_, Some(note)) => note.split(':').next().unwrap_or(note).to_string(),
        (Some(d), None) if d >= size => "all".into(),
        (Some(0), None) => "none".into(),
        (Some(d), None) => format!("{} KiB", d / 1024),
        (None, None) => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::sample;

    #[test]
    fn pmap_like_rows_and_total() {
        let s = sample();
        let r = maps(&s, 102).unwrap();
        assert_eq!(
            r.rows[0],
            [
                "0000000000400000",
                "4",
                "-",
                "-",
                "r-xp",
                "0",
                "/usr/bin/worker"
            ]
        );
        assert_eq!(r.rows[1][6], "[stack]");
        assert_eq!(r.rows[2][..3], ["total kB", "8", "1102"]);
        assert_eq!(r.records[0]["size_kib"], 4);
    }
}
