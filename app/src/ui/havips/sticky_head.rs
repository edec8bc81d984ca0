//! The table's header row follows the page. The table sits in a box that scrolls sideways (for
//! the pinned columns), and such a box is the scroll container of `position: sticky` in both
//! directions, so a sticky header would stay with the box as the page scrolls. Instead the
//! page scrolls and the header row is shifted down by as much as the top bar hides of the
//! table (`--head-shift` on the `<thead>`, so that only its cells restyle), never below the
//! table's last row.

use super::PageState;
use leptos::html;
use leptos::prelude::*;

/// Keeps the header row of `table` under the top bar while the page scrolls past the table.
pub fn keep_head_in_sight(table: NodeRef<html::Table>) {
    let last_shift = StoredValue::new(0.0_f64);
    // It runs a frame later, when the page may have gone (a link followed): then it does nothing.
    let place = move || {
        let Some(table) = table.try_get_untracked().flatten() else { return };
        let Some(head) = table.t_head() else { return };
        let top_bar = document()
            .query_selector(".topbar")
            .ok()
            .flatten()
            .map_or(0.0, |bar| bar.get_bounding_client_rect().bottom());
        let hidden = top_bar - table.get_bounding_client_rect().top();
        let room = f64::from(table.offset_height() - head.offset_height()).max(0.0);
        let shift = hidden.clamp(0.0, room).round();
        if last_shift.try_update_value(|last| std::mem::replace(last, shift) != shift) == Some(true) {
            let _ = web_sys::HtmlElement::style(&head).set_property("--head-shift", &format!("{shift}px"));
        }
    };
    // Measured in the next frame, when new rows have been laid out.
    let place_soon = move || request_animation_frame(place);
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| place_soon());
    let on_resize = window_event_listener(leptos::ev::resize, move |_| place_soon());
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
    });
    // Other rows make the table taller or shorter under a page that stays where it was.
    let state = PageState::get();
    Effect::new(move |_| {
        state.rows.track();
        place_soon();
    });
}
