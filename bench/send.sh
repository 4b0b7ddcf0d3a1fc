#!/usr/bin/env bash
# bench/send.sh — measures `ldexport send` and `send --aggregate` against a
# plain sequential SDK loop (bench/seqput), all sending the same ~400-byte
# events to the same local sink (bench/sink): records/s and CPU seconds (user
# + system) per million records, best of REPS; then send against kinesalite;
# then peak RSS while sending ~1 GB from stdin to the sink, with and without
# --aggregate.
#
#   bench/send.sh                 # defaults below
#   RECORDS=500000 REPS=3 GIGABYTES=1 KL_RECORDS=50000 bench/send.sh
#
# Needs: go, curl, /usr/bin/time (apt-get install time), node + `make tools`
# for the kinesalite part (skipped when missing). Binaries and data go to a
# temp dir that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=${RECORDS:-200000}      # records per sink run
REPS=${REPS:-3}                 # sink runs of each, interleaved
KL_RECORDS=${KL_RECORDS:-50000} # records sent to kinesalite
GIGABYTES=${GIGABYTES:-1}       # volume for the RSS runs
MEGABYTES=${MEGABYTES:-$((GIGABYTES * 1000))} # or that, in MB, for a quick try

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
# Both sides run with the same AWS settings: nothing from the machine's AWS
# environment. seqput builds its client from static options and reads none
# of it; ldexport loads the SDK's configuration, and a CA bundle there
# (AWS_CA_BUNDLE, set on some build machines) costs it ~14 ms of CPU at
# start-up, parsing certificates a plain-HTTP sink never uses.
unset AWS_CA_BUNDLE AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KINESIS
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
go build -o "$work/" ./cmd/ldexport ./bench/sink ./bench/seqput ./bench/events

"$work/sink" >"$work/sink.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q '^ready ' "$work/sink.out" 2>/dev/null && break; sleep 0.1; done
sink=$(sed -n 's/^ready //p' "$work/sink.out")

"$work/events" -n "$RECORDS" >"$work/events.ndjson"
bytes=$(stat -c %s "$work/events.ndjson")
echo "input: $RECORDS records, $bytes bytes ($((bytes / RECORDS)) bytes a line)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# rps prints the recordsPerSecond of a send summary (JSON on stdin) as an integer.
rps() { tr -d ' \n' | sed 's/.*"recordsPerSecond":\([0-9.]*\).*/\1/' | awk '{print int($1)}'; }
stat_records() { curl -s "$sink/stats" | sed 's/.*"records":\([0-9]*\).*/\1/'; }

# timed runs a command under /usr/bin/time; cpu prints its user + system seconds.
timed() { /usr/bin/time -f "%U %S" -o "$work/cpu" "$@"; }
cpu() { awk '{printf "%.3f", $1+$2}' "$work/cpu"; }
best_max() { awk -v a="$1" -v b="$2" 'BEGIN{print (a+0 > b+0) ? a : b}'; }
best_min() { awk -v a="$1" -v b="$2" 'BEGIN{print (b == "" || a+0 < b+0) ? a : b}'; }

seq_best=0 send_best=0 agg_best=0 seq_cpu="" send_cpu="" agg_cpu=""
for rep in $(seq "$REPS"); do
  curl -s -X POST "$sink/reset" >/dev/null
  seq_rps=$(timed "$work/seqput" -endpoint "$sink" -file "$work/events.ndjson" | awk '{print int($6)}')
  seq_c=$(cpu)
  seq_got=$(stat_records)
  curl -s -X POST "$sink/reset" >/dev/null
  send_rps=$(timed "$work/ldexport" send "$work/events.ndjson" --stream sink --endpoint-url "$sink" -o json | rps)
  send_c=$(cpu)
  send_got=$(stat_records)
  curl -s -X POST "$sink/reset" >/dev/null
  agg_rps=$(timed "$work/ldexport" send "$work/events.ndjson" --stream sink --endpoint-url "$sink" --aggregate -o json | rps)
  agg_c=$(cpu)
  agg_got=$(stat_records)
  echo "sink run $rep: seqput $seq_rps records/s ${seq_c}s CPU (sink received $seq_got), send $send_rps records/s ${send_c}s CPU (sink received $send_got)," \
    "send --aggregate $agg_rps records/s ${agg_c}s CPU (sink received $agg_got Kinesis records)"
  seq_best=$(best_max "$seq_rps" "$seq_best"); send_best=$(best_max "$send_rps" "$send_best"); agg_best=$(best_max "$agg_rps" "$agg_best")
  seq_cpu=$(best_min "$seq_c" "$seq_cpu"); send_cpu=$(best_min "$send_c" "$send_cpu"); agg_cpu=$(best_min "$agg_c" "$agg_cpu")
done
per_m() { awk -v c="$1" -v n="$RECORDS" 'BEGIN{printf "%.2f", c * 1000000 / n}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
echo "sink best of $REPS: seqput $seq_best records/s, send $send_best records/s, ratio $(ratio "$send_best" "$seq_best")x (target >= 4x);" \
  "send --aggregate $agg_best records/s, ratio $(ratio "$agg_best" "$seq_best")x"
echo "CPU s per million records, best of $REPS: seqput $(per_m "$seq_cpu"), send $(per_m "$send_cpu") ($(ratio "$send_cpu" "$seq_cpu")x of seqput, target <= 0.35x)," \
  "send --aggregate $(per_m "$agg_cpu") ($(ratio "$agg_cpu" "$seq_cpu")x)"

# kinesalite: send should reach kinesalite's own ingest ceiling.
if [ -d tools/kinesalite/node_modules/kinesalite ] && command -v node >/dev/null; then
  head -n "$KL_RECORDS" "$work/events.ndjson" >"$work/kl.ndjson"
  # The launcher exits when its stdin closes: hold a FIFO's write end open
  # until this script ends.
  mkfifo "$work/kl.in"
  node tools/kinesalite/launcher.js --port 0 --streams seq:4,send:4 <"$work/kl.in" >"$work/kl.out" 2>&1 &
  pids+=($!)
  exec 3>"$work/kl.in"
  for _ in $(seq 100); do grep -q '^ready ' "$work/kl.out" 2>/dev/null && break; sleep 0.1; done
  kl=$(sed -n 's/^ready //p' "$work/kl.out")
  kl_seq=$("$work/seqput" -endpoint "$kl" -stream seq -file "$work/kl.ndjson" | awk '{print int($6)}')
  kl_send=$("$work/ldexport" send "$work/kl.ndjson" --stream send --endpoint-url "$kl" -o json | rps)
  # kinesalite enforces no shard limits: --no-pace lets send find its ceiling.
  kl_nopace=$("$work/ldexport" send "$work/kl.ndjson" --stream send --endpoint-url "$kl" --no-pace -o json | rps)
  echo "kinesalite ($KL_RECORDS records): seqput $kl_seq records/s, send $kl_send records/s (paced at 4 shards x 1,000/s), send --no-pace $kl_nopace records/s"
else
  echo "kinesalite: skipped (run \`make tools\`)"
fi

# Peak RSS while sending from stdin to the sink, without and with --aggregate.
n=$((MEGABYTES * 1000000 / (bytes / RECORDS)))
for flags in "" "--aggregate"; do
  curl -s -X POST "$sink/reset" >/dev/null
  # shellcheck disable=SC2086
  "$work/events" -n "$n" | /usr/bin/time -v "$work/ldexport" send --stream sink --endpoint-url "$sink" $flags -o json \
    >"$work/rss.json" 2>"$work/rss.err"
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/rss.err")
  echo "RSS run${flags:+ $flags}: $n records (~${MEGABYTES} MB) from stdin; sink received $(stat_records); peak RSS $((rss / 1024)) MiB (target <= 64); $(rps <"$work/rss.json") records/s"
done
