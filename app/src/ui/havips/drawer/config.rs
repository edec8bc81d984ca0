//! 配置: the keepalived configuration of one bound VM, as the server generates it (one peer per
//! line, the VIP with its prefix, notify through the agent). The user picks the VM and names its
//! interface on the subnet; the server checks the name, and its refusal shows on the field. The
//! file can be copied or downloaded as keepalived-<HAVIP>-<VM>.conf, and is asked for again when
//! what it is made of changes (a rebind shown by a live update).

use crate::api::ha::load_keepalived_config;
use crate::domain::havip::Havip;
use crate::domain::keepalived::DEFAULT_INTERFACE;
use crate::domain::{AppError, Field};
use crate::i18n::fill;
use crate::ui::I18n;
use crate::ui::session_end::to_login_if_session_ended;
use crate::ui::widgets::download::save_text_file;
use crate::ui::widgets::form::TextField;
use crate::ui::widgets::mono::copy_and_tell;
use leptos::prelude::*;
use std::time::Duration;

/// Typing in the interface field pauses this long before the file is asked for again.
const TYPING_PAUSE: Duration = Duration::from_millis(300);

#[component]
pub fn Config(havip: Signal<Havip>) -> impl IntoView {
    let i18n = I18n::get();
    let id = StoredValue::new(havip.with_untracked(|h| h.id.clone()));
    let vms = Memo::new(move |_| havip.with(|h| h.vms.clone()));
    let chosen = RwSignal::new(vms.with_untracked(|vms| vms.first().map(|vm| vm.id.clone()).unwrap_or_default()));
    // A VM unbound meanwhile (a live update) gives way to the first one still bound.
    Effect::new(move |_| {
        vms.with(|vms| {
            if !vms.iter().any(|vm| vm.id == chosen.get_untracked()) {
                chosen.set(vms.first().map(|vm| vm.id.clone()).unwrap_or_default());
            }
        })
    });
    let typed = RwSignal::new(DEFAULT_INTERFACE.to_owned());
    let interface = RwSignal::new(DEFAULT_INTERFACE.to_owned());
    let typing = StoredValue::new(0u64);
    let on_edit = Callback::new(move |_| {
        let mine = typing.get_value() + 1;
        typing.set_value(mine);
        set_timeout(
            move || {
                if typing.get_value() == mine {
                    interface.set(typed.get_untracked());
                }
            },
            TYPING_PAUSE,
        );
    });
    // The file follows what it is made of (the bound VMs and the revision), not every reload: a
    // new copy of the same text would drop what the user selected in it.
    let made_of = Memo::new(move |_| havip.with(|h| (h.config_revision, h.vrid, h.vms.clone())));
    let file = Resource::new(
        move || (chosen.get(), interface.get(), made_of.get()),
        move |(vm_id, interface, _)| {
            let id = id.get_value();
            async move {
                if vm_id.is_empty() {
                    return Ok(None);
                }
                // The file goes with the VM it is for: the choice may have moved on meanwhile.
                let text = load_keepalived_config(id, vm_id.clone(), Some(interface)).await?;
                Ok(Some((vm_id, text)))
            }
        },
    );
    // The answer, read in an effect (a resource read in the view would want a suspense around
    // it, which would hide the field's error while a new file loads).
    let answer = RwSignal::new(None::<Result<Option<(String, String)>, AppError>>);
    Effect::new(move |_| {
        if let Some(result) = file.get() {
            if let Err(error) = &result {
                to_login_if_session_ended(error);
            }
            answer.set(Some(result));
        }
    });
    let interface_error = Signal::derive(move || {
        answer.with(|answer| match answer {
            Some(Err(e)) if e.field == Some(Field::Interface) => Some(i18n.lang.get().error(e.code).to_owned()),
            _ => None,
        })
    });

    view! {
        {move || if vms.with(Vec::is_empty) {
            view! { <p class="muted">{i18n.t(|t| t.no_bound_vms)}</p> }.into_any()
        } else {
            view! {
                <p class="muted">{i18n.t(|t| t.config_intro)}</p>
                <div class="field-row">
                    <div class="field">
                        <label class="field-label" for="config-vm">{i18n.t(|t| t.vm)}</label>
                        <select id="config-vm" class="select" on:change=move |ev| chosen.set(event_target_value(&ev))>
                            {move || vms.get().into_iter().map(|vm| {
                                let selected = vm.id == chosen.get_untracked();
                                view! { <option value=vm.id.clone() selected=selected>{format!("{} ({})", vm.name, vm.ip)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <TextField id="config-interface" label=i18n.t(|t| t.interface) value=typed error=interface_error monospace=true
                        maxlength=15 hint=Signal::derive(move || i18n.texts().interface_hint.to_owned()) on_edit />
                </div>
                {move || match answer.get() {
                    None => view! { <p class="muted">{i18n.t(|t| t.loading)}</p> }.into_any(),
                    Some(Ok(Some((vm_id, text)))) => view! { <ConfigFile havip_id=id.get_value() vm_id text /> }.into_any(),
                    // The field says what is wrong with the interface.
                    Some(Err(error)) if error.field == Some(Field::Interface) => ().into_any(),
                    Some(Err(error)) => view! { <Refused error /> }.into_any(),
                    Some(Ok(None)) => ().into_any(),
                }}
            }
            .into_any()
        }}
    }
}

/// The generated file with what can be done with it.
#[component]
fn ConfigFile(havip_id: String, vm_id: String, text: String) -> impl IntoView {
    let i18n = I18n::get();
    let file_name = format!("keepalived-{havip_id}-{vm_id}.conf");
    let caption = file_name.clone();
    let copied = text.clone();
    let saved = text.clone();
    view! {
        <figure class="config-file">
            <figcaption>
                <span class="mono">{caption}</span>
                <span class="config-actions">
                    <button type="button" class="btn" on:click=move |_| copy_and_tell(copied.clone(), false)>{i18n.t(|t| t.copy)}</button>
                    <button type="button" class="btn" on:click=move |_| save_text_file(&saved, &file_name)>{i18n.t(|t| t.download)}</button>
                </span>
            </figcaption>
            <pre>{text}</pre>
        </figure>
    }
}

#[component]
fn Refused(error: AppError) -> impl IntoView {
    let i18n = I18n::get();
    let detail = error.detail.clone();
    view! {
        <p class="notice notice-error" role="alert">
            {move || fill(i18n.texts().config_refused, &[("why", i18n.lang.get().error(error.code))])}
            {detail.map(|d| view! { <span class="muted">" (" {d} ")"</span> })}
        </p>
    }
}
