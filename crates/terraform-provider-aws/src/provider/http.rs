//! The HTTP(S) client every AWS SDK client of this provider uses: rustls with ring, the trust
//! store (system roots plus `custom_ca_bundle`), one proxy per scheme (the block before the
//! environment, as the Go provider does) and, only when `insecure = true`, HTTPS without
//! certificate checks.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::body::SdkBody;
use std::sync::Arc;

/// Go's proxy selection never proxies loopback hosts; neither do we, so a local emulator or
/// endpoint keeps working when a corporate `HTTPS_PROXY` is set.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// The proxies after the provider block and the environment are merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxies {
    pub http: Option<String>,
    pub https: Option<String>,
    pub no_proxy: Option<String>,
}

impl Proxies {
    /// A block value wins, and an empty one means "no proxy"; an unset one falls back to the
    /// upper-case, then lower-case environment variable.
    pub fn resolve(
        http: &Option<String>,
        https: &Option<String>,
        no_proxy: &Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Proxies {
        let pick = |configured: &Option<String>, upper: &str, lower: &str| {
            configured
                .clone()
                .or_else(|| env(upper).or_else(|| env(lower)))
                .filter(|v| !v.trim().is_empty())
        };
        Proxies {
            http: pick(http, "HTTP_PROXY", "http_proxy"),
            https: pick(https, "HTTPS_PROXY", "https_proxy"),
            no_proxy: pick(no_proxy, "NO_PROXY", "no_proxy"),
        }
    }

    fn config(
        &self,
        url: &Option<String>,
        make: fn(&str) -> Result<ProxyConfig, String>,
    ) -> Result<ProxyConfig, String> {
        let Some(url) = url else {
            return Ok(ProxyConfig::disabled());
        };
        let rules = match &self.no_proxy {
            Some(n) => format!("{LOOPBACK},{n}"),
            None => LOOPBACK.to_string(),
        };
        // The URL may come from the environment: name it, the block may not hold it.
        Ok(make(url)
            .map_err(|e| format!("proxy {url:?}: {e}"))?
            .no_proxy(rules))
    }
}

fn http_proxy(url: &str) -> Result<ProxyConfig, String> {
    ProxyConfig::http(url).map_err(|e| e.to_string())
}

fn https_proxy(url: &str) -> Result<ProxyConfig, String> {
    ProxyConfig::https(url).map_err(|e| e.to_string())
}

/// The client: `http://` endpoints through the HTTP proxy, `https://` ones through the HTTPS
/// proxy (or, when `insecure`, a client that accepts any certificate).
pub fn client(
    tls: TlsContext,
    proxies: &Proxies,
    insecure: bool,
) -> Result<SharedHttpClient, String> {
    let http = smithy_client(tls.clone(), proxies.config(&proxies.http, http_proxy)?);
    let https = if insecure {
        if proxies.https.is_some() {
            return Err(
                "insecure = true cannot be combined with an HTTPS proxy (https_proxy or \
                 HTTPS_PROXY): set https_proxy = \"\" or trust the endpoint's CA with \
                 custom_ca_bundle instead."
                    .into(),
            );
        }
        SharedHttpClient::new(InsecureHttps::new()?)
    } else {
        smithy_client(tls, proxies.config(&proxies.https, https_proxy)?)
    };
    Ok(SharedHttpClient::new(ByScheme { http, https }))
}

/// The SDK's own hyper client (connection pool, timeouts) with a proxy.
fn smithy_client(tls: TlsContext, proxy: ProxyConfig) -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(move |settings, components| {
        let mut b = Connector::builder();
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.proxy_config(proxy.clone())
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(tls.clone())
            .build()
    })
}

#[derive(Debug)]
struct ByScheme {
    http: SharedHttpClient,
    https: SharedHttpClient,
}

impl HttpClient for ByScheme {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(BySchemeConnector {
            http: self.http.http_connector(settings, components),
            https: self.https.http_connector(settings, components),
        })
    }
}

#[derive(Debug)]
struct BySchemeConnector {
    http: SharedHttpConnector,
    https: SharedHttpConnector,
}

impl HttpConnector for BySchemeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if request.uri().starts_with("https://") {
            self.https.call(request)
        } else {
            self.http.call(request)
        }
    }
}

type InsecureClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    SdkBody,
>;

/// HTTPS that accepts any server certificate: what `insecure = true` asks for. The SDK's TLS
/// client has no such switch, so this is a plain hyper client with its own rustls verifier.
#[derive(Clone, Debug)]
struct InsecureHttps {
    client: InsecureClient,
}

impl InsecureHttps {
    fn new() -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        let mut tcp = hyper_util::client::legacy::connect::HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        Ok(InsecureHttps { client })
    }
}

impl HttpClient for InsecureHttps {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for InsecureHttps {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(e.into()))?;
            let response = client.request(request).await.map_err(|e| {
                if e.is_connect() {
                    ConnectorError::io(e.into())
                } else {
                    ConnectorError::other(e.into(), None)
                }
            })?;
            let (parts, body) = response.into_parts();
            let response = http::Response::from_parts(parts, SdkBody::from_body_1_x(body));
            Response::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// Accepts every certificate chain and host name; handshake signatures are still checked, so
/// the session is at least bound to the certificate the server showed.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn block_wins_and_empty_means_no_proxy() {
        let e = env(&[
            ("HTTP_PROXY", "http://env-http:1"),
            ("https_proxy", "http://env-https:2"),
            ("NO_PROXY", "internal"),
        ]);
        let p = Proxies::resolve(&None, &None, &None, &e);
        assert_eq!(p.http.as_deref(), Some("http://env-http:1"));
        assert_eq!(p.https.as_deref(), Some("http://env-https:2"));
        assert_eq!(p.no_proxy.as_deref(), Some("internal"));

        let p = Proxies::resolve(
            &Some("http://block:3".into()),
            &Some(String::new()),
            &Some("a.example".into()),
            &e,
        );
        assert_eq!(p.http.as_deref(), Some("http://block:3"));
        assert_eq!(
            p.https, None,
            "an explicit empty https_proxy overrides the environment"
        );
        assert_eq!(p.no_proxy.as_deref(), Some("a.example"));
    }

    #[test]
    fn insecure_refuses_an_https_proxy() {
        let p = Proxies {
            https: Some("http://proxy:1".into()),
            ..Default::default()
        };
        assert!(client(TlsContext::default(), &p, true).is_err());
        assert!(client(TlsContext::default(), &Proxies::default(), true).is_ok());
        assert!(client(TlsContext::default(), &p, false).is_ok());
    }
}
