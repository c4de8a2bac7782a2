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

impl Default for Theme {
    fn default() -> Theme {
        Theme::colour()
    }
}

impl Theme {
    /// The monochrome theme when the model asks for it (`NO_COLOR`), the colour theme otherwise.
    pub fn for_model(model: &Model) -> Theme {
        if model.monochrome {
            Theme::monochrome()
        } else {
            model.theme
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

// ------------------------------------------------------------------------------ the config file

/// One colour in `[theme]`: a name, `#rrggbb`, or a 0–255 index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum ColourValue {
    Index(i64),
    Text(String),
}

impl<'de> serde::Deserialize<'de> for ColourValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ColourValue, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ColourValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a colour name or \"#rrggbb\" in quotes, or an index from 0 to 255")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ColourValue, E> {
                Ok(ColourValue::Text(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ColourValue, E> {
                Ok(ColourValue::Index(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ColourValue, E> {
                Ok(ColourValue::Index(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// The `[theme]` table as read: `preset`, and role → colour, each value with where it is.
pub type ThemeTable = std::collections::BTreeMap<String, toml::Spanned<ColourValue>>;

/// What a role of `[theme]` colours, and how.
#[derive(Debug, Clone, Copy)]
enum Paint {
    Fg,
    Bg,
}

/// The roles of `[theme]`: their names, and the styles each one colours. `accent` is applied
/// before the others, so that a role named on its own beats it.
const ROLES: &[(&str, &[(Part, Paint)])] = &[
    (
        "accent",
        &[
            (Part::App, Paint::Fg),
            (Part::BorderFocus, Paint::Fg),
            (Part::TitleFocus, Paint::Fg),
            (Part::Key, Paint::Fg),
        ],
    ),
    ("text", &[(Part::Text, Paint::Fg), (Part::Title, Paint::Fg)]),
    ("dim", &[(Part::Dim, Paint::Fg)]),
    ("app-name", &[(Part::App, Paint::Fg)]),
    ("border", &[(Part::Border, Paint::Fg)]),
    (
        "focus-border",
        &[
            (Part::BorderFocus, Paint::Fg),
            (Part::TitleFocus, Paint::Fg),
        ],
    ),
    ("heading", &[(Part::Heading, Paint::Fg)]),
    ("cursor", &[(Part::Cursor, Paint::Bg)]),
    ("cursor-text", &[(Part::Cursor, Paint::Fg)]),
    ("cursor-idle", &[(Part::CursorIdle, Paint::Bg)]),
    ("marked", &[(Part::MarkedBox, Paint::Fg)]),
    ("marked-row", &[(Part::MarkedRow, Paint::Fg)]),
    ("key", &[(Part::Key, Paint::Fg)]),
    (
        "success",
        &[(Part::Success, Paint::Fg), (Part::Gauge, Paint::Fg)],
    ),
    (
        "warning",
        &[(Part::Warning, Paint::Fg), (Part::Burst, Paint::Fg)],
    ),
    ("error", &[(Part::Error, Paint::Fg)]),
    ("progress", &[(Part::Gauge, Paint::Fg)]),
    ("burst", &[(Part::Burst, Paint::Fg)]),
    ("banner", &[(Part::Banner, Paint::Bg)]),
    ("banner-text", &[(Part::Banner, Paint::Fg)]),
    ("alert", &[(Part::Alert, Paint::Bg)]),
    ("alert-text", &[(Part::Alert, Paint::Fg)]),
];

/// The styles of [`Theme`] that roles colour.
#[derive(Debug, Clone, Copy)]
enum Part {
    Text,
    Dim,
    App,
    Banner,
    Border,
    BorderFocus,
    Title,
    TitleFocus,
    Heading,
    Cursor,
    CursorIdle,
    MarkedRow,
    MarkedBox,
    Key,
    Success,
    Warning,
    Error,
    Gauge,
    Burst,
    Alert,
}

impl Theme {
    fn part(&mut self, part: Part) -> &mut Style {
        match part {
            Part::Text => &mut self.text,
            Part::Dim => &mut self.dim,
            Part::App => &mut self.app,
            Part::Banner => &mut self.banner,
            Part::Border => &mut self.border,
            Part::BorderFocus => &mut self.border_focus,
            Part::Title => &mut self.title,
            Part::TitleFocus => &mut self.title_focus,
            Part::Heading => &mut self.heading,
            Part::Cursor => &mut self.cursor,
            Part::CursorIdle => &mut self.cursor_idle,
            Part::MarkedRow => &mut self.marked_row,
            Part::MarkedBox => &mut self.marked_box,
            Part::Key => &mut self.key,
            Part::Success => &mut self.success,
            Part::Warning => &mut self.warning,
            Part::Error => &mut self.error,
            Part::Gauge => &mut self.gauge,
            Part::Burst => &mut self.burst,
            Part::Alert => &mut self.alert,
        }
    }

    /// A palette for terminals with a light background: no light grey or yellow text.
    pub fn light() -> Theme {
        let plain = Style::new();
        let bold = Modifier::BOLD;
        Theme {
            dim: plain.fg(Color::DarkGray),
            app: plain.fg(Color::Blue).add_modifier(bold),
            border: plain.fg(Color::Gray),
            border_focus: plain.fg(Color::Blue),
            title_focus: plain.fg(Color::Blue).add_modifier(bold),
            cursor: plain.fg(Color::White).bg(Color::Blue).add_modifier(bold),
            cursor_idle: plain.bg(Color::Gray),
            marked_box: plain.fg(Color::Magenta).add_modifier(bold),
            key: plain.fg(Color::Blue).add_modifier(bold),
            warning: plain.fg(Color::Indexed(130)),
            burst: plain.fg(Color::Indexed(130)).add_modifier(bold),
            ..Theme::colour()
        }
    }

    /// The colour theme of the config file's `[theme]`: its `preset` (`default` or `light`),
    /// with the roles it names coloured over it. Every problem names where it is.
    pub fn from_config(table: &ThemeTable) -> Result<Theme, crate::app::keymap::Problem> {
        let problem =
            |value: &toml::Spanned<ColourValue>, message: String| crate::app::keymap::Problem {
                span: value.span(),
                message,
            };
        let mut theme = match table.get("preset") {
            None => Theme::colour(),
            Some(value) => match value.get_ref() {
                ColourValue::Text(p) if p == "default" => Theme::colour(),
                ColourValue::Text(p) if p == "light" => Theme::light(),
                _ => {
                    return Err(problem(
                        value,
                        "[theme]: preset is \"default\" or \"light\" (for a light terminal \
                         background)"
                            .to_owned(),
                    ));
                }
            },
        };
        let mut entries: Vec<(&String, &toml::Spanned<ColourValue>)> =
            table.iter().filter(|(k, _)| *k != "preset").collect();
        entries.sort_by_key(|(name, value)| (*name != "accent", value.span().start));
        for (name, value) in entries {
            let Some((_, parts)) = ROLES.iter().find(|(role, _)| role == name) else {
                let roles: Vec<&str> = ROLES.iter().map(|(r, _)| *r).collect();
                return Err(problem(
                    value,
                    format!(
                        "[theme]: no role is called `{}`; the roles are preset, {}",
                        crate::display::sanitize(name),
                        roles.join(", ")
                    ),
                ));
            };
            let colour = parse_colour(value.get_ref()).map_err(|why| {
                problem(
                    value,
                    format!(
                        "[theme]: {name}: {why}; a colour is a name (red, light-blue, \
                         dark-gray, …), \"#rrggbb\", or an index from 0 to 255"
                    ),
                )
            })?;
            for &(part, paint) in *parts {
                let style = theme.part(part);
                *style = match paint {
                    Paint::Fg => style.fg(colour),
                    Paint::Bg => style.bg(colour),
                };
            }
        }
        Ok(theme)
    }
}

/// The colour names of `[theme]`.
const COLOURS: &[(&str, Color)] = &[
    ("default", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
];

/// A colour of `[theme]`: a name (`light-blue`, `grey` too), `#rrggbb`, or an index 0–255.
pub fn parse_colour(value: &ColourValue) -> Result<Color, String> {
    let text = match value {
        ColourValue::Index(n) => {
            return u8::try_from(*n)
                .map(Color::Indexed)
                .map_err(|_| format!("{n} is no colour index"));
        }
        ColourValue::Text(text) => text,
    };
    let shown = crate::display::sanitize(text);
    if let Some(hex) = text.strip_prefix('#') {
        let ok = hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit());
        if !ok {
            return Err(format!("`{shown}` is not #rrggbb"));
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits");
        return Ok(Color::Rgb(byte(0), byte(2), byte(4)));
    }
    if let Ok(n) = text.parse::<i64>() {
        return parse_colour(&ColourValue::Index(n));
    }
    let name = text
        .to_ascii_lowercase()
        .replace(['_', ' '], "-")
        .replace("grey", "gray");
    COLOURS
        .iter()
        .find(|(n, _)| *n == name || n.replace('-', "") == name)
        .map(|(_, c)| *c)
        .ok_or_else(|| format!("`{shown}` is not a colour"))
}

/// The roles of `[theme]`, for the README.
pub fn role_names() -> Vec<&'static str> {
    ROLES.iter().map(|(r, _)| *r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> ThemeTable {
        #[derive(serde::Deserialize)]
        struct File {
            theme: ThemeTable,
        }
        toml::from_str::<File>(&format!("[theme]\n{text}"))
            .expect("valid TOML")
            .theme
    }

    #[test]
    fn colours_by_name_hex_and_index() {
        let t = |s: &str| parse_colour(&ColourValue::Text(s.to_owned()));
        assert_eq!(t("red"), Ok(Color::Red));
        assert_eq!(t("light-blue"), Ok(Color::LightBlue));
        assert_eq!(t("LightBlue"), Ok(Color::LightBlue));
        assert_eq!(t("dark-grey"), Ok(Color::DarkGray));
        assert_eq!(t("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(t("208"), Ok(Color::Indexed(208)));
        assert_eq!(
            parse_colour(&ColourValue::Index(17)),
            Ok(Color::Indexed(17))
        );
        assert!(parse_colour(&ColourValue::Index(256)).is_err());
        assert!(t("#ff80").is_err());
        assert!(t("mauve").is_err());
    }

    #[test]
    fn a_theme_is_its_preset_with_the_roles_over_it() {
        assert_eq!(Theme::from_config(&table("")), Ok(Theme::colour()));
        let light = Theme::from_config(&table("preset = \"light\"")).unwrap();
        assert_eq!(light, Theme::light());
        let t = Theme::from_config(&table(
            "key = \"red\"\naccent = \"green\"\ncursor = \"#000080\"\nerror = 9",
        ))
        .unwrap();
        assert_eq!(t.key.fg, Some(Color::Red), "a role beats the accent");
        assert_eq!(t.border_focus.fg, Some(Color::Green));
        assert_eq!(t.cursor.bg, Some(Color::Rgb(0, 0, 128)));
        assert_eq!(t.cursor.fg, Theme::colour().cursor.fg);
        assert_eq!(t.error.fg, Some(Color::Indexed(9)));
        assert!(t.error.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn theme_problems_name_the_role_and_the_remedy() {
        let err = Theme::from_config(&table("colour = \"red\"")).unwrap_err();
        assert!(
            err.message.contains("`colour`") && err.message.contains("focus-border"),
            "{}",
            err.message
        );
        let err = Theme::from_config(&table("error = \"mauve\"")).unwrap_err();
        assert!(err.message.contains("#rrggbb"), "{}", err.message);
        let err = Theme::from_config(&table("preset = \"dark\"")).unwrap_err();
        assert!(err.message.contains("light"), "{}", err.message);
    }

    #[test]
    fn the_readme_names_every_role_and_colour() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("### Keys and colours")
            .nth(1)
            .expect("README has the section");
        for name in role_names()
            .into_iter()
            .chain(COLOURS.iter().map(|(n, _)| *n))
        {
            assert!(
                section.contains(&format!("`{name}`")),
                "README lacks `{name}`"
            );
        }
    }

    #[test]
    fn no_color_ignores_the_theme() {
        let mut model = Model {
            theme: Theme::light(),
            ..Model::default()
        };
        assert_eq!(Theme::for_model(&model), Theme::light());
        model.monochrome = true;
        assert_eq!(Theme::for_model(&model), Theme::monochrome());
    }
}
