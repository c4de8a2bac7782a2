//! The clipboard of the terminal the moderator sits at, over SSH too: the OSC 52 sequence
//! `ESC ] 52 ; c ; BASE64 BEL`, which the terminal itself carries out.
//!
//! Inside tmux (`$TMUX` set) the sequence is written twice: as it is, which tmux takes when its
//! `set-clipboard` option is `on` (it keeps a paste buffer and passes the copy on to the outer
//! terminal), and wrapped in tmux's passthrough (`ESC P tmux; …  ESC \`, every ESC inside
//! doubled), which tmux hands to the outer terminal unchanged when the pane's
//! `allow-passthrough` option is `on`. Whichever of the two the configuration allows gets
//! through; tmux drops the other without a trace, and a terminal that gets both sets the same
//! text twice. With tmux's defaults (`set-clipboard external`, `allow-passthrough off`) neither
//! gets through: the README says which line to add to `~/.tmux.conf`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `ESC ] 52 ; c ; BASE64 BEL`: `text` for the clipboard (`c`).
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", STANDARD.encode(text))
}

/// `sequence` wrapped in tmux's passthrough: `ESC P tmux;`, the sequence with each ESC doubled,
/// `ESC \`.
pub fn tmux_passthrough(sequence: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
}

/// What to write to the terminal to copy `text`: the OSC 52 sequence, and inside tmux the same
/// again through its passthrough.
pub fn sequences(text: &str, in_tmux: bool) -> String {
    let plain = osc52(text);
    if in_tmux {
        let wrapped = tmux_passthrough(&plain);
        plain + &wrapped
    } else {
        plain
    }
}

/// Whether the dashboard runs inside tmux.
pub fn in_tmux() -> bool {
    std::env::var_os("TMUX").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_goes_out_as_base64_for_the_clipboard() {
        assert_eq!(osc52("alice"), "\x1b]52;c;YWxpY2U=\x07");
        assert_eq!(osc52("bob\ncarol"), "\x1b]52;c;Ym9iCmNhcm9s\x07");
        assert_eq!(sequences("alice", false), osc52("alice"));
    }

    #[test]
    fn inside_tmux_it_goes_plain_and_through_the_passthrough() {
        let out = sequences("alice", true);
        assert_eq!(
            out,
            "\x1b]52;c;YWxpY2U=\x07\x1bPtmux;\x1b\x1b]52;c;YWxpY2U=\x07\x1b\\"
        );
        // Inside the passthrough no lone ESC is left that would end it early.
        let inner = &out[out.find("tmux;").unwrap() + 5..out.len() - 2];
        assert!(!inner.replace("\x1b\x1b", "").contains('\x1b'), "{inner:?}");
    }
}
