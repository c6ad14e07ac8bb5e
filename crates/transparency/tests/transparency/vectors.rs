//! Every transparency-dev reference vector (`tests/vectors/`, copied from
//! github.com/transparency-dev/merkle `testdata/`) gives the verdict its `wantErr` says.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;
use treaty_transparency::{verify_consistency, verify_inclusion};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

/// The one vector a verifier with a fixed 32-byte hash type refuses although it expects
/// success: two equal sizes of one, an empty proof, and two equal 12-byte placeholder roots.
/// A hash that is not 32 bytes long is always a refusal here.
const PLACEHOLDER_ROOTS: &str =
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json";

fn vectors(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(kind);
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the vectors are in the repository") {
            let path = entry.expect("a readable directory").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("the vectors are valid base64")
}

fn name(path: &Path) -> String {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    path.strip_prefix(base).unwrap().display().to_string()
}

#[test]
fn every_inclusion_vector_gives_its_expected_verdict() {
    let files = vectors("inclusion");
    assert!(
        files.len() >= 90,
        "only {} inclusion vectors found",
        files.len()
    );
    let mut wrong = Vec::new();
    for path in &files {
        let v: Inclusion = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let proof: Vec<Vec<u8>> = v.proof.unwrap_or_default().iter().map(|h| b64(h)).collect();
        let verdict = verify_inclusion(
            v.leaf_idx,
            v.tree_size,
            &b64(&v.leaf_hash),
            &proof,
            &b64(&v.root),
        );
        if verdict.is_err() != v.want_err {
            wrong.push(format!("{} ({}): {verdict:?}", name(path), v.desc));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn every_consistency_vector_gives_its_expected_verdict_but_the_placeholder_roots() {
    let files = vectors("consistency");
    assert!(
        files.len() >= 90,
        "only {} consistency vectors found",
        files.len()
    );
    let mut wrong = Vec::new();
    let mut placeholder = None;
    for path in &files {
        let v: Consistency = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let proof: Vec<Vec<u8>> = v.proof.unwrap_or_default().iter().map(|h| b64(h)).collect();
        let verdict = verify_consistency(v.size1, v.size2, &proof, &b64(&v.root1), &b64(&v.root2));
        if name(path) == PLACEHOLDER_ROOTS {
            placeholder = Some((v.want_err, verdict));
            continue;
        }
        if verdict.is_err() != v.want_err {
            wrong.push(format!("{} ({}): {verdict:?}", name(path), v.desc));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    let (want_err, verdict) = placeholder.expect("the placeholder-roots vector is present");
    assert!(!want_err, "the placeholder vector expects success");
    assert!(
        matches!(
            verdict,
            Err(treaty_transparency::ProofError::HashLength { len: 12, .. })
        ),
        "the 12-byte placeholder roots are refused for their length: {verdict:?}"
    );
}
