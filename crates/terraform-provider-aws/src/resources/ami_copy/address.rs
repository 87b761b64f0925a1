//! A best guess at the resource's address (`aws_ami_copy.NAME`) for the instructions that say
//! how to resume a copy left pending.
//!
//! The plugin protocol never tells a provider the address of the resource it works on, but a
//! command the user can paste is far more useful than "<the resource address>". Terraform runs
//! the provider in the configuration's directory, so the root module's `.tf` files are there: if
//! exactly one `aws_ami_copy` block fits (the only one, or the only one with this literal
//! `name`, and without `count`/`for_each`), its address is known. Otherwise: no guess.

/// The root module's `.tf` files in the working directory.
fn root_module_sources() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(".") else {
        return vec![];
    };
    dir.filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "tf"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

/// The address of the copy named `name`, guessed from the working directory's configuration.
pub fn guess(name: &str) -> Option<String> {
    guess_in(&root_module_sources(), name)
}

/// `(label, body)` of every `resource "aws_ami_copy" "label" {` block in `src`. The body runs to
/// the next top-level `resource`/`data`/`module` keyword, which is precise enough for a hint.
fn blocks(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = src.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 3 && words[0] == "resource" && words[1] == "\"aws_ami_copy\"" {
            let label = words[2]
                .trim_matches('"')
                .trim_end_matches('{')
                .trim_matches('"');
            if label.is_empty() {
                continue;
            }
            let body: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| {
                    !["resource ", "data ", "module "]
                        .iter()
                        .any(|k| l.starts_with(k))
                })
                .copied()
                .collect();
            out.push((label.to_string(), body.join("\n")));
        }
    }
    out
}

fn sets_literal(body: &str, attr: &str, value: &str) -> bool {
    body.lines().any(|l| {
        let l = l.trim();
        l.strip_prefix(attr)
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .map(|r| r.trim() == format!("\"{value}\""))
            .unwrap_or(false)
    })
}

fn is_repeated(body: &str) -> bool {
    body.lines().any(|l| {
        let l = l.trim_start();
        ["count", "for_each"].iter().any(|k| {
            l.strip_prefix(k)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
    })
}

pub fn guess_in(sources: &[String], name: &str) -> Option<String> {
    let all: Vec<(String, String)> = sources.iter().flat_map(|s| blocks(s)).collect();
    let candidates: Vec<&(String, String)> = if all.len() == 1 {
        all.iter().collect()
    } else {
        all.iter()
            .filter(|(_, body)| sets_literal(body, super::model::attr::name, name))
            .collect()
    };
    match candidates.as_slice() {
        [(label, body)] if !is_repeated(body) => Some(format!("aws_ami_copy.{label}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str =
        "provider \"aws\" {}\n\nresource \"aws_ami_copy\" \"test\" {\n  name = \"a\"\n}\n";
    const TWO: &str = "resource \"aws_ami_copy\" \"x\" {\n  name = \"a\"\n}\nresource \"aws_ami_copy\" \"y\" {\n  name              = \"b\"\n}\n";

    #[test]
    fn single_block() {
        assert_eq!(
            guess_in(&[ONE.to_string()], "whatever").as_deref(),
            Some("aws_ami_copy.test")
        );
    }

    #[test]
    fn picks_by_literal_name() {
        assert_eq!(
            guess_in(&[TWO.to_string()], "b").as_deref(),
            Some("aws_ami_copy.y")
        );
        assert_eq!(guess_in(&[TWO.to_string()], "c"), None);
    }

    #[test]
    fn no_guess_for_count_or_nothing() {
        let counted = "resource \"aws_ami_copy\" \"z\" {\n  count = 2\n  name = \"a\"\n}\n";
        assert_eq!(guess_in(&[counted.to_string()], "a"), None);
        assert_eq!(guess_in(&[], "a"), None);
    }
}
