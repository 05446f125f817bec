//! Every command the README shows runs as written on a fresh clone: the code blocks are read from
//! README.md and each line is run by the shell, in a directory holding a copy of `corpora/` and stand-ins
//! for the user's own files the README names (`book.txt`, `corpus/`, `train.txt`, …), made from the
//! repository's fixture. Lines that say they need `../shared` are skipped; `cargo run --release -p shannon
//! --` is the `shannon` under test; other `cargo` lines (building, testing) are what runs this test.

use std::path::{Path, PathBuf};

use crate::manners::{bin, genesis, workspace};

/// The command lines of README.md's `sh` code blocks.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        match line.trim() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            l if in_block && !l.is_empty() => commands.push(l.to_string()),
            _ => {}
        }
    }
    commands
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A working directory with the repository's `corpora/` and the README's stand-in files.
fn stand_ins(root: &Path) -> PathBuf {
    // Two levels down, so that the example plan's ../../shared globs find nothing (they are optional).
    let work = root.join("clone");
    copy_dir(&workspace().join("corpora"), &work.join("corpora"));
    let text = std::fs::read_to_string(genesis()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    let write = |name: &str, body: String| std::fs::write(work.join(name), body).unwrap();
    write("book.txt", text.repeat(4));
    write("corpus.txt", text.repeat(3));
    write("train.txt", (lines[..half].join("\n") + "\n").repeat(3));
    write("test.txt", lines[half..].join("\n") + "\n");
    write("a.txt", lines[..half].join("\n") + "\n");
    write("b.txt", lines[half..].join("\n") + "\n");
    let docs: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{}\n", serde_json::json!({"id": format!("gen-{i}"), "text": l})))
        .collect::<String>()
        .repeat(3);
    std::fs::write(work.join("docs.jsonl.zst"), zstd::stream::encode_all(docs.as_bytes(), 3).unwrap()).unwrap();
    // A Hugging Face tokenizer.json for `--tokens tokenizer:PATH`: a small BPE trained on the stand-in text.
    crate::hf::train_bpe(&work.join("book.txt"), 300, &work.join("tokenizer.json"));
    std::fs::create_dir(work.join("corpus")).unwrap();
    std::fs::write(work.join("corpus/one.txt"), lines[..half].join("\n") + "\n").unwrap();
    std::fs::write(work.join("corpus/two.txt"), lines[half..].join("\n") + "\n").unwrap();
    work
}

#[test]
fn every_readme_command_runs_as_written() {
    let commands = readme_commands();
    assert!(commands.len() > 20, "README code blocks not found: {commands:?}");
    let root = tempfile::tempdir().unwrap();
    let work = stand_ins(root.path());
    let path = format!("{}:{}", bin().parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for command in &commands {
        if command.contains("needs ../shared") {
            continue;
        }
        let command = match command.strip_prefix("cargo run --release -p shannon --") {
            Some(rest) => format!("shannon{rest}"),
            None if command.starts_with("cargo ") || command.contains(" cargo ") => continue,
            None => command.clone(),
        };
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("set -e; {command}"))
            .current_dir(&work)
            .env("PATH", &path)
            .env("HOME", &work)
            .output()
            .unwrap();
        assert!(out.status.success(), "README command failed: {command}\n{}", String::from_utf8_lossy(&out.stderr));
        ran += 1;
    }
    assert!(ran >= 18, "only {ran} README commands ran");
}

/// Performance figures say when and at which commit they were measured, never "this session".
#[test]
fn performance_figures_carry_dates_not_sessions() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let performance = &readme[readme.find("## Performance").expect("a Performance section")..];
    let performance = &performance[..performance[3..].find("\n## ").map_or(performance.len(), |i| i + 3)];
    assert!(!performance.to_lowercase().contains("session"), "figures dated by session: {performance}");
    assert!(performance.contains("2026-11-29") && performance.contains("184f15c"), "{performance}");
}
