#!/usr/bin/env bash
# `make demo`: the whole job against the local Kinesis emulator — start
# kinesalite on a free 127.0.0.1 port, create a stream and a destination,
# generate 100,000 Data Export events and send them, then send the test
# event and read it back; finally print the LaunchDarkly create request
# (dest push --dry-run) and the Terraform export, both without network.
# Everything lives in a temp folder and is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/ldexport
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

node tools/kinesalite/launcher.js --port 0 --streams ld-events:4 --no-exit-on-stdin-close >"$work/kinesalite.out" &
pid=$!
for _ in $(seq 100); do
  grep -q '^ready ' "$work/kinesalite.out" 2>/dev/null && break
  sleep 0.1
done
endpoint=$(sed -n 's/^ready //p' "$work/kinesalite.out")
[ -n "$endpoint" ] || { echo "kinesalite did not start" >&2; exit 1; }
echo "== kinesalite at $endpoint with stream ld-events (4 shards)"

export LDEXPORT_CONFIG="$work/config.yaml"
set -x
$bin dest create demo --env production --stream ld-events --region us-east-1 \
  --role-arn arn:aws:iam::123456789012:role/ld-export --endpoint-url "$endpoint"
$bin gen --count 100000 --seed 7 | $bin send --dest demo
$bin dest test demo --verify
$bin dest check demo --events-per-month 150M
$bin tail --dest demo --grep LaunchDarklyDataExportTestEvent --max 1
{ set +x; } 2>/dev/null
echo "== done: 100,000 events and the test event are in the local stream"
echo "== the LaunchDarkly side, offline: what dest push would send, and the same destination as Terraform"
set -x
$bin dest push demo --dry-run
$bin dest export demo --format terraform
{ set +x; } 2>/dev/null
