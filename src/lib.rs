//! blockdeck: moderation of Tencent Cloud Chat (TIM) blocklists.
//!
//! `tim` models the REST protocol and is shared by the client and the sandbox;
//! `sandbox` is a local server that speaks the same protocol on loopback.

pub mod app;
pub mod cli;
pub mod client;
pub mod clipboard;
pub mod clock;
pub mod config;
pub mod display;
pub mod export;
pub mod feed;
pub mod inspect;
pub mod lookups;
pub mod moderation;
pub mod private;
pub mod relay;
pub mod runtime;
pub mod sandbox;
pub mod secret;
pub mod serve;
pub mod term;
pub mod tim;
pub mod ui;
pub mod worker;
