//! Architecture invariants checked against the real dependency graph
//! (`cargo metadata`), not against what the manifests happen to say.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::process::Command;

use serde_json::Value;

fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc names its host")
        .to_owned()
}

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Every package a workspace crate's normal and build dependencies reach.
fn reachable(meta: &Value, crate_name: &str) -> BTreeSet<String> {
    reachable_from(meta, crate_name, false)
}

/// Every package a workspace crate's tests compile: its own dev-dependencies
/// too, and what all of them reach (a dependency's dev-dependencies are never
/// built for it).
fn reachable_from_tests(meta: &Value, crate_name: &str) -> BTreeSet<String> {
    reachable_from(meta, crate_name, true)
}

fn reachable_from(meta: &Value, crate_name: &str, with_dev: bool) -> BTreeSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), n))
        .collect();
    let start = names
        .iter()
        .find(|(_, n)| **n == crate_name)
        .map(|(id, _)| *id)
        .expect("the crate is in the workspace");
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start]);
    while let Some(id) = queue.pop_front() {
        for dep in nodes[id]["deps"].as_array().expect("deps") {
            let not_dev = dep["dep_kinds"]
                .as_array()
                .expect("dep_kinds")
                .iter()
                .any(|k| k["kind"].as_str() != Some("dev"));
            let followed = not_dev || (with_dev && id == start);
            let dep_id = dep["pkg"].as_str().expect("pkg");
            if followed && seen.insert(names[dep_id].to_owned()) {
                queue.push_back(dep_id);
            }
        }
    }
    seen
}

fn assert_free_of(crate_name: &str, forbidden: &[&str]) {
    let deps = reachable(&metadata(), crate_name);
    assert!(!deps.is_empty(), "{crate_name} has dependencies to check");
    let found: Vec<_> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(
        found.is_empty(),
        "{crate_name} must not depend on {found:?} (DESIGN.md §4 invariant 7)"
    );
}

#[test]
fn the_domain_crate_depends_on_no_grpc_async_or_storage_crate() {
    assert_free_of(
        "treaty-domain",
        &[
            "tonic",
            "prost",
            "tokio",
            "sled",
            "treaty-proto",
            "treaty-ledger",
        ],
    );
}

#[test]
fn the_ledger_crate_depends_on_neither_tonic_nor_prost_nor_the_domain() {
    assert_free_of(
        "treaty-ledger",
        &["tonic", "prost", "treaty-proto", "treaty-domain"],
    );
}

#[test]
fn the_authorization_table_depends_on_no_grpc_async_or_storage_crate() {
    assert_free_of(
        "treaty-auth",
        &[
            "tonic",
            "prost",
            "tokio",
            "hyper",
            "sled",
            "treaty-proto",
            "treaty-ledger",
        ],
    );
}

#[test]
fn every_tls_listener_and_client_uses_the_one_crypto_provider_ring() {
    let deps = reachable(&metadata(), "treaty");
    assert!(deps.contains("rustls") && deps.contains("ring"), "{deps:?}");
    let others: Vec<_> = [
        "aws-lc-rs",
        "aws-lc-sys",
        "openssl",
        "openssl-sys",
        "native-tls",
    ]
    .into_iter()
    .filter(|c| deps.contains(*c))
    .collect();
    assert!(
        others.is_empty(),
        "one crypto provider in the whole graph (ring); also found {others:?}"
    );
}

/// The workspace crates whose manifests are under `services/`.
fn services(meta: &Value) -> Vec<String> {
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .map(|m| m.as_str().expect("an id"))
        .collect();
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| members.contains(p["id"].as_str().expect("id")))
        .filter(|p| {
            std::path::Path::new(p["manifest_path"].as_str().expect("manifest_path"))
                .parent()
                .and_then(|dir| dir.parent())
                .is_some_and(|dir| dir.ends_with("services"))
        })
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn no_service_nor_its_tests_compile_the_cli_the_bundled_data_or_the_benchmark() {
    let meta = metadata();
    let services = services(&meta);
    assert_eq!(services.len(), 4, "the four services: {services:?}");
    for service in services {
        let deps = reachable_from_tests(&meta, &service);
        let found: Vec<_> = ["treaty", "treaty-bundle", "treaty-bench"]
            .into_iter()
            .filter(|f| deps.contains(*f))
            .collect();
        assert!(
            found.is_empty(),
            "{service} or its tests depend on {found:?}; tests start services with treaty-testkit or treaty-node"
        );
    }
}

#[test]
fn no_service_depends_on_the_wiring_of_services_into_a_process() {
    let meta = metadata();
    for service in services(&meta) {
        let deps = reachable(&meta, &service);
        assert!(
            !deps.contains("treaty-node"),
            "{service} depends on treaty-node; only its tests may"
        );
    }
}

#[test]
fn the_checker_follows_a_crates_own_dev_dependencies_and_only_those() {
    // Guards the checkers above: the audit tests do reach the testkit and the
    // node through dev-dependencies, and the binary does reach the bundle and
    // the benchmark.
    let meta = metadata();
    let tests = reachable_from_tests(&meta, "treaty-audit");
    assert!(
        tests.contains("treaty-testkit") && tests.contains("treaty-node"),
        "{tests:?}"
    );
    assert!(!reachable(&meta, "treaty-audit").contains("treaty-testkit"));
    let binary = reachable(&meta, "treaty");
    assert!(
        binary.contains("treaty-bundle") && binary.contains("treaty-bench"),
        "{binary:?}"
    );
}

#[test]
fn the_checker_sees_tonic_where_it_is() {
    // Guards the checker itself: the services do reach tonic and prost.
    let deps = reachable(&metadata(), "treaty-audit");
    assert!(deps.contains("tonic") && deps.contains("prost"), "{deps:?}");
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn a_crate_that_builds_no_unit_test_binary_has_no_unit_tests_to_hide() {
    // `test = false` saves a test binary (each links tonic and sled); it must
    // never mean a unit test that silently does not run.
    let meta = metadata();
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .map(|m| m.as_str().expect("an id"))
        .collect();
    let mut checked = 0;
    for package in meta["packages"].as_array().expect("packages") {
        if !members.contains(package["id"].as_str().expect("id")) {
            continue;
        }
        for target in package["targets"].as_array().expect("targets") {
            let kinds = target["kind"].as_array().expect("kind");
            let unit = kinds.iter().any(|k| k == "lib" || k == "bin");
            if !unit || target["test"].as_bool() != Some(false) {
                continue;
            }
            let src = std::path::Path::new(target["src_path"].as_str().expect("src_path"));
            for file in rust_files(src.parent().expect("a source directory")) {
                let text = std::fs::read_to_string(&file).expect("a readable source file");
                assert!(
                    !text.contains("#[cfg(test)]") && !text.contains("#[test]"),
                    "{} has unit tests, but its target sets test = false in {}",
                    file.display(),
                    package["manifest_path"].as_str().expect("manifest_path")
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "some target sets test = false");
}

#[test]
fn every_server_stream_of_a_service_buffers_within_a_byte_budget() {
    // What a client that stops reading costs is a setting only while every stream goes
    // through `treaty_runtime::stream::bounded`, never a channel counted in messages.
    let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../services");
    let mut streaming = 0;
    for service in std::fs::read_dir(&services).expect("the services directory") {
        let src = service.expect("a directory entry").path().join("src");
        let texts: Vec<(std::path::PathBuf, String)> = rust_files(&src)
            .into_iter()
            .map(|f| {
                let text = std::fs::read_to_string(&f).expect("a readable source file");
                (f, text)
            })
            .collect();
        for (file, text) in &texts {
            for channel in ["ReceiverStream", "mpsc::channel", "unbounded_channel"] {
                assert!(
                    !text.contains(channel),
                    "{} streams through {channel}; use treaty_runtime::stream::bounded",
                    file.display()
                );
            }
        }
        if texts.iter().any(|(_, t)| t.contains("Stream = ")) {
            streaming += 1;
            assert!(
                texts.iter().any(|(_, t)| t.contains("stream::bounded(")),
                "{} has a server stream but never calls treaty_runtime::stream::bounded",
                src.display()
            );
        }
    }
    assert_eq!(
        streaming, 2,
        "audit (Tail) and notification (Subscribe) stream"
    );
}
