//! URL rules of the configuration: which URLs are accepted, which count as
//! loopback (where plain http is allowed), and how a URL is shown in a
//! message (credentials and query values masked, length capped).

/// Longest piece of a caller's input quoted in a message.
pub(crate) const MAX_QUOTED: usize = 200;

/// A parsed `http(s)` URL: whether it is plain http and whether its host is loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UrlFacts {
    pub(crate) plain_http: bool,
    pub(crate) loopback: bool,
}

/// Checks that `value` is an `http` or `https` URL with a host. The scheme is
/// compared case-insensitively (`HTTP://` is plain http too).
pub(crate) fn parse_url(value: &str) -> Result<UrlFacts, String> {
    let shown = display_url(value);
    let uri: ureq::http::Uri = value
        .parse()
        .map_err(|_| format!("{shown} is not a valid URL"))?;
    let plain_http = match uri.scheme_str() {
        Some(scheme) if scheme.eq_ignore_ascii_case("http") => true,
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => false,
        _ => return Err(format!("{shown} is not an http or https URL")),
    };
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| format!("{shown} has no host"))?;
    Ok(UrlFacts {
        plain_http,
        loopback: is_loopback_host(host),
    })
}

/// The rule for every endpoint, configured or found by discovery: an `http(s)`
/// URL, and plain http only to a loopback host unless `allow_insecure_http`.
/// `name` (an option key or a metadata member) is what the message names.
pub(crate) fn check_endpoint(
    name: &str,
    url: &str,
    allow_insecure_http: bool,
) -> Result<(), String> {
    let facts = parse_url(url).map_err(|why| format!("{name}: {why}"))?;
    if facts.plain_http && !facts.loopback && !allow_insecure_http {
        return Err(format!(
            "{name} uses plain http to a host that is not loopback; use https, or set \
             allow_insecure_http=true to send credentials in clear text"
        ));
    }
    Ok(())
}

/// `localhost` or a loopback IP literal (brackets allowed).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// `url` as it may appear in a message or log line: user info and query
/// values replaced by `***`, quoted, at most [`MAX_QUOTED`] characters.
pub(crate) fn display_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut shown = String::with_capacity(url.len().min(MAX_QUOTED) + 8);
    match before_query.split_once("://") {
        Some((scheme, rest)) => {
            shown.push_str(scheme);
            shown.push_str("://");
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((_, host)) => {
                    shown.push_str("***@");
                    shown.push_str(host);
                }
                None => shown.push_str(authority),
            }
            shown.push_str(path);
        }
        None => shown.push_str(before_query),
    }
    if let Some(query) = query {
        shown.push('?');
        for (index, pair) in query.split('&').enumerate() {
            if index > 0 {
                shown.push('&');
            }
            match pair.split_once('=') {
                Some((name, _)) => {
                    shown.push_str(name);
                    shown.push_str("=***");
                }
                None => shown.push_str(pair),
            }
        }
    }
    quote_input(&shown)
}

/// A caller's input for a message: quoted, control characters escaped, at
/// most [`MAX_QUOTED`] characters followed by `...`.
pub(crate) fn quote_input(text: &str) -> String {
    let mut quoted: String = text.chars().take(MAX_QUOTED).collect();
    if text.chars().nth(MAX_QUOTED).is_some() {
        quoted.push_str("...");
    }
    format!("{quoted:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_case_insensitive() {
        let facts = parse_url("HTTP://auth.example.com/token").unwrap();
        assert!(facts.plain_http && !facts.loopback);
        assert!(!parse_url("HttpS://x.example/t").unwrap().plain_http);
        assert!(parse_url("http://[::1]:8080/t").unwrap().loopback);
        assert!(parse_url("http://LOCALHOST/t").unwrap().loopback);
        assert!(parse_url("ftp://x/y").is_err());
        assert!(parse_url("not a url").is_err());
        assert!(parse_url("http:///path").is_err());
    }

    #[test]
    fn shown_urls_hide_credentials_and_query_values() {
        let shown = display_url("socks5://user:PASSWORD@proxy.example:1080/x?api_key=KEY&b=2&flag");
        assert!(!shown.contains("PASSWORD") && !shown.contains("user") && !shown.contains("KEY"));
        assert!(shown.contains("proxy.example:1080/x") && shown.contains("api_key=***"));
        assert!(shown.contains("flag"));
        let long = format!("https://example.com/{}", "a".repeat(10_000));
        assert!(display_url(&long).len() < MAX_QUOTED + 10);
    }
}
