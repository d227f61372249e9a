//! `wi_load_skill_env`: the Coze skill environment, loaded into the process environment.

use std::ffi::c_char;
use std::time::Duration;

use crate::ffi::boundary::optional_path_arg;
use crate::ffi::boundary::{guard, out_arg, path_arg, slice_arg, string_into_raw};
use crate::ffi::error::{wi_error, wi_status};
use crate::skill_env::{load_skill_env, SkillEnvOptions};

/// Loads the Coze skill environment into the process environment, once per
/// process unless `force` (the Coze SDK's `load_skill_env`).
///
/// The agent directory `.coze/agents/<digits>` is looked for in
/// `source_paths` (the first of the `source_path_count` paths that holds one
/// wins; give the program's own source or executable path), or, when
/// `source_paths` is NULL and `source_path_count` 0, in the current directory
/// and then the running executable's path. Its `config.json` (`patToken`,
/// `skills`) and the ticket file (`ticket_file`, NULL: `/source/ticket.json`,
/// `{"IDENTITY_TICKET": "..."}`) set `agent_id`, `pat_token`, `skill_id`
/// and `identity_ticket`/`IDENTITY_TICKET`; with a matching skill the variables
/// of the skill environment endpoint (`COZE_SKILL_ENV_ENDPOINT`, default
/// `https://www.coze.cn/api/coze_claw/skill/get_skill_envs`) are applied too,
/// except that a `COZE_OUTBOUND_AUTH_PROXY` already set is kept and the CA
/// variables only apply when `COZE_OUTBOUND_AUTH_PROXY_CA_PATH` was not set.
///
/// Best effort: a missing or unusable file, an unreachable endpoint, a non-200
/// answer or a malformed one is `WI_STATUS_OK` with `"loaded": false` and the
/// reason (also logged as a warning). `timeout_ms` bounds connecting and
/// reading the endpoint each; 0 means 10000.
///
/// On success `*out_json` receives a JSON object owned by the caller (free
/// with `wi_free_string`) saying what was done, with names only, never values:
/// `{"loaded": bool, "cached": bool, "attempted": bool, "source_path": str|null, "agent_id":
/// str|null, "skill_id": str|null, "set": [names written], "unset": [names
/// removed], "kept": [names served but already set], "message": str|null}`.
/// `cached` is true when this call did nothing and describes the process's
/// earlier attempt; `attempted` is true once the process has made its attempt
/// (later calls without `force` do nothing), false when loading stopped before
/// that (no agent directory or no usable `config.json`: a later call tries again).
///
/// Errors: `WI_STATUS_SKILL_ENV` when the endpoint answered with an API error
/// code (`BaseResp.StatusCode` not 0); the message ends with `GetSkillEnvs
/// error: ` and the answer's JSON. `WI_STATUS_INVALID_ARGUMENT` when
/// `out_json` is NULL, `source_paths` is NULL with a non-zero count, or one of
/// its paths is NULL. On failure `*out_json` is NULL and `*out_error` (if
/// `out_error` is not NULL) receives a `wi_error`.
///
/// Thread-safe: concurrent callers share one attempt. It writes the process
/// environment (`setenv`), which races with other threads calling `getenv` at
/// that moment: where that matters, call it before starting threads. Programs
/// that keep their own copy of the environment (Go's `os.Getenv`, Python's
/// `os.environ`) must copy the names listed in `set` and `unset` from it.
#[no_mangle]
pub unsafe extern "C" fn wi_load_skill_env(
    source_paths: *const *const c_char,
    source_path_count: usize,
    ticket_file: *const c_char,
    force: bool,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
    out_error: *mut *mut wi_error,
) -> wi_status {
    guard(
        out_error,
        || {
            let slot = out_arg(out_json, "out_json")?;
            let paths = slice_arg(source_paths, source_path_count, "source_paths")?
                .iter()
                .enumerate()
                .map(|(index, path)| path_arg(*path, &format!("source_paths[{index}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let options = SkillEnvOptions {
                source_paths: paths,
                ticket_file: optional_path_arg(ticket_file),
                force,
                timeout: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms.into())),
            };
            *slot = string_into_raw(&load_skill_env(&options)?.to_json());
            Ok(())
        },
        || {},
    )
}
