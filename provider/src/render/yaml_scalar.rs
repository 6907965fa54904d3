//! YAML scalars that no input can break: every string a template prints goes through
//! [`scalar`] (or [`block`] for multi-line text), which picks a plain scalar only for a small,
//! provably safe alphabet and otherwise writes a double-quoted scalar whose escapes YAML 1.1
//! (libyaml, PyYAML) and YAML 1.2 parsers read back to exactly the input.
//!
//! Why our own escaping rather than JSON strings: JSON leaves U+0085, U+2028 and U+2029 raw, and
//! YAML 1.1 parsers treat those as line breaks inside quoted scalars (folding them into spaces);
//! it also leaves C1 controls, U+FEFF and U+FFFE/U+FFFF raw, which YAML forbids unescaped.
//!
//! The `{{yaml}}`/`{{yaml_block}}` printing rules live here too, so that both template engines
//! (handlebars helpers in `templates`, the compiled renderer in `compiled`) share them without
//! depending on each other.

use std::fmt::Write as _;

use serde_json::Value as Json;

/// Words YAML 1.1 resolves to booleans or null when written plain (compared case-insensitively).
const RESERVED_WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// Whether `text` may be written as a plain scalar in block context and still read back
/// as the same string: it starts with a letter (or `--` and a letter, for command-line flags),
/// uses only `[A-Za-z0-9_./=:-]`, does not end in `:`, and is not a YAML 1.1 boolean or null word.
fn plain_is_safe(text: &str) -> bool {
    let body = text.strip_prefix("--").unwrap_or(text);
    let Some(first) = body.chars().next() else { return false };
    if !first.is_ascii_alphabetic() || text.ends_with(':') {
        return false;
    }
    if !text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '=' | ':' | '-')) {
        return false;
    }
    // A `:` ends a plain scalar only when a space or the end follows it; spaces are not allowed
    // and a trailing `:` was refused above, so every `:` stays inside the scalar.
    !RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(text))
}

/// Whether YAML allows `c` unescaped inside a double-quoted scalar without a YAML 1.1 parser
/// seeing a line break or a forbidden character.
fn printable_inline(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Appends `text` as a double-quoted YAML scalar.
pub fn push_quoted(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if printable_inline(c) => out.push(c),
            c if (c as u32) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}

/// `text` as a YAML scalar: plain when that is provably safe, double-quoted otherwise.
pub fn scalar(text: &str) -> String {
    if plain_is_safe(text) {
        text.to_string()
    } else {
        let mut out = String::new();
        push_quoted(&mut out, text);
        out
    }
}

/// `text` as the value of a mapping entry, for multi-line text such as an embedded config file:
/// a literal block scalar (`|`, `|-` or `|+`) with every line indented by `indent` spaces, when
/// the text allows it; a double-quoted scalar otherwise (non-printable characters, carriage
/// returns, a first line starting with a space or empty, or lines of only spaces).
pub fn block(text: &str, indent: usize) -> String {
    let literal_ok = !text.is_empty()
        && text.chars().all(|c| c == '\n' || printable_inline(c))
        && !text.starts_with([' ', '\n'])
        && !text.lines().any(|line| !line.is_empty() && line.trim_start_matches(' ').is_empty())
        && !text.contains("\t");
    if !literal_ok {
        return scalar(text);
    }
    let trailing = text.len() - text.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{chomp}");
    let body = if trailing == 1 { &text[..text.len() - 1] } else { text.trim_end_matches('\n') };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    if trailing > 1 {
        for _ in 0..trailing - 1 {
            out.push('\n');
        }
    }
    out
}

/// Appends `value` as YAML in flow style, every string double-quoted (flow indicators such as
/// `,` and `]` then never matter).
fn push_flow(out: &mut String, value: &Json) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => push_quoted(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_flow(out, item);
            }
            out.push(']');
        }
        Json::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_quoted(out, key);
                out.push_str(": ");
                push_flow(out, item);
            }
            out.push('}');
        }
    }
}

/// Appends what `{{yaml value}}` prints.
pub(super) fn push_value(out: &mut String, value: &Json) {
    match value {
        Json::String(s) => out.push_str(&scalar(s)),
        other => push_flow(out, other),
    }
}

/// The indent `{{yaml_block text indent}}` uses for a requested indent.
pub(super) fn block_indent(requested: u64) -> usize {
    usize::try_from(requested).unwrap_or(0).min(64)
}

/// Strings that stress YAML and handlebars, for the property tests of every template.
#[cfg(test)]
pub(crate) mod strategies {
    use proptest::prelude::*;

    /// Fragments known to break naive templating.
    const TRICKY: &[&str] = &[
        "\n", "\r\n", "\"", "'", ": ", "#", " #", "---", "...", "{{", "}}", "{{{x}}}", "<<", ">>", "- ", "? ", "&a", "*a", "!tag", "%", "@", "`",
        "|", ">", "[", "]", "{", "}", ",", "\\", "\t", "yes", "No", "null", "~", "0x1F", "1e3", "010", "\u{85}", "\u{2028}", "\u{2029}", "\u{feff}",
        "\u{1}", "\u{7f}", "é", "🚀", "\u{ffff}", " ", "",
    ];

    /// Arbitrary text: any Unicode, or a mix of the tricky fragments and plain words.
    pub(crate) fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(prop_oneof![proptest::sample::select(TRICKY).prop_map(str::to_string), "[a-zA-Z0-9_./=:-]{0,8}"], 0..6).prop_map(|parts| parts.concat()),
            "[a-zA-Z][a-zA-Z0-9_./=:-]{0,12}",
        ]
    }

    /// A map of arbitrary keys and values, absent or non-empty.
    pub(crate) fn map() -> impl Strategy<Value = Option<std::collections::BTreeMap<String, String>>> {
        proptest::option::of(proptest::collection::btree_map(text(), text(), 1..4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(doc: &str) -> String {
        let value: serde_norway::Value = serde_norway::from_str(doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
        match value {
            serde_norway::Value::Mapping(m) => m.get("k").and_then(|v| v.as_str()).map(str::to_string).unwrap_or_else(|| panic!("not a string: {doc}")),
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn plain_only_for_safe_words() {
        assert_eq!(scalar("kube-system"), "kube-system");
        assert_eq!(scalar("--expander=least-waste"), "--expander=least-waste");
        assert_eq!(scalar("registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.3"), "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.3");
        for risky in ["yes", "No", "ON", "null", "true", "", "1.5", "10", "a: b", "a:", "- x", "---", "#x", "a #b", "{{x}}", "~", "<<", "=", "-x", "-1"] {
            assert!(scalar(risky).starts_with('"'), "{risky:?} should be quoted");
        }
    }

    #[test]
    fn quoted_scalars_read_back_exactly() {
        for text in ["a\nb", "say \"hi\"", "back\\slash", "tab\there", "\u{85}\u{2028}\u{2029}\u{feff}\u{7f}\u{1}", "emoji 🚀", "\u{ffff}", "--- \n...", "k: v # c"] {
            assert_eq!(parse(&format!("k: {}", scalar(text))), text);
        }
    }

    #[test]
    fn blocks_read_back_exactly() {
        for text in ["a: 1\nb: 2\n", "no newline", "two\n\n", "x\n\n  y\n", "three\n\n\n"] {
            let doc = format!("k: {}\n", block(text, 2));
            assert!(doc.starts_with("k: |"), "{doc}");
            assert_eq!(parse(&doc), text, "{doc}");
        }
        for text in [" leading", "\nfirst empty", "cr\r\n", "ctl\u{1}", "   \nx"] {
            let doc = format!("k: {}\n", block(text, 2));
            assert!(doc.starts_with("k: \""), "{doc}");
            assert_eq!(parse(&doc), text);
        }
    }
}
