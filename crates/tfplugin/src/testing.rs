//! Helpers for tests that play Terraform's part: a P-521 client certificate like the one
//! Terraform generates, a client that connects with it over mTLS, and an in-process server.
//! Used by this crate's tests and by providers' end-to-end tests of their binary.

use crate::proto::plugin::grpc_controller_client::GrpcControllerClient;
use crate::proto::tfplugin6::provider_client::ProviderClient;
use crate::provider::Provider;
use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// A self-signed ECDSA P-521 certificate with CA:TRUE, as Terraform passes in
/// PLUGIN_CLIENT_CERT. Built by hand because rcgen can sign P-521 only with aws-lc-rs.
pub struct ClientCert {
    /// The certificate as PEM, as PLUGIN_CLIENT_CERT carries it.
    pub pem: String,
    /// The same certificate as DER.
    pub der: Vec<u8>,
    key: p521::ecdsa::SigningKey,
}

impl std::fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCert")
            .field("pem", &self.pem)
            .finish_non_exhaustive()
    }
}

impl ClientCert {
    /// A fresh key and certificate.
    pub fn generate() -> ClientCert {
        use p521::ecdsa::signature::Signer;
        let key = p521::ecdsa::SigningKey::random(&mut p521::elliptic_curve::rand_core::OsRng);
        let point = p521::ecdsa::VerifyingKey::from(&key).to_encoded_point(false);
        let tbs = der::tbs_certificate(point.as_bytes(), &serial());
        let sig: p521::ecdsa::Signature = key.sign(&tbs);
        let der = der::certificate(&tbs, sig.to_der().as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        ClientCert { pem, der, key }
    }
}

fn serial() -> [u8; 16] {
    let mut s = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut s);
    // Positive and without a redundant leading zero, as DER INTEGERs must be.
    s[0] = (s[0] & 0x7f) | 0x40;
    s
}

/// Just enough DER to write an X.509 certificate.
mod der {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes: Vec<u8> = n
                .to_be_bytes()
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }
    fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }
    fn bit_string(bytes: &[u8]) -> Vec<u8> {
        tlv(0x03, &[&[0u8][..], bytes].concat())
    }
    const OID_ECDSA_SHA512: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const OID_SECP521R1: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    const OID_CN: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];
    const TRUE: &[u8] = &[0x01, 0x01, 0xff];

    fn name(cn: &str) -> Vec<u8> {
        seq(&[tlv(
            0x31,
            &seq(&[OID_CN.to_vec(), tlv(0x0c, cn.as_bytes())]),
        )])
    }
    fn utc_time(t: time::OffsetDateTime) -> Vec<u8> {
        let s = format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}Z",
            t.year() % 100,
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        tlv(0x17, s.as_bytes())
    }
    fn extension(oid_tail: u8, critical: bool, value: Vec<u8>) -> Vec<u8> {
        let mut parts = vec![vec![0x06, 0x03, 0x55, 0x1d, oid_tail]];
        if critical {
            parts.push(TRUE.to_vec());
        }
        parts.push(tlv(0x04, &value));
        seq(&parts)
    }

    pub fn tbs_certificate(public_point: &[u8], serial: &[u8]) -> Vec<u8> {
        let now = time::OffsetDateTime::now_utc();
        let extensions = seq(&[
            // basicConstraints CA:TRUE
            extension(0x13, true, seq(&[TRUE.to_vec()])),
            // keyUsage digitalSignature, keyEncipherment, keyCertSign
            extension(0x0f, true, vec![0x03, 0x02, 0x02, 0xa4]),
            // extKeyUsage clientAuth, serverAuth
            extension(
                0x25,
                false,
                seq(&[
                    vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02],
                    vec![0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01],
                ]),
            ),
            // subjectAltName DNS:localhost
            extension(0x11, false, seq(&[tlv(0x82, b"localhost")])),
        ]);
        seq(&[
            tlv(0xa0, &[0x02, 0x01, 0x02]),
            tlv(0x02, serial),
            seq(&[OID_ECDSA_SHA512.to_vec()]),
            name("localhost"),
            seq(&[
                utc_time(now - time::Duration::minutes(1)),
                utc_time(now + time::Duration::days(1)),
            ]),
            name("localhost"),
            seq(&[
                seq(&[OID_EC_PUBLIC_KEY.to_vec(), OID_SECP521R1.to_vec()]),
                bit_string(public_point),
            ]),
            tlv(0xa3, &extensions),
        ])
    }

    pub fn certificate(tbs: &[u8], signature_der: &[u8]) -> Vec<u8> {
        seq(&[
            tbs.to_vec(),
            seq(&[OID_ECDSA_SHA512.to_vec()]),
            bit_string(signature_der),
        ])
    }
}

/// Splits a handshake line into the address and the server certificate DER.
pub fn parse_handshake_line(line: &str) -> Result<(SocketAddr, Vec<u8>), String> {
    let parts: Vec<&str> = line.trim().split('|').collect();
    if parts.len() != 6
        || parts[0] != "1"
        || parts[1] != "6"
        || parts[2] != "tcp"
        || parts[4] != "grpc"
    {
        return Err(format!("unexpected handshake line {line:?}"));
    }
    let addr = parts[3]
        .parse()
        .map_err(|e| format!("address {:?}: {e}", parts[3]))?;
    let cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .map_err(|e| format!("certificate field: {e}"))?;
    Ok((addr, cert))
}

/// The gRPC clients Terraform uses, over one mTLS connection.
pub struct Clients {
    /// The tfplugin6 Provider service.
    pub provider: ProviderClient<Channel>,
    /// go-plugin's controller (Shutdown).
    pub controller: GrpcControllerClient<Channel>,
}

/// Connects like Terraform does: presenting `client`, trusting only `server_cert_der`.
pub async fn connect(
    addr: SocketAddr,
    server_cert_der: &[u8],
    client: &ClientCert,
) -> Result<Clients, String> {
    connect_with(addr, server_cert_der, Some(client)).await
}

/// Connects without presenting any client certificate (which the server must refuse).
pub async fn connect_without_certificate(line: &str) -> Result<Clients, String> {
    let (addr, cert) = parse_handshake_line(line)?;
    connect_with(addr, &cert, None).await
}

async fn connect_with(
    addr: SocketAddr,
    server_cert_der: &[u8],
    client: Option<&ClientCert>,
) -> Result<Clients, String> {
    let cfg = Arc::new(client_config(server_cert_der.to_vec(), client)?);
    let connector = tower::service_fn(move |_uri: http::Uri| {
        let cfg = cfg.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            let tls = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, tcp)
                .await?;
            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
        }
    });
    let channel = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    Ok(Clients {
        provider: ProviderClient::new(channel.clone()),
        controller: GrpcControllerClient::new(channel),
    })
}

/// Connects to the server announced by a handshake line.
pub async fn connect_from_line(line: &str, client: &ClientCert) -> Result<Clients, String> {
    let (addr, cert) = parse_handshake_line(line)?;
    connect(addr, &cert, client).await
}

fn client_config(
    server_cert_der: Vec<u8>,
    client: Option<&ClientCert>,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServerCert {
            der: server_cert_der,
        }));
    let mut cfg = match client {
        Some(client) => builder.with_client_cert_resolver(Arc::new(P521ClientKey {
            certified: Arc::new(rustls::sign::CertifiedKey::new(
                vec![CertificateDer::from(client.der.clone())],
                Arc::new(P521Signer(client.key.clone())),
            )),
        })),
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(cfg)
}

/// Trusts exactly one server certificate, as go-plugin's client does with the handshake's.
#[derive(Debug)]
struct PinnedServerCert {
    der: Vec<u8>,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &crate::tls::SIGNATURE_ALGORITHMS,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &crate::tls::SIGNATURE_ALGORITHMS,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        crate::tls::SIGNATURE_ALGORITHMS.supported_schemes()
    }
}

#[derive(Debug)]
struct P521ClientKey {
    certified: Arc<rustls::sign::CertifiedKey>,
}

impl rustls::client::ResolvesClientCert for P521ClientKey {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        schemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        // Like Go's client: no certificate unless the server accepts P-521 signatures.
        schemes
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
            .then(|| self.certified.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// rustls signing with a P-521 key (ring cannot).
#[derive(Clone)]
struct P521Signer(p521::ecdsa::SigningKey);

impl std::fmt::Debug for P521Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("P521Signer")
    }
}

impl rustls::sign::SigningKey for P521Signer {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
            .then(|| Box::new(self.clone()) as Box<dyn rustls::sign::Signer>)
    }
    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::ECDSA
    }
}

impl rustls::sign::Signer for P521Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        use p521::ecdsa::signature::Signer;
        let sig: p521::ecdsa::Signature = self.0.sign(message);
        Ok(sig.to_der().as_bytes().to_vec())
    }
    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP521_SHA512
    }
}

/// A server running in this process, as `serve` would run it for a Terraform that pinned
/// `client_cert_pem`.
pub struct TestServer {
    /// The handshake line `serve` would print.
    pub line: String,
    /// Cancel to stop the server (GRPCController.Shutdown does the same).
    pub shutdown: CancellationToken,
    /// The server task; ends with the server.
    pub handle: tokio::task::JoinHandle<Result<(), String>>,
}

/// Starts serving `provider` on 127.0.0.1 with mTLS; call within a Tokio runtime.
pub fn spawn_server(provider: impl Provider, client_cert_pem: &str) -> Result<TestServer, String> {
    let client_der = crate::tls::pem_certificate_der(client_cert_pem)?;
    let identity = crate::tls::generate_server_identity()?;
    let cfg = crate::tls::server_config(&identity, Some(client_der))?;
    let listener = crate::handshake::bind(None)?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let line = crate::handshake::line(addr, Some(&identity.cert_der));
    let shutdown = CancellationToken::new();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let handle = tokio::spawn(crate::server::run(
        Arc::new(provider),
        listener,
        Some(acceptor),
        shutdown.clone(),
    ));
    Ok(TestServer {
        line,
        shutdown,
        handle,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_client_cert_parses_as_x509_for_webpki() {
        let c = ClientCert::generate();
        assert_eq!(crate::tls::pem_certificate_der(&c.pem).unwrap(), c.der);
        let der = CertificateDer::from(c.der.clone());
        // webpki parses it (chain building is not involved, so CA:TRUE is fine).
        assert!(webpki::EndEntityCert::try_from(&der).is_ok());
    }

    #[test]
    fn handshake_line_parsing() {
        let (addr, cert) = parse_handshake_line("1|6|tcp|127.0.0.1:4000|grpc|AQID\n").unwrap();
        assert_eq!(addr.port(), 4000);
        assert_eq!(cert, vec![1, 2, 3]);
        assert!(parse_handshake_line("1|5|tcp|127.0.0.1:4000|grpc|").is_err());
    }
}
