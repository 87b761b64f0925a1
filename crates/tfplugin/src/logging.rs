//! Logs as go-hclog JSON lines on stderr, which go-plugin parses and re-emits in Terraform's
//! log with the right level. The level comes from TF_LOG_PROVIDER, else TF_LOG; with neither
//! set nothing is installed, so `tracing` macros cost next to nothing.
//!
//! Every line passes through [`crate::redact`] first: registered secrets are masked in the
//! message and in every field, and events inside a `redact::sensitive` span or from a quiet
//! module are dropped below WARN.

use serde_json::{Map, Value as Json};
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The level Terraform asked for, if any. Unknown non-empty values mean TRACE, as in Terraform.
pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> Option<Level> {
    let raw = get("TF_LOG_PROVIDER")
        .filter(|s| !s.is_empty())
        .or_else(|| get("TF_LOG").filter(|s| !s.is_empty()))?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "OFF" => None,
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        _ => Some(Level::TRACE),
    }
}

/// Installs the stderr JSON logger when the environment asks for logs.
pub fn init_from_env() {
    if let Some(level) = level_from_env(|k| std::env::var(k).ok()) {
        let subscriber = tracing_subscriber::registry().with(HclogLayer {
            level: LevelFilter::from_level(level),
            write: write_stderr,
        });
        // Fails only if a subscriber is already set (e.g. by a test); keep that one.
        if tracing::subscriber::set_global_default(subscriber).is_ok() {
            crate::redact::activate();
        }
    }
}

/// One write per line so concurrent events do not interleave.
fn write_stderr(line: &str) {
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

struct HclogLayer<W> {
    level: LevelFilter,
    /// Where finished lines go: stderr, or a buffer in tests.
    write: W,
}

/// Crates of the gRPC/TLS transport: their debug and trace events describe every HTTP/2 frame,
/// which drowns the provider's own logs at TF_LOG=TRACE and slows every call.
const TRANSPORT_CRATES: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "tower",
    "tonic",
    "rustls",
    "tokio_rustls",
    "mio",
];

fn is_transport(target: &str) -> bool {
    let root = target.split("::").next().unwrap_or(target);
    TRANSPORT_CRATES.contains(&root)
}

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Fn(&str) + Send + Sync + 'static,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let level = *metadata.level();
        self.level >= level && (level <= Level::INFO || !is_transport(metadata.target()))
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.level)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if withheld(event, &ctx) {
            return;
        }
        let mut line = format_event(event);
        line.push('\n');
        (self.write)(&line);
    }
}

/// Events that may carry secrets nobody registered: below WARN from a quiet module or inside a
/// sensitive span.
fn withheld<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> bool
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let metadata = event.metadata();
    if *metadata.level() <= Level::WARN {
        return false;
    }
    if crate::redact::is_quiet(metadata) {
        return true;
    }
    ctx.event_scope(event).is_some_and(|mut scope| {
        scope.any(|span| crate::redact::is_sensitive_span(span.metadata()))
    })
}

fn format_event(event: &Event<'_>) -> String {
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut obj = Map::new();
    obj.insert("@level".into(), level_name(event.metadata().level()).into());
    obj.insert("@message".into(), fields.message.unwrap_or_default().into());
    obj.insert("@module".into(), "provider".into());
    obj.insert("@timestamp".into(), timestamp().into());
    for (k, v) in fields.extra {
        obj.entry(k).or_insert(v);
    }
    Json::Object(obj).to_string()
}

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        _ => "error",
    }
}

/// hclog's format, `2006-01-02T15:04:05.000000Z07:00`, always in UTC.
fn timestamp() -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&fmt)
        .unwrap_or_default()
}

#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    extra: Map<String, Json>,
}

impl FieldCollector {
    fn put_str(&mut self, field: &Field, text: &str) {
        let clean = crate::redact::scrub(text).into_owned();
        self.put(field, Json::String(clean));
    }

    fn put(&mut self, field: &Field, v: Json) {
        if field.name() == "message" {
            self.message = Some(match v {
                Json::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.extra.insert(field.name().to_string(), v);
        }
    }
}

impl Visit for FieldCollector {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put_str(field, &format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put_str(field, value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn transport_noise_is_recognised() {
        assert!(is_transport("h2::codec::framed_write"));
        assert!(is_transport("hyper"));
        assert!(!is_transport("aws_smithy_runtime::client"));
        assert!(!is_transport("terraform_provider_aws::resources"));
    }

    #[test]
    fn level_selection() {
        assert_eq!(level_from_env(env(&[])), None);
        assert_eq!(level_from_env(env(&[("TF_LOG", "")])), None);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "debug")])),
            Some(Level::DEBUG)
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "JSON")])),
            Some(Level::TRACE)
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "TRACE"), ("TF_LOG_PROVIDER", "WARN")])),
            Some(Level::WARN)
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG_PROVIDER", "ERROR")])),
            Some(Level::ERROR)
        );
        assert_eq!(level_from_env(env(&[("TF_LOG", "off")])), None);
    }

    /// Captures formatted lines instead of writing to stderr.
    struct Capture(Arc<Mutex<Vec<String>>>);
    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            self.0.lock().unwrap().push(format_event(event));
        }
    }

    #[test]
    fn events_are_hclog_json() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sub = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(sub, || {
            tracing::info!(image_id = "ami-1", attempt = 2, "copy started");
        });
        let lines = lines.lock().unwrap();
        let j: Json = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(j["@level"], "info");
        assert_eq!(j["@message"], "copy started");
        assert_eq!(j["@module"], "provider");
        assert_eq!(j["image_id"], "ami-1");
        assert_eq!(j["attempt"], 2);
        let ts = j["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2006-01-02T15:04:05.000000Z".len(), "{ts}");
        assert!(ts.ends_with('Z'));
    }

    /// Runs `f` with the real layer at TRACE writing into a buffer; returns the lines.
    fn logged(f: impl FnOnce()) -> Vec<Json> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let layer = HclogLayer {
            level: LevelFilter::TRACE,
            write: move |l: &str| sink.lock().unwrap().push(l.to_string()),
        };
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
        let lines = lines.lock().unwrap();
        lines
            .iter()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    #[test]
    fn registered_secrets_are_masked_in_messages_and_fields() {
        crate::redact::activate();
        crate::redact::register("AKIDLOGGINGTEST");
        crate::redact::register("{\"Sid\":\"logging-policy\"}");
        let lines = logged(|| {
            tracing::trace!(
                identity = ?("AKIDLOGGINGTEST", Some("{\"Sid\":\"logging-policy\"}")),
                key = "AKIDLOGGINGTEST",
                "signing with AKIDLOGGINGTEST"
            );
        });
        let text = serde_json::to_string(&lines).unwrap();
        assert!(!text.contains("AKIDLOGGINGTEST"), "{text}");
        assert!(!text.contains("logging-policy"), "{text}");
        assert_eq!(lines[0]["key"], "<redacted>");
        assert_eq!(lines[0]["@message"], "signing with <redacted>");
    }

    #[test]
    fn sensitive_spans_keep_only_warnings_and_errors() {
        use tracing::Instrument;
        let lines = logged(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(
                async {
                    tracing::info!("loaded base credentials");
                    tracing::trace!("transmitting request with a bearer token");
                    tracing::warn!("provider failed to provide credentials");
                }
                .instrument(crate::redact::sensitive()),
            );
            tracing::debug!("after the sensitive work");
        });
        let messages: Vec<&str> = lines
            .iter()
            .filter_map(|l| l["@message"].as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "provider failed to provide credentials",
                "after the sensitive work"
            ]
        );
    }

    #[test]
    fn quiet_modules_keep_only_warnings_and_errors() {
        crate::redact::quiet_module("noisy_crate::config");
        let lines = logged(|| {
            tracing::trace!(target: "noisy_crate::config", "overwriting key: was a, now b");
            tracing::debug!(target: "noisy_crate::config::file", "value = x");
            tracing::warn!(target: "noisy_crate::config", "ignored a bad line");
            tracing::debug!(target: "noisy_crate::configuration", "unrelated module");
        });
        let messages: Vec<&str> = lines
            .iter()
            .filter_map(|l| l["@message"].as_str())
            .collect();
        assert_eq!(messages, ["ignored a bad line", "unrelated module"]);
    }
}
