//! Hookscope's core: the capture listener, the store and everything that analyses or acts on
//! deliveries. The desktop shell and the CLI are thin layers over this crate.

pub mod analysis;
pub mod app;
pub mod capture;
pub mod export;
pub mod flovi_api;
pub mod handler_check;
pub mod logging;
pub mod outbound;
pub mod paths;
pub mod plural;
pub mod providers;
pub mod registry;
pub mod replay;
pub mod secrets;
pub mod store;
pub mod time;
pub mod tunnel;
