//! Session names: kebab-case, validated with a suggestion when invalid.

/// The rule, as shown to users.
pub const NAME_RULE: &str = "lowercase letters, digits and hyphens, 1-128 characters, starting and ending with a letter or digit";

/// A string that is not a valid session name, with a valid one close to it when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid session name '{name}': use {NAME_RULE}{}", suggestion.as_ref().map(|s| format!(" (try '{s}')")).unwrap_or_default())]
pub struct InvalidName {
    /// The string given.
    pub name: String,
    /// A valid name made from it, if one can be.
    pub suggestion: Option<String>,
}

/// A validated session name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionName(String);

impl SessionName {
    /// Validates `s` against `^[a-z0-9]([a-z0-9-]{0,126}[a-z0-9])?$`.
    pub fn parse(s: &str) -> Result<SessionName, InvalidName> {
        if is_valid(s) {
            Ok(SessionName(s.to_string()))
        } else {
            let suggestion = suggest(s).filter(|x| x != s);
            Err(InvalidName {
                name: s.to_string(),
                suggestion,
            })
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 128
        && ok(&b[0])
        && ok(&b[b.len() - 1])
        && b.iter().all(|c| ok(c) || *c == b'-')
}

/// A valid name close to `s` (`Release 1.4` → `release-1-4`), if one can be made.
pub fn suggest(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_matches('-').chars().take(128).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    is_valid(&trimmed).then_some(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for n in ["a", "0", "checkout-v2", "release-1-4", &"a".repeat(128)] {
            assert!(SessionName::parse(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn invalid_names_with_suggestions() {
        let cases = [
            ("Release 1.4", Some("release-1-4")),
            ("../x", Some("x")),
            ("a/b", Some("a-b")),
            ("has space", Some("has-space")),
            ("UPPER", Some("upper")),
            ("-lead", Some("lead")),
            ("trail-", Some("trail")),
            ("", None),
            ("..", None),
        ];
        for (n, want) in cases {
            match SessionName::parse(n) {
                Err(InvalidName { suggestion, .. }) => {
                    assert_eq!(suggestion.as_deref(), want, "{n}")
                }
                other => panic!("{n}: {other:?}"),
            }
        }
        let long = "a".repeat(200);
        match SessionName::parse(&long) {
            Err(InvalidName { suggestion, .. }) => {
                assert_eq!(suggestion.map(|s| s.len()), Some(128))
            }
            other => panic!("{other:?}"),
        }
    }
}
