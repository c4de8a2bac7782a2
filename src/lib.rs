//! blockdeck: moderation of Tencent Cloud Chat (TIM) blocklists.
//!
//! `tim` models the REST protocol and is shared by the client and the sandbox;
//! `sandbox` is a local server that speaks the same protocol on loopback.

pub mod cli;
pub mod client;
pub mod config;
pub mod display;
pub mod sandbox;
pub mod secret;
pub mod tim;
