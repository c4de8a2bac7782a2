//! The dashboard's state machine: pure, no I/O, no terminal. Keys and worker answers come in as
//! [`Msg`]s; [`update`] changes the [`Model`] and returns [`Effect`]s for the worker.

pub mod keymap;
pub mod model;
pub mod msg;
pub mod update;

pub use model::Model;
pub use msg::{Effect, Msg};
pub use update::update;
