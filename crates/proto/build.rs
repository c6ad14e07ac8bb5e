//! Compiles `proto/` with protox (a protobuf compiler in Rust: no `protoc` on
//! any machine) and generates prost messages and tonic clients and servers.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "treaty/registry/v1/registry.proto",
        "treaty/approvals/v1/approvals.proto",
        "treaty/notification/v1/notification.proto",
        "treaty/audit/v1/audit.proto",
    ];
    println!("cargo:rerun-if-changed={}", root.display());

    let descriptors = protox::compile(files, [&root])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out.join("treaty_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
