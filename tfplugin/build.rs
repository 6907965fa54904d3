// Build script: compiles proto/*.proto with protox (pure Rust, no protoc) and generates prost types plus tonic servers and clients.

use std::error::Error;
use std::path::PathBuf;

/// Proto files to compile, relative to `proto/`.
const PROTOS: &[&str] = &["tfplugin6.proto", "plugin.proto", "health.proto"];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("proto");

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={}", proto_dir.join(proto).display());
    }

    // protox bundles the google/protobuf/*.proto well-known types (empty, timestamp),
    // so only our own directory is needed as an include path.
    let files: Vec<PathBuf> = PROTOS.iter().map(|p| proto_dir.join(p)).collect();
    let fds = protox::compile(&files, [&proto_dir])?;

    tonic_prost_build::configure()
        .build_server(true)
        // Clients are cheap and let tests dial a running provider.
        .build_client(true)
        // No `connect()` helpers: they need tonic's `channel` feature, which we do not enable.
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;

    Ok(())
}
