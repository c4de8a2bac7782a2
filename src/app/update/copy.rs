//! `c`: the IDs at hand go to the terminal's clipboard through OSC 52. Whether the terminal took
//! them cannot be known (it does not answer), so the activity line says that it must allow it.

use super::super::model::{Level, Model};
use super::super::msg::Effect;

pub(super) fn copy(model: &mut Model) -> Vec<Effect> {
    // The availability rule has checked it; a refusal here would be a bug, still said plainly.
    let clip = match model.clip() {
        Ok(clip) => clip,
        Err(why) => {
            model.log(Level::Warning, why);
            return Vec::new();
        }
    };
    model.log(
        Level::Success,
        format!(
            "copied {} to the clipboard (OSC 52, if the terminal allows it)",
            clip.said
        ),
    );
    vec![Effect::Copy(clip.text)]
}
