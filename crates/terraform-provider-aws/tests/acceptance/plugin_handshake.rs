//! The release-shaped binary as Terraform launches it: go-plugin handshake, pinned mTLS and
//! a prompt exit on GRPCController.Shutdown. Needs no cloud and no Terraform.

use std::process::Stdio;
use std::time::{Duration, Instant};
use tfplugin::proto::plugin::Empty;
use tfplugin::proto::tfplugin6::get_provider_schema;
use tfplugin::testing::{connect_from_line, ClientCert};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-aws");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn plugin_command() -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "TF_PLUGIN_MAGIC_COOKIE",
        "PLUGIN_PROTOCOL_VERSIONS",
        "PLUGIN_CLIENT_CERT",
        "TF_LOG",
        "TF_LOG_PROVIDER",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn run_by_hand_it_says_it_is_a_plugin() {
    let out = plugin_command().output().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("This binary is a plugin. These are not meant to be executed directly."),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_terraform_without_protocol_6_is_told_so() {
    let out = plugin_command()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("protocol version 6"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn handshake_mtls_and_shutdown() {
    let terraform = ClientCert::generate();
    let mut child = plugin_command()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", &terraform.pem)
        // Its warnings say why a connection was refused (read below).
        .env("TF_LOG", "warn")
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line))
        .await
        .expect("handshake line in time")
        .unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(&fields[..3], ["1", "6", "tcp"], "{line}");
    assert!(fields[3].starts_with("127.0.0.1:"), "{line}");
    let port: u16 = fields[3].rsplit(':').next().unwrap().parse().unwrap();
    assert!((10000..=25000).contains(&port), "{line}");
    assert_eq!(fields[4], "grpc");
    assert!(
        !fields[5].is_empty() && !fields[5].ends_with('='),
        "certificate must be unpadded base64: {line}"
    );

    // Terraform's certificate is served.
    let mut c = connect_from_line(&line, &terraform).await.unwrap();
    let schema = c
        .provider
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(
        schema.provider.and_then(|p| p.block).is_some(),
        "no provider block"
    );
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);

    // Anyone else is not.
    let stranger = ClientCert::generate();
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        let mut s = connect_from_line(&line, &stranger).await?;
        s.provider
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    })
    .await
    .expect("refusal must be prompt");
    let refusal = refused.expect_err("a client with another certificate was served");

    // Shutdown ends the process well within Terraform's 2 s patience.
    let asked = Instant::now();
    c.controller.shutdown(Empty {}).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(2), child.wait())
        .await
        .expect("plugin still running 2 s after Shutdown")
        .unwrap();
    assert!(status.success(), "{status:?}");
    // The stranger was refused by the pinned-certificate check in the TLS handshake, not by
    // some other failure: the provider's warning says so. (The client may see the server's
    // access_denied alert or only the closed connection, depending on timing.)
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .await
        .unwrap();
    assert!(
        log.contains("refused a connection before serving it")
            && log.contains("TLS handshake failed")
            && log.contains("ApplicationVerificationFailure"),
        "the refusal ({refusal}) must be the certificate check's:\n{log}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "exit took {:?}",
        asked.elapsed()
    );
}
