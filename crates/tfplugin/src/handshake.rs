//! go-plugin's launch handshake: environment checks, the listening socket and the one line on
//! stdout that tells Terraform where and how to connect.

use base64::Engine;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

/// Environment variable that proves Terraform (go-plugin) launched the binary.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform sets it to.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The plugin protocol version served.
pub const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's own protocol version, the first field of the handshake line.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// What go-plugin plugins print when started by hand.
pub const NOT_A_PROGRAM_MESSAGE: &str =
    "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically\n";

#[derive(Debug, PartialEq, Eq)]
/// Why the binary cannot serve Terraform.
pub enum HandshakeError {
    /// Not launched by Terraform.
    NoCookie,
    /// Launched by a Terraform that cannot speak protocol 6.
    UnsupportedProtocol(String),
    /// Another go-plugin variable is malformed.
    BadEnvironment(String),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::NoCookie => f.write_str(NOT_A_PROGRAM_MESSAGE),
            HandshakeError::UnsupportedProtocol(offered) => write!(
                f,
                "This provider speaks plugin protocol version {PROTOCOL_VERSION}, but Terraform offered \
                 versions [{offered}]. Use Terraform 1.0 or later."
            ),
            HandshakeError::BadEnvironment(msg) => f.write_str(msg),
        }
    }
}

/// What the environment asks of us.
#[derive(Debug, PartialEq, Eq)]
pub struct Launch {
    /// PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT, when Terraform set them.
    pub port_range: Option<(u16, u16)>,
    /// PEM of the client certificate to pin; None means plain TCP.
    pub client_cert_pem: Option<String>,
}

/// Checks the environment Terraform launched us with.
pub fn check_environment(get: impl Fn(&str) -> Option<String>) -> Result<Launch, HandshakeError> {
    if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NoCookie);
    }
    // go-plugin proceeds with the plugin's default version when the host lists none.
    if let Some(offered) = get("PLUGIN_PROTOCOL_VERSIONS") {
        let six = PROTOCOL_VERSION.to_string();
        if !offered.split(',').any(|v| v.trim() == six) {
            return Err(HandshakeError::UnsupportedProtocol(offered));
        }
    }
    let port = |k: &str| -> Result<Option<u16>, HandshakeError> {
        match get(k).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.trim().parse::<u16>().map(Some).map_err(|_| {
                HandshakeError::BadEnvironment(format!("{k}={s:?} is not a port number"))
            }),
        }
    };
    let port_range = match (port("PLUGIN_MIN_PORT")?, port("PLUGIN_MAX_PORT")?) {
        (None, None) => None,
        (min, max) => {
            let (min, max) = (min.unwrap_or(1024), max.unwrap_or(u16::MAX));
            if min > max {
                return Err(HandshakeError::BadEnvironment(format!(
                    "PLUGIN_MIN_PORT {min} is above PLUGIN_MAX_PORT {max}"
                )));
            }
            Some((min, max))
        }
    };
    let client_cert_pem = get("PLUGIN_CLIENT_CERT").filter(|s| !s.trim().is_empty());
    Ok(Launch {
        port_range,
        client_cert_pem,
    })
}

/// Binds 127.0.0.1 on the first free port of the range (any port without one).
pub fn bind(port_range: Option<(u16, u16)>) -> Result<TcpListener, String> {
    let Some((min, max)) = port_range else {
        return TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"));
    };
    for port in min..=max {
        if let Ok(l) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            return Ok(l);
        }
    }
    Err(format!("no free port between {min} and {max} on 127.0.0.1"))
}

/// `1|6|tcp|127.0.0.1:PORT|grpc|<base64 of the server certificate DER, no padding>`; the last
/// field is empty when serving without TLS.
pub fn line(addr: SocketAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|d| base64::engine::general_purpose::STANDARD_NO_PAD.encode(d))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn needs_the_cookie() {
        assert_eq!(check_environment(env(&[])), Err(HandshakeError::NoCookie));
        assert_eq!(
            check_environment(env(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(HandshakeError::NoCookie)
        );
        assert!(HandshakeError::NoCookie
            .to_string()
            .starts_with("This binary is a plugin."));
    }

    #[test]
    fn needs_protocol_six() {
        let r = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ]));
        assert!(matches!(r, Err(HandshakeError::UnsupportedProtocol(_))));
        let r = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
        ]));
        assert_eq!(
            r,
            Ok(Launch {
                port_range: None,
                client_cert_pem: None
            })
        );
    }

    #[test]
    fn ports_and_cert() {
        let r = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
            ("PLUGIN_CLIENT_CERT", "PEM"),
        ]))
        .unwrap();
        assert_eq!(r.port_range, Some((10000, 25000)));
        assert_eq!(r.client_cert_pem.as_deref(), Some("PEM"));
        let bad = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "x"),
        ]));
        assert!(matches!(bad, Err(HandshakeError::BadEnvironment(_))));
    }

    #[test]
    fn binds_within_range() {
        let first = bind(None).unwrap();
        let port = first.local_addr().unwrap().port();
        // The taken port is skipped.
        let l = bind(Some((port, port.saturating_add(50)))).unwrap();
        let got = l.local_addr().unwrap().port();
        assert!(got > port && got <= port.saturating_add(50));
        assert!(bind(Some((port, port))).is_err());
    }

    #[test]
    fn line_format() {
        let addr: SocketAddr = "127.0.0.1:1234".parse().unwrap();
        assert_eq!(
            line(addr, Some(&[0xff, 0xee])),
            "1|6|tcp|127.0.0.1:1234|grpc|/+4"
        );
        assert_eq!(line(addr, None), "1|6|tcp|127.0.0.1:1234|grpc|");
    }
}
