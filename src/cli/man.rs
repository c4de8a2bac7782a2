//! `blockdeck man`: the manual page, generated from the same clap definition as `--help` and the
//! completions, so that it cannot fall behind the commands.
//!
//! One page on stdout (`blockdeck man > blockdeck.1`): the program's synopsis, description,
//! global options and list of commands, then a section for every command and subcommand with its
//! synopsis, description and own options. With `--dir DIR`, one page per command instead
//! (`blockdeck.1`, `blockdeck-block.1`, `blockdeck-config-init.1`, …), each listing every option
//! that command takes, the global ones included.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Command;
use clap_mangen::Man;

/// The whole manual as one roff page.
pub fn page(root: Command) -> io::Result<Vec<u8>> {
    let name = root.get_name().to_owned();
    let mut built = root.clone();
    built.build();
    let top = Man::new(built);
    let mut head = Vec::new();
    top.render_title(&mut head)?;
    top.render_name_section(&mut head)?;
    top.render_synopsis_section(&mut head)?;
    top.render_description_section(&mut head)?;
    top.render_options_section(&mut head)?;
    top.render_subcommands_section(&mut head)?;
    let mut out = Vec::new();
    // Every render starts with the same string definition; the page needs it once.
    out.extend_from_slice(PREAMBLE.as_bytes());
    copy_sections(&head, false, &mut out)?;
    for (path, cmd) in commands(&root, &name) {
        // A command's section: its synopsis, description and options as subsections, under a
        // heading that names the command as it is typed.
        writeln!(out, ".SH \"{}\"", roff_quoted(&path.to_uppercase()))?;
        let man = Man::new(
            cmd.bin_name(path.clone())
                .display_name(path.replace(' ', "-")),
        );
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        copy_sections(&section, true, &mut out)?;
    }
    let mut tail = Vec::new();
    top.render_version_section(&mut tail)?;
    copy_sections(&tail, false, &mut out)?;
    Ok(out)
}

/// What clap_mangen writes before the text of each render: the apostrophe string for groff and
/// for other roff implementations.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// The lines of `rendered` without the preamble, sections made subsections when `nested`.
fn copy_sections(rendered: &[u8], nested: bool, out: &mut Vec<u8>) -> io::Result<()> {
    let rendered = String::from_utf8_lossy(rendered);
    for line in rendered.lines() {
        if PREAMBLE.lines().any(|p| p == line) {
            continue;
        }
        match line.strip_prefix(".SH ").filter(|_| nested) {
            Some(heading) => writeln!(out, ".SS {heading}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// Every command under `root`, depth first, with the words that invoke it (`blockdeck config
/// init`); hidden ones left out. The commands are taken unbuilt, so that each carries only its
/// own arguments (the global options are described once, on the program's page).
pub fn commands(root: &Command, prefix: &str) -> Vec<(String, Command)> {
    let mut out = Vec::new();
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let path = format!("{prefix} {}", sub.get_name());
        out.push((path.clone(), sub.clone()));
        out.extend(commands(sub, &path));
    }
    out
}

/// One page per command in `dir` (created if missing); the files written, the program's first.
pub fn write_dir(root: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    fn walk(cmd: &Command, source: &str, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
        out.push(Man::new(cmd.clone()).source(source).generate_to(dir)?);
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, source, dir, out)?;
        }
        Ok(())
    }
    std::fs::create_dir_all(dir)?;
    let source = format!(
        "{} {}",
        root.get_name(),
        root.get_version().unwrap_or_default()
    );
    // Built as a whole, each command carries the global options and is named as typed.
    let mut root = root.disable_help_subcommand(true);
    root.build();
    let mut written = Vec::new();
    walk(&root, source.trim_end(), dir, &mut written)?;
    Ok(written)
}

/// `text` safe inside a quoted roff macro argument.
fn roff_quoted(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\(dq")
        .replace('-', "\\-")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    fn manual() -> String {
        String::from_utf8(page(Cli::command()).unwrap()).unwrap()
    }

    /// How roff writes `--long`: every hyphen escaped.
    fn roff_flag(long: &str) -> String {
        format!("\\-\\-{}", long.replace('-', "\\-"))
    }

    #[test]
    fn the_page_holds_every_command_and_option() {
        let page = manual();
        assert!(page.starts_with(PREAMBLE), "{page}");
        assert_eq!(page.matches(".ds Aq").count(), 2, "the preamble once");
        assert!(page.contains(".TH blockdeck 1"), "{page}");
        let root = Cli::command();
        let subs = commands(&root, "blockdeck");
        assert!(
            subs.len() > 15,
            "the walk found every command: {}",
            subs.len()
        );
        for (path, cmd) in &subs {
            let heading = format!(".SH \"{}\"", roff_quoted(&path.to_uppercase()));
            assert!(page.contains(&heading), "{path} has no section");
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                if let Some(long) = arg.get_long() {
                    assert!(
                        page.contains(&roff_flag(long)),
                        "{path}: --{long} is not on the page"
                    );
                }
            }
        }
        for arg in root.get_arguments() {
            if let Some(long) = arg.get_long() {
                assert!(
                    page.contains(&roff_flag(long)),
                    "--{long} is not on the page"
                );
            }
        }
        for word in ["demo", "block", "unblock", "relay", "completions", "man"] {
            assert!(
                subs.iter().any(|(p, _)| p == &format!("blockdeck {word}")),
                "{word} is not a command"
            );
        }
        // Each command's own headings are subsections of its section.
        assert_eq!(page.matches(".SH SYNOPSIS").count(), 1);
        assert!(page.matches(".SS SYNOPSIS").count() >= subs.len());
    }

    #[test]
    fn a_directory_gets_a_page_per_command() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_dir(Cli::command(), dir.path()).unwrap();
        let mut on_disk: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        on_disk.sort();
        let mut expected = written.clone();
        expected.sort();
        assert_eq!(
            on_disk, expected,
            "the pages said written are the pages there"
        );
        assert_eq!(written[0], dir.path().join("blockdeck.1"));
        for (path, _) in commands(&Cli::command(), "blockdeck") {
            let file = dir.path().join(format!("{}.1", path.replace(' ', "-")));
            assert!(written.contains(&file), "{} missing", file.display());
        }
        let block = std::fs::read_to_string(dir.path().join("blockdeck-block.1")).unwrap();
        assert!(block.contains(".TH blockdeck-block 1"), "{block}");
        assert!(block.contains(env!("CARGO_PKG_VERSION")), "{block}");
        assert!(
            block.contains(&roff_flag("read-only")),
            "global options too"
        );
    }
}
