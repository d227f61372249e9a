//! The local side of a skill: the agent directory found in a source path, its
//! `config.json` (`patToken`, `skills`), the skill the source path belongs to,
//! and the identity ticket file.
//!
//! Files that are missing are no error; files that are present but unusable
//! (unreadable, too large, not JSON, not an object, without `patToken`) give a
//! warning naming the file, never its content.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::secret::SecretString;
use crate::skill_env::wire::truthy;

/// Larger `config.json` or ticket files are refused.
pub(crate) const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// An agent directory: `.../.coze/agents/<digits>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AgentDir {
    pub(crate) path: PathBuf,
    pub(crate) agent_id: String,
}

/// The first `.coze/agents/<digits>` in `source`'s components.
pub(crate) fn agent_dir(source: &Path) -> Option<AgentDir> {
    let parts: Vec<Component<'_>> = source.components().collect();
    parts.windows(3).enumerate().find_map(|(index, window)| {
        let [coze, agents, id] = window else {
            return None;
        };
        let id = id.as_os_str().to_str()?;
        let matches = coze.as_os_str() == ".coze"
            && agents.as_os_str() == "agents"
            && !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit());
        matches.then(|| AgentDir {
            path: parts[..index + 3].iter().collect(),
            agent_id: id.to_owned(),
        })
    })
}

/// `path` made absolute with symbolic links resolved as far as it exists (as
/// Python's `Path.resolve()`).
pub(crate) fn resolve(path: &Path) -> PathBuf {
    if let Ok(resolved) = std::fs::canonicalize(path) {
        return resolved;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // Resolve the longest existing ancestor, keep the rest as written.
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    while let Some(name) = existing.file_name().map(ToOwned::to_owned) {
        existing.pop();
        rest.push(name);
        if let Ok(resolved) = std::fs::canonicalize(&existing) {
            return rest
                .iter()
                .rev()
                .fold(resolved, |path, name| path.join(name));
        }
    }
    absolute
}

/// What `config.json` provides.
#[derive(Debug)]
pub(crate) struct AgentConfig {
    pub(crate) pat_token: SecretString,
    pub(crate) skills: Value,
}

/// Why no configuration was read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ConfigProblem {
    /// No `config.json` (nothing to warn about).
    Missing(String),
    /// Present but unusable: a warning naming the file.
    Unusable(String),
}

/// Reads `<agent dir>/config.json`.
pub(crate) fn read_config(agent: &AgentDir) -> Result<AgentConfig, ConfigProblem> {
    let file = agent.path.join("config.json");
    if !file.exists() {
        return Err(ConfigProblem::Missing(format!(
            "no {} for agent {}",
            file.display(),
            agent.agent_id
        )));
    }
    let unusable = |why: String| ConfigProblem::Unusable(format!("{}: {why}", file.display()));
    config_of(read_json(&file).map_err(unusable)?).map_err(|why| unusable(why.into()))
}

/// What the parsed `config.json` provides; `Err` says why it provides nothing.
pub(crate) fn config_of(json: Value) -> Result<AgentConfig, &'static str> {
    let Value::Object(mut config) = json else {
        return Err("not a JSON object");
    };
    let pat_token = match config.remove("patToken") {
        Some(Value::String(token)) if !token.is_empty() => SecretString::new(token),
        _ => return Err("no patToken (a non-empty string)"),
    };
    Ok(AgentConfig {
        pat_token,
        skills: config.remove("skills").unwrap_or(Value::Null),
    })
}

/// The id of the first skill whose normalized `relPath` is contained in the
/// normalized `source` (`skillId`, else `skillID`; a non-empty string).
pub(crate) fn match_skill(skills: &Value, source: &Path) -> Option<String> {
    let source = normalize(&source.to_string_lossy());
    skills.as_array()?.iter().find_map(|skill| {
        let rel_path = skill.get("relPath")?.as_str().filter(|p| !p.is_empty())?;
        if !source.contains(&normalize(rel_path)) {
            return None;
        }
        // Python's `skill.get("skillId") or skill.get("skillID")`.
        let id = match skill.get("skillId") {
            Some(id) if truthy(id) => id,
            _ => skill.get("skillID")?,
        };
        id.as_str().filter(|id| !id.is_empty()).map(str::to_owned)
    })
}

fn normalize(path: &str) -> String {
    path.replace('\\', "/").trim_matches('/').to_owned()
}

/// The `IDENTITY_TICKET` of the ticket file, if it exists and is usable;
/// `Err` is a warning naming the file.
pub(crate) fn read_ticket(file: &Path) -> Result<Option<SecretString>, String> {
    if !file.exists() {
        return Ok(None);
    }
    let json = read_json(file).map_err(|why| {
        format!(
            "Failed to read identity ticket file {}: {why}",
            file.display()
        )
    })?;
    ticket_of(json)
        .map(Some)
        .map_err(|why| format!("Invalid identity ticket file {}: {why}", file.display()))
}

/// The `IDENTITY_TICKET` of the parsed ticket file; `Err` says why there is none.
pub(crate) fn ticket_of(json: Value) -> Result<SecretString, &'static str> {
    let Value::Object(mut object) = json else {
        return Err("expected JSON object");
    };
    match object.remove("IDENTITY_TICKET") {
        Some(Value::String(ticket)) if !ticket.is_empty() => Ok(SecretString::new(ticket)),
        _ => Err("missing IDENTITY_TICKET"),
    }
}

/// A JSON file of at most [`MAX_FILE_BYTES`]; the error says why, never what it holds.
fn read_json(file: &Path) -> Result<Value, String> {
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    let opened = std::fs::File::open(file).map_err(|error| format!("cannot read it: {error}"))?;
    opened
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read it: {error}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {MAX_FILE_BYTES} bytes"));
    }
    // serde_json's messages give a position, never the text.
    serde_json::from_slice(&bytes).map_err(|error| format!("not JSON ({error})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_agent_directory() {
        let found = agent_dir(Path::new("/w/.coze/agents/7001/skills/a/main.py")).unwrap();
        assert_eq!(found.path, Path::new("/w/.coze/agents/7001"));
        assert_eq!(found.agent_id, "7001");
        assert_eq!(
            agent_dir(Path::new("/w/.coze/agents/x/.coze/agents/12"))
                .unwrap()
                .agent_id,
            "12"
        );
        for none in [
            "/w/.coze/agents/abc/x",
            "/w/.coze/agents",
            "/w/coze/agents/1",
            "/w/.coze/agent/1",
            "relative/.coze/agents/1x",
        ] {
            assert_eq!(agent_dir(Path::new(none)), None, "{none}");
        }
    }

    #[test]
    fn matches_skills_like_the_sdk() {
        let skills = json!([
            {"relPath": "", "skillId": "0"},
            "not an object",
            {"relPath": "skills/other", "skillId": "1"},
            {"relPath": "/skills/weather/", "skillId": ""},
            {"relPath": "skills\\weather", "skillID": "42"},
            {"relPath": "skills/weather", "skillId": "43"},
        ]);
        let source = Path::new("/w/.coze/agents/7/skills/weather/main.py");
        assert_eq!(match_skill(&skills, source), Some("42".into()));
        assert_eq!(match_skill(&json!({"relPath": "x"}), source), None);
        assert_eq!(
            match_skill(
                &json!([{"relPath": "skills/weather", "skillId": 5}]),
                source
            ),
            None
        );
        assert_eq!(match_skill(&Value::Null, source), None);
    }

    #[test]
    fn reads_config_and_ticket_files() {
        let dir = std::env::temp_dir().join(format!("wi-agent-test-{}", std::process::id()));
        let agent = AgentDir {
            path: dir.join(".coze/agents/5"),
            agent_id: "5".into(),
        };
        std::fs::create_dir_all(&agent.path).unwrap();
        let config = agent.path.join("config.json");
        assert!(matches!(
            read_config(&agent),
            Err(ConfigProblem::Missing(_))
        ));
        for (content, why) in [
            ("{not json", "not JSON"),
            ("[1, 2]", "not a JSON object"),
            (r#"{"patToken": ""}"#, "no patToken"),
            (r#"{"patToken": 5, "skills": []}"#, "no patToken"),
        ] {
            std::fs::write(&config, content).unwrap();
            match read_config(&agent) {
                Err(ConfigProblem::Unusable(message)) => {
                    assert!(
                        message.contains("config.json") && message.contains(why),
                        "{message}"
                    )
                }
                other => panic!("{content}: {other:?}"),
            }
        }
        std::fs::write(&config, vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(
            matches!(read_config(&agent), Err(ConfigProblem::Unusable(m)) if m.contains("larger"))
        );
        std::fs::write(&config, r#"{"patToken": "pat-secret", "skills": [1]}"#).unwrap();
        let read = read_config(&agent).unwrap();
        assert_eq!(read.pat_token.expose(), "pat-secret");
        assert_eq!(read.skills, json!([1]));

        let ticket = dir.join("ticket.json");
        assert_eq!(read_ticket(&ticket), Ok(None));
        std::fs::write(&ticket, r#"{"IDENTITY_TICKET": "tick"}"#).unwrap();
        assert_eq!(read_ticket(&ticket).unwrap().unwrap().expose(), "tick");
        for content in ["nope", "[]", r#"{"IDENTITY_TICKET": 1}"#] {
            std::fs::write(&ticket, content).unwrap();
            let warning = read_ticket(&ticket).unwrap_err();
            assert!(warning.contains("ticket.json"), "{warning}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn resolves_paths_that_do_not_exist() {
        let resolved = resolve(Path::new("/nonexistent-wi/a/../b"));
        assert!(resolved.is_absolute());
        assert!(resolved.ends_with("b"));
    }
}
