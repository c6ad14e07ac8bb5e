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
            let dep_id = dep["pkg"].as_str().expect("pkg");
            if not_dev && seen.insert(names[dep_id].to_owned()) {
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
fn the_checker_sees_tonic_where_it_is() {
    // Guards the checker itself: the services do reach tonic and prost.
    let deps = reachable(&metadata(), "treaty-audit");
    assert!(deps.contains("tonic") && deps.contains("prost"), "{deps:?}");
}
