//! Form fields of the dialogs: a label on every input, the hint, and the error beside it.

use crate::domain::cidr::Reserved;
use crate::domain::ipv4::Ipv4;
use crate::domain::name::{NAME_MAX_CHARS, NameProblem};
use crate::domain::{AppError, Field};
use crate::ui::I18n;
use leptos::prelude::*;

/// A problem the browser found in a field before sending anything.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// A rule of product.md §3, found by the same domain code the server runs.
    Rule(AppError),
    /// Nothing chosen in a required picker.
    Required,
    /// R5, saying which reserved address of the subnet the address is.
    Reserved(Reserved, Ipv4),
    /// R1, saying exactly what is wrong with the name.
    Name(NameProblem),
    /// R10 for one chosen VM: its name, how many HAVIPs it carries, and the most it may.
    VmFull(String, u32, usize),
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        Problem::Rule(error)
    }
}

/// What a field shows under it: the browser's own check once the field was edited (or a
/// submit was tried), else what the server answered about this field.
pub fn field_error(
    client: impl Fn() -> Option<Problem> + Send + Sync + 'static,
    server: RwSignal<Option<AppError>>,
    field: Field,
    visible: impl Fn() -> bool + Send + Sync + 'static,
) -> Signal<Option<String>> {
    let i18n = I18n::get();
    Signal::derive(move || {
        let lang = i18n.lang.get();
        let client = visible().then(&client).flatten().map(|problem| match problem {
            Problem::Rule(e) => lang.error(e.code).to_owned(),
            Problem::Required => lang.texts().required.to_owned(),
            Problem::Name(NameProblem::Required) => lang.texts().name_required.to_owned(),
            Problem::Name(NameProblem::TooLong(length)) => crate::i18n::fill(
                lang.texts().name_too_long,
                &[("max", &NAME_MAX_CHARS.to_string()), ("n", &length.to_string())],
            ),
            Problem::Name(NameProblem::Refused(chars)) => {
                let quoted: Vec<String> = chars.iter().map(|c| format!("“{}”", c.escape_debug())).collect();
                crate::i18n::fill(lang.texts().name_refused, &[("chars", &quoted.join(lang.texts().list_separator))])
            }
            Problem::VmFull(name, count, max) => crate::i18n::fill(
                lang.texts().vm_full_named,
                &[("name", &name), ("n", &count.to_string()), ("max", &max.to_string())],
            ),
            Problem::Reserved(reserved, ip) => {
                let t = lang.texts();
                let template = match reserved {
                    Reserved::Network => t.ip_reserved_network,
                    Reserved::Broadcast => t.ip_reserved_broadcast,
                    Reserved::Gateway => t.ip_reserved_gateway,
                };
                crate::i18n::fill(template, &[("ip", &ip.to_string())])
            }
        });
        client.or_else(|| server.get().filter(|e| e.field == Some(field)).map(|e| lang.error(e.code).to_owned()))
    })
}

/// Whether a field's error should show: after the user edited it, or after a submit.
#[derive(Clone, Copy)]
pub struct Touched {
    edited: RwSignal<bool>,
    submitted: RwSignal<bool>,
}

impl Touched {
    pub fn new(submitted: RwSignal<bool>) -> Touched {
        Touched { edited: RwSignal::new(false), submitted }
    }

    pub fn mark(self) {
        self.edited.set(true);
    }

    /// Whether the user changed the field (not only submitted the form).
    pub fn was_edited(self) -> bool {
        self.edited.get_untracked()
    }

    pub fn visible(self) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
        move || self.edited.get() || self.submitted.get()
    }
}

#[component]
pub fn TextField(
    id: &'static str,
    label: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Signal<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<usize>,
    /// Shows how many characters the value has of this many, instead of cutting what is typed
    /// or pasted at the limit (the rule then says what is too long).
    #[prop(optional)]
    counter: Option<usize>,
    #[prop(optional)] monospace: bool,
    /// Takes the focus when the form appears (the first field of a dialog).
    #[prop(optional)]
    autofocus: bool,
    #[prop(into)] on_edit: Callback<()>,
) -> impl IntoView {
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let (true, Some(input)) = (autofocus, input_ref.get()) {
            focus_once_attached(input, 30);
        }
    });
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = format!("{hint_id} {error_id}");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label class="field-label" for=id>
                {label}
                {required.then(|| view! { <span class="required" aria-hidden="true">"*"</span> })}
            </label>
            <input
                node_ref=input_ref
                id=id
                type="text"
                class:mono=monospace
                maxlength=maxlength
                required=required
                aria-required=required.to_string()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    on_edit.run(());
                }
            />
            <p class="field-hint" id=hint_id>
                {move || hint.get()}
                {counter.map(|max| view! {
                    <span class="field-counter" class:over=move || value.with(|v| v.chars().count() > max)>
                        {move || format!("{}/{max}", value.with(|v| v.chars().count()))}
                    </span>
                })}
            </p>
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The footer of a form dialog: 取消 and the primary button, with progress while it runs.
#[component]
pub fn DialogButtons(
    confirm: impl Fn() -> &'static str + Copy + Send + Sync + 'static,
    pending: RwSignal<bool>,
    #[prop(into)] on_cancel: Callback<()>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let i18n = I18n::get();
    view! {
        <div class="dialog-footer">
            <button type="button" class="btn" on:click=move |_| on_cancel.run(())>{i18n.t(|t| t.cancel)}</button>
            <button type="submit" class="btn btn-primary" class:btn-danger=danger disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
                {move || pending.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                {move || if pending.get() { i18n.texts().submitting } else { confirm() }}
            </button>
        </div>
    }
}

/// Focuses the element as soon as it is in the document: a form that appears inside a suspense
/// boundary is built before it is mounted, so this looks again on the next frames.
fn focus_once_attached(input: web_sys::HtmlInputElement, frames_left: u32) {
    if input.is_connected() {
        let _ = input.focus();
    } else if frames_left > 0 {
        request_animation_frame(move || focus_once_attached(input, frames_left - 1));
    }
}

/// After a refused submit: once the errors are shown, the focus goes to the first field that
/// shows one (a text field marked invalid, or the first control of a picker or select whose
/// field shows an error), so that the keyboard is where the user has to correct something.
pub fn focus_first_invalid(form: Option<web_sys::HtmlFormElement>) {
    use web_sys::wasm_bindgen::JsCast;
    let Some(form) = form else { return };
    request_animation_frame(move || {
        // One query: the first match in the document's order, whichever kind of field it is.
        let first = form
            .query_selector("[aria-invalid='true'], .has-error select, .has-error input:not([disabled])")
            .ok()
            .flatten();
        if let Some(field) = first.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = field.focus();
        }
    });
}

/// The form a submit event came from.
pub fn submitted_form(ev: &leptos::ev::SubmitEvent) -> Option<web_sys::HtmlFormElement> {
    use web_sys::wasm_bindgen::JsCast;
    ev.target().and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
}
