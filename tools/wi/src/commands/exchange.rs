//! `wi exchange`: a general RFC 8693 token exchange at the access-token endpoint.

use workload_identity::{ExchangeParams, SecretString};

use crate::args::{Args, Flag};
use crate::commands::{unexpected, Common};
use crate::failure::Failure;
use crate::input::SecretSource;
use crate::output::{self, Json};

/// The exchange flags as given; tokens are read only once parsing succeeded.
#[derive(Default)]
struct Request {
    subject_token: Option<SecretSource>,
    subject_token_type: Option<String>,
    audience: Option<String>,
    resource: Option<String>,
    scope: Option<String>,
    requested_token_type: Option<String>,
    actor_token: Option<SecretSource>,
    actor_token_type: Option<String>,
    client_auth: Option<String>,
}

impl Request {
    fn take(&mut self, flag: &Flag, args: &mut Args) -> Result<bool, Failure> {
        let name = flag.name.as_str();
        match name {
            "--subject-token" => source(
                &mut self.subject_token,
                name,
                SecretSource::Value(args.value(flag)?),
            )?,
            "--subject-token-file" => source(
                &mut self.subject_token,
                name,
                SecretSource::File(args.value(flag)?),
            )?,
            "--subject-token-stdin" => {
                flag.switch()?;
                source(&mut self.subject_token, name, SecretSource::Stdin)?;
            }
            "--actor-token" => source(
                &mut self.actor_token,
                name,
                SecretSource::Value(args.value(flag)?),
            )?,
            "--actor-token-file" => source(
                &mut self.actor_token,
                name,
                SecretSource::File(args.value(flag)?),
            )?,
            "--subject-token-type" => self.subject_token_type = Some(args.value(flag)?),
            "--audience" => self.audience = Some(args.value(flag)?),
            "--resource" => self.resource = Some(args.value(flag)?),
            "--scope" => self.scope = Some(args.value(flag)?),
            "--requested-token-type" => self.requested_token_type = Some(args.value(flag)?),
            "--actor-token-type" => self.actor_token_type = Some(args.value(flag)?),
            "--client-auth" => self.client_auth = Some(args.value(flag)?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Records where a token comes from; naming two sources for one token is a usage error.
fn source(slot: &mut Option<SecretSource>, flag: &str, given: SecretSource) -> Result<(), Failure> {
    if slot.is_some() {
        return Err(Failure::Usage(format!(
            "{flag}: this token is already given by another flag; use only one"
        )));
    }
    *slot = Some(given);
    Ok(())
}

/// Exchanges the subject token and prints the issued token, or a JSON document
/// with `access_token`, `issued_token_type`, `token_type`, `expires_in` and `scope`.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut common = Common::default();
    let mut request = Request::default();
    common.parse(
        "exchange",
        args,
        |flag, args| request.take(flag, args),
        |value| Err(unexpected("exchange", &value)),
    )?;
    let Some(subject_source) = request.subject_token else {
        return Err(Failure::Usage(
            "missing the subject token: give --subject-token, --subject-token-file or \
             --subject-token-stdin (see `wi exchange --help`)"
                .to_owned(),
        ));
    };
    if request.actor_token.is_some() != request.actor_token_type.is_some() {
        return Err(Failure::Usage(
            "--actor-token (or --actor-token-file) and --actor-token-type go together".to_owned(),
        ));
    }
    if subject_source.is_stdin() && common.connection.reads_stdin() {
        return Err(Failure::Usage(
            "--subject-token-stdin and --client-secret-stdin cannot both read standard input"
                .to_owned(),
        ));
    }
    if let Some(method) = &request.client_auth {
        common
            .connection
            .set("--client-auth", "client_auth", method)?;
    }
    let client = common.connection.client()?;
    let subject_token = read_token(subject_source, "subject token")?;
    let actor_token = request
        .actor_token
        .map(|source| read_token(source, "actor token"))
        .transpose()?;
    let exchanged = client.exchange_token(&ExchangeParams {
        subject_token: subject_token.expose(),
        subject_token_type: request.subject_token_type.as_deref(),
        audience: request.audience.as_deref(),
        resource: request.resource.as_deref(),
        scope: request.scope.as_deref(),
        requested_token_type: request.requested_token_type.as_deref(),
        actor_token: actor_token.as_ref().map(SecretString::expose),
        actor_token_type: request.actor_token_type.as_deref(),
    })?;
    output::emit(|out| {
        if !common.json {
            out.write_all(exchanged.access_token.expose().as_bytes())?;
            return out.write_all(b"\n");
        }
        output::object(
            out,
            &[
                ("access_token", Json::Text(exchanged.access_token.expose())),
                (
                    "issued_token_type",
                    Json::Optional(exchanged.issued_token_type.as_deref()),
                ),
                (
                    "token_type",
                    Json::Optional(exchanged.token_type.as_deref()),
                ),
                ("expires_in", Json::Number(exchanged.expires_in.as_secs())),
                ("scope", Json::Optional(exchanged.scope.as_deref())),
            ],
        )
    })
}

/// Reads a token input: an empty flag value is a usage error, an unreadable
/// or empty file or stdin an I/O failure.
fn read_token(source: SecretSource, what: &str) -> Result<SecretString, Failure> {
    let from_flag = matches!(source, SecretSource::Value(_));
    source.read(what).map_err(|message| {
        if from_flag {
            Failure::Usage(message)
        } else {
            Failure::Io(message)
        }
    })
}
