//! The header line: the app, where it is connected, a READ-ONLY banner, and a CLEAR-TEXT HTTP
//! banner when `--insecure-http` lets the UserSig cross the network unencrypted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use super::text::line_fit;
use super::theme::Theme;
use crate::app::model::Model;
use crate::display::sanitize;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let c = &model.connection;
    let mut pieces = vec![Span::styled("blockdeck", theme.app)];
    if model.read_only {
        // Before the connection details, so that it is never cut off.
        pieces.push(Span::raw(" "));
        pieces.push(Span::styled(" READ-ONLY ", theme.banner));
    }
    if crate::config::is_clear_text_off_loopback(&c.base_url) {
        pieces.push(Span::raw(" "));
        pieces.push(Span::styled(" CLEAR-TEXT HTTP ", theme.banner));
    }
    let mut details: Vec<String> = Vec::with_capacity(4);
    for value in [&c.label, &c.base_url] {
        if !value.is_empty() {
            details.push(sanitize(value).into_owned());
        }
    }
    if c.sdkappid != 0 {
        details.push(format!("SDKAppID {}", c.sdkappid));
    }
    if !c.admin.is_empty() {
        details.push(format!("admin {}", sanitize(&c.admin)));
    }
    if !details.is_empty() {
        pieces.push(Span::styled(
            format!("  {}", details.join(" · ")),
            theme.dim,
        ));
    }
    frame.render_widget(line_fit(pieces, usize::from(area.width)), area);
}
