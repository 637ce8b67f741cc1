//! `maps PID`: the memory map, like `pmap -x` (address, kbytes, rss, anon, mode, mapped file).

use serde_json::json;

use super::{Report, no_such_pid};
use crate::model::Snapshot;

/// The `maps` report of one process. RSS and Anon per mapping are shown when the source has them
/// (Solaris xmap); Linux `maps` does not, so the total row takes them from smaps_rollup.
pub fn maps(snapshot: &Snapshot, pid: i32) -> crate::Result<Report> {
    let p = snapshot
        .process(pid)
        .ok_or_else(|| no_such_pid(snapshot, pid))?;
    let mut rows = Vec::new();
    let mut records = Vec::new();
    let mut total_kib = 0u64;
    for m in p.maps.iter().flatten() {
        let kib = m.end.saturating_sub(m.start) / 1024;
        total_kib = total_kib.saturating_add(kib);
        let kib_opt = |v: Option<u64>| v.map_or("-".to_string(), |x| x.to_string());
        rows.push(vec![
            format!("{:016x}", m.start),
            kib.to_string(),
            kib_opt(m.rss_kib),
            kib_opt(m.anon_kib),
            m.perms.clone(),
            format!("{:x}", m.offset),
            m.path
                .as_ref()
                .map_or("[ anon ]".to_string(), |p| p.escaped()),
        ]);
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
    if p.maps.is_some() {
        rows.push(vec![
            "total kB".into(),
            total_kib.to_string(),
            total_rss.map_or("-".into(), |x| x.to_string()),
            total_anon.map_or("-".into(), |x| x.to_string()),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    let mut extra = serde_json::Map::new();
    extra.insert("pid".into(), json!(pid));
    extra.insert(
        "total".into(),
        json!({"size_kib": total_kib, "rss_kib": total_rss, "anon_kib": total_anon}),
    );
    Ok(Report {
        name: "maps",
        record_key: "maps",
        columns: [
            "ADDRESS", "KBYTES", "RSS", "ANON", "MODE", "OFFSET", "MAPPING",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        numeric: vec![false, true, true, true, false, false, false],
        rows,
        records,
        extra,
        ..Report::default()
    })
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
