//! The bytes of OSC 8 hyperlinks and OSC 52 clipboard writes, and tmux's passthrough wrapping.
//! Pure: the runtime writes them to the terminal.

use base64::Engine;

/// Drops control characters (an ESC or BEL in a URL or a copied text would end the sequence).
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// Starts a hyperlink to `url` (OSC 8, ST-terminated): cells written until [`OSC8_CLOSE`] link
/// there.
pub fn osc8_open(url: &str) -> String {
    format!("\x1b]8;;{}\x1b\\", clean(url))
}

/// Ends a hyperlink.
pub const OSC8_CLOSE: &str = "\x1b]8;;\x1b\\";

/// Puts `text` on the system clipboard: `ESC ] 52 ; c ; <base64> BEL`, wrapped for tmux when
/// `tmux` (tmux then needs `set -g allow-passthrough on`, or `set-clipboard on`).
pub fn osc52(text: &str, tmux: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let seq = format!("\x1b]52;c;{b64}\x07");
    if tmux {
        tmux_wrap(&seq)
    } else {
        seq
    }
}

/// tmux's passthrough: `ESC P tmux ; <seq with every ESC doubled> ESC \`.
pub fn tmux_wrap(seq: &str) -> String {
    format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_of_the_text() {
        assert_eq!(osc52("", false), "\x1b]52;c;\x07");
        assert_eq!(osc52("f", false), "\x1b]52;c;Zg==\x07");
        assert_eq!(osc52("fo", false), "\x1b]52;c;Zm8=\x07");
        assert_eq!(
            osc52("a1b2c3d4e5f60718293a4b5c6d7e8f90", false),
            "\x1b]52;c;YTFiMmMzZDRlNWY2MDcxODI5M2E0YjVjNmQ3ZThmOTA=\x07"
        );
        // UTF-8 bytes, not chars.
        assert_eq!(osc52("é", false), "\x1b]52;c;w6k=\x07");
    }

    #[test]
    fn tmux_doubles_every_escape_and_wraps() {
        assert_eq!(osc52("fo", true), "\x1bPtmux;\x1b\x1b]52;c;Zm8=\x07\x1b\\");
        assert_eq!(
            tmux_wrap("\x1b]8;;u\x1b\\"),
            "\x1bPtmux;\x1b\x1b]8;;u\x1b\x1b\\\x1b\\"
        );
    }

    #[test]
    fn hyperlinks_drop_control_characters() {
        assert_eq!(osc8_open("http://h/#/x"), "\x1b]8;;http://h/#/x\x1b\\");
        assert_eq!(
            osc8_open("http://h/\x1b]x\x07"),
            "\x1b]8;;http://h/]x\x1b\\"
        );
        assert_eq!(OSC8_CLOSE, "\x1b]8;;\x1b\\");
    }
}
