//! What the manifest resources share at the IO edge (used by `manifest.rs`): template overrides read from the
//! provider's `templates_dir`, the optional `output_path` file (written atomically, read back for
//! drift, removed on delete), the computed attributes set on a planned value, and rendering
//! errors turned into diagnostics at attribute paths.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use tfplugin::provider::Context;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::aws::Configured;
use crate::render::{Overrides, RenderError, TemplateName, sha256_hex};

/// Errors at the file edge.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("reading template override {path}")]
    ReadTemplate { path: PathBuf, source: std::io::Error },
    #[error("writing manifest file {path}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("reading manifest file {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("removing manifest file {path}")]
    Remove { path: PathBuf, source: std::io::Error },
}

impl FileError {
    /// A diagnostic whose summary is the message and detail the OS error.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut diag = Diagnostic::from_error(self);
        if matches!(self, FileError::Write { .. } | FileError::Read { .. } | FileError::Remove { .. }) {
            diag = diag.at(AttributePath::root("output_path"));
        }
        diag
    }
}

/// The provider's `templates_dir`, when the provider is configured and sets one. Without a
/// configured provider (as in `terraform validate`) the built-in templates are used.
pub fn templates_dir(ctx: &Context) -> Option<PathBuf> {
    ctx.provider_data::<Configured>().ok().and_then(|configured| configured.templates_dir.clone())
}

/// Reads the overrides of `names` that exist in `dir`.
///
/// # Errors
/// When a template file exists but cannot be read.
pub fn load_overrides(dir: Option<&Path>, names: &[TemplateName]) -> Result<Overrides, FileError> {
    let mut overrides = Overrides::none();
    let Some(dir) = dir else { return Ok(overrides) };
    for name in names {
        let path = dir.join(name.file_name());
        match std::fs::read_to_string(&path) {
            Ok(source) => overrides.insert(*name, source),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(source) => return Err(FileError::ReadTemplate { path, source }),
        }
    }
    Ok(overrides)
}

/// The overrides for `names` from the provider's `templates_dir`, as diagnostics on failure.
///
/// # Errors
/// A diagnostic when an override exists but cannot be read.
pub fn overrides_for(ctx: &Context, names: &[TemplateName]) -> Result<Overrides, Diagnostics> {
    load_overrides(templates_dir(ctx).as_deref(), names).map_err(|e| Diagnostics::from(e.diagnostic()))
}

/// Writes `content` to `path` atomically (a temporary file in the same directory, then a
/// rename), creating missing parent directories.
///
/// # Errors
/// When the directory or file cannot be written.
pub fn write_file(path: &Path, content: &str) -> Result<(), FileError> {
    let err = |source| FileError::Write { path: path.to_path_buf(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    std::fs::write(&temp, content).map_err(err)?;
    std::fs::rename(&temp, path).map_err(|source| {
        let _ = std::fs::remove_file(&temp);
        err(source)
    })
}

/// The SHA-256 of the file at `path`, or `None` when it does not exist.
///
/// # Errors
/// When the file exists but cannot be read.
pub fn file_sha256(path: &Path) -> Result<Option<String>, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(sha256_hex(bytes))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError::Read { path: path.to_path_buf(), source }),
    }
}

/// Removes the file; a missing file is fine.
///
/// # Errors
/// When the file exists but cannot be removed.
pub fn remove_file(path: &Path) -> Result<(), FileError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Remove { path: path.to_path_buf(), source }),
    }
}

/// Sets attribute `name` of an object value.
pub fn set(value: &mut Value, name: &str, new: Value) {
    if let Value::Object(fields) = value {
        fields.insert(name.to_string(), new);
    }
}

/// Sets the outputs a multi-document kind shares: `id` (`namespace/name`), `yaml`, `documents`
/// and `sha256`.
pub fn set_documents(state: &mut Value, id: String, yaml: &str, documents: &[String], sha256: &str) {
    set(state, "id", Value::from(id));
    set(state, "yaml", Value::from(yaml));
    set(state, "documents", Value::list(documents.iter().map(|d| Value::from(d.as_str()))));
    set(state, "sha256", Value::from(sha256));
}

/// A string attribute of an object value, when known and set.
pub fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

/// Writes the manifest to `output_path` (when set) and fills `output_file_sha256` in `state`.
///
/// # Errors
/// A diagnostic at `output_path` when the file cannot be written.
pub fn write_output(state: &mut Value, yaml: &str) -> Result<(), Diagnostic> {
    match text(state, "output_path").map(PathBuf::from) {
        Some(path) => {
            write_file(&path, yaml).map_err(|e| e.diagnostic())?;
            set(state, "output_file_sha256", Value::from(sha256_hex(yaml)));
        }
        None => set(state, "output_file_sha256", Value::Null),
    }
    Ok(())
}

/// Refreshes `output_file_sha256` from the file on disk: a file edited or deleted out of band
/// shows as a difference from `sha256` in the next plan, and apply writes it again.
///
/// # Errors
/// A diagnostic when the file exists but cannot be read.
pub fn refresh_output(state: &mut Value) -> Result<(), Diagnostic> {
    let found = match text(state, "output_path") {
        Some(path) => file_sha256(Path::new(path)).map_err(|e| e.diagnostic())?,
        None => None,
    };
    set(state, "output_file_sha256", found.map_or(Value::Null, Value::from));
    Ok(())
}

/// The planned `output_file_sha256`: the manifest's SHA-256 when a file is to be written.
pub fn planned_output_sha(planned: &Value, sha256: &Value) -> Value {
    match planned.get("output_path") {
        Some(Value::Unknown) => Value::Unknown,
        Some(Value::String(_)) => sha256.clone(),
        _ => Value::Null,
    }
}

/// Removes the file written for `prior` if `planned` writes elsewhere (or nowhere).
///
/// # Errors
/// A diagnostic when the old file cannot be removed.
pub fn remove_moved_output(prior: &Value, planned: &Value) -> Result<(), Diagnostic> {
    match (text(prior, "output_path"), text(planned, "output_path")) {
        (Some(old), new) if Some(old) != new => remove_file(Path::new(old)).map_err(|e| e.diagnostic()),
        _ => Ok(()),
    }
}

/// Rendering errors as diagnostics: each broken rule at its attribute path.
pub fn render_diagnostics(err: &RenderError, what: &str) -> Diagnostics {
    match err {
        RenderError::Invalid(violations) => {
            Diagnostics(violations.iter().map(|v| Diagnostic::error(format!("Invalid {what}"), v.message.clone()).at(v.path.clone())).collect())
        }
        RenderError::Template(e) => Diagnostic::error(format!("Cannot render the {what}"), format!("{e}. Check the template in the provider's templates_dir.")).into(),
        RenderError::Output { .. } => Diagnostic::error(format!("The rendered {what} is invalid"), format!("{err}. Check the template in the provider's templates_dir.")).into(),
    }
}

/// Rule violations as diagnostics for `validate`, leaving out those at attributes whose schema
/// validators already reject the value (Terraform would show both). The schema is only built
/// when there is a violation to compare: validate runs once per resource instance.
pub fn violation_diagnostics(schema: fn() -> tfplugin::schema::Schema, config: &Value, violations: Vec<crate::render::Violation>, summary: &str) -> Diagnostics {
    if violations.is_empty() {
        return Diagnostics::new();
    }
    let schema = schema();
    let mut schema_diags = Diagnostics::new();
    tfplugin::schema::validate_config(&schema.block, config, &AttributePath::empty(), &mut schema_diags);
    let covered: Vec<AttributePath> = schema_diags.iter().filter_map(|d| d.path.clone()).collect();
    Diagnostics(violations.into_iter().filter(|v| !covered.contains(&v.path)).map(|v| Diagnostic::error(summary, v.message).at(v.path)).collect())
}

/// Whether every attribute except `except` (and the computed outputs) is known.
pub fn inputs_known(config: &Value, except: &[&str]) -> bool {
    match config {
        Value::Object(fields) => fields.iter().filter(|(k, _)| !except.contains(&k.as_str())).all(|(_, v)| v.is_wholly_known()),
        other => other.is_wholly_known(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_reads_and_removes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("nested/out.yaml");
        write_file(&path, "a: 1\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file_sha256(&path).ok().flatten(), Some(sha256_hex("a: 1\n")));
        remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file_sha256(&path).ok().flatten(), None);
        remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_dir(path.parent().unwrap_or(dir.path())).map(|d| d.count()).unwrap_or(9), 0, "no temp file left");
    }

    #[test]
    fn overrides_only_for_existing_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("hpa.yaml.hbs"), "x").unwrap_or_else(|e| panic!("{e}"));
        let overrides = load_overrides(Some(dir.path()), &TemplateName::ALL).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(overrides.get(TemplateName::Hpa), Some("x"));
        assert_eq!(overrides.get(TemplateName::ClusterAutoscaler), None);
    }
}
