//! Diagnostics, with the attribute path Terraform uses to point at the offending configuration.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step of an attribute path: `tags["Name"]` is `[Attr("tags"), Key("Name")]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attr(String),
    Key(String),
    Index(i64),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    pub fn root(name: impl Into<String>) -> Self {
        AttributePath(vec![PathStep::Attr(name.into())])
    }
    pub fn attr(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathStep::Attr(name.into()));
        self
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(PathStep::Key(key.into()));
        self
    }
    pub fn index(mut self, i: i64) -> Self {
        self.0.push(PathStep::Index(i));
        self
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                PathStep::Attr(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attr(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }
    pub fn at(mut self, path: AttributePath) -> Self {
        self.path = Some(path);
        self
    }
}

/// The diagnostics of one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Diagnostic::error(summary, detail));
    }
    /// An error pointing at an attribute.
    pub fn attr_error(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.0.push(Diagnostic::error(summary, detail).at(path));
    }
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Diagnostic::warning(summary, detail));
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}
