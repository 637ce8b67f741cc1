//! The page's only style sheet and script, and the Content-Security-Policy that allows exactly them.
//!
//! Both are constants of this file: nothing from the evidence ever reaches them. The policy names each by
//! its SHA-256 (`'sha256-...'`, computed when the page is rendered), so a `<script>` or `style` attribute
//! smuggled into the page by a value that escaped escaping would still not run or apply.

use sha2::{Digest, Sha256};

/// The style sheet. No `style` attributes anywhere: the policy allows this sheet and nothing else.
pub const CSS: &str = r##"
:root{--fg:#1d2330;--mute:#5b6475;--line:#d8dde6;--bg:#fff;--soft:#f4f6f9;--acc:#2457c5;--new:#1b7f3b;--gone:#b3261e;--chg:#9a6100}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header.top{padding:14px 22px;background:#1d2330;color:#fff}
header.top h1{margin:0;font-size:20px;font-weight:600}
header.top p{margin:2px 0 0;color:#c5cbd6}
nav{padding:6px 22px;background:var(--soft);border-bottom:1px solid var(--line)}
nav a{margin-right:16px}
main{padding:4px 22px 40px}
a{color:var(--acc);text-decoration:none}
a:hover{text-decoration:underline}
h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid var(--line);padding-bottom:3px}
h3{font-size:14px;margin:14px 0 4px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:var(--soft);min-width:260px;flex:1}
.card h3{margin-top:0}
.ok{color:var(--new);font-weight:600}
.bad{color:var(--gone);font-weight:600}
table{border-collapse:collapse;font-size:12.5px}
th,td{padding:1px 8px 1px 0;text-align:left;vertical-align:top}
thead th{border-bottom:1px solid var(--line);color:var(--mute);font-weight:600}
td.n,th.n{text-align:right}
table.kv th{color:var(--mute);font-weight:normal;white-space:nowrap}
td,.l{overflow-wrap:anywhere}
code,pre,td,.l,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace}
.tools{margin:6px 0;display:flex;gap:8px;align-items:center}
.tools input{font:inherit;padding:3px 6px;width:340px}
#tree ul{list-style:none;margin:0;padding-left:16px;border-left:1px dotted var(--line)}
#tree>ul{padding-left:0;border:0}
#tree li{margin:0}
#tree summary{cursor:pointer}
.l{font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
span.l{display:block;padding-left:14px}
.u{color:var(--mute)}
.c{font-weight:600}
.hit{background:#fff3b0}
.m-s{color:var(--new)}
.m-x{color:var(--gone);text-decoration:line-through}
.m-c{color:var(--chg)}
.tag{font-size:11px;border-radius:3px;padding:0 4px;margin-right:4px;color:#fff;text-decoration:none;display:inline-block}
.t-s{background:var(--new)}.t-x{background:var(--gone)}.t-c{background:var(--chg)}.t-h{background:#6a1b9a}
.proc{display:none}
.proc:target{display:block;position:fixed;top:0;right:0;bottom:0;width:min(760px,60vw);overflow:auto;background:var(--bg);border-left:2px solid var(--acc);box-shadow:-4px 0 16px rgba(0,0,0,.18);padding:10px 18px 30px}
.proc h2{margin-top:4px}
.proc h3{margin:10px 0 2px;color:var(--mute);font-weight:600}
pre{margin:0;font-size:12px;line-height:1.35;white-space:pre;overflow-x:auto}
.same{margin:0;font-size:12px;color:var(--mute)}
.close{float:right;font-size:13px}
.hint{color:var(--mute)}
svg{max-width:100%;height:auto;font-family:system-ui,sans-serif}
svg text{font-size:11px;fill:var(--fg)}
svg .ax{stroke:#9aa3b2;stroke-width:1}
.legend{font-size:12px;color:var(--mute)}
.sw{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px;border-radius:2px}
.warn li{font-family:ui-monospace,monospace;font-size:12px}
table.findings{width:100%}
table.findings td{padding:3px 10px 3px 0;border-bottom:1px solid var(--line)}
table.findings td:nth-child(-n+4){white-space:nowrap}
ul.ev{margin:2px 0 0;padding-left:16px;font-size:12px}
ul.nc{font-size:12.5px;padding-left:18px}
.sev{font-size:11px;border-radius:3px;padding:0 5px;color:#fff;font-weight:600;font-family:system-ui,sans-serif}
.s-high{background:#b3261e}.s-medium{background:#c25e00}.s-low{background:#8a7a00}.s-info{background:#5b6475}
footer{color:var(--mute);font-size:12px;padding:10px 22px;border-top:1px solid var(--line)}
@media print{.proc{display:block;position:static;box-shadow:none;border:0;width:auto}.tools,.close{display:none}}
"##;

/// Search, collapse-all, and shared sections copied into the process that is opened: the page's only
/// script. It reads text (`textContent`), sets `hidden`, `open` and a class, and copies existing nodes
/// (`cloneNode`); it never parses markup.
pub const JS: &str = r##"
"use strict";
(function () {
  function fill() {
    var id = location.hash.slice(1), a;
    try { id = decodeURIComponent(id); } catch (e) { return; }
    a = id ? document.getElementById(id) : null;
    if (!a || !a.classList.contains("proc")) return;
    a.querySelectorAll("[data-same]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-same")), box = el.closest(".same");
      if (src && src.lastElementChild && box) box.parentNode.insertBefore(src.lastElementChild.cloneNode(true), box);
    });
    a.querySelectorAll(".same").forEach(function (box) { box.remove(); });
  }
  window.addEventListener("hashchange", fill);
  fill();
})();
(function () {
  var tools = document.getElementById("tools"), q = document.getElementById("q"), n = document.getElementById("qn");
  if (!tools || !q || !n) return;
  tools.hidden = false;
  var items = Array.prototype.slice.call(document.querySelectorAll("#tree li"));
  var lines = items.map(function (li) {
    var f = li.firstElementChild;
    return f && f.tagName === "DETAILS" ? f.firstElementChild : f;
  });
  var texts = lines.map(function (l) { return l ? l.textContent.toLowerCase() : ""; });
  function run() {
    var t = q.value.trim().toLowerCase(), hits = 0, keep = new Set();
    for (var i = items.length - 1; i >= 0; i--) {
      var li = items[i], m = t !== "" && texts[i].indexOf(t) >= 0, show = t === "" || m || keep.has(li);
      if (m) hits++;
      li.hidden = !show;
      if (lines[i]) lines[i].classList.toggle("hit", m);
      if (t !== "" && keep.has(li) && li.firstElementChild.tagName === "DETAILS") li.firstElementChild.open = true;
      if (show) {
        var p = li.parentElement ? li.parentElement.closest("li") : null;
        if (p) keep.add(p);
      }
    }
    n.textContent = t === "" ? items.length + " processes" : hits + " of " + items.length + " match";
  }
  q.addEventListener("input", run);
  function all(open) {
    return function () {
      document.querySelectorAll("#tree details").forEach(function (d) { d.open = open; });
    };
  }
  document.getElementById("xa").addEventListener("click", all(true));
  document.getElementById("ca").addEventListener("click", all(false));
  run();
})();
"##;

/// The policy: nothing may be loaded from anywhere; the one style sheet and the one script run because
/// their hashes are named.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; img-src 'none'; base-uri 'none'; \
         form-action 'none'",
        hash_source(CSS),
        hash_source(JS)
    )
}

/// `sha256-BASE64` of `text`, as CSP names an inline script or style.
pub fn hash_source(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding (RFC 4648 §4), as CSP hash sources are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        // `printf 'abc' | openssl dgst -sha256 -binary | base64`
        assert_eq!(
            hash_source("abc"),
            "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }
}
