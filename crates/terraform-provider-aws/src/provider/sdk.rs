//! Builds the AWS SDK configuration from the provider block: the standard credential chain
//! (environment, shared files and profiles incl. SSO and `credential_process`, web identity,
//! container, instance metadata), or static keys; then role assumption, retries, endpoints and
//! TLS trust. Nothing here runs before ConfigureProvider, so launching the plugin stays cheap.

use super::assume::{AssumeRoleCredentials, WebIdentityCredentials};
use super::config::expand_home;
use super::config::{ImdsMode, ProviderConfig, RetryMode};
use super::http::Proxies;
use super::schema::DEFAULT_MAX_RETRIES;
use super::tuning::ClientTuning;
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::provider_config::ProviderConfig as AwsProviderConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{TlsContext, TrustStore};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::SdkConfig;
use std::time::Duration;
use tfplugin::{AttributePath, Diagnostic, Diagnostics};

#[allow(deprecated)] // aws-config still takes this type in ConfigLoader::profile_files.
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};

/// The SDK configuration plus what the clients need besides it.
pub struct Sdk {
    pub config: SdkConfig,
    pub region: String,
    pub ec2_endpoint: Option<String>,
    pub sts_endpoint: Option<String>,
    pub kms_endpoint: Option<String>,
    /// The region STS is called in (`sts_region`, else `region`).
    pub sts_region: String,
    pub tuning: ClientTuning,
}

impl Sdk {
    /// An STS client with the final credentials, region and endpoint.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        sts_client(
            &self.config,
            &self.sts_region,
            self.sts_endpoint.as_deref(),
            &self.tuning,
        )
    }
}

fn sts_client(
    config: &SdkConfig,
    region: &str,
    endpoint: Option<&str>,
    tuning: &ClientTuning,
) -> aws_sdk_sts::Client {
    let mut b = aws_sdk_sts::config::Builder::from(config).region(Region::new(region.to_string()));
    if let Some(url) = endpoint {
        // An explicit endpoint wins over FIPS and dual-stack, as in the Go provider.
        b = b.endpoint_url(url).use_fips(false).use_dual_stack(false);
    }
    aws_sdk_sts::Client::from_conf(tuning.sts(b).build())
}

/// `endpoints.<service>`, else `AWS_ENDPOINT_URL_<SERVICE>` (an empty variable means unset).
fn endpoint(configured: &Option<String>, env: &str) -> Option<String> {
    configured
        .clone()
        .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
}

/// `max_retries` from the block, else from `AWS_MAX_ATTEMPTS` (attempts = retries + 1), else 25.
pub fn max_retries(configured: Option<u32>, env_max_attempts: Option<&str>) -> u32 {
    configured
        .or_else(|| {
            env_max_attempts
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|n| *n >= 1)
                .map(|n| n - 1)
        })
        .unwrap_or(DEFAULT_MAX_RETRIES)
}

/// How long to wait for a TCP/TLS connection: the SDK's own default, kept when the other
/// timeouts are set.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// One attempt of any EC2 or STS call. A DescribeImages answers in well under a second, a
/// CopyImage in a few, a 1000-image page of public AMIs (the data source) in a few more: 30 s is
/// far beyond any of them, yet short enough that a silent connection costs one attempt, which the
/// retry policy then repeats on a fresh connection.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// All attempts of one call and the back-off between them. The default 25 retries of a call
/// that keeps failing with 5xx or throttling sleep about 3 minutes in all; 5 minutes leaves that
/// budget intact and still ends a call that would otherwise never end. A resource operation
/// bounds its calls further by its own `timeouts` (see `ec2::call`).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(300);

/// The timeouts every EC2 and STS client of this provider has.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The retry policy: `max_retries` retries after the first attempt.
pub fn retry_config(max_retries: u32, mode: Option<&RetryMode>) -> RetryConfig {
    let env_adaptive =
        || std::env::var("AWS_RETRY_MODE").is_ok_and(|m| m.trim().eq_ignore_ascii_case("adaptive"));
    let adaptive = match mode {
        Some(RetryMode::Adaptive) => true,
        Some(RetryMode::Standard) => false,
        None => env_adaptive(),
    };
    let base = if adaptive {
        RetryConfig::adaptive()
    } else {
        RetryConfig::standard()
    };
    base.with_max_attempts(max_retries.saturating_add(1))
}

#[allow(deprecated)]
fn profile_files(cfg: &ProviderConfig) -> Option<ProfileFiles> {
    if cfg.shared_config_files.is_empty() && cfg.shared_credentials_files.is_empty() {
        return None;
    }
    // Listing files of one kind replaces the default file of that kind only.
    let mut b = ProfileFiles::builder()
        .include_default_config_file(cfg.shared_config_files.is_empty())
        .include_default_credentials_file(cfg.shared_credentials_files.is_empty());
    for f in &cfg.shared_config_files {
        b = b.with_file(ProfileFileKind::Config, expand_home(f));
    }
    for f in &cfg.shared_credentials_files {
        b = b.with_file(ProfileFileKind::Credentials, expand_home(f));
    }
    Some(b.build())
}

fn error_at(path: &str, summary: &str, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error(summary, detail).at(AttributePath::root(path))
}

/// The HTTP(S) client every SDK client of this provider uses (see [`super::http`]), trusting the
/// system roots plus the PEM bundle from `custom_ca_bundle`, else `AWS_CA_BUNDLE`.
fn http_client(
    cfg: &ProviderConfig,
) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient, Diagnostic> {
    let proxies = Proxies::resolve(&cfg.http_proxy, &cfg.https_proxy, &cfg.no_proxy, |name| {
        std::env::var(name).ok()
    });
    let context = tls_context(cfg)?;
    super::http::client(context, &proxies, cfg.insecure).map_err(|e| {
        let d = Diagnostic::error("Invalid proxy or TLS settings", e);
        if cfg.insecure {
            d.at(AttributePath::root("insecure"))
        } else {
            d
        }
    })
}

fn tls_context(cfg: &ProviderConfig) -> Result<TlsContext, Diagnostic> {
    // Name the source in errors: a broken AWS_CA_BUNDLE must not look like a block mistake.
    let (path, source) = match (&cfg.custom_ca_bundle, std::env::var("AWS_CA_BUNDLE")) {
        (Some(p), _) => (p.clone(), "custom_ca_bundle"),
        (None, Ok(p)) if !p.is_empty() => (p, "AWS_CA_BUNDLE"),
        _ => return Ok(TlsContext::default()),
    };
    let fail = |summary: &str, detail: String| {
        let d = Diagnostic::error(summary, format!("{source} = {detail}"));
        if source == "custom_ca_bundle" {
            d.at(AttributePath::root(source))
        } else {
            d
        }
    };
    let path = expand_home(&path);
    let pem = std::fs::read(&path)
        .map_err(|e| fail("Cannot read the CA bundle", format!("{path}: {e}")))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(fail(
            "Invalid CA bundle",
            format!("{path}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----)."),
        ));
    }
    TlsContext::builder()
        .with_trust_store(TrustStore::default().with_pem_certificate(pem))
        .build()
        .map_err(|e| fail("Invalid CA bundle", format!("{path}: {e}")))
}

/// `insecure = true` is honoured (see [`super::http`]) but never silently.
fn warn_insecure(cfg: &ProviderConfig, diags: &mut Diagnostics) {
    if cfg.insecure {
        diags.push(
            Diagnostic::warning(
                "TLS certificate verification is off",
                "insecure = true: the certificates of HTTPS AWS endpoints are not checked, so \
                 anyone on the network path can read and change the calls. Prefer \
                 custom_ca_bundle with the endpoint's CA.",
            )
            .at(AttributePath::root("insecure")),
        );
    }
}

/// The IMDS client for `ec2_metadata_service_endpoint` / `_mode`, else the environment's.
fn imds_client(
    cfg: &ProviderConfig,
    http: &aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> Result<Option<aws_config::imds::Client>, Diagnostic> {
    if cfg.ec2_metadata_service_endpoint.is_none()
        && cfg.ec2_metadata_service_endpoint_mode.is_none()
    {
        return Ok(None);
    }
    let pc = AwsProviderConfig::without_region().with_http_client(http.clone());
    let mut b = aws_config::imds::Client::builder().configure(&pc);
    if let Some(mode) = &cfg.ec2_metadata_service_endpoint_mode {
        b = b.endpoint_mode(match mode {
            ImdsMode::IPv4 => aws_config::imds::client::EndpointMode::IpV4,
            ImdsMode::IPv6 => aws_config::imds::client::EndpointMode::IpV6,
        });
    }
    if let Some(url) = &cfg.ec2_metadata_service_endpoint {
        b = b.endpoint(url).map_err(|e| {
            error_at(
                "ec2_metadata_service_endpoint",
                "Invalid EC2 metadata service endpoint",
                format!("{url}: {e}"),
            )
        })?;
    }
    Ok(Some(b.build()))
}

/// Builds the SDK configuration; warnings go to `diags`, a failure is one error diagnostic.
pub async fn build(cfg: &ProviderConfig, diags: &mut Diagnostics) -> Result<Sdk, Diagnostic> {
    let ec2_endpoint = endpoint(&cfg.ec2_endpoint, "AWS_ENDPOINT_URL_EC2");
    let sts_endpoint = endpoint(&cfg.sts_endpoint, "AWS_ENDPOINT_URL_STS");
    let kms_endpoint = endpoint(&cfg.kms_endpoint, "AWS_ENDPOINT_URL_KMS");
    warn_insecure(cfg, diags);
    let http = http_client(cfg)?;
    let files = profile_files(cfg);
    let imds = if cfg.skip_metadata_api_check {
        None
    } else {
        imds_client(cfg, &http)?
    };
    let tuning = ClientTuning::new(&cfg.user_agent, cfg.token_bucket_rate_limiter_capacity);

    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config(
        max_retries(
            cfg.max_retries,
            std::env::var("AWS_MAX_ATTEMPTS").ok().as_deref(),
        ),
        cfg.retry_mode.as_ref(),
    ));
    loader = loader
        .http_client(http.clone())
        .timeout_config(timeout_config());
    // Only a `true` is passed on, so AWS_USE_FIPS_ENDPOINT and friends still apply otherwise.
    if cfg.use_fips_endpoint {
        loader = loader.use_fips(true);
    }
    if cfg.use_dualstack_endpoint {
        loader = loader.use_dual_stack(true);
    }
    if let Some(p) = &cfg.profile {
        loader = loader.profile_name(p);
    }
    if let Some(f) = &files {
        loader = loader.profile_files(f.clone());
    }

    // Without instance metadata, or with IMDS at another address, region and credentials come
    // from the same chains as the defaults with their IMDS link dropped or replaced (the SDK
    // has no switch for either besides environment variables).
    let own_chains = cfg.skip_metadata_api_check || imds.is_some();
    let region = match &cfg.region {
        Some(r) => Some(Region::new(r.clone())),
        None if own_chains => {
            let mut profile_region = ProfileFileRegionProvider::builder();
            if let Some(p) = &cfg.profile {
                profile_region = profile_region.profile_name(p);
            }
            if let Some(f) = &files {
                profile_region = profile_region.profile_files(f.clone());
            }
            let chain = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
                .or_else(profile_region.build());
            match &imds {
                Some(client) => {
                    chain
                        .or_else(
                            aws_config::imds::region::ImdsRegionProvider::builder()
                                .imds_client(client.clone())
                                .build(),
                        )
                        .region()
                        .await
                }
                None => chain.region().await,
            }
        }
        None => None,
    };
    if let Some(r) = &region {
        loader = loader.region(r.clone());
    }

    if let Some(keys) = &cfg.static_keys {
        let creds = Credentials::new(
            keys.access_key.0.clone(),
            keys.secret_key.0.clone(),
            keys.token.as_ref().map(|t| t.0.clone()),
            None,
            "provider block",
        );
        loader = loader.credentials_provider(creds);
    } else if own_chains {
        let mut pc = AwsProviderConfig::without_region().with_region(region.clone());
        pc = pc.with_http_client(http.clone());
        let mut profile = ProfileFileCredentialsProvider::builder().configure(&pc);
        if let Some(p) = &cfg.profile {
            profile = profile.profile_name(p);
        }
        if let Some(f) = &files {
            profile = profile.profile_files(f.clone());
        }
        let chain = CredentialsProviderChain::first_try(
            "Environment",
            EnvironmentVariableCredentialsProvider::new(),
        )
        .or_else("Profile", profile.build())
        .or_else(
            "WebIdentityToken",
            aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                .configure(&pc)
                .build(),
        )
        .or_else(
            "EcsContainer",
            aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&pc)
                .build(),
        );
        let chain = match &imds {
            Some(client) => chain.or_else(
                "Ec2InstanceMetadata",
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&pc)
                    .imds_client(client.clone())
                    .build(),
            ),
            None => chain,
        };
        loader = loader.credentials_provider(chain);
    }

    let mut config = loader.load().await;
    let Some(region) = config.region().map(|r| r.to_string()) else {
        return Err(error_at(
            "region",
            "No AWS region",
            "Set region in the provider block, or AWS_REGION, or a region in the selected profile.",
        ));
    };
    let sts_region = cfg.sts_region.clone().unwrap_or_else(|| region.clone());

    // Role assumption layers on the credentials found so far: web identity first, then each
    // assume_role block in order (role chaining).
    if let Some(web) = &cfg.web_identity {
        let sts = sts_client(&config, &sts_region, sts_endpoint.as_deref(), &tuning);
        let provider = WebIdentityCredentials::new(sts, web.clone());
        config = config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }
    for role in &cfg.assume_roles {
        let sts = sts_client(&config, &sts_region, sts_endpoint.as_deref(), &tuning);
        let provider = AssumeRoleCredentials::new(sts, role.clone());
        config = config
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
    }

    Ok(Sdk {
        // Credential resolution stays out of the log; what it returns is masked in it.
        config: super::secrets::guard(config),
        region,
        ec2_endpoint,
        sts_endpoint,
        kms_endpoint,
        sts_region,
        tuning,
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::{Secret, StaticKeys};
    use super::*;
    use tfplugin::Value;

    /// A block with static keys and a region, so building touches neither network nor IMDS.
    fn config(change: impl FnOnce(&mut ProviderConfig)) -> ProviderConfig {
        let mut c = ProviderConfig::from_value(&Value::Null).expect("an empty block is valid");
        c.region = Some("us-west-2".into());
        c.static_keys = Some(StaticKeys {
            access_key: Secret("AKIDUNITTEST".into()),
            secret_key: Secret("unit-secret".into()),
            token: None,
        });
        change(&mut c);
        c
    }

    async fn build_err(cfg: &ProviderConfig) -> Diagnostic {
        match build(cfg, &mut Diagnostics::new()).await {
            Ok(_) => panic!("building should fail"),
            Err(d) => d,
        }
    }

    #[tokio::test]
    async fn static_keys_region_endpoints_and_retries() {
        let cfg = config(|c| {
            c.ec2_endpoint = Some("http://127.0.0.1:1".into());
            c.sts_region = Some("us-east-1".into());
            c.max_retries = Some(4);
        });
        let sdk = build(&cfg, &mut Diagnostics::new()).await.expect("builds");
        assert_eq!(sdk.region, "us-west-2");
        assert_eq!(sdk.sts_region, "us-east-1");
        assert_eq!(sdk.ec2_endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(sdk.config.retry_config().map(|r| r.max_attempts()), Some(5));
        // Every client built from it has an attempt and an operation timeout.
        let t = sdk.config.timeout_config().expect("timeouts");
        assert_eq!(t.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(t.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(t.operation_timeout(), Some(OPERATION_TIMEOUT));
        let ec2 = aws_sdk_ec2::config::Builder::from(&sdk.config).build();
        assert_eq!(
            ec2.timeout_config().and_then(|t| t.operation_timeout()),
            Some(OPERATION_TIMEOUT)
        );
        assert_eq!(
            sdk.config.use_fips(),
            None,
            "false leaves the environment in charge"
        );
        let provider = sdk
            .config
            .credentials_provider()
            .expect("a credentials provider");
        let creds =
            aws_credential_types::provider::ProvideCredentials::provide_credentials(&provider)
                .await
                .expect("static credentials");
        assert_eq!(creds.access_key_id(), "AKIDUNITTEST");
    }

    /// Region and keys from a named profile in the listed shared files, with and without
    /// instance metadata (the two code paths of `build`).
    #[tokio::test]
    async fn profile_from_shared_files() {
        let env_overrides = [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_PROFILE",
        ];
        if env_overrides.iter().any(|v| std::env::var_os(v).is_some()) {
            eprintln!("skipped: the environment sets AWS_* variables that take precedence");
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("config");
        let creds = dir.path().join("credentials");
        std::fs::write(&conf, "[profile unit]\nregion = eu-north-1\n").expect("write config");
        std::fs::write(
            &creds,
            "[unit]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n",
        )
        .expect("write credentials");
        for skip_imds in [true, false] {
            let cfg = config(|c| {
                c.region = None;
                c.static_keys = None;
                c.profile = Some("unit".into());
                c.shared_config_files = vec![conf.display().to_string()];
                c.shared_credentials_files = vec![creds.display().to_string()];
                c.skip_metadata_api_check = skip_imds;
            });
            let sdk = build(&cfg, &mut Diagnostics::new()).await.expect("builds");
            assert_eq!(
                sdk.region, "eu-north-1",
                "skip_metadata_api_check = {skip_imds}"
            );
            let provider = sdk
                .config
                .credentials_provider()
                .expect("a credentials provider");
            let found =
                aws_credential_types::provider::ProvideCredentials::provide_credentials(&provider)
                    .await
                    .expect("profile credentials");
            assert_eq!(found.access_key_id(), "AKIDPROFILE");
        }
    }

    #[tokio::test]
    async fn fips_dual_stack_and_imds_settings_reach_the_sdk() {
        let cfg = config(|c| {
            c.use_fips_endpoint = true;
            c.use_dualstack_endpoint = true;
            c.ec2_metadata_service_endpoint = Some("http://[fd00:ec2::254]".into());
            c.ec2_metadata_service_endpoint_mode = Some(ImdsMode::IPv6);
        });
        let sdk = build(&cfg, &mut Diagnostics::new()).await.expect("builds");
        assert_eq!(sdk.config.use_fips(), Some(true));
        assert_eq!(sdk.config.use_dual_stack(), Some(true));
        let bad = config(|c| c.ec2_metadata_service_endpoint = Some("http://bad host".into()));
        let e = build_err(&bad).await;
        assert_eq!(
            e.path,
            Some(AttributePath::root("ec2_metadata_service_endpoint"))
        );
    }

    /// Without other credentials the chain ends at IMDS, and that is the configured address.
    #[tokio::test]
    async fn credentials_come_from_the_configured_imds_endpoint() {
        let credential_env = [
            "AWS_ACCESS_KEY_ID",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ];
        if credential_env.iter().any(|v| std::env::var_os(v).is_some()) {
            eprintln!("skipped: the environment provides credentials before IMDS");
            return;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let seen = std::thread::spawn(move || {
            use std::io::{Read, Write};
            // Polled, so a provider that never calls IMDS fails the test instead of hanging it.
            let mut accepted = None;
            for _ in 0..200 {
                match listener.accept() {
                    Ok(a) => {
                        accepted = Some(a);
                        break;
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
            let Some((mut s, _)) = accepted else {
                return String::new();
            };
            let _ = s.set_nonblocking(false);
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "").expect("write empty shared file");
        let empty = empty.display().to_string();
        let cfg = config(|c| {
            c.static_keys = None;
            c.shared_config_files = vec![empty.clone()];
            c.shared_credentials_files = vec![empty];
            c.ec2_metadata_service_endpoint = Some(url);
            c.max_retries = Some(0);
        });
        let sdk = build(&cfg, &mut Diagnostics::new()).await.expect("builds");
        let provider = sdk.config.credentials_provider().expect("a chain");
        let outcome =
            aws_credential_types::provider::ProvideCredentials::provide_credentials(&provider)
                .await;
        assert!(outcome.is_err(), "IMDS answered 404, so no credentials");
        let request = seen.join().expect("IMDS server");
        assert!(request.contains("/latest/api/token"), "{request}");
    }

    #[tokio::test]
    async fn insecure_warns_and_refuses_an_https_proxy() {
        let mut diags = Diagnostics::new();
        assert!(build(&config(|c| c.insecure = true), &mut diags)
            .await
            .is_ok());
        assert_eq!(diags.0.len(), 1);
        assert!(!diags.has_errors());
        assert_eq!(diags.0[0].path, Some(AttributePath::root("insecure")));

        let e = build_err(&config(|c| {
            c.insecure = true;
            c.https_proxy = Some("http://127.0.0.1:1".into());
        }))
        .await;
        assert_eq!(e.path, Some(AttributePath::root("insecure")));
    }

    #[tokio::test]
    async fn ca_bundle_must_be_a_readable_pem_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("missing.pem");
        let e = build_err(&config(|c| {
            c.custom_ca_bundle = Some(missing.display().to_string())
        }))
        .await;
        assert_eq!(e.path, Some(AttributePath::root("custom_ca_bundle")));

        let not_pem = dir.path().join("bundle.txt");
        std::fs::write(&not_pem, "hello").expect("write");
        let e = build_err(&config(|c| {
            c.custom_ca_bundle = Some(not_pem.display().to_string())
        }))
        .await;
        assert_eq!(e.summary, "Invalid CA bundle");

        let pem = dir.path().join("bundle.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let cfg = config(|c| c.custom_ca_bundle = Some(pem.display().to_string()));
        assert!(build(&cfg, &mut Diagnostics::new()).await.is_ok());
    }

    #[test]
    fn retries_are_attempts_minus_one() {
        assert_eq!(
            retry_config(25, Some(&RetryMode::Standard)).max_attempts(),
            26
        );
        assert_eq!(
            retry_config(0, Some(&RetryMode::Adaptive)).max_attempts(),
            1
        );
        assert_eq!(
            retry_config(3, Some(&RetryMode::Adaptive)).mode(),
            aws_smithy_types::retry::RetryMode::Adaptive
        );
        assert_eq!(retry_config(u32::MAX, None).max_attempts(), u32::MAX);
    }

    #[test]
    fn max_retries_from_block_then_env_then_default() {
        assert_eq!(max_retries(Some(3), Some("10")), 3);
        assert_eq!(max_retries(None, Some("10")), 9);
        assert_eq!(max_retries(None, Some("0")), 25);
        assert_eq!(max_retries(None, Some("x")), 25);
        assert_eq!(max_retries(None, None), 25);
    }

    #[test]
    fn home_is_expanded() {
        let home = std::env::var("HOME").unwrap_or_default();
        if !home.is_empty() {
            assert_eq!(
                expand_home("~/.aws/config"),
                format!("{}/.aws/config", home.trim_end_matches('/'))
            );
        }
        assert_eq!(expand_home("/etc/aws"), "/etc/aws");
        assert_eq!(expand_home("~user/x"), "~user/x");
    }
}
