//! Small components shared by the pages.

pub mod dialog;
pub mod download;
pub mod form;
#[cfg(feature = "hydrate")]
pub mod menus;
pub mod mono;
pub mod status_badge;
pub mod toast;
