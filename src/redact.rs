//! What the library shows of a URL, of server-supplied text or of a caller's
//! input, in one place: URLs without their userinfo or query values, known
//! secret values masked wherever a server may have echoed them, and any quoted
//! text cut to a few hundred bytes.

use zeroize::Zeroizing;

use crate::protocol::form_encode;

/// What a hidden value is shown as.
pub(crate) const MASK: &str = "***";

/// Secrets shorter than this are not searched for: masking every "ab" of a
/// message would hide the message, not a secret.
const MIN_SECRET_LEN: usize = 4;

/// The shortest start of a secret masked where a quote was cut: shorter ones
/// would mask ordinary text that happens to begin the same way.
const MIN_CUT_PREFIX: usize = 8;

/// Longest piece of outside text (a caller's input, a server's message)
/// quoted in full in an error message; longer text is cut and ends in `...`.
const MAX_QUOTED_BYTES: usize = 256;

/// Form fields whose values are secrets (credentials and tokens).
const SECRET_FORM_FIELDS: [&str; 6] = [
    "client_secret",
    "subject_token",
    "actor_token",
    "refresh_token",
    "password",
    "client_assertion",
];

/// `value` (a URL, or what was meant as one) for display: its userinfo
/// (`user:password@`) and every query value and fragment replaced by [`MASK`],
/// then [`cap`]ped. Works on text that does not parse as a URL too.
pub(crate) fn url(value: &str) -> String {
    let (before_fragment, fragment) = match value.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (value, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (before_fragment, None),
    };
    let authority_start = base.find("://").map_or(0, |index| index + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |index| authority_start + index);
    let mut shown = String::with_capacity(value.len());
    shown.push_str(&base[..authority_start]);
    match base[authority_start..authority_end].rfind('@') {
        Some(at) => {
            shown.push_str(MASK);
            shown.push_str(&base[authority_start + at..]);
        }
        None => shown.push_str(&base[authority_start..]),
    }
    if let Some(query) = query {
        shown.push('?');
        for (index, part) in query.split('&').enumerate() {
            if index > 0 {
                shown.push('&');
            }
            match part.split_once('=') {
                Some((name, _)) => {
                    shown.push_str(name);
                    shown.push('=');
                    shown.push_str(MASK);
                }
                None if part.is_empty() => {}
                None => shown.push_str(MASK),
            }
        }
    }
    if fragment.is_some_and(|fragment| !fragment.is_empty()) {
        shown.push('#');
        shown.push_str(MASK);
    }
    cap(&shown)
}

/// `text` cut to [`MAX_QUOTED_BYTES`] (at a character boundary) and ended
/// with `...` when longer: for quoting a caller's input.
pub(crate) fn cap(text: &str) -> String {
    if text.len() <= MAX_QUOTED_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_QUOTED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Server-supplied text for a message: control characters dropped (messages
/// are one line), then [`cap`]ped.
pub(crate) fn quote(text: &str) -> String {
    let mut kept = String::with_capacity(text.len().min(MAX_QUOTED_BYTES + 4));
    for c in text.chars().filter(|c| !c.is_control()) {
        if kept.len() + c.len_utf8() > MAX_QUOTED_BYTES {
            kept.push_str("...");
            break;
        }
        kept.push(c);
    }
    kept
}

/// The password of a URL's userinfo (`scheme://user:password@host`), if any.
pub(crate) fn url_password(value: &str) -> Option<&str> {
    let authority_start = value.find("://").map_or(0, |index| index + 3);
    let rest = &value[authority_start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    userinfo
        .split_once(':')
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty())
}

/// The values of the secret fields of a form body ([`SECRET_FORM_FIELDS`]),
/// decoded. Wiped on drop.
pub(crate) fn form_secrets(body: &[u8]) -> Vec<Zeroizing<String>> {
    body.split(|&byte| byte == b'&')
        .filter_map(|pair| {
            let split = pair.iter().position(|&byte| byte == b'=')?;
            let name = &pair[..split];
            SECRET_FORM_FIELDS
                .iter()
                .any(|field| field.as_bytes() == name)
                .then(|| form_decode(&pair[split + 1..]))
        })
        .collect()
}

/// `text` with every occurrence of each secret of `secrets`, as it is and as it
/// reads form-encoded (a server echoing the request body), replaced by
/// [`MASK`]; also the start of one (at least [`MIN_CUT_PREFIX`] bytes) that
/// ends where a quote was cut (`...`, see [`quote`]).
pub(crate) fn secrets(text: &str, secrets: &[&str]) -> String {
    let mut forms: Vec<Zeroizing<String>> = Vec::with_capacity(secrets.len() * 2);
    for secret in secrets
        .iter()
        .filter(|secret| secret.len() >= MIN_SECRET_LEN)
    {
        let encoded = form_encode(&[("", secret)]);
        forms.push(Zeroizing::new((*secret).to_owned()));
        // Form-encoded bytes are ASCII; the first is the "=" of the empty name.
        forms.push(Zeroizing::new(
            String::from_utf8_lossy(&encoded[1..]).into_owned(),
        ));
    }
    // Longest first: a secret that holds another is masked whole.
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    // Each step's text may still hold a secret: wiped when replaced.
    let mut masked = Zeroizing::new(text.to_owned());
    for form in &forms {
        if masked.contains(form.as_str()) {
            masked = Zeroizing::new(masked.replace(form.as_str(), MASK));
        }
    }
    let cuts: Vec<usize> = masked.match_indices("...").map(|(cut, _)| cut).collect();
    for cut in cuts.into_iter().rev() {
        let longest = forms
            .iter()
            .filter_map(|form| {
                (MIN_CUT_PREFIX..form.len())
                    .rev()
                    .filter(|length| form.is_char_boundary(*length))
                    .find(|length| masked[..cut].ends_with(&form[..*length]))
            })
            .max();
        if let Some(length) = longest {
            masked.replace_range(cut - length..cut, MASK);
        }
    }
    std::mem::take(&mut *masked)
}

/// Decodes one `application/x-www-form-urlencoded` value into a wiped string,
/// allocated once (no copy is left behind by growth).
fn form_decode(value: &[u8]) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(value.len()));
    let mut index = 0;
    while index < value.len() {
        let hex = |offset: usize| {
            value
                .get(index + offset)
                .and_then(|&digit| char::from(digit).to_digit(16))
        };
        match (value[index], hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                bytes.push((high * 16 + low) as u8);
                index += 3;
            }
            (b'+', _, _) => {
                bytes.push(b' ');
                index += 1;
            }
            (byte, _, _) => {
                bytes.push(byte);
                index += 1;
            }
        }
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let mut decoded = Zeroizing::new(String::with_capacity(text.len()));
            decoded.push_str(text);
            decoded
        }
        Err(_) => Zeroizing::new(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_cut_where_a_quote_ends_is_masked_too() {
        let token = "at_0123456789abcdef";
        assert_eq!(
            secrets(
                "bad token at_0123456789abcdef, twice at_0123456789abcdef",
                &[token]
            ),
            "bad token ***, twice ***"
        );
        assert_eq!(
            secrets("quoted: at_0123456789ab...", &[token]),
            "quoted: ***..."
        );
        assert_eq!(secrets("quoted: at_0...", &[token]), "quoted: at_0...");
        assert_eq!(secrets("nothing here...", &[token]), "nothing here...");
    }

    #[test]
    fn urls_lose_userinfo_query_values_and_fragment() {
        for (value, shown) in [
            (
                "http://user:pw@host:8/x?api_key=k&b=2&flag#frag",
                "http://***@host:8/x?api_key=***&b=***&***#***",
            ),
            (
                "socks5://user:PASSWORD@proxy:1080",
                "socks5://***@proxy:1080",
            ),
            ("user:pass@proxy:3128", "***@proxy:3128"),
            ("https://host/a@b?", "https://host/a@b?"),
            ("not a url", "not a url"),
            ("https://host/path", "https://host/path"),
        ] {
            assert_eq!(url(value), shown, "{value}");
        }
    }

    #[test]
    fn quoted_text_is_capped() {
        assert_eq!(cap("short"), "short");
        let long = "é".repeat(1000);
        let capped = cap(&long);
        assert!(capped.len() <= MAX_QUOTED_BYTES + 3 && capped.ends_with("..."));
        assert_eq!(quote("a\nb\tc"), "abc");
        let quoted = quote(&format!("x\n{long}"));
        assert!(quoted.len() <= MAX_QUOTED_BYTES + 3 && quoted.ends_with("..."));
        assert!(url(&format!("https://h/{long}?a=b")).len() < 300);
    }

    #[test]
    fn url_passwords() {
        assert_eq!(url_password("http://u:p%40ss@h:1/x"), Some("p%40ss"));
        assert_eq!(url_password("http://u@h:1"), None);
        assert_eq!(url_password("http://h/x?a=b@c:d"), None);
    }

    #[test]
    fn secret_form_fields_are_decoded() {
        let body = form_encode(&[
            ("client_id", "id-visible"),
            ("client_secret", "s3cret +/é"),
            ("grant_type", "urn:x:token-exchange"),
            ("subject_token", "tok%"),
        ]);
        let found = form_secrets(&body);
        let found: Vec<&str> = found.iter().map(|value| value.as_str()).collect();
        assert_eq!(found, ["s3cret +/é", "tok%"]);
    }

    #[test]
    fn secrets_are_masked_raw_and_form_encoded() {
        let text = "sent s3cret +/ as s3cret+%2B%2F, token abcdef-long and abcdef; ab stays";
        assert_eq!(
            secrets(text, &["s3cret +/", "abcdef", "abcdef-long", "ab"]),
            "sent *** as ***, token *** and ***; ab stays"
        );
    }
}
