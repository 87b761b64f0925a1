//! No credential reaches a log: each test configures one credential source with sentinel values,
//! runs the real CLI with `TF_LOG=trace` and `TF_LOG_PATH`, and searches the whole trace log
//! (Terraform's lines and the provider's) plus the CLI's stdout and stderr for every sentinel.
//!
//! Each test also checks that the source was really used (the emulator saw the call the
//! sentinel travels in), so that a test cannot pass because nothing happened.

use crate::support;

use serde_json::Value as Json;
use std::path::Path;
use support::{Run, Tf};

const REGION: &str = "us-east-1";
const ROLE: &str = "arn:aws:iam::123456789012:role/tfacc-log-secrets";

/// Runs `args` with trace logging to a file; returns the run and the log's text.
fn traced(tf: &Tf, args: &[&str], env: &[(&str, &str)]) -> (Run, String) {
    let log = tf.path().join("trace.log");
    let log_path = log.display().to_string();
    let mut all_env = vec![("TF_LOG", "trace"), ("TF_LOG_PATH", log_path.as_str())];
    all_env.extend_from_slice(env);
    let run = tf.run_env(args, &all_env);
    let text = std::fs::read_to_string(&log).expect("Terraform wrote no trace log");
    // Kept for reading after a failure (the working directory goes away with the test).
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("log_secrets");
    let _ = std::fs::create_dir_all(&keep);
    let _ = std::fs::write(
        keep.join(format!("{}-{}.log", tf.access_key, args[0])),
        &text,
    );
    (run, text)
}

fn plan(tf: &Tf, env: &[(&str, &str)]) -> (Run, String) {
    traced(
        tf,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
        env,
    )
}

/// Fails naming every sentinel found, with the lines that hold it.
fn assert_nowhere(sentinels: &[(&str, &str)], run: &Run, log: &str) {
    // The log is a real trace of the provider, not an empty file.
    assert!(
        log.contains("[TRACE] provider.terraform-provider-aws:"),
        "the trace log holds no provider lines:\n{}",
        &log[..log.len().min(4000)]
    );
    let mut found = Vec::new();
    for (what, value) in sentinels {
        assert!(!value.is_empty(), "empty sentinel for {what}");
        for (place, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("log", &log.to_string()),
        ] {
            let lines: Vec<&str> = text.lines().filter(|l| l.contains(value)).take(3).collect();
            if !lines.is_empty() {
                found.push(format!(
                    "{what} ({value}) in {place}:\n  {}",
                    lines.join("\n  ")
                ));
            }
        }
    }
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

/// The credentials moto issued to the session named `session` (AssumeRole or
/// AssumeRoleWithWebIdentity), from the emulator's model dump.
fn issued_credentials(tf: &Tf, session: &str) -> Vec<(&'static str, String)> {
    let mut resp = ureq::get(&format!("{}/moto-api/data.json", tf.emulator))
        .call()
        .expect("moto data");
    // The dump holds every model of the emulator: well over ureq's default 10 MB after a suite.
    let data: Json = resp
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_json()
        .expect("moto data json");
    let roles = data["sts"]["AssumedRole"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let role = roles
        .iter()
        .rfind(|r| r["session_name"] == session)
        .unwrap_or_else(|| panic!("no role session {session} in the emulator: {roles:?}"));
    ["access_key_id", "secret_access_key", "session_token"]
        .iter()
        .map(|k| {
            let v = role[*k].as_str().unwrap_or_default().to_string();
            (*k, v)
        })
        .collect()
}

/// A provider block for the emulator with `extra` inside it and no credentials of its own.
fn provider(tf: &Tf, extra: &str) -> String {
    format!(
        r#"provider "aws" {{
  region = "{REGION}"
  endpoints {{
    ec2 = "{url}"
    sts = "{url}"
  }}
{extra}
}}
"#,
        url = tf.emulator
    )
}

/// A provider block using profile `tfacc` with `settings`, from shared files of this test only.
fn profile_provider(tf: &Tf, settings: &str, extra: &str) -> String {
    let config = write_file(
        tf.path(),
        "aws-config",
        &format!("[profile tfacc]\n{settings}"),
    );
    let credentials = write_file(tf.path(), "aws-credentials", "");
    provider(
        tf,
        &format!(
            r#"  profile                  = "tfacc"
  shared_config_files      = ["{config}"]
  shared_credentials_files = ["{credentials}"]
{extra}"#
        ),
    )
}

fn write(tf: &Tf, provider_block: &str, copy_name: &str) {
    // AMI names are unique per emulator account: reruns against one emulator need new ones.
    let copy_name = &format!("{copy_name}-{}", std::process::id());
    let source = tf.make_source_ami(REGION, &format!("{copy_name}-source"));
    tf.write(&format!(
        "{provider_block}{}",
        support::ami_copy(copy_name, &source, REGION, "")
    ));
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path.display().to_string()
}

#[test]
fn static_keys_and_session_token_stay_out_of_the_log() {
    let tf = Tf::new("log_secrets_static");
    let secret = "SENTINELSECRETKEYstatic0123456789abcdefg";
    let token = "SENTINELSESSIONTOKENstatic+/=0123456789";
    let block = provider(
        &tf,
        &format!(
            "  access_key = \"{}\"\n  secret_key = \"{secret}\"\n  token      = \"{token}\"",
            tf.access_key
        ),
    );
    write(&tf, &block, "tfacc-log-secrets-static");
    // A whole apply and destroy: every EC2 call signs with the keys.
    let (run, log) = traced(
        &tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.text());
    assert!(
        !tf.calls(Some("CopyImage")).is_empty(),
        "no CopyImage signed with the keys"
    );
    let sentinels = [
        ("access_key", tf.access_key.as_str()),
        ("secret_key", secret),
        ("token", token),
    ];
    assert_nowhere(&sentinels, &run, &log);
    let (run, log) = traced(
        &tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.text());
    assert_nowhere(&sentinels, &run, &log);
}

#[test]
fn assume_role_external_id_policy_and_issued_credentials_stay_out_of_the_log() {
    let tf = Tf::new("log_secrets_assume");
    let secret = "SENTINELSECRETKEYassume0123456789abcdefg";
    let external_id = "SENTINEL-EXTERNAL-ID-assume-42";
    let policy_sid = "SENTINELPOLICYSIDassume";
    let session = &format!("tfacc-log-secrets-assume-{}", std::process::id());
    let block = provider(
        &tf,
        &format!(
            r#"  access_key = "{key}"
  secret_key = "{secret}"
  assume_role {{
    role_arn     = "{ROLE}"
    session_name = "{session}"
    external_id  = "{external_id}"
    policy = jsonencode({{
      Version   = "2012-10-17"
      Statement = [{{ Sid = "{policy_sid}", Effect = "Allow", Action = "ec2:*", Resource = "*" }}]
    }})
  }}"#,
            key = tf.access_key
        ),
    );
    write(&tf, &block, "tfacc-log-secrets-assume");
    let (run, log) = plan(&tf, &[]);
    assert_eq!(run.code, 2, "{}", run.text());
    let assumed = tf.calls(Some("AssumeRole"));
    assert!(
        assumed
            .iter()
            .any(|c| support::call_param(c, "ExternalId").as_deref() == Some(external_id)),
        "AssumeRole with the external id was not called: {assumed:?}"
    );
    let issued = issued_credentials(&tf, session);
    let mut sentinels = vec![
        ("access_key", tf.access_key.as_str()),
        ("secret_key", secret),
        ("external_id", external_id),
        ("policy", policy_sid),
    ];
    sentinels.extend(issued.iter().map(|(k, v)| (*k, v.as_str())));
    assert_nowhere(&sentinels, &run, &log);
}

/// Plans with `assume_role_with_web_identity` whose token comes from `token_argument` (the
/// attribute line); `token` and the credentials STS issued must not be logged.
fn assert_web_identity_kept_out(tf: &Tf, token_argument: &str, token: &str) {
    let session = &format!("{}-{}", tf.access_key.to_lowercase(), std::process::id());
    let block = provider(
        tf,
        &format!(
            r#"  assume_role_with_web_identity {{
    role_arn     = "{ROLE}"
    session_name = "{session}"
    {token_argument}
  }}"#
        ),
    );
    write(tf, &block, session);
    let (run, log) = plan(tf, &[]);
    assert_eq!(run.code, 2, "{}", run.text());
    let issued = issued_credentials(tf, session);
    let mut sentinels = vec![("web identity token", token)];
    sentinels.extend(issued.iter().map(|(k, v)| (*k, v.as_str())));
    assert_nowhere(&sentinels, &run, &log);
}

#[test]
fn web_identity_token_inline_stays_out_of_the_log() {
    let tf = Tf::new("log_secrets_web_inline");
    let token = "SENTINEL.WEBIDENTITY.inline-eyJhbGciOiJSUzI1NiJ9";
    assert_web_identity_kept_out(&tf, &format!("web_identity_token = \"{token}\""), token);
}

#[test]
fn web_identity_token_file_stays_out_of_the_log() {
    let tf = Tf::new("log_secrets_web_file");
    let token = "SENTINEL.WEBIDENTITY.file-eyJraWQiOiJ0ZXN0In0";
    let file = write_file(tf.path(), "web-token", &format!("{token}\n"));
    assert_web_identity_kept_out(&tf, &format!("web_identity_token_file = \"{file}\""), token);
}

#[test]
fn credential_process_command_and_output_stay_out_of_the_log() {
    // The process hands out this test's access key id, so the emulator scopes its calls.
    let tf = Tf::new("log_secrets_process");
    let secret = "SENTINELSECRETKEYprocess0123456789abcdef";
    let token = "SENTINELSESSIONTOKENprocess+/=012345678";
    let argument = "SENTINEL-PROCESS-ARGUMENT-77";
    let script = write_file(
        tf.path(),
        "creds.sh",
        &format!(
            "#!/bin/sh\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \
             \"SecretAccessKey\": \"{secret}\", \"SessionToken\": \"{token}\"}}'\n",
            tf.access_key
        ),
    );
    let block = profile_provider(
        &tf,
        &format!("credential_process = sh {script} --password {argument}\n"),
        "",
    );
    write(&tf, &block, "tfacc-log-secrets-process");
    let (run, log) = plan(&tf, &[]);
    assert_eq!(run.code, 2, "{}", run.text());
    assert!(
        !tf.calls(Some("GetCallerIdentity")).is_empty(),
        "the provider did not use the process's credentials"
    );
    let sentinels = [
        ("credential_process argument", argument),
        ("process access key id", tf.access_key.as_str()),
        ("process secret", secret),
        ("process session token", token),
    ];
    assert_nowhere(&sentinels, &run, &log);
}

#[test]
fn sso_cached_token_stays_out_of_the_log() {
    let tf = Tf::new("log_secrets_sso");
    let home = tf.path().join("home");
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).expect("sso cache dir");
    let start_url = "https://tfacc-log-secrets.awsapps.com/start";
    // The SDK names the cache file after the SHA-1 of the start URL.
    let sha1 = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s' '{start_url}' | sha1sum")])
        .output()
        .expect("sha1sum");
    let digest = String::from_utf8_lossy(&sha1.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(digest.len(), 40, "sha1sum output: {sha1:?}");
    let access_token = "SENTINELSSOACCESSTOKEN-aoaAAAAAGc0123456789";
    let expires = "2099-01-01T00:00:00Z";
    write_file(
        &cache,
        &format!("{digest}.json"),
        &format!(
            r#"{{"startUrl": "{start_url}", "region": "{REGION}", "accessToken": "{access_token}", "expiresAt": "{expires}"}}"#
        ),
    );
    let block = profile_provider(
        &tf,
        &format!(
            "sso_start_url = {start_url}\nsso_region = {REGION}\n\
             sso_account_id = 123456789012\nsso_role_name = tfacc-log-secrets\n"
        ),
        "  max_retries = 0",
    );
    write(&tf, &block, "tfacc-log-secrets-sso");
    let home_dir = home.display().to_string();
    // The emulator does not serve the SSO portal: the provider fails to get credentials, after
    // sending the token to the portal endpoint (here the emulator), which is what must not leak.
    let (run, log) = plan(
        &tf,
        &[
            ("HOME", home_dir.as_str()),
            ("AWS_ENDPOINT_URL_SSO", tf.emulator.as_str()),
        ],
    );
    assert_ne!(run.code, 0, "{}", run.text());
    assert!(
        run.text().contains("credentials") || run.text().contains("SSO"),
        "{}",
        run.text()
    );
    assert_nowhere(&[("SSO access token", access_token)], &run, &log);
}
