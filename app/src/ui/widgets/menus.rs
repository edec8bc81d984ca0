//! The drop-down menus are `<details>` elements. Like the menus of any console they close when
//! the user clicks elsewhere or presses Escape (which gives the focus back to the menu's
//! button): left open, a menu lies over the table's header
//! row, and a click meant for a sort button there would toggle a menu item instead.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Installs, once for the page, the listeners that close open menus.
pub fn close_menus_on_outside_click() {
    // The listeners live as long as the page, so their handles are never removed.
    let _ = window_event_listener(leptos::ev::click, |ev| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        close_open_menus_except(target.as_ref());
    });
    let _ = window_event_listener(leptos::ev::keydown, |ev| {
        if ev.key() == "Escape" {
            let focused = document().active_element();
            for menu in close_open_menus_except(None) {
                // The keyboard goes back to the button that opened the menu it was in.
                if focused.as_ref().is_some_and(|element| menu.contains(Some(element))) {
                    focus_menu_button(&menu);
                }
            }
        }
    });
}

/// Closes the open menus that do not contain `target`; answers the menus it closed.
fn close_open_menus_except(target: Option<&web_sys::Node>) -> Vec<web_sys::Element> {
    let mut closed = Vec::new();
    let Ok(open_menus) = document().query_selector_all("details[open]") else {
        return closed;
    };
    for index in 0..open_menus.length() {
        let Some(menu) = open_menus.item(index).and_then(|node| node.dyn_into::<web_sys::Element>().ok()) else {
            continue;
        };
        if !target.is_some_and(|target| menu.contains(Some(target))) {
            let _ = menu.remove_attribute("open");
            closed.push(menu);
        }
    }
    closed
}

/// Puts the focus on the button (`<summary>`) of a closed menu.
pub fn focus_menu_button(menu: &web_sys::Element) {
    if let Some(button) = menu.query_selector("summary").ok().flatten()
        && let Ok(button) = button.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = button.focus();
    }
}
