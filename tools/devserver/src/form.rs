//! OAuth form requests: the body rules every OAuth endpoint shares, and its error replies.
//!
//! Errors follow RFC 6749 section 5.2: `{"error", "error_description"}`.

use crate::http::{RecordedRequest, Reply};

/// Parameters that may be repeated: RFC 8707 (`resource`) and RFC 8693 (`audience`).
const REPEATABLE: [&str; 2] = ["resource", "audience"];

/// Requires a form body in which no parameter but `resource` and `audience`
/// is repeated (RFC 6749 section 3.2).
pub(crate) fn check_form(request: &RecordedRequest) -> Result<(), Reply> {
    if !request.has_content_type("application/x-www-form-urlencoded") {
        return Err(invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    for (i, (name, _)) in request.form.iter().enumerate() {
        let repeated = request.form[..i].iter().any(|(earlier, _)| earlier == name);
        if repeated && !REPEATABLE.contains(&name.as_str()) {
            return Err(invalid_request(&format!("parameter {name} is repeated")));
        }
    }
    Ok(())
}

/// A non-empty form parameter.
pub(crate) fn param<'a>(request: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    request.form_value(name).filter(|value| !value.is_empty())
}

/// Every non-empty value of a (repeatable) parameter, in order.
pub(crate) fn params<'a>(request: &'a RecordedRequest, name: &str) -> Vec<&'a str> {
    request
        .form
        .iter()
        .filter(|(n, value)| n == name && !value.is_empty())
        .map(|(_, value)| value.as_str())
        .collect()
}

/// A non-empty form parameter, else 400 `invalid_request` naming it.
pub(crate) fn required<'a>(request: &'a RecordedRequest, name: &str) -> Result<&'a str, Reply> {
    param(request, name).ok_or_else(|| invalid_request(&format!("missing {name}")))
}

/// 400 `invalid_request`.
pub(crate) fn invalid_request(description: &str) -> Reply {
    Reply::error(400, "invalid_request", description)
}

/// 400 `invalid_grant`.
pub(crate) fn invalid_grant(description: &str) -> Reply {
    Reply::error(400, "invalid_grant", description)
}

/// 400 `unsupported_grant_type`.
pub(crate) fn unsupported_grant_type(description: &str) -> Reply {
    Reply::error(400, "unsupported_grant_type", description)
}

/// 401 `invalid_client` with a `WWW-Authenticate` challenge.
pub(crate) fn invalid_client(description: &str) -> Reply {
    Reply::error(401, "invalid_client", description).with_header(
        "WWW-Authenticate",
        r#"Basic realm="wi-devserver""#.to_owned(),
    )
}
