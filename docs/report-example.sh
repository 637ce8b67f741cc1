#!/usr/bin/env bash
# Makes docs/report-example.png: the HTML report of a small synthetic scene, so that no host's processes or
# environment are in the picture. Run as root from the checkout, after `cargo build --release`:
#   docs/report-example.sh
# A pid namespace with its own /proc and host name, a clean environment, and a few processes: a web server
# listening on 127.0.0.1:8080, a worker, a job, and an "updater" whose program was deleted after it
# started (a finding of `procsift check`). procsift captures from inside, renders the page, and headless
# Chromium takes the screenshot with the findings first and the updater's detail open.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp target/release/procsift "$work/procsift"
cd "$work"
env -i PATH="$work:/usr/bin:/bin" HOME=/nonexistent LANG=C.UTF-8 \
  unshare --pid --fork --mount-proc --uts bash -c '
    hostname web-01
    python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &
    (exec -a "worker --queue=mail" sleep 600) &
    (exec -a "backup-job --target=/srv/backup" sleep 601) &
    cp /usr/bin/sleep ./updater && ./updater 602 &
    sleep 1
    rm ./updater
    procsift capture --no-events --case IR-2026-17 --examiner "on-call SRE" --note "before reboot" -o scene.tar 2>/dev/null
    kill %1 %2 %3 %4'
./procsift report scene.tar -o scene.html
pid=$(./procsift ps scene.tar --format json | python3 -c 'import json,sys; print([p["pid"] for p in json.load(sys.stdin)["processes"] if p.get("comm") == "updater"][0])')
chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --user-data-dir="$work/profile" \
  --window-size=1280,1000 --screenshot="$work/shot.png" "file://$work/scene.html#p$pid" 2>/dev/null
cd - >/dev/null
cp "$work/shot.png" docs/report-example.png
ls -l docs/report-example.png
