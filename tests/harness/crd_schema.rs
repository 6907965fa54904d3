//! Checks rendered objects against a CustomResourceDefinition's `openAPIV3Schema`, the way the
//! API server's structural-schema validation would before admission: apiVersion and kind, then
//! types, `required`, `properties`, `enum`, bounds, lengths and patterns, with unknown fields
//! refused (a structural schema prunes them silently in a cluster, which hides typos — here they
//! fail the test). CEL rules (`x-kubernetes-validations`) are not evaluated; the renderers'
//! own rules cover them and each test says which ones it relies on.
//!
//! Generic over CRDs: the KEDA and Karpenter fixtures under `tests/fixtures/crds/` load the same
//! way. Errors are strings with a JSON path (`spec.triggers[0].metadata.listLength: …`).

use std::path::Path;

use serde_json::{Map, Value as Json};

/// One served version of a CRD: the group/version/kind objects must carry and its schema.
#[derive(Debug, Clone)]
pub struct CrdVersion {
    pub api_version: String,
    pub kind: String,
    pub schema: Json,
}

/// Reads every served version of the CRD in `path` (YAML, as published upstream).
///
/// # Panics
/// When the file is missing or not a CRD: a broken fixture is a broken test.
pub fn load(path: impl AsRef<Path>) -> Vec<CrdVersion> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let documents = autoscale::render::parse_documents(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    let crd = documents.into_iter().find(|d| d["kind"] == "CustomResourceDefinition").unwrap_or_else(|| panic!("{} holds no CustomResourceDefinition", path.display()));
    let group = crd["spec"]["group"].as_str().unwrap_or_else(|| panic!("{}: no spec.group", path.display()));
    let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_else(|| panic!("{}: no spec.names.kind", path.display()));
    let versions: Vec<CrdVersion> = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["served"] != false)
        .map(|v| CrdVersion {
            api_version: format!("{group}/{}", v["name"].as_str().unwrap_or_default()),
            kind: kind.to_string(),
            schema: v["schema"]["openAPIV3Schema"].clone(),
        })
        .collect();
    assert!(!versions.is_empty(), "{}: no served version", path.display());
    versions
}

/// The problems of `object` against the CRD version its apiVersion names (empty when valid).
pub fn validate(versions: &[CrdVersion], object: &Json) -> Vec<String> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let Some(version) = versions.iter().find(|v| v.api_version == api_version) else {
        let known: Vec<&str> = versions.iter().map(|v| v.api_version.as_str()).collect();
        return vec![format!("apiVersion: {api_version:?} is not served by this CRD (it serves {known:?})")];
    };
    let mut errors = Vec::new();
    if object["kind"] != version.kind.as_str() {
        errors.push(format!("kind: {} is not {:?}", object["kind"], version.kind));
    }
    check(&version.schema, object, "", &mut errors);
    check_metadata(&object["metadata"], &mut errors);
    errors
}

/// Validates every document of `yaml` whose kind this CRD defines; returns how many it checked
/// and the problems, each prefixed with the document's kind and name.
pub fn validate_documents(versions: &[CrdVersion], yaml: &str) -> (usize, Vec<String>) {
    let documents = autoscale::render::parse_documents(yaml).unwrap_or_else(|e| panic!("not YAML: {e}\n{yaml}"));
    let kind = versions.first().map(|v| v.kind.as_str()).unwrap_or_default();
    let mut checked = 0;
    let mut errors = Vec::new();
    for document in documents.iter().filter(|d| d["kind"] == kind) {
        checked += 1;
        let name = document["metadata"]["name"].as_str().unwrap_or("?");
        errors.extend(validate(versions, document).into_iter().map(|e| format!("{kind} {name}: {e}")));
    }
    (checked, errors)
}

/// ObjectMeta is `type: object` without properties in every CRD (the API server checks it); the
/// fields renderers set are checked here for their types.
fn check_metadata(metadata: &Json, errors: &mut Vec<String>) {
    let Some(meta) = metadata.as_object() else {
        return errors.push("metadata: missing".into());
    };
    if meta.get("name").is_none_or(|n| n.as_str().is_none_or(str::is_empty)) {
        errors.push("metadata.name: missing or not a non-empty string".into());
    }
    for key in ["labels", "annotations"] {
        if let Some(map) = meta.get(key)
            && !map.as_object().is_some_and(|m| m.values().all(Json::is_string)) {
                errors.push(format!("metadata.{key}: must map strings to strings"));
            }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Checks `value` at `path` against `schema`, appending problems to `errors`.
fn check(schema: &Json, value: &Json, path: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else { return };
    let shown = if path.is_empty() { "(root)" } else { path };
    if value.is_null() {
        if schema.get("nullable") != Some(&Json::Bool(true)) {
            errors.push(format!("{shown}: null is not allowed"));
        }
        return;
    }
    if schema.get("x-kubernetes-int-or-string") == Some(&Json::Bool(true)) {
        if !matches!(type_name(value), "integer" | "string") {
            errors.push(format!("{shown}: expected an integer or a string, found {}", type_name(value)));
        }
    } else if let Some(any_of) = schema.get("anyOf").and_then(Json::as_array) {
        let fits = any_of.iter().any(|branch| {
            let mut branch_errors = Vec::new();
            check(branch, value, path, &mut branch_errors);
            branch_errors.is_empty()
        });
        if !fits {
            errors.push(format!("{shown}: matches none of the anyOf alternatives"));
        }
    }
    if let Some(expected) = schema.get("type").and_then(Json::as_str) {
        let actual = type_name(value);
        let fits = actual == expected || (expected == "number" && actual == "integer");
        if !fits {
            return errors.push(format!("{shown}: expected {expected}, found {actual} ({value})"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Json::as_array)
        && !allowed.contains(value) {
            errors.push(format!("{shown}: {value} is not one of {}", Json::Array(allowed.clone())));
        }
    check_bounds(schema, value, shown, errors);
    match value {
        Json::Object(object) => check_object(schema, object, path, errors),
        Json::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{path}[{i}]"), errors);
                }
            }
        }
        _ => {}
    }
}

fn check_bounds(schema: &Map<String, Json>, value: &Json, shown: &str, errors: &mut Vec<String>) {
    let number = |key: &str| schema.get(key).and_then(Json::as_f64);
    if let Some(n) = value.as_f64() {
        if let Some(min) = number("minimum")
            && n < min {
                errors.push(format!("{shown}: {value} is below the minimum {min}"));
            }
        if let Some(max) = number("maximum")
            && n > max {
                errors.push(format!("{shown}: {value} is above the maximum {max}"));
            }
        if schema.get("format").and_then(Json::as_str) == Some("int32") && !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n) {
            errors.push(format!("{shown}: {value} does not fit int32"));
        }
    }
    if let Some(text) = value.as_str() {
        let length = text.chars().count() as f64;
        if number("minLength").is_some_and(|min| length < min) {
            errors.push(format!("{shown}: {text:?} is shorter than minLength {}", number("minLength").unwrap_or_default()));
        }
        if number("maxLength").is_some_and(|max| length > max) {
            errors.push(format!("{shown}: {text:?} is longer than maxLength {}", number("maxLength").unwrap_or_default()));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Json::as_str) {
            match regex::Regex::new(pattern) {
                Ok(re) if !re.is_match(text) => errors.push(format!("{shown}: {text:?} does not match the pattern {pattern}")),
                Ok(_) => {}
                Err(e) => errors.push(format!("{shown}: the schema's pattern {pattern} does not compile here: {e}")),
            }
        }
    }
    if let Some(items) = value.as_array() {
        let count = items.len() as f64;
        if number("minItems").is_some_and(|min| count < min) {
            errors.push(format!("{shown}: {} items, fewer than minItems {}", items.len(), number("minItems").unwrap_or_default()));
        }
        if number("maxItems").is_some_and(|max| count > max) {
            errors.push(format!("{shown}: {} items, more than maxItems {}", items.len(), number("maxItems").unwrap_or_default()));
        }
    }
}

fn check_object(schema: &Map<String, Json>, object: &Map<String, Json>, path: &str, errors: &mut Vec<String>) {
    for name in schema.get("required").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str) {
        if !object.contains_key(name) {
            errors.push(format!("{}: required field missing", join(path, name)));
        }
    }
    let properties = schema.get("properties").and_then(Json::as_object);
    let additional = schema.get("additionalProperties");
    let preserve = schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Json::Bool(true));
    for (key, item) in object {
        let at = join(path, key);
        if let Some(property) = properties.and_then(|p| p.get(key)) {
            check(property, item, &at, errors);
        } else if let Some(additional @ Json::Object(_)) = additional {
            check(additional, item, &at, errors);
        } else if additional == Some(&Json::Bool(true)) || preserve {
            // Any field is allowed here.
        } else if properties.is_some() || additional == Some(&Json::Bool(false)) {
            errors.push(format!("{at}: unknown field (the schema has no such property)"));
        }
        // A bare `type: object` (no properties, e.g. metadata) is checked elsewhere.
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn versions() -> Vec<CrdVersion> {
        vec![CrdVersion {
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
            schema: json!({
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer", "format": "int32", "minimum": 1},
                            "mode": {"type": "string", "enum": ["A", "B"]},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "tolerance": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true, "pattern": "^[0-9.]+$"},
                            "items": {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {"name": {"type": "string", "minLength": 1}}}}
                        }
                    }
                }
            }),
        }]
    }

    #[test]
    fn a_valid_object_has_no_errors() {
        let object = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 2, "mode": "A", "labels": {"a": "b"}, "tolerance": "0.1", "items": [{"name": "x"}]}});
        assert_eq!(validate(&versions(), &object), Vec::<String>::new());
    }

    #[test]
    fn each_rule_is_reported_with_its_path() {
        let object = json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": ""}, "spec": {"size": 0, "mode": "C", "labels": {"a": 1}, "tolerance": "x", "items": [{"name": "", "extra": true}], "typo": 1}});
        let errors = validate(&versions(), &object);
        let expected = [
            "kind: ",
            "spec.size: 0 is below the minimum",
            "spec.mode: \"C\" is not one of",
            "spec.labels.a: expected string",
            "spec.tolerance: \"x\" does not match",
            "spec.items[0].name: \"\" is shorter than minLength",
            "spec.items[0].extra: unknown field",
            "spec.typo: unknown field",
            "metadata.name: missing",
        ];
        for prefix in expected {
            assert!(errors.iter().any(|e| e.starts_with(prefix)), "no error starting {prefix:?} in {errors:#?}");
        }
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        let missing = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"items": []}});
        assert_eq!(validate(&versions(), &missing), vec!["spec.size: required field missing".to_string(), "spec.items: 0 items, fewer than minItems 1".to_string()]);
        assert!(validate(&versions(), &json!({"apiVersion": "example.com/v2"}))[0].starts_with("apiVersion: "));
    }
}
