"""Tests of the manifest checker: the real overlays pass, and each kind of mistake is caught with a
precise message. Run with `python3 -m pytest deploy/checks` (or `python3 -m unittest` from here).

Each mutation test breaks one thing in a copy of the real rendered overlay (or, for the file-level
tests, in a copy of the kustomize sources, rendered again) and asserts the checker names it.
"""

from __future__ import annotations

import copy
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from treatycheck import SourceError, call_graph, check_dockerfile, check_manifests, treaty_variables  # noqa: E402

KNOWN_VARIABLES = {
    "TREATY_LISTEN_ADDR", "TREATY_DATA_DIR", "TREATY_LOG", "TREATY_LOG_FORMAT", "TREATY_DURABILITY",
    "TREATY_REGISTRY_ADDR", "TREATY_APPROVALS_ADDR", "TREATY_NOTIFICATION_ADDR", "TREATY_AUDIT_ADDR",
    "TREATY_DRAIN_SECONDS", "TREATY_REQUEST_TIMEOUT_MS", "TREATY_TLS_CERT", "TREATY_TLS_KEY",
    "TREATY_TLS_CLIENT_CA", "TREATY_TLS_CA", "TREATY_TLS_IDENTITY_DIR", "TREATY_AUTH_ISSUER_KEYS",
    "TREATY_HEALTH_ADDR", "TREATY_AUDIT_LOG_KEY", "TREATY_AUDIT_WITNESSES",
}


def render(root: pathlib.Path, overlay: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(root / overlay)], check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def find(docs: list[dict], kind: str, name: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def container(docs: list[dict], name: str) -> dict:
    return find(docs, "StatefulSet", name)["spec"]["template"]["spec"]["containers"][0]


def pod(docs: list[dict], name: str) -> dict:
    return find(docs, "StatefulSet", name)["spec"]["template"]["spec"]


def config(docs: list[dict]) -> dict:
    """The data of the shared treaty-config ConfigMap (its name carries a hash)."""
    return next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("treaty-config"))["data"]


class Sources(unittest.TestCase):
    def test_config_rs_parse_finds_every_known_variable(self):
        found = treaty_variables((REPO / "crates/runtime/src/config.rs").read_text())
        self.assertLessEqual(KNOWN_VARIABLES, found)
        self.assertTrue(all(v.startswith("TREATY_") for v in found))

    def test_only_constants_listed_in_variables_count(self):
        src = '''
            pub const A: &str = "TREATY_A";
            pub const B: &str = "TREATY_B"; // read nowhere
            pub const VARIABLES: &[&str] = &[
                A, // the first
                "TREATY_LITERAL",
            ];'''
        self.assertEqual(treaty_variables(src), {"TREATY_A", "TREATY_LITERAL"})

    def test_a_listed_name_that_is_not_a_constant_is_an_error(self):
        with self.assertRaisesRegex(SourceError, "VARIABLES lists MISSING"):
            treaty_variables('pub const A: &str = "TREATY_A";\npub const VARIABLES: &[&str] = &[A, MISSING];')

    def test_a_file_without_variables_is_an_error(self):
        with self.assertRaisesRegex(SourceError, "no `pub const VARIABLES"):
            treaty_variables('pub const A: &str = "TREATY_A";')

    def test_comment_lines_and_sections_in_variables_are_read(self):
        # The shape other branches add limits in: section comments inside the list.
        src = '''
            pub const A: &str = "TREATY_A";
            // --- Bounded server streams. ---
            /// How many bytes a stream may buffer.
            pub const STREAM_BUFFER_BYTES: &str = "TREATY_STREAM_BUFFER_BYTES";
            pub const VARIABLES: &[&str] = &[
                A,
                // --- Bounded server streams. ---
                STREAM_BUFFER_BYTES,
                // --- End of bounded server streams. ---
            ];'''
        self.assertEqual(treaty_variables(src), {"TREATY_A", "TREATY_STREAM_BUFFER_BYTES"})

    def test_readme_call_graph_is_design_section_3(self):
        self.assertEqual(call_graph((REPO / "README.md").read_text()), {
            "registry": {"audit"},
            "approvals": {"registry", "notification", "audit"},
            "notification": {"registry", "approvals", "audit"},
            "audit": set(),
        })


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.variables = treaty_variables((REPO / "crates/runtime/src/config.rs").read_text())
        cls.graph = call_graph((REPO / "README.md").read_text())
        cls.prod = render(REPO / "deploy/k8s", "overlays/prod")
        cls.dev = render(REPO / "deploy/k8s", "overlays/dev")

    def check(self, docs):
        return check_manifests(docs, self.variables, self.graph)

    def assertCaught(self, mutate, expected, overlay="prod"):
        """Applies `mutate` to a copy of the overlay and asserts one problem contains `expected`."""
        docs = copy.deepcopy(getattr(self, overlay))
        mutate(docs)
        errors = self.check(docs)
        self.assertTrue(any(expected in e for e in errors), f"no problem mentions {expected!r}; got:\n" + "\n".join(errors))

    def test_the_real_overlays_pass(self):
        self.assertEqual(self.check(self.prod), [])
        self.assertEqual(self.check(self.dev), [])

    def test_a_probe_port_that_is_no_container_port_is_caught(self):
        def m(d):
            container(d, "registry")["readinessProbe"]["grpc"]["port"] = 50052
        self.assertCaught(m, "StatefulSet/registry: container treaty: readinessProbe: grpc port 50052 is not a port of container treaty (its ports: grpc=50051, health=8081)")

    def test_a_named_grpc_probe_port_is_caught(self):
        def m(d):
            container(d, "audit")["livenessProbe"]["grpc"]["port"] = "grpc"
        self.assertCaught(m, "livenessProbe: grpc port 'grpc' must be a number")

    def test_two_probe_handlers_are_caught(self):
        def m(d):
            container(d, "approvals")["livenessProbe"]["tcpSocket"] = {"port": 50051}
        self.assertCaught(m, "StatefulSet/approvals: container treaty: livenessProbe has 2 handlers (tcpSocket, grpc); exactly one is allowed")

    def test_a_missing_readiness_probe_is_caught(self):
        def m(d):
            del container(d, "treaty")["readinessProbe"]
        self.assertCaught(m, "StatefulSet/treaty: container treaty: has no readinessProbe", overlay="dev")

    def test_a_selector_that_misses_the_pod_labels_is_caught(self):
        def m(d):
            find(d, "StatefulSet", "notification")["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "notifications"
        self.assertCaught(m, "StatefulSet/notification: spec.selector {'app.kubernetes.io/name': 'notifications', 'app.kubernetes.io/part-of': 'treaty'} does not match the pod template's labels")

    def test_a_service_selector_that_selects_nothing_is_caught(self):
        def m(d):
            find(d, "Service", "audit")["spec"]["selector"]["app.kubernetes.io/name"] = "audti"
        self.assertCaught(m, "Service/audit: selector {'matchLabels': {'app.kubernetes.io/name': 'audti', 'app.kubernetes.io/part-of': 'treaty'}} selects no pods")

    def test_a_service_target_port_name_that_no_container_has_is_caught(self):
        def m(d):
            find(d, "Service", "registry")["spec"]["ports"][0]["targetPort"] = "gprc"
        self.assertCaught(m, "Service/registry: port grpc: targetPort 'gprc' (TCP) is not a container port of StatefulSet/registry (its ports: grpc=50051/TCP, health=8081/TCP)")

    def test_a_service_target_port_number_that_no_container_has_is_caught(self):
        def m(d):
            find(d, "Service", "treaty")["spec"]["ports"][0]["targetPort"] = 8080
        self.assertCaught(m, "Service/treaty: port grpc: targetPort 8080 (TCP) is not a container port of StatefulSet/treaty", overlay="dev")

    def test_requests_above_limits_are_caught(self):
        def m(d):
            container(d, "audit")["resources"]["requests"]["memory"] = "2Gi"
        self.assertCaught(m, "StatefulSet/audit: container treaty: resources.requests.memory 2Gi is more than resources.limits.memory 1Gi")

    def test_cpu_requests_above_limits_are_caught(self):
        def m(d):
            container(d, "registry")["resources"]["requests"]["cpu"] = "1500m"
        self.assertCaught(m, "resources.requests.cpu 1500m is more than resources.limits.cpu 1")

    def test_an_unknown_treaty_variable_in_env_is_caught(self):
        def m(d):
            container(d, "registry")["env"].append({"name": "TREATY_LISTEN_PORT", "value": "50051"})
        self.assertCaught(m, "StatefulSet/registry: container treaty: TREATY_LISTEN_PORT (from env) is not a variable the code reads")

    def test_an_unknown_treaty_variable_in_the_configmap_is_caught(self):
        def m(d):
            next(x for x in d if x["kind"] == "ConfigMap")["data"]["TREATY_LOGFORMAT"] = "json"
        self.assertCaught(m, "TREATY_LOGFORMAT is not a variable the code reads (crates/runtime/src/config.rs VARIABLES)")

    def test_a_non_numeric_run_as_user_is_caught(self):
        def m(d):
            container(d, "approvals")["securityContext"]["runAsUser"] = "nonroot"
        self.assertCaught(m, "StatefulSet/approvals: container treaty: container securityContext.runAsUser is 'nonroot'; it must be a numeric id")

    def test_a_quoted_run_as_user_is_caught(self):
        def m(d):
            find(d, "StatefulSet", "treaty")["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = "65532"
        self.assertCaught(m, "pod securityContext.runAsUser is '65532'; it must be a numeric id", overlay="dev")

    def test_root_and_a_writable_root_filesystem_are_caught(self):
        def m(d):
            sc = container(d, "audit")["securityContext"]
            sc["runAsUser"], sc["readOnlyRootFilesystem"] = 0, False
            sc["capabilities"] = {"add": ["NET_ADMIN"]}
        for expected in ("runAsUser is 0 (root)", "readOnlyRootFilesystem is not true",
                         "capabilities.drop does not contain ALL", "capabilities.add ['NET_ADMIN']"):
            self.assertCaught(m, expected)

    def test_listening_on_loopback_is_caught(self):
        def m(d):
            container(d, "registry")["env"].append({"name": "TREATY_LISTEN_ADDR", "value": "127.0.0.1:50051"})
        self.assertCaught(m, "TREATY_LISTEN_ADDR=127.0.0.1:50051 listens on 127.0.0.1 only")

    def test_a_listen_port_other_than_the_grpc_port_is_caught(self):
        def m(d):
            container(d, "registry")["env"].append({"name": "TREATY_LISTEN_ADDR", "value": "0.0.0.0:8080"})
        self.assertCaught(m, "listens on port 8080, but the grpc container port is 50051")

    def test_a_data_dir_off_the_volume_is_caught(self):
        def m(d):
            container(d, "audit")["env"] = [{"name": "TREATY_DATA_DIR", "value": "/var/lib/treaty"}]
        self.assertCaught(m, "TREATY_DATA_DIR=/var/lib/treaty is not on a writable volume (writable mounts: /data)")

    def test_a_grace_period_shorter_than_the_drain_is_caught(self):
        def m(d):
            find(d, "StatefulSet", "treaty")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 10
        self.assertCaught(m, "terminationGracePeriodSeconds 10 is not above TREATY_DRAIN_SECONDS 10", overlay="dev")

    def test_two_replicas_are_caught(self):
        def m(d):
            find(d, "StatefulSet", "registry")["spec"]["replicas"] = 2
        self.assertCaught(m, "replicas is 2; sled is single-writer")

    def test_a_missing_peer_address_is_caught(self):
        def m(d):
            c = container(d, "notification")
            c["env"] = [e for e in c["env"] if e["name"] != "TREATY_APPROVALS_ADDR"]
        self.assertCaught(m, "notification calls approvals (README Services table), but TREATY_APPROVALS_ADDR is not set")

    def test_a_peer_address_to_a_service_that_is_not_that_peer_is_caught(self):
        def m(d):
            e = next(e for e in container(d, "approvals")["env"] if e["name"] == "TREATY_REGISTRY_ADDR")
            e["value"] = "https://audit:50051"
        self.assertCaught(m, "TREATY_REGISTRY_ADDR=https://audit:50051: Service audit does not lead to pods running `treaty serve registry`")

    def test_an_extra_peer_address_is_caught(self):
        def m(d):
            container(d, "registry")["env"].append({"name": "TREATY_APPROVALS_ADDR", "value": "https://approvals:50051"})
        self.assertCaught(m, "TREATY_APPROVALS_ADDR is set, but registry does not call approvals")

    def test_a_network_policy_that_blocks_a_call_of_section_3_is_caught(self):
        def m(d):
            rule = find(d, "NetworkPolicy", "audit")["spec"]["ingress"][0]
            rule["from"] = [p for p in rule["from"] if (p.get("podSelector") or {}).get("matchLabels", {}).get("app.kubernetes.io/name") != "notification"]
        self.assertCaught(m, "StatefulSet/audit: NetworkPolicies block notification from calling it on port 50051, but notification calls audit")

    def test_a_network_policy_that_allows_a_call_outside_section_3_is_caught(self):
        def m(d):
            find(d, "NetworkPolicy", "registry")["spec"]["egress"].append({"to": [{"podSelector": {}}]})
            find(d, "NetworkPolicy", "approvals")["spec"]["ingress"].append({"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "registry"}}}]})
        self.assertCaught(m, "StatefulSet/approvals: NetworkPolicies let registry call it on port 50051, but registry does not call approvals")

    def test_a_network_policy_open_to_every_pod_is_caught(self):
        def m(d):
            find(d, "NetworkPolicy", "treaty")["spec"]["ingress"] = [{}]
        self.assertCaught(m, "NetworkPolicies let an unlabelled pod in its namespace call it", overlay="dev")

    def test_unrestricted_egress_is_caught(self):
        def m(d):
            find(d, "NetworkPolicy", "registry")["spec"]["policyTypes"] = ["Ingress"]
        self.assertCaught(m, "StatefulSet/registry: no NetworkPolicy restricts its egress")

    def test_blocked_dns_is_caught(self):
        def m(d):
            np = find(d, "NetworkPolicy", "approvals")
            np["spec"]["egress"] = [r for r in np["spec"]["egress"] if r["ports"][0]["port"] != 53]
        self.assertCaught(m, "StatefulSet/approvals: NetworkPolicies block its DNS lookups")

    def test_a_spread_constraint_that_selects_other_pods_is_caught(self):
        def m(d):
            spec = find(d, "StatefulSet", "approvals")["spec"]["template"]["spec"]
            spec["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]["app.kubernetes.io/part-of"] = "treatie"
        self.assertCaught(m, "StatefulSet/approvals: topologySpreadConstraints[0].labelSelector")

    def test_a_pdb_that_selects_nothing_is_caught(self):
        def m(d):
            find(d, "PodDisruptionBudget", "treaty")["spec"]["selector"]["matchLabels"]["app.kubernetes.io/part-of"] = "traety"
        self.assertCaught(m, "PodDisruptionBudget/treaty: selector")

    def test_a_name_that_differs_from_the_service_it_runs_is_caught(self):
        def m(d):
            container(d, "audit")["args"] = ["serve", "registry"]
        self.assertCaught(m, "StatefulSet/audit: name is 'audit', but it runs `treaty serve registry`")

    # --- the trust boundary: TLS files from read-only Secrets, health-only probes, https peers ---

    def test_a_private_key_from_a_configmap_is_caught(self):
        def m(d):
            spec = pod(d, "registry")
            next(v for v in spec["volumes"] if v["name"] == "tls")["secret"] = None
            volume = next(v for v in spec["volumes"] if v["name"] == "tls")
            del volume["secret"]
            volume["configMap"] = {"name": "treaty-registry-tls"}
        self.assertCaught(m, "StatefulSet/registry: container treaty: TREATY_TLS_KEY=/etc/treaty/tls/tls.key is on volume 'tls', backed by ConfigMap; a private key must come from a Secret")

    def test_public_keys_from_a_configmap_pass(self):
        docs = copy.deepcopy(self.prod)
        for name in ("registry", "approvals", "notification", "audit"):
            volume = next(v for v in pod(docs, name)["volumes"] if v["name"] == "token-issuers")
            del volume["secret"]
            volume["configMap"] = {"name": "treaty-token-issuers"}
        self.assertEqual(self.check(docs), [])

    def test_a_certificate_volume_mounted_writable_is_caught(self):
        def m(d):
            next(v for v in container(d, "audit")["volumeMounts"] if v["name"] == "tls")["readOnly"] = False
        self.assertCaught(m, "StatefulSet/audit: container treaty: TREATY_TLS_CERT=/etc/treaty/tls/tls.crt is on volume 'tls', which is not mounted readOnly: true")

    def test_a_key_on_no_mounted_volume_is_caught(self):
        def m(d):
            config(d)["TREATY_TLS_KEY"] = "/etc/ssl/private/treaty.key"
        self.assertCaught(m, "TREATY_TLS_KEY=/etc/ssl/private/treaty.key is on no mounted volume (mounts: /data, /etc/treaty/tls, /etc/treaty/token-issuers); it would be read from the image")

    def test_a_certificate_on_the_data_volume_is_caught(self):
        def m(d):
            config(d)["TREATY_TLS_CERT"] = "/data/tls/server.crt"
        self.assertCaught(m, "TREATY_TLS_CERT=/data/tls/server.crt is on volume 'data', which is a PersistentVolumeClaim; it must be a Secret")

    def test_every_issuer_key_in_the_list_is_checked(self):
        def m(d):
            config(d)["TREATY_AUTH_ISSUER_KEYS"] = "/etc/treaty/token-issuers/issuer.pub,/etc/treaty/next/issuer.pub"
        self.assertCaught(m, "StatefulSet/approvals: container treaty: TREATY_AUTH_ISSUER_KEYS=/etc/treaty/next/issuer.pub is on no mounted volume")

    def test_a_file_the_projected_items_do_not_hold_is_caught(self):
        def m(d):
            items = next(v for v in pod(d, "treaty")["volumes"] if v["name"] == "identities")["projected"]["sources"][3]["secret"]["items"]
            items[:] = [i for i in items if i["path"] != "audit.key"]
        self.assertCaught(m, "StatefulSet/treaty: container treaty: TREATY_TLS_IDENTITY_DIR=/etc/treaty/identities lacks audit.key", overlay="dev")

    def test_an_identity_dir_from_a_configmap_is_caught(self):
        def m(d):
            sources = next(v for v in pod(d, "treaty")["volumes"] if v["name"] == "identities")["projected"]["sources"]
            sources[0] = {"configMap": sources[0]["secret"]}
        self.assertCaught(m, "TREATY_TLS_IDENTITY_DIR=/etc/treaty/identities is on volume 'identities', backed by ConfigMap, Secret; a private key must come from a Secret", overlay="dev")

    def test_the_all_in_one_without_identities_is_caught(self):
        def m(d):
            del container(d, "treaty")["env"]
        self.assertCaught(m, "StatefulSet/treaty: container treaty: TREATY_TLS_IDENTITY_DIR is not set: one process runs every service", overlay="dev")

    def test_a_listener_off_loopback_without_tls_is_caught(self):
        def m(d):
            del config(d)["TREATY_TLS_CERT"], config(d)["TREATY_TLS_KEY"]
        self.assertCaught(m, "StatefulSet/registry: container treaty: TREATY_LISTEN_ADDR=0.0.0.0:50051 is not a loopback address, but TREATY_TLS_CERT and TREATY_TLS_KEY are not set")

    def test_a_certificate_without_its_key_is_caught(self):
        def m(d):
            config(d)["TREATY_TLS_KEY"] = ""
        self.assertCaught(m, "TREATY_TLS_CERT and TREATY_TLS_KEY go together, but only TREATY_TLS_CERT is set", overlay="dev")

    def test_no_client_ca_is_caught(self):
        def m(d):
            del config(d)["TREATY_TLS_CLIENT_CA"]
        self.assertCaught(m, "StatefulSet/audit: container treaty: TREATY_TLS_CLIENT_CA is not set: no client certificate is trusted, so approvals, notification, registry cannot authenticate to it as services (mTLS)")

    def test_no_peer_ca_is_caught(self):
        def m(d):
            del config(d)["TREATY_TLS_CA"]
        self.assertCaught(m, "StatefulSet/approvals: container treaty: TREATY_TLS_CA is not set: it cannot verify the certificates of audit, notification, registry")

    def test_no_token_issuer_is_caught(self):
        def m(d):
            del config(d)["TREATY_AUTH_ISSUER_KEYS"]
        self.assertCaught(m, "TREATY_AUTH_ISSUER_KEYS is not set: no bearer token is trusted")

    def test_an_audit_pod_without_the_log_key_is_caught(self):
        def m(d):
            container(d, "audit")["env"] = [e for e in container(d, "audit")["env"] if e["name"] != "TREATY_AUDIT_LOG_KEY"]
        self.assertCaught(m, "StatefulSet/audit: container treaty: TREATY_AUDIT_LOG_KEY is not set: off loopback `treaty serve` makes no development log key")

    def test_the_all_in_one_without_the_log_key_is_caught(self):
        def m(d):
            container(d, "treaty")["env"] = [e for e in container(d, "treaty")["env"] if e["name"] != "TREATY_AUDIT_LOG_KEY"]
        self.assertCaught(m, "StatefulSet/treaty: container treaty: TREATY_AUDIT_LOG_KEY is not set", overlay="dev")

    def test_the_log_key_from_a_configmap_is_caught(self):
        def m(d):
            volume = next(v for v in pod(d, "audit")["volumes"] if v["name"] == "audit-log-key")
            volume["configMap"] = volume.pop("secret")
        self.assertCaught(m, "StatefulSet/audit: container treaty: TREATY_AUDIT_LOG_KEY=/etc/treaty/audit-log/log.key is on volume 'audit-log-key', backed by ConfigMap; a private key must come from a Secret")

    def test_the_log_key_in_the_shared_configmap_is_caught(self):
        def m(d):
            config(d)["TREATY_AUDIT_LOG_KEY"] = "/etc/treaty/audit-log/log.key"
        self.assertCaught(m, "StatefulSet/registry: container treaty: TREATY_AUDIT_LOG_KEY is set in a pod that runs registry, not the audit service")

    def test_the_log_key_secret_mounted_in_another_pod_is_caught(self):
        def m(d):
            pod(d, "approvals")["volumes"].append({"name": "stolen", "secret": {"secretName": "treaty-audit-log-key"}})
        self.assertCaught(m, "StatefulSet/approvals: container treaty: volume 'stolen' mounts the Secret treaty-audit-log-key in a pod that runs approvals")

    def test_a_plaintext_peer_is_caught(self):
        def m(d):
            e = next(e for e in container(d, "notification")["env"] if e["name"] == "TREATY_AUDIT_ADDR")
            e["value"] = "http://audit:50051"
        self.assertCaught(m, "StatefulSet/notification: TREATY_AUDIT_ADDR=http://audit:50051 is not https://<Service>:<port> of a Service in the manifests (peers speak TLS; plaintext http:// is refused off loopback)")

    def test_a_probe_on_the_grpc_port_is_caught(self):
        def m(d):
            container(d, "registry")["livenessProbe"]["grpc"]["port"] = 50051
        self.assertCaught(m, "StatefulSet/registry: container treaty: livenessProbe: grpc port 50051 is the TLS gRPC port, which the kubelet's probes cannot speak to; probe the health port 8081 (TREATY_HEALTH_ADDR)")

    def test_a_probe_on_another_port_than_health_is_caught(self):
        def m(d):
            c = container(d, "treaty")
            c["ports"].append({"name": "metrics", "containerPort": 9090, "protocol": "TCP"})
            c["startupProbe"]["grpc"]["port"] = 9090
        self.assertCaught(m, "startupProbe: grpc port 9090 is not the health port 8081 (TREATY_HEALTH_ADDR)", overlay="dev")

    def test_no_health_address_is_caught(self):
        def m(d):
            del config(d)["TREATY_HEALTH_ADDR"]
        self.assertCaught(m, "TREATY_HEALTH_ADDR is not set: the kubelet's gRPC probes speak no TLS")

    def test_health_on_the_grpc_port_is_caught(self):
        def m(d):
            config(d)["TREATY_HEALTH_ADDR"] = "0.0.0.0:50051"
        self.assertCaught(m, "TREATY_HEALTH_ADDR=0.0.0.0:50051 is the gRPC port; health needs a port of its own")

    def test_health_on_an_undeclared_port_is_caught(self):
        def m(d):
            config(d)["TREATY_HEALTH_ADDR"] = "0.0.0.0:8082"
        self.assertCaught(m, "TREATY_HEALTH_ADDR=0.0.0.0:8082: port 8082 is not a port of container treaty (its ports: grpc=50051, health=8081)")

    def test_a_cleartext_app_protocol_on_the_tls_port_is_caught(self):
        def m(d):
            find(d, "Service", "registry")["spec"]["ports"][0]["appProtocol"] = "kubernetes.io/h2c"
        self.assertCaught(m, "Service/registry: port grpc: appProtocol is 'kubernetes.io/h2c', but StatefulSet/registry speaks gRPC over TLS there: use 'https'")

    def test_a_service_port_to_the_health_port_is_caught(self):
        def m(d):
            find(d, "Service", "treaty")["spec"]["ports"].append({"name": "health", "port": 8081, "targetPort": "health"})
        self.assertCaught(m, "Service/treaty: port health leads to StatefulSet/treaty's plaintext health port 8081", overlay="dev")

    def test_a_network_policy_open_on_the_health_port_is_caught(self):
        def m(d):
            find(d, "NetworkPolicy", "audit")["spec"]["ingress"][0]["ports"].append({"port": 8081, "protocol": "TCP"})
        self.assertCaught(m, "StatefulSet/audit: NetworkPolicies let a client pod (treaty-client=true) reach the plaintext health port 8081")

    def test_a_trust_setting_config_rs_no_longer_lists_is_reported(self):
        errors = check_manifests(copy.deepcopy(self.prod), self.variables - {"TREATY_TLS_CA"}, self.graph)
        self.assertIn("checker: deploy/checks knows TREATY_TLS_CA, which crates/runtime/src/config.rs VARIABLES no longer lists", "\n".join(errors))


class Certificates(unittest.TestCase):
    """The optional cert-manager Certificates, checked with the overlay whose Secrets they issue."""

    @classmethod
    def setUpClass(cls):
        cls.variables = treaty_variables((REPO / "crates/runtime/src/config.rs").read_text())
        cls.graph = call_graph((REPO / "README.md").read_text())
        k8s = REPO / "deploy/k8s"
        cls.prod = render(k8s, "overlays/prod") + render(k8s, "optional/cert-manager/prod")
        cls.dev = render(k8s, "overlays/dev") + render(k8s, "optional/cert-manager/dev")

    def assertCaught(self, mutate, expected, overlay="prod"):
        docs = copy.deepcopy(getattr(self, overlay))
        mutate(docs)
        errors = check_manifests(docs, self.variables, self.graph)
        self.assertTrue(any(expected in e for e in errors), f"no problem mentions {expected!r}; got:\n" + "\n".join(errors))

    def test_the_real_certificates_pass(self):
        self.assertEqual(check_manifests(self.prod, self.variables, self.graph), [])
        self.assertEqual(check_manifests(self.dev, self.variables, self.graph), [])

    def test_a_wrong_uri_san_is_caught(self):
        def m(d):
            find(d, "Certificate", "treaty-approvals")["spec"]["uris"] = ["spiffe://treaty/registry"]
        self.assertCaught(m, "Certificate/treaty-approvals: is approvals's client identity (Secret treaty-approvals-tls), so its uris must be exactly [spiffe://treaty/approvals], not ['spiffe://treaty/registry']")

    def test_two_uri_sans_are_caught(self):
        def m(d):
            find(d, "Certificate", "treaty-audit")["spec"]["uris"].append("spiffe://treaty/registry")
        self.assertCaught(m, "Certificate/treaty-audit: is audit's client identity", overlay="dev")

    def test_a_missing_client_auth_usage_is_caught(self):
        def m(d):
            find(d, "Certificate", "treaty-registry")["spec"]["usages"].remove("client auth")
        self.assertCaught(m, "Certificate/treaty-registry: is registry's client identity, but its usages ['digital signature', 'server auth'] lack `client auth`")

    def test_a_missing_service_dns_name_is_caught(self):
        def m(d):
            find(d, "Certificate", "treaty-notification")["spec"]["dnsNames"].remove("notification")
        self.assertCaught(m, "Certificate/treaty-notification: is StatefulSet/notification's listener certificate, but its dnsNames lack notification, the name peers and clients dial")

    def test_a_dev_listener_without_loopback_ip_is_caught(self):
        def m(d):
            del find(d, "Certificate", "treaty")["spec"]["ipAddresses"]
        self.assertCaught(m, "Certificate/treaty: is the all-in-one StatefulSet/treaty's listener certificate, but its ipAddresses lack 127.0.0.1", overlay="dev")

    def test_a_mounted_secret_no_certificate_issues_is_caught(self):
        def m(d):
            find(d, "Certificate", "treaty-audit")["spec"]["secretName"] = "treaty-audit-cert"
        self.assertCaught(m, "StatefulSet/audit: mounts Secret treaty-audit-tls for its listener certificate (TREATY_TLS_CERT), but no Certificate in the manifests issues it")

    def test_an_unknown_issuer_is_caught(self):
        def m(d):
            find(d, "Certificate", "treaty-registry")["spec"]["issuerRef"]["name"] = "treaty-ca2"
        self.assertCaught(m, "Certificate/treaty-registry: issuerRef names Issuer 'treaty-ca2', which is not in the manifests")


class FileLevel(unittest.TestCase):
    """Breaking the kustomize sources themselves turns the checker's exit code non-zero."""

    def run_checker_on_edited_copy(self, path: str, old: str, new: str, overlay: str = "overlays/prod"):
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp) / "k8s"
            shutil.copytree(REPO / "deploy/k8s", root)
            source = root / path
            text = source.read_text()
            self.assertIn(old, text)
            source.write_text(text.replace(old, new, 1))
            rendered = pathlib.Path(tmp) / "rendered.yaml"
            rendered.write_text(yaml.safe_dump_all(render(root, overlay)))
            return subprocess.run([sys.executable, str(HERE / "check.py"), str(rendered)], capture_output=True, text=True)

    def test_the_unedited_sources_pass(self):
        result = self.run_checker_on_edited_copy("base/kustomization.yaml", "kind: Kustomization", "kind: Kustomization")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_breaking_the_probe_port_in_the_sources_fails(self):
        result = self.run_checker_on_edited_copy(
            "components/treaty-pod/statefulset-defaults.yaml", "readinessProbe:\n            grpc:\n              port: 8081",
            "readinessProbe:\n            grpc:\n              port: 50052")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("readinessProbe: grpc port 50052 is not a port of container treaty", result.stdout)

    def test_probing_the_tls_port_in_the_sources_fails(self):
        result = self.run_checker_on_edited_copy(
            "components/treaty-pod/statefulset-defaults.yaml", "livenessProbe:\n            grpc:\n              port: 8081",
            "livenessProbe:\n            grpc:\n              port: 50051")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("livenessProbe: grpc port 50051 is the TLS gRPC port", result.stdout)

    def test_a_plaintext_peer_in_the_sources_fails(self):
        result = self.run_checker_on_edited_copy("base/approvals.yaml", "value: https://registry:50051", "value: http://registry:50051")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("TREATY_REGISTRY_ADDR=http://registry:50051 is not https://", result.stdout)

    def test_a_writable_certificate_mount_in_the_sources_fails(self):
        result = self.run_checker_on_edited_copy(
            "components/treaty-pod/statefulset-defaults.yaml", "mountPath: /etc/treaty/tls\n              readOnly: true",
            "mountPath: /etc/treaty/tls", overlay="overlays/dev")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("TREATY_TLS_KEY=/etc/treaty/tls/tls.key is on volume 'tls', which is not mounted readOnly: true", result.stdout)

    def test_breaking_a_selector_in_the_sources_fails(self):
        result = self.run_checker_on_edited_copy(
            "base/registry.yaml", "    matchLabels:\n      app.kubernetes.io/name: registry",
            "    matchLabels:\n      app.kubernetes.io/name: registy")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("StatefulSet/registry: spec.selector", result.stdout)


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.variables = treaty_variables((REPO / "crates/runtime/src/config.rs").read_text())
        cls.text = (REPO / "deploy/Dockerfile").read_text()

    def test_the_real_dockerfile_passes(self):
        self.assertEqual(check_dockerfile(self.text, self.variables), [])

    def test_a_user_name_is_caught(self):
        text = self.text.replace("USER 65532:65532", "USER nonroot", 1)
        self.assertIn("Dockerfile stage host-binary: USER nonroot is not numeric", "\n".join(check_dockerfile(text, self.variables)))

    def test_root_is_caught(self):
        text = self.text.rsplit("USER 65532:65532", 1)
        errors = check_dockerfile("USER 0".join(text), self.variables)
        self.assertIn("Dockerfile stage image: USER 0 is root", "\n".join(errors))

    def test_stages_that_drift_apart_are_caught(self):
        text = self.text.replace("EXPOSE 50051 8081\n", "EXPOSE 50051 8081\nENV TREATY_LOG=debug\n", 1)
        self.assertIn("Dockerfile: stages image and host-binary differ in their image settings (ENV TREATY_LOG=debug)",
                      "\n".join(check_dockerfile(text, self.variables)))

    def test_an_unexposed_health_port_is_caught(self):
        text = self.text.replace("EXPOSE 50051 8081", "EXPOSE 50051")
        self.assertIn("Dockerfile stage image: EXPOSE 50051 but TREATY_HEALTH_ADDR listens on 8081", "\n".join(check_dockerfile(text, self.variables)))

    def test_an_unknown_treaty_variable_is_caught(self):
        text = self.text.replace("TREATY_DATA_DIR=/data", "TREATY_DATADIR=/data")
        self.assertIn("ENV TREATY_DATADIR is not a variable the code reads", "\n".join(check_dockerfile(text, self.variables)))


if __name__ == "__main__":
    unittest.main()
