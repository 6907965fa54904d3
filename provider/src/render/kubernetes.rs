//! Kubernetes syntax rules shared by the manifests (apimachinery's validation): DNS-1123 names,
//! label and annotation keys and values, resource quantities, Go durations.

use std::collections::BTreeMap;

use tfplugin::AttributePath;

use super::Violation;

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A DNS-1123 label: at most 63 lowercase letters, digits and `-`, starting and ending
/// alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| is_lower_alnum(c) || c == '-')
        && s.starts_with(is_lower_alnum)
        && s.ends_with(is_lower_alnum)
}

/// A DNS-1123 subdomain: at most 253 characters of dot-separated labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| !part.is_empty() && part.chars().all(|c| is_lower_alnum(c) || c == '-') && part.starts_with(is_lower_alnum) && part.ends_with(is_lower_alnum))
}

/// The name part of a qualified name or a label value: at most 63 of `[A-Za-z0-9-_.]`,
/// starting and ending alphanumeric.
fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS-1123 subdomain.
pub fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

/// A label value: empty, or a qualified name part.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// Checks a name (`metadata.name`, a DNS-1123 subdomain).
pub fn check_name(name: &str, path: AttributePath, out: &mut Vec<Violation>) {
    if !is_dns1123_subdomain(name) {
        out.push(Violation::new(
            path,
            format!("{name:?} is not a valid Kubernetes name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit."),
        ));
    }
}

/// Checks a namespace (a DNS-1123 label).
pub fn check_namespace(namespace: &str, path: AttributePath, out: &mut Vec<Violation>) {
    if !is_dns1123_label(namespace) {
        out.push(Violation::new(
            path,
            format!("{namespace:?} is not a valid namespace: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit."),
        ));
    }
}

/// Checks label keys and values.
pub fn check_labels(labels: &BTreeMap<String, String>, path: &AttributePath, out: &mut Vec<Violation>) {
    for (key, value) in labels {
        let at = path.clone().key(key.clone());
        if !is_qualified_name(key) {
            out.push(Violation::new(at.clone(), format!("{key:?} is not a valid label key: use an optional DNS subdomain prefix and '/', then at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.")));
        }
        if !is_label_value(value) {
            out.push(Violation::new(at, format!("{value:?} is not a valid label value: use at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or leave it empty).")));
        }
    }
}

/// Checks annotation keys (values are free text, at most 256 KiB in all).
pub fn check_annotations(annotations: &BTreeMap<String, String>, path: &AttributePath, out: &mut Vec<Violation>) {
    let mut total = 0usize;
    for (key, value) in annotations {
        total += key.len() + value.len();
        if !is_qualified_name(key) {
            out.push(Violation::new(path.clone().key(key.clone()), format!("{key:?} is not a valid annotation key: use an optional DNS subdomain prefix and '/', then at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.")));
        }
    }
    if total > 256 * 1024 {
        out.push(Violation::new(path.clone(), format!("annotations total {total} bytes; Kubernetes allows at most 262144.")));
    }
}

/// A resource quantity (`100m`, `1.5Gi`, `2e3`, `100`): a signed decimal number and an optional
/// binary-SI, decimal-SI or exponent suffix. Returns whether it is well-formed and greater than
/// zero.
pub fn quantity_is_positive(s: &str) -> Option<bool> {
    let unsigned = s.strip_prefix('+').unwrap_or(s);
    let (negative, unsigned) = match unsigned.strip_prefix('-') {
        Some(rest) if !s.starts_with('+') => (true, rest),
        _ => (false, unsigned),
    };
    let digits_end = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(digits_end);
    let valid_number = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    let valid_suffix = match suffix {
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        exp if exp.starts_with(['e', 'E']) => {
            let rest = &exp[1..];
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    };
    if !(valid_number && valid_suffix) {
        return None;
    }
    let nonzero = number.chars().any(|c| matches!(c, '1'..='9'));
    Some(nonzero && !negative)
}

/// Checks a quantity that must be positive.
pub fn check_positive_quantity(s: &str, path: AttributePath, out: &mut Vec<Violation>) {
    match quantity_is_positive(s) {
        None => out.push(Violation::new(path, format!("{s:?} is not a Kubernetes quantity: write a number with an optional suffix, such as \"100\", \"500m\" or \"2Gi\"."))),
        Some(false) => out.push(Violation::new(path, format!("{s:?} must be greater than zero."))),
        Some(true) => {}
    }
}

/// A Go duration as flags take it: one or more number+unit pairs (`10m`, `1h30m`, `0s`, `1.5s`).
pub fn is_go_duration(s: &str) -> bool {
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..n];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"].into_iter().filter(|u| rest.starts_with(u)).max_by_key(|u| u.len());
        let Some(unit) = unit else { return false };
        rest = &rest[unit.len()..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns1123() {
        assert!(is_dns1123_subdomain("api-hpa.v2"));
        assert!(!is_dns1123_subdomain("API"));
        assert!(!is_dns1123_subdomain("-a"));
        assert!(!is_dns1123_subdomain(&"a".repeat(254)));
        assert!(is_dns1123_label("kube-system"));
        assert!(!is_dns1123_label("a.b"));
    }

    #[test]
    fn label_syntax() {
        assert!(is_qualified_name("app.kubernetes.io/name"));
        assert!(is_qualified_name("Team_1"));
        assert!(!is_qualified_name("a/b/c"));
        assert!(!is_qualified_name("bad key"));
        assert!(is_label_value(""));
        assert!(!is_label_value("-x"));
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity_is_positive("100"), Some(true));
        assert_eq!(quantity_is_positive("500m"), Some(true));
        assert_eq!(quantity_is_positive("1.5Gi"), Some(true));
        assert_eq!(quantity_is_positive("2e3"), Some(true));
        assert_eq!(quantity_is_positive("0"), Some(false));
        assert_eq!(quantity_is_positive("-1"), Some(false));
        assert_eq!(quantity_is_positive("abc"), None);
        assert_eq!(quantity_is_positive("1Xi"), None);
    }

    #[test]
    fn durations() {
        for ok in ["10m", "0s", "1h30m", "1.5s", "0", "300ms"] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "10", "m", "10 m", "1d"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }
}
