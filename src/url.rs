//! The rules of an endpoint or proxy URL: an http(s) URL with a host, its
//! scheme taken from the parsed URL (so `HTTP://` is plain http too), and
//! whether its host is loopback.

use crate::redact;

/// What the library needs to know of a URL. Plain data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// The scheme is `http`, in any case: requests go out in clear text.
    pub(crate) plain_http: bool,
    /// The host is `localhost` or a loopback address: requests stay on this machine.
    pub(crate) loopback: bool,
}

impl HttpUrl {
    /// Parses an http(s) URL with a host; the error says why it is not one
    /// (quoting the URL without its userinfo and query values).
    pub(crate) fn parse(value: &str) -> Result<HttpUrl, String> {
        let shown = || format!("{:?}", redact::url(value));
        let uri: ureq::http::Uri = value
            .parse()
            .map_err(|_| format!("{} is not a valid URL", shown()))?;
        let plain_http = match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => true,
            Some(scheme) if scheme.eq_ignore_ascii_case("https") => false,
            _ => return Err(format!("{} is not an http or https URL", shown())),
        };
        let host = uri
            .host()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| format!("{} has no host", shown()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        Ok(HttpUrl {
            plain_http,
            loopback,
        })
    }
}

/// The rule for every endpoint, configured or found by discovery: an `http(s)`
/// URL, and plain http only to a loopback host unless `allow_insecure_http`.
/// `name` (an option key or a metadata member) is what the message names.
pub(crate) fn check_endpoint(
    name: &str,
    url: &str,
    allow_insecure_http: bool,
) -> Result<(), String> {
    let facts = HttpUrl::parse(url).map_err(|why| format!("{name}: {why}"))?;
    if facts.plain_http && !facts.loopback && !allow_insecure_http {
        return Err(format!(
            "{name} uses plain http to a host that is not loopback; use https, or set \
             allow_insecure_http=true to send credentials in clear text"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_compared_parsed_and_case_insensitively() {
        for url in [
            "http://a.example/x",
            "HTTP://a.example/x",
            "hTtP://a.example",
        ] {
            assert!(HttpUrl::parse(url).unwrap().plain_http, "{url}");
        }
        for url in ["https://a.example/x", "HTTPS://a.example/x"] {
            assert!(!HttpUrl::parse(url).unwrap().plain_http, "{url}");
        }
        for url in [
            "ftp://a.example/x",
            "httpx://a.example",
            "not a url",
            "http:///x",
        ] {
            assert!(HttpUrl::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:1/x",
            "http://127.5.0.1/x",
            "HTTP://LOCALHOST:8/x",
            "http://[::1]:9/x",
        ] {
            assert!(HttpUrl::parse(url).unwrap().loopback, "{url}");
        }
        for url in [
            "http://10.0.0.1/x",
            "http://localhost.example/x",
            "http://[::2]/x",
        ] {
            assert!(!HttpUrl::parse(url).unwrap().loopback, "{url}");
        }
    }
}
