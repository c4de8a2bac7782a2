//! Styles: a colour theme, and a monochrome one for `NO_COLOR` that uses only reverse video and
//! bold. Meaning never rests on colour alone: the markers (`▶`, `>`, `[x]`, `✓ ! ✗`, `⚠`, `⇄`) are
//! drawn in both themes.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use crate::app::model::{Level, Model};

/// Every style the view uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub monochrome: bool,
    /// Plain text.
    pub text: Style,
    /// Secondary text: hints, times, connection details.
    pub dim: Style,
    /// The app's name in the header.
    pub app: Style,
    /// The READ-ONLY banner.
    pub banner: Style,
    pub border: Style,
    pub border_focus: Style,
    pub title: Style,
    pub title_focus: Style,
    /// Table column headings and popup section headings.
    pub heading: Style,
    /// The cursor row while the table has focus.
    pub cursor: Style,
    /// The cursor row while another pane has focus.
    pub cursor_idle: Style,
    /// A marked row.
    pub marked_row: Style,
    /// The `[x]` of a marked row.
    pub marked_box: Style,
    /// A key in the action bar and in hints.
    pub key: Style,
    pub success: Style,
    pub warning: Style,
    pub error: Style,
    /// The done part of the progress bar.
    pub gauge: Style,
    /// A feed line that is part of a flagged burst (drawn with a `⚠` as well).
    pub burst: Style,
    /// The latest burst alert, on top of the feed.
    pub alert: Style,
}

impl Theme {
    /// The monochrome theme when the model asks for it (`NO_COLOR`), the colour theme otherwise.
    pub fn for_model(model: &Model) -> Theme {
        if model.monochrome {
            Theme::monochrome()
        } else {
            Theme::colour()
        }
    }

    pub fn colour() -> Theme {
        let plain = Style::new();
        Theme {
            monochrome: false,
            text: plain,
            dim: plain.fg(Color::Gray),
            app: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            banner: plain
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            border: plain.fg(Color::DarkGray),
            border_focus: plain.fg(Color::Cyan),
            title: plain,
            title_focus: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            heading: plain.add_modifier(Modifier::BOLD),
            cursor: plain
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            cursor_idle: plain.bg(Color::DarkGray),
            marked_row: plain,
            marked_box: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            key: plain.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            success: plain.fg(Color::Green),
            warning: plain.fg(Color::Yellow),
            error: plain.fg(Color::Red).add_modifier(Modifier::BOLD),
            gauge: plain.fg(Color::Green),
            burst: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            alert: plain
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        }
    }

    pub fn monochrome() -> Theme {
        let plain = Style::new();
        let bold = plain.add_modifier(Modifier::BOLD);
        Theme {
            monochrome: true,
            text: plain,
            dim: plain,
            app: bold,
            banner: bold.add_modifier(Modifier::REVERSED),
            border: plain,
            border_focus: bold,
            title: plain,
            title_focus: bold,
            heading: bold,
            cursor: plain.add_modifier(Modifier::REVERSED),
            cursor_idle: plain.add_modifier(Modifier::UNDERLINED),
            marked_row: bold,
            marked_box: bold,
            key: bold,
            success: plain,
            warning: bold,
            error: bold,
            gauge: plain,
            burst: bold,
            alert: bold.add_modifier(Modifier::REVERSED),
        }
    }

    /// The style of an activity level (its symbol carries the meaning).
    pub fn level(&self, level: Level) -> Style {
        match level {
            Level::Info => self.text,
            Level::Success => self.success,
            Level::Warning => self.warning,
            Level::Error => self.error,
        }
    }

    /// A bordered pane; focus shows in the border (thick, and bold or cyan) and in the title (`▶`).
    pub fn pane<'a>(&self, title: Vec<Span<'a>>, focused: bool) -> Block<'a> {
        let (border, kind) = if focused {
            (self.border_focus, BorderType::Thick)
        } else {
            (self.border, BorderType::Plain)
        };
        Block::bordered()
            .border_type(kind)
            .border_style(border)
            .title(Line::from(title))
    }

    /// A popup's frame.
    pub fn popup<'a>(&self, title: &'a str) -> Block<'a> {
        Block::bordered()
            .border_type(BorderType::Double)
            .border_style(self.border_focus)
            .title(Span::styled(title, self.title_focus))
    }

    /// The title pieces of a pane: ` ▶ name ` when focused, ` name ` otherwise.
    pub fn title_prefix(&self, focused: bool) -> (&'static str, Style) {
        if focused {
            (" ▶ ", self.title_focus)
        } else {
            (" ", self.title)
        }
    }
}

/// The symbol that tells an activity level without colour.
pub fn level_symbol(level: Level) -> &'static str {
    match level {
        Level::Info => "·",
        Level::Success => "✓",
        Level::Warning => "!",
        Level::Error => "✗",
    }
}
