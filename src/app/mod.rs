//! The dashboard's state machine: pure, no I/O, no terminal. Keys and worker answers come in as
//! [`Msg`]s; [`update`] changes the [`Model`] and returns [`Effect`]s for the worker. What each
//! command is, its keys, its `:` name and whether it can run now, is data in [`command`].

pub mod command;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod model;
pub mod msg;
pub mod palette;
pub mod update;

pub use model::Model;
pub use msg::{Effect, Msg};
pub use update::update;
