//! `ValueError`, the one error type of the value module, and `Loc`, the allocation-free path used while walking values.

use crate::diag::{AttributePath, Diagnostic, PathStep};

/// What was being done when a [`ValueError`] happened. It picks the first words of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueErrorKind {
    /// Bytes (msgpack or JSON) could not be read as a value of the expected type: malformed data,
    /// a type mismatch, an unsupported attribute, nesting too deep.
    Decode,
    /// A value could not be written with the given type: it does not conform to it, or it holds
    /// something the encoding cannot carry (an unknown value in JSON).
    Encode,
    /// A value does not conform to a type ([`Value::conform`](super::Value::conform)).
    Conform,
    /// A value could not become a typed Rust model ([`from_value`](super::from_value)).
    Deserialize,
    /// A typed Rust model could not become a value ([`to_value`](super::to_value)).
    Serialize,
    /// Type JSON (a schema attribute's `type` bytes) could not be read.
    Type,
    /// Text is not a decimal number ([`Number::parse`](super::Number::parse)).
    Number,
}

impl ValueErrorKind {
    fn doing(self) -> &'static str {
        match self {
            Self::Decode | Self::Deserialize => "decoding value",
            Self::Encode | Self::Serialize => "encoding value",
            Self::Conform => "checking value",
            Self::Type => "decoding type",
            Self::Number => "parsing number",
        }
    }
}

/// Why a value could not be decoded, encoded, checked or converted, and where inside it.
///
/// Displays as `decoding value at scaling.min_size: expected a number, got a string`; the path is
/// left out when the problem is with the whole value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.kind, .path, .message))]
pub struct ValueError {
    /// What was being done.
    pub kind: ValueErrorKind,
    /// Where in the value (relative to the value the operation started from, or to the path the
    /// caller gave).
    pub path: AttributePath,
    /// A human sentence saying what is wrong, without the path.
    pub message: String,
}

fn render(kind: &ValueErrorKind, path: &AttributePath, message: &str) -> String {
    if path.is_empty() {
        format!("{}: {message}", kind.doing())
    } else {
        format!("{} at {path}: {message}", kind.doing())
    }
}

impl ValueError {
    pub fn new(kind: ValueErrorKind, path: AttributePath, message: impl Into<String>) -> Self {
        Self { kind, path, message: message.into() }
    }

    /// This error, as a Terraform diagnostic pointing at its attribute (when it has a path).
    pub fn to_diagnostic(&self) -> Diagnostic {
        let diagnostic = Diagnostic::error(format!("Invalid value: {}", self.message), self.to_string());
        if self.path.is_empty() { diagnostic } else { diagnostic.at(self.path.clone()) }
    }

    /// Put `step` in front of the path: used while an error travels up out of a nested value.
    pub(crate) fn within(mut self, step: PathStep) -> Self {
        self.path.steps.insert(0, step);
        self
    }

    pub(crate) fn at(kind: ValueErrorKind, loc: &Loc<'_>, message: impl Into<String>) -> Self {
        Self::new(kind, loc.to_path(), message)
    }
}

impl From<ValueError> for Diagnostic {
    fn from(err: ValueError) -> Self {
        err.to_diagnostic()
    }
}

/// Where the walker is inside a value, as a chain of borrowed steps on the stack: nothing is
/// allocated unless an error needs the path.
#[derive(Debug, Clone)]
pub(crate) enum Loc<'a> {
    /// The value the walk started at, whose own path is given.
    Root(&'a AttributePath),
    Attr(&'a Loc<'a>, &'a str),
    Key(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl<'a> Loc<'a> {
    pub(crate) fn attr(&'a self, name: &'a str) -> Loc<'a> {
        Loc::Attr(self, name)
    }

    pub(crate) fn key(&'a self, key: &'a str) -> Loc<'a> {
        Loc::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Loc<'a> {
        Loc::Index(self, index)
    }

    pub(crate) fn to_path(&self) -> AttributePath {
        let mut reversed = Vec::new();
        let mut here = self;
        let base = loop {
            match here {
                Loc::Root(base) => break base,
                Loc::Attr(parent, name) => {
                    reversed.push(PathStep::Attr((*name).to_owned()));
                    here = parent;
                }
                Loc::Key(parent, key) => {
                    reversed.push(PathStep::Key((*key).to_owned()));
                    here = parent;
                }
                Loc::Index(parent, index) => {
                    reversed.push(PathStep::Index(i64::try_from(*index).unwrap_or(i64::MAX)));
                    here = parent;
                }
            }
        };
        let mut path = (*base).clone();
        path.steps.extend(reversed.into_iter().rev());
        path
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn displays_with_and_without_path() {
        let err = ValueError::new(
            ValueErrorKind::Decode,
            AttributePath::root("scaling").attr("min_size"),
            "expected a number, got a string",
        );
        assert_eq!(err.to_string(), "decoding value at scaling.min_size: expected a number, got a string");
        let err = ValueError::new(ValueErrorKind::Encode, AttributePath::empty(), "bad");
        assert_eq!(err.to_string(), "encoding value: bad");
    }

    #[test]
    fn loc_builds_paths_lazily() {
        let base = AttributePath::root("a");
        let root = Loc::Root(&base);
        let list = root.attr("b");
        let elem = list.index(2);
        let leaf = elem.key("k");
        assert_eq!(leaf.to_path(), AttributePath::root("a").attr("b").index(2).key("k"));
        let empty = AttributePath::empty();
        assert!(Loc::Root(&empty).to_path().is_empty());
    }
}
