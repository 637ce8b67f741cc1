//! `maps PID`: the memory map, like `pmap -x` (address, kbytes, rss, anon, mode, mapped file).

use serde_json::json;

use super::table::{Cell, Col, build};
use super::{Report, no_such_pid};
use crate::model::{Mapping, Snapshot, Unread};

/// The `maps` report of one process. RSS and Anon per mapping are shown when the source has them
/// (Solaris xmap, Linux smaps); Linux `maps` alone does not, so the total row takes them from
/// smaps_rollup.
pub fn maps(snapshot: &Snapshot, pid: i32) -> crate::Result<Report> {
    let p = snapshot
        .process(pid)
        .ok_or_else(|| no_such_pid(snapshot, pid))?;
    let any = |f: fn(&Mapping) -> bool| p.maps.iter().flatten().any(f);
    // Linux smaps has dirty KiB (pmap -x); smaps and Solaris xmap locked KiB; xmap the page size
    // (pmap -xs).
    let dirty = any(|m| m.dirty_kib.is_some());
    let locked = any(|m| m.locked_kib.is_some());
    let pgsz = any(|m| m.page_size.is_some());
    let dumped = p.maps.iter().flatten().any(|m| m.dumped_bytes.is_some());
    let size_kib = |m: &Mapping| m.end.saturating_sub(m.start) / 1024;
    let total_kib = p
        .maps
        .iter()
        .flatten()
        .fold(0u64, |t, m| t.saturating_add(size_kib(m)));
    let mem = p.memory.as_ref();
    let per_map = |f: fn(&Mapping) -> Option<u64>| -> Option<u64> {
        let v: Vec<u64> = p.maps.iter().flatten().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let total_rss = per_map(|m| m.rss_kib).or(mem.and_then(|m| m.rss_kib));
    let total_anon = per_map(|m| m.anon_kib).or(mem.and_then(|m| m.anon_kib));
    let total_locked = per_map(|m| m.locked_kib).or(mem.and_then(|m| m.locked_kib));
    let total_dirty = per_map(|m| m.dirty_kib);

    // One row per mapping, then the total (pmap's `total kB`).
    let kib = |f: fn(&Mapping) -> Option<u64>, total: Option<u64>| {
        move |r: &Row| match r {
            Row::Map(m) => Cell::opt_num(f(m)),
            Row::Total => Cell::opt_num(total),
            Row::Unread(_) => Cell::Absent,
        }
    };
    let map_text = |f: fn(&Mapping) -> Cell| {
        move |r: &Row| match r {
            Row::Map(m) => f(m),
            Row::Total | Row::Unread(_) => Cell::Blank,
        }
    };
    let mut cols: Vec<Col<Row>> = vec![
        Col::text("ADDRESS", |r: &Row| match r {
            Row::Map(m) => Cell::text(format!("{:016x}", m.start)),
            Row::Total => Cell::text("total kB"),
            Row::Unread(_) => Cell::Absent,
        }),
        Col::num("KBYTES", move |r: &Row| match r {
            Row::Map(m) => Cell::num(size_kib(m)),
            Row::Total => Cell::num(total_kib),
            Row::Unread(_) => Cell::Absent,
        }),
        Col::num("RSS", kib(|m| m.rss_kib, total_rss)),
        Col::num("ANON", kib(|m| m.anon_kib, total_anon)),
    ];
    if dirty {
        cols.push(Col::num("DIRTY", kib(|m| m.dirty_kib, total_dirty)));
    }
    if locked {
        cols.push(Col::num("LOCKED", kib(|m| m.locked_kib, total_locked)));
    }
    if pgsz {
        cols.push(Col::text(
            "PGSZ",
            map_text(|m| {
                m.page_size
                    .map_or(Cell::Absent, |p| Cell::text(format!("{}K", p / 1024)))
            }),
        ));
    }
    if dumped {
        cols.push(Col::text(
            "IN CORE",
            map_text(|m| Cell::text(dump_state(m))),
        ));
    }
    cols.extend([
        Col::text(
            "MODE",
            map_text(|m| Cell::opt_text((!m.perms.is_empty()).then(|| m.perms.clone()))),
        ),
        Col::text(
            "OFFSET",
            map_text(|m| Cell::text(format!("{:x}", m.offset))),
        ),
        Col::text("MAPPING", |r: &Row| match r {
            Row::Map(m) => Cell::text(
                m.path
                    .as_ref()
                    .map_or("[ anon ]".to_string(), |p| p.escaped()),
            ),
            Row::Total => Cell::Blank,
            Row::Unread(u) => Cell::text(u.describe()),
        }),
    ]);
    // What could not be read (`maps`, or `smaps` for the per-mapping sizes): a row naming the member
    // and the error where the mappings would be, and `unread` in JSON.
    let unread: Vec<&Unread> = p.unread.iter().filter(|u| u.field == "maps").collect();
    let rows = p
        .maps
        .iter()
        .flatten()
        .map(Row::Map)
        .chain(p.maps.is_some().then_some(Row::Total))
        .chain(
            unread
                .iter()
                .filter(|_| p.maps.is_none())
                .map(|u| Row::Unread(u)),
        );
    let records = p
        .maps
        .iter()
        .flatten()
        .map(|m| {
            let mut rec = serde_json::to_value(m).unwrap_or_default();
            if let Some(o) = rec.as_object_mut() {
                o.insert("size_kib".into(), json!(size_kib(m)));
            }
            rec
        })
        .collect();
    let mut extra = serde_json::Map::new();
    if let Some(pid) = p.known_pid() {
        extra.insert("pid".into(), json!(pid));
    }
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
    if !unread.is_empty() {
        extra.insert("unread".into(), json!(unread));
    }
    Ok(Report {
        name: "maps",
        record_key: "maps",
        table: build(&cols, rows),
        records,
        extra,
        ..Report::default()
    }
    .about(snapshot))
}

/// A row of the `maps` table.
enum Row<'a> {
    Map(&'a Mapping),
    Total,
    /// A member that could not be read where the mappings would be.
    Unread(&'a Unread),
}

/// Whether a core holds a mapping's contents: `all`, `none`, `N KiB`, or why not.
fn dump_state(m: &Mapping) -> String {
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
        let rows = r.table.texts();
        assert_eq!(
            rows[0],
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
        assert_eq!(rows[1][6], "[stack]");
        assert_eq!(rows[2][..3], ["total kB", "8", "1102"]);
        assert_eq!(rows[2][4], "");
        assert_eq!(r.records[0]["size_kib"], 4);
    }
}
