//! The documentation's relative links resolve: every `[text](target)`, `![alt](target)` and
//! `[label]: target` in README.md, docs/*.md and python/README.md names a file or directory of
//! the repository, and a `#anchor` names a heading of the file it points into (GitHub's
//! heading slugs). Links inside code blocks and code spans are not links. README.md stays a
//! front page: at most 250 lines.
//!
//! It lives in cw-model's tests because cw-model is the workspace's smallest crate (the test
//! only reads files).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const README_MAX_LINES: usize = 250;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The documents checked: the front page, every guide, the Python package's page.
fn documents() -> Vec<PathBuf> {
    let root = repo();
    let mut docs = vec![root.join("README.md"), root.join("python/README.md")];
    let mut guides: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    docs.extend(guides);
    docs
}

/// The lines outside fenced code blocks.
fn unfenced(markdown: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push(line);
        }
    }
    out
}

/// The text outside fenced code blocks and code spans, line by line.
fn prose(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in unfenced(markdown) {
        // Drop `code spans`: what is between a pair of backticks is not a link.
        let mut kept = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                kept.push_str(part);
            }
        }
        out.push(kept);
    }
    out
}

/// Every link target of a document (inline, image and reference definitions).
fn targets(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose(markdown) {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            // `[text](target "title")`: the target is the first word.
            let target = after[..end].split_whitespace().next().unwrap_or_default();
            found.push(target.trim_matches(|c| c == '<' || c == '>').to_owned());
            rest = &after[end..];
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some(close) = trimmed.find("]:")
        {
            let target = trimmed[close + 2..].split_whitespace().next().unwrap_or_default();
            found.push(target.to_owned());
        }
    }
    found
}

fn external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    unfenced(markdown)
        .into_iter()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

/// The broken links of one document, as `target: why`.
fn broken(doc: &Path, markdown: &str) -> Vec<String> {
    let dir = doc.parent().expect("a document's directory");
    let mut problems = Vec::new();
    for target in targets(markdown) {
        if target.is_empty() {
            problems.push("(empty): a link with no target".to_owned());
            continue;
        }
        if external(&target) {
            continue;
        }
        let (path, anchor) = target.split_once('#').map_or((target.as_str(), None), |(p, a)| (p, Some(a)));
        if path.is_empty() {
            // An anchor in this very document.
            if let Some(anchor) = anchor
                && !anchors(markdown).contains(anchor)
            {
                problems.push(format!("{target}: no heading #{anchor} in this document"));
            }
            continue;
        }
        let file = dir.join(path);
        if !file.exists() {
            problems.push(format!("{target}: {} does not exist", file.display()));
            continue;
        }
        if let Some(anchor) = anchor
            && file.extension().is_some_and(|e| e == "md")
        {
            let text = std::fs::read_to_string(&file).expect("a readable document");
            if !anchors(&text).contains(anchor) {
                problems.push(format!("{target}: no heading #{anchor} in {}", file.display()));
            }
        }
    }
    problems
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        checked += targets(&text).iter().filter(|t| !external(t)).count();
        problems.extend(broken(&doc, &text).into_iter().map(|p| format!("{}: {p}", doc.display())));
    }
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
    assert!(checked >= 15, "only {checked} relative links found: is the link reader broken?");
}

#[test]
fn the_readme_is_a_front_page_that_links_every_guide() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(lines <= README_MAX_LINES, "README.md has {lines} lines; guides belong in docs/");
    let linked: BTreeSet<String> = targets(&readme).into_iter().collect();
    for doc in documents().iter().filter(|d| d.parent().is_some_and(|p| p.ends_with("docs"))) {
        let name = format!("docs/{}", doc.file_name().and_then(|n| n.to_str()).expect("a name"));
        assert!(linked.contains(&name), "README.md does not link {name}");
    }
}

#[test]
fn a_missing_file_or_heading_is_reported_and_code_is_not_a_link() {
    let doc = repo().join("docs/example.md");
    let text = "# Top\n[ok](../README.md) [gone](nowhere.md) [self](#top) [bad](#nope)\n\
                ```\n[in code](missing.md)\n```\n`[span](missing-too.md)` [ext](https://example.com/x)\n\
                [ref]: ../missing-ref.md\n";
    let problems = broken(&doc, text);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].starts_with("nowhere.md:"));
    assert!(problems[1].starts_with("#nope:"));
    assert!(problems[2].starts_with("../missing-ref.md:"));
}

#[test]
fn heading_slugs_follow_github() {
    assert_eq!(slug("A five-minute tour"), "a-five-minute-tour");
    assert_eq!(slug("The mock console (`/__mock`)"), "the-mock-console-__mock");
    assert_eq!(slug("Use it from Python: pytest"), "use-it-from-python-pytest");
}
