//! Text that came from someone else, made safe to show on a terminal.
//!
//! Session names, labels, role names, file names, arguments and reasons are written by other
//! parties (a session host, a peer) or a server. Printed raw, an escape sequence in one of them
//! restyles or rewrites the terminal (moves the cursor, clears the line that said what you agree
//! to), and a bidirectional override makes `gpj.exe` read as `exe.jpg`. [`shown`] escapes every
//! control character (C0, DEL, C1) and every bidirectional formatting character, and the
//! invisible characters that can hide text, as `\u{..}`, so what a party reads is what was sent.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: control characters, bidirectional formatting
/// characters, and zero-width characters that hide or join text unseen.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}'                  // Arabic letter mark
            | '\u{200B}'..='\u{200F}'   // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202A}'..='\u{202E}'   // embeddings and overrides
            | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'   // isolates
            | '\u{FEFF}'                // zero-width no-break space
        )
}

/// `text` with every character [`is_unsafe`] replaced by its `\u{..}` escape (and `\` doubled
/// where an escape follows, so an escape cannot be faked). Borrowed when nothing needed escaping.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`shown`] for text of several lines, such as an error with a hint below it: line breaks are
/// kept, everything else that is unsafe is escaped.
pub fn shown_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.split('\n').map(|line| shown(line).into_owned()).collect::<Vec<_>>().join("\n"))
}

/// Whether output may carry colour codes: only at a terminal, and never when `NO_COLOR` is set
/// to anything but the empty string (<https://no-color.org>).
pub fn colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped_and_plain_text_is_kept() {
        assert!(matches!(shown("secure sum, party B"), Cow::Borrowed("secure sum, party B")));
        assert_eq!(shown("a\x1b[2Kb"), "a\\u{1b}[2Kb");
        assert_eq!(shown("x\ny\r\x07"), "x\\u{a}y\\u{d}\\u{7}");
        assert_eq!(shown("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(shown("gpj\u{202E}exe"), "gpj\\u{202e}exe");
        assert_eq!(shown("a\u{2067}b\u{2069}"), "a\\u{2067}b\\u{2069}");
        assert_eq!(shown("zero\u{200B}width"), "zero\\u{200b}width");
        // A backslash next to an escape is doubled: `\u{1b}` typed by a host is not an escape.
        assert_eq!(shown("\\u{1b}\x1b"), "\\\\u{1b}\\u{1b}");
        assert_eq!(shown_lines("error: x\n  hint \x1b[31m"), "error: x\n  hint \\u{1b}[31m");
        // Letters of every script stay as they are.
        assert_eq!(shown("Zürich 医院 مستشفى"), "Zürich 医院 مستشفى");
    }
}
