//! The help texts: `wi --help`, `wi help COMMAND` and `wi COMMAND --help`.

/// The connection options, shared by every command that talks to the service.
macro_rules! connection_options {
    () => {
        "
Connection options (each overrides its environment variable):
  --client-id ID               COZE_WORKLOAD_IDENTITY_CLIENT_ID
  --client-secret-file PATH    read the client secret from PATH
  --client-secret-stdin        read the client secret from standard input
                               (else COZE_WORKLOAD_IDENTITY_CLIENT_SECRET;
                               trailing line breaks are dropped; there is
                               no --client-secret flag: command lines are
                               visible to other users through ps and /proc)
  --token-endpoint URL         COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT
  --access-token-endpoint URL  COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT
  --outbound-auth-endpoint URL COZE_OUTBOUND_AUTH_ENDPOINT (integration, env)
  --server-env LANE            COZE_SERVER_ENV (NONE or empty: no lane)
  --timeout-ms MS              read timeout per attempt (default 30000)
  --connect-timeout-ms MS      connect timeout (default 5000)
  --max-retries N              retries of transient failures, 0 to 10
                               (default 2)
  --proxy URL                  HTTP(S) proxy (default: from HTTPS_PROXY,
                               HTTP_PROXY, NO_PROXY)
  --ca-bundle PATH             PEM trust anchors used instead of the
                               built-in roots
  --option KEY=VALUE           any library option by its C key (repeatable):
                               deadline_ms, expiry_buffer_s, user_agent,
                               allow_insecure_http, client_auth, ...

Output and logging:
  --json                       print a JSON document instead of plain text
  -v, --verbose                log requests and retries to stderr (never
                               tokens or secrets); WI_LOG=LEVEL also works
  -h, --help                   print this help

Exit codes: 0 ok, 1 other, 2 usage, 3 configuration, 4 token retrieval or
exchange, 5 integration (details in `wi --help`).
"
    };
}

const MAIN: &str = "\
wi: workload-identity tokens and credentials from the command line

Usage: wi [-v] COMMAND [OPTIONS]

Commands:
  token        print this workload's access token
  exchange     exchange a token for another one (RFC 8693 token exchange)
  integration  print the credential of an integration
  env          print the project's environment variables
  devserver    run the local development identity server
  version      print the versions of wi and of the library
  help         print the help of a command (`wi help COMMAND`)

Options:
  -v, --verbose  log requests and retries to stderr (never tokens or secrets)
  -h, --help     print this help; `wi COMMAND --help` prints a command's help
  -V, --version  print the version

Configuration comes from the environment, and flags override it:
  COZE_WORKLOAD_IDENTITY_CLIENT_ID       client id (required)
  COZE_WORKLOAD_IDENTITY_CLIENT_SECRET   client secret (required; or a file or
                                         stdin, never a flag value)
  COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT  ID token URL (required)
  COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT    access token URL (required)
  COZE_OUTBOUND_AUTH_ENDPOINT            base URL for `integration` and `env`
  COZE_SERVER_ENV                        lane (optional)

Output: the result alone on stdout, or a JSON document with --json. Errors
go to stderr as one line, `wi: error: MESSAGE`, with the OAuth error code and
the HTTP status when the server sent them.

Exit codes:
  0  success
  1  other failure: unreadable input file, closed output, internal error
  2  usage error: unknown command or option, missing or malformed value
  3  configuration error: missing or invalid settings (the message names them)
  4  token retrieval or exchange failed (refused, unreachable, bad response)
  5  integration credential or environment variables request failed

Examples:
  wi devserver --port 8700 &          # a local server for trying things out
  export COZE_WORKLOAD_IDENTITY_CLIENT_ID=dev-client
  export COZE_WORKLOAD_IDENTITY_CLIENT_SECRET=dev-secret
  base=http://127.0.0.1:8700
  export COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT=$base/oauth/token
  export COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT=$base/oauth/exchange
  export COZE_OUTBOUND_AUTH_ENDPOINT=$base/outbound
  curl -H \"Authorization: Bearer $(wi token)\" https://api.example.com/
  wi integration github --json
  wi env > .env
";

const TOKEN: &str = concat!(
    "\
wi token: print this workload's access token

Usage: wi token [OPTIONS]

Gets an ID token with the client credentials, exchanges it for the access
token (shared/PROTOCOL.md) and prints the access token on stdout, or
{\"access_token\":\"...\"} with --json.
",
    connection_options!(),
    "
Examples:
  curl -H \"Authorization: Bearer $(wi token)\" https://api.example.com/
  wi token --client-secret-file /run/secrets/wi-client-secret --json
  vault kv get -field=secret kv/wi | wi token --client-secret-stdin
  wi token --server-env ppe_checkout --max-retries 0 -v
"
);

const EXCHANGE: &str = concat!(
    "\
wi exchange: exchange a token for another one (RFC 8693 token exchange)

Usage: wi exchange (--subject-token TOKEN | --subject-token-file PATH |
                    --subject-token-stdin) [EXCHANGE OPTIONS] [OPTIONS]

Sends the subject token to the access-token endpoint and prints the issued
token on stdout, or with --json {\"access_token\", \"issued_token_type\",
\"token_type\", \"expires_in\" (seconds), \"scope\"} (null when not sent).
The result is not cached.

Exchange options:
  --subject-token TOKEN        the token to exchange; a secret too: prefer
                               the file or stdin forms, as command lines are
                               visible to other users
  --subject-token-file PATH    read the subject token from PATH
  --subject-token-stdin        read the subject token from standard input
  --subject-token-type URI     its type (default
                               urn:ietf:params:oauth:token-type:access_token)
  --audience NAME              target service(s)
  --resource URI               target resource
  --scope SCOPE                requested scope (space-separated)
  --requested-token-type URI   the type of token wanted
  --actor-token TOKEN          actor token, for delegation (prefer the file
  --actor-token-file PATH      form); needs --actor-token-type
  --actor-token-type URI       the actor token's type
  --client-auth METHOD         how the client authenticates: client_id
                               (default), client_secret_post or
                               client_secret_basic
",
    connection_options!(),
    "
Examples:
  wi exchange --subject-token-file /run/user.jwt \\
      --subject-token-type urn:ietf:params:oauth:token-type:jwt \\
      --audience billing --scope 'invoices:read' --json
  wi token | wi exchange --subject-token-stdin --audience billing
  wi exchange --subject-token-file user.jwt --actor-token-file svc.jwt \\
      --actor-token-type urn:ietf:params:oauth:token-type:jwt \\
      --client-auth client_secret_basic
"
);

const INTEGRATION: &str = concat!(
    "\
wi integration: print the credential of an integration

Usage: wi integration NAME [OPTIONS]

Asks the outbound-auth API (COZE_OUTBOUND_AUTH_ENDPOINT) for integration
NAME's credential, authenticated with this workload's access token, and
prints it on stdout, or {\"credential\":\"...\"} with --json. An unknown
integration exits with code 5.
",
    connection_options!(),
    "
Examples:
  GITHUB_TOKEN=\"$(wi integration github)\" gh repo list
  wi integration slack --json
"
);

const ENV: &str = concat!(
    "\
wi env: print the project's environment variables

Usage: wi env [OPTIONS]

Asks the outbound-auth API (COZE_OUTBOUND_AUTH_ENDPOINT) for the project's
environment variables and prints one KEY=VALUE line each, in server order
(values as they are: use --json when one may hold a line break), or
{\"vars\":[{\"key\":\"K\",\"value\":\"V\"},...]} with --json.
",
    connection_options!(),
    "
Examples:
  wi env > .env
  wi env --json | jq -r '.vars[] | select(.key == \"DATABASE_URL\") | .value'
"
);

const DEVSERVER: &str = "\
wi devserver: run the local development identity server

Usage: wi devserver [OPTIONS]

Serves the Coze workload-identity protocol and an OAuth 2.0 authorization
server on 127.0.0.1 for tests and trials, until killed. Prints `listening on
http://127.0.0.1:PORT` first, then `METHOD PATH STATUS` per request (never
tokens or secrets). Defaults: client dev-client with secret dev-secret, user
dev-user with password dev-password, integrations github and slack, three
environment variables. Endpoints: /oauth/token, /oauth/exchange, /outbound,
/oauth2/token (client_credentials, password, refresh_token, token exchange),
/oauth2/introspect, /oauth2/revoke, /oauth2/register, /.well-known/...;
control API under /_dev/ (see tools/devserver/README.md).

Options:
  --port N                     port to bind; 0 (default) picks a free one
  --ttl SECS                   token lifetime and expires_in (default 3600)
  --client ID:SECRET           register a client (repeatable; replaces the
                               default dev-client:dev-secret; ID: is public)
  --client-key ID=PATH         register the public key(s) in PATH (JWK, JWK
                               Set or PEM) for ID's private_key_jwt
  --user NAME:PASSWORD         a password-grant user (repeatable; replaces
                               the default dev-user:dev-password)
  --registration-token T       require T as Bearer at /oauth2/register
  --integration NAME=CRED      serve an integration credential (repeatable;
                               replaces the defaults)
  --env KEY=VALUE              serve an environment variable (repeatable, in
                               order; replaces the defaults)
  --port-file PATH             write the bound port to PATH once listening
  --exit-with-parent           exit when the process that started this one exits
  -h, --help                   print this help

Exit codes: 1 cannot listen or write the port file, 2 usage error (or an
unusable key file).

Examples:
  wi devserver --port 8700 &
  wi devserver --port 0 --port-file /tmp/wi.port --ttl 120 \\
      --client my-app:s3cret --integration github=ghp_test
";

const VERSION: &str = "\
wi version: print the versions of wi and of the workload-identity library

Usage: wi version     (or wi --version, wi -V)

Example:
  wi version
";

const HELP: &str = "\
wi help: print the help of a command

Usage: wi help [COMMAND]

Example:
  wi help exchange
";

/// The help of `topic` (`None`: the overview), or `None` for an unknown command.
pub fn text(topic: Option<&str>) -> Option<&'static str> {
    Some(match topic {
        None => MAIN,
        Some("token") => TOKEN,
        Some("exchange") => EXCHANGE,
        Some("integration") => INTEGRATION,
        Some("env") => ENV,
        Some("devserver") => DEVSERVER,
        Some("version") => VERSION,
        Some("help") => HELP,
        Some(_) => return None,
    })
}
