//! The window's commands: each adapts Tauri IPC to one function of the core's command layer
//! (`hookscope_core::app`), which the browser UI's HTTP API calls too. No logic lives here.

pub mod deliveries;
pub mod endpoints;
pub mod flovi;
pub mod handler_check;
pub mod lab;
pub mod replay;
pub mod server;
pub mod tunnel;
