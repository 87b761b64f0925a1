//! A check that a diagnostic reads as a sentence a user can act on: tests run it over every
//! diagnostic the provider can build without AWS. It catches what review missed before ("was
//! interrupted interrupted while waiting", an empty detail, "failed: .").

use tfplugin::Diagnostic;

/// `Err` says what is wrong with `d`'s wording.
pub fn check(d: &Diagnostic) -> Result<(), String> {
    let summary = d.summary.trim();
    if summary.is_empty() || summary.ends_with('.') {
        return Err(format!("summary {summary:?}: empty, or ends with a period"));
    }
    let detail = d.detail.trim_end();
    if detail.is_empty() {
        return Err(format!("{summary:?} has no detail"));
    }
    if !detail.ends_with(['.', ')', '"']) {
        return Err(format!(
            "detail of {summary:?} does not end a sentence: {detail:?}"
        ));
    }
    for text in [summary, detail] {
        if let Some(w) = doubled_word(&outside_quotes(text)) {
            return Err(format!("{w:?} twice in a row in {text:?}"));
        }
        let prose = outside_backticks(text);
        if prose.contains("..") || prose.contains(": .") || prose.contains(":.") {
            return Err(format!("stray punctuation in {text:?}"));
        }
    }
    Ok(())
}

/// `text` without its `code spans`, where ".." and the like are meant.
fn outside_backticks(text: &str) -> String {
    text.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// `text` with its "quoted values" left out: a user's value may repeat a word of ours.
fn outside_quotes(text: &str) -> String {
    text.split('"').step_by(2).collect::<Vec<_>>().join("\"…\"")
}

/// The first word written twice in a row ("the the"), ignoring case and punctuation.
fn doubled_word(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    words
        .windows(2)
        .find(|p| !p[0].is_empty() && p[0] == p[1])
        .map(|p| p[0].clone())
}

/// Panics with every diagnostic of `diags` that does not read well.
pub fn assert_all_read_well<'a>(diags: impl IntoIterator<Item = &'a Diagnostic>) {
    let bad: Vec<String> = diags.into_iter().filter_map(|d| check(d).err()).collect();
    assert!(
        bad.is_empty(),
        "diagnostics that read badly:\n{}",
        bad.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_catches_what_it_is_for() {
        let ok = Diagnostic::error(
            "AMI copy interrupted",
            "Terraform was interrupted while waiting.",
        );
        assert_eq!(check(&ok), Ok(()));
        let code = Diagnostic::error("X", "Consider a longer `timeouts { create = ... }`.");
        assert_eq!(check(&code), Ok(()));
        let code = Diagnostic::error("X", "A URL, not \"not a url\".");
        assert_eq!(check(&code), Ok(()));
        for bad in [
            Diagnostic::error("X", "Terraform was interrupted interrupted while waiting."),
            Diagnostic::error("X", ""),
            Diagnostic::error("X.", "Fine."),
            Diagnostic::error("X", "CopyImage failed: ."),
            Diagnostic::error("X", "no end"),
            Diagnostic::error("X", "It failed: ... twice.."),
        ] {
            assert!(check(&bad).is_err(), "{bad:?}");
        }
    }
}
