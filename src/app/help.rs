//! The help's content, made from the command table: each binding once, under the first group
//! where it works (a key that works anywhere only under "Anywhere"); a group whose keys were all
//! listed above names them on one line; then the command line's commands. The view lays it out;
//! what it says, and how many items it has to scroll through, is decided here.

use super::command::{self, Binding, Command, Context, Keymap};

/// The heading of the command line's commands.
pub const COMMANDS_TITLE: &str = "Commands (after :)";

/// Keys that the compact form lists on one line, with what they do together.
const FAMILIES: &[(&[Command], &str)] = &[
    (
        &[
            Command::Down,
            Command::Up,
            Command::Top,
            Command::Bottom,
            Command::PageUp,
            Command::PageDown,
        ],
        "move, top/end, page",
    ),
    (
        &[
            Command::Mark,
            Command::MarkRange,
            Command::MarkAll,
            Command::ClearMarks,
        ],
        "mark, range, all, clear",
    ),
    (
        &[Command::FocusNext, Command::FocusPrev],
        "next / previous pane",
    ),
];

/// A key (or a command) and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub help: String,
}

/// A group of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub entries: Vec<Entry>,
    /// Keys listed in an earlier group that work here too (shown only when `entries` is empty).
    pub also: Vec<&'static str>,
    /// The command line's commands.
    pub commands: bool,
}

/// Whether `label` is one of the keys written in `labels` (`k` in `j/k`, `G` in `j/k g G`).
pub fn written_in(labels: &str, label: &str) -> bool {
    labels.split(['/', ' ']).any(|part| part == label)
}

/// Adds `b` to a group's entries: to its family's entry in the compact form, to the entry just
/// before when that one writes the same key, else as an entry of its own.
fn add_entry(
    entries: &mut Vec<Entry>,
    families: &mut Vec<(usize, usize)>,
    command: Command,
    help: &str,
    b: &'static Binding,
    compact: bool,
) {
    if compact
        && let Some(f) = FAMILIES
            .iter()
            .position(|(cmds, _)| cmds.contains(&command))
    {
        match families.iter().find(|(fam, _)| *fam == f) {
            Some(&(_, at)) => {
                let entry = &mut entries[at];
                if !written_in(&entry.label, b.label) {
                    entry.label.push(' ');
                    entry.label.push_str(b.label);
                }
            }
            None => {
                families.push((f, entries.len()));
                entries.push(Entry {
                    label: b.label.to_owned(),
                    help: FAMILIES[f].1.to_owned(),
                });
            }
        }
        return;
    }
    if let Some(last) = entries.last_mut()
        && written_in(&last.label, b.label)
    {
        last.help.push_str(", ");
        last.help.push_str(help);
        return;
    }
    entries.push(Entry {
        label: b.label.to_owned(),
        help: help.to_owned(),
    });
}

/// The help's groups; `compact` gathers families of keys on one line.
pub fn sections(keymap: &Keymap, read_only: bool, compact: bool) -> Vec<Section> {
    let groups = command::help_groups(keymap, read_only);
    let mut out: Vec<Section> = Vec::with_capacity(groups.len() + 1);
    let mut listed: Vec<*const Binding> = Vec::with_capacity(64);
    // Keys that work anywhere are listed once, under "Anywhere", even where another binding of
    // the same key shows it in the action bar (Ctrl-C on the lookup line).
    let anywhere_keys: Vec<(&'static str, Command)> = groups
        .iter()
        .flat_map(|(_, bindings)| bindings.iter())
        .filter(|(_, b)| b.contexts.contains(&Context::Global))
        .map(|(spec, b)| (b.label, spec.command))
        .collect();
    for (title, bindings) in &groups {
        let anywhere = *title == "Anywhere";
        let mut entries: Vec<Entry> = Vec::with_capacity(bindings.len());
        let mut also: Vec<&'static str> = Vec::new();
        let mut families: Vec<(usize, usize)> = Vec::new();
        for &(spec, b) in bindings {
            let ptr: *const Binding = b;
            let general = b.contexts.contains(&Context::Global)
                || anywhere_keys.contains(&(b.label, spec.command));
            if general && !anywhere {
                continue;
            }
            if listed.contains(&ptr) {
                if !also.iter().any(|l| written_in(l, b.label)) {
                    also.push(b.label);
                }
                continue;
            }
            listed.push(ptr);
            add_entry(
                &mut entries,
                &mut families,
                spec.command,
                &spec.help_in(keymap),
                b,
                compact,
            );
        }
        if entries.is_empty() && also.is_empty() {
            continue;
        }
        out.push(Section {
            title,
            entries,
            also,
            commands: false,
        });
    }
    out.push(Section {
        title: COMMANDS_TITLE,
        // A command with a key is that key's twin: the key says it; the others say what they do.
        entries: command::palette_names(read_only)
            .map(|(spec, p)| Entry {
                label: format!(":{}", p.usage),
                help: match keymap.label(spec.command) {
                    Some(key) => format!("= {key}"),
                    None => spec.help_in(keymap).into_owned(),
                },
            })
            .collect(),
        also: Vec::new(),
        commands: true,
    });
    out
}

/// How many items the full help has (a heading, a key, a command, an "as above" line): what its
/// window scrolls through, one item per step, when it does not fit the screen.
pub fn items(keymap: &Keymap, read_only: bool) -> usize {
    sections(keymap, read_only, false)
        .iter()
        .map(|s| 1 + s.entries.len() + usize::from(!s.also.is_empty()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binding_and_command_is_in_the_help_once() {
        for read_only in [false, true] {
            let sections = sections(&Keymap::default(), read_only, false);
            let written: Vec<&Entry> = sections.iter().flat_map(|s| &s.entries).collect();
            for (spec, b) in command::bindings() {
                let entry = written
                    .iter()
                    .find(|e| b.label.split('/').all(|k| written_in(&e.label, k)));
                if read_only && spec.mutates {
                    assert!(
                        entry.is_none_or(|e| !e.help.contains(&*spec.help_in(&Keymap::default()))),
                        "read-only help shows {:?}",
                        spec.command
                    );
                    continue;
                }
                assert!(
                    entry.is_some(),
                    "the help lacks {} ({:?})",
                    b.label,
                    spec.command
                );
            }
            let commands = sections.last().expect("the commands");
            assert_eq!(commands.title, COMMANDS_TITLE);
            for (_, p) in command::palette_names(read_only) {
                assert!(
                    commands
                        .entries
                        .iter()
                        .any(|e| e.label == format!(":{}", p.usage)),
                    ":{} is not in the help",
                    p.name
                );
            }
            assert!(items(&Keymap::default(), read_only) > commands.entries.len());
        }
    }
}
