//! Writing values into a ConnectWise `conditions` string: the one place the workspace quotes a
//! string literal, so a name holding `"` or `\` means itself and nothing more.
//!
//! The grammar (mock-connectwise's `query/conditions.rs` documents it) takes a string as
//! `"…"` or `'…'` in which `\` escapes the next character. [`quote`] therefore escapes
//! exactly `\` and `"` and nothing else; a proptest in mock-connectwise parses `quote(s)` with
//! the mock's own parser and gets `s` back for every string.

/// `s` as a double-quoted string literal of the conditions grammar: `Sync\Role` becomes
/// `"Sync\\Role"`, `say "hi"` becomes `"say \"hi\""`. Percent-encoding for a URL is the
/// caller's business.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `field = "value"`, the equality lookup the provisioner builds.
pub fn equals(field: &str, value: &str) -> String {
    format!("{field}={}", quote(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_backslash_and_double_quote_only() {
        assert_eq!(quote("Sync\\Role"), r#""Sync\\Role""#);
        assert_eq!(quote("say \"hi\""), r#""say \"hi\"""#);
        assert_eq!(quote("it's"), r#""it's""#);
        assert_eq!(quote("Admi\\"), r#""Admi\\""#);
        assert_eq!(quote(""), r#""""#);
        assert_eq!(equals("name", "A\"B"), r#"name="A\"B""#);
    }
}
