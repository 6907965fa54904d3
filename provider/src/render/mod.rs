//! Manifest rendering without IO: typed specs are checked against the Kubernetes rules they must
//! obey, turned into template data, rendered by handlebars into YAML (every value escaped so no
//! input can break the document), and summarised as JSON and SHA-256. Output of user templates
//! (`templates_dir`) is parsed back and checked by the same rules.
//!
//! Callers (the manifest resources) read override templates and write files; this module only
//! turns values into text.

pub mod cluster_autoscaler;
mod compiled;
pub mod hpa;
pub mod keda;
pub mod karpenter;
pub mod kubernetes;
pub mod prometheus_adapter;
pub mod queue_exporter;
pub mod templates;
pub mod yaml_scalar;

use sha2::{Digest, Sha256};
use tfplugin::AttributePath;

pub use templates::{Overrides, TemplateError, TemplateName};

/// One broken rule, at the attribute that breaks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: AttributePath,
    /// A sentence saying what is wrong and what is allowed.
    pub message: String,
}

impl Violation {
    pub fn new(path: AttributePath, message: impl Into<String>) -> Self {
        Self { path, message: message.into() }
    }
}

/// What every render result offers the manifest resources' shared lifecycle.
pub trait RenderedManifest {
    /// The whole manifest, as written to `output_path`.
    fn yaml(&self) -> &str;
    /// SHA-256 (hex) of `yaml`.
    fn sha256(&self) -> &str;
}

/// Implements `RenderedManifest` for render results with `yaml` and `sha256` fields.
macro_rules! rendered_manifest {
    ($($rendered:ty),+) => {$(
        impl RenderedManifest for $rendered {
            fn yaml(&self) -> &str {
                &self.yaml
            }
            fn sha256(&self) -> &str {
                &self.sha256
            }
        }
    )+};
}

rendered_manifest!(hpa::Rendered, cluster_autoscaler::Rendered, prometheus_adapter::Rendered, keda::Rendered, queue_exporter::Rendered, karpenter::Rendered);

/// Errors rendering a manifest.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The input breaks Kubernetes rules; nothing was rendered.
    #[error("the manifest would be invalid: {}", summary(.0))]
    Invalid(Vec<Violation>),
    /// The template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The rendered text is not the manifest it should be (only user templates can cause this).
    #[error("the output of template {file} is not a valid manifest: {message}")]
    Output { file: &'static str, message: String },
}

fn summary(violations: &[Violation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.path, v.message)).collect::<Vec<_>>().join("; ")
}

/// Lowercase hex SHA-256 of `bytes` (text or file content).
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(bytes.as_ref());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0xF), 16).unwrap_or('0'));
    }
    out
}

/// Parses every YAML document of `text` into JSON values (for checks and the `json` output).
///
/// # Errors
/// The parser's message when the text is not YAML.
pub fn parse_documents(text: &str) -> Result<Vec<serde_json::Value>, String> {
    use serde::Deserialize as _;
    let mut out = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = serde_json::Value::deserialize(document).map_err(|e| e.to_string())?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn documents_skip_empty_ones() {
        let docs = parse_documents("---\na: 1\n---\n---\nb: x\n").unwrap_or_default();
        assert_eq!(docs, vec![serde_json::json!({"a": 1}), serde_json::json!({"b": "x"})]);
    }
}
