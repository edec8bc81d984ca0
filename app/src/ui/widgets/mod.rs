//! Small components shared by the pages.

pub mod dialog;
pub mod mono;
pub mod status_badge;
pub mod toast;
