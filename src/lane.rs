//! Lane headers (`COZE_SERVER_ENV`), added to every request.

/// The lane a client's requests are routed to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Lane(Option<String>);

impl Lane {
    /// `None`, an empty value or `NONE` mean no lane.
    pub fn new(server_env: Option<&str>) -> Self {
        match server_env {
            None | Some("") | Some("NONE") => Lane(None),
            Some(value) => Lane(Some(value.to_owned())),
        }
    }

    /// The lane's name, `None` for no lane.
    pub fn name(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The headers this lane adds, as `(name, value)` pairs.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match &self.0 {
            None => Vec::new(),
            Some(env) if env.starts_with("ppe_") => {
                vec![("x-tt-env", env.clone()), ("x-use-ppe", "1".to_owned())]
            }
            Some(env) => vec![("x-tt-env", env.clone())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_protocol_table() {
        assert!(Lane::new(None).headers().is_empty());
        assert!(Lane::new(Some("NONE")).headers().is_empty());
        assert!(Lane::new(Some("")).headers().is_empty());
        assert_eq!(
            Lane::new(Some("ppe_x")).headers(),
            vec![("x-tt-env", "ppe_x".into()), ("x-use-ppe", "1".into())]
        );
        assert_eq!(
            Lane::new(Some("boe_y")).headers(),
            vec![("x-tt-env", "boe_y".into())]
        );
        assert_eq!(
            Lane::new(Some("lane7")).headers(),
            vec![("x-tt-env", "lane7".into())]
        );
    }
}
