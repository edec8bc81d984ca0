//! Toasts at the top right: one for every outcome the user should hear about. Successes and
//! notes go by themselves; an error stays until the user closes it, so that it is read.

use leptos::prelude::*;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

const TOAST_LIFETIME: Duration = Duration::from_secs(5);

impl Toasts {
    pub fn provide() {
        provide_context(Toasts { items: RwSignal::new(Vec::new()), next_id: StoredValue::new(0) });
    }

    pub fn get() -> Toasts {
        expect_context::<Toasts>()
    }

    pub fn show(self, kind: ToastKind, text: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| items.push(Toast { id, kind, text: text.into() }));
        if kind != ToastKind::Error {
            set_timeout(move || self.dismiss(id), TOAST_LIFETIME);
        }
    }

    fn dismiss(self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }
}

#[component]
pub fn ToastList() -> impl IntoView {
    let toasts = Toasts::get();
    let close_label = move || super::super::I18n::get().texts().close;
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <div class="toast" class:toast-success=toast.kind == ToastKind::Success class:toast-error=toast.kind == ToastKind::Error>
                    <span>{toast.text.clone()}</span>
                    <button type="button" class="toast-close" aria-label=close_label on:click=move |_| toasts.dismiss(toast.id)>
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
