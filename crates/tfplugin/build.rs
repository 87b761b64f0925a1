//! Compiles the protocol definitions with the pure-Rust `protox` (no `protoc` on build machines).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin6.proto",
        "proto/grpc_controller.proto",
        "proto/health.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        // The client is used by tests (ours and the provider's) to play Terraform's part.
        .build_client(true)
        .build_server(true)
        .build_transport(false)
        // RPCs a provider does not implement answer UNIMPLEMENTED, as Terraform expects.
        .generate_default_stubs(true)
        .compile_fds(fds)?;
    Ok(())
}
